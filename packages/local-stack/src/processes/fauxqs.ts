/**
 * fauxqs (SQS + SNS emulator) in this process. It is an ES module; a dynamic import keeps this
 * file loadable from CommonJS. Its queue URLs name the host sqs.<region>.localhost, which does not
 * resolve here; our SQS clients send to the endpoint instead (useQueueUrlAsEndpoint: false).
 */
export interface FauxqsHandle {
  endpoint: string;
  stop(): Promise<void>;
}

export const startFauxqs = async (port: number): Promise<FauxqsHandle> => {
  const { startFauxqs: start } = (await import('fauxqs')) as typeof import('fauxqs');
  const server = await start({ port, host: 'localhost', logger: false, defaultRegion: 'us-east-1' });
  return { endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
};
