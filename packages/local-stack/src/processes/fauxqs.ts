/**
 * fauxqs (SQS + SNS emulator) in this process. It is an ES module; a dynamic import keeps this
 * file loadable from CommonJS. Its queue URLs name the host sqs.<region>.localhost, which does not
 * resolve here; our SQS clients send to the endpoint instead (useQueueUrlAsEndpoint: false).
 */
export interface QueueEvent {
  queueName: string;
  messageId: string;
  body: string;
  messageAttributes: Record<string, { DataType?: string; StringValue?: string }>;
  /** published: sent to the queue; consumed: deleted after processing; dlq: moved to the dead-letter queue. */
  status: 'published' | 'consumed' | 'dlq';
  timestamp: number;
}

export interface FauxqsHandle {
  endpoint: string;
  /** What happened on the queues, for tests (fauxqs's message spy): nothing is consumed by looking. */
  queueEvents(): QueueEvent[];
  stop(): Promise<void>;
}

export const startFauxqs = async (port: number): Promise<FauxqsHandle> => {
  const { startFauxqs: start } = await import('fauxqs');
  const server = await start({ port, host: 'localhost', logger: false, defaultRegion: 'us-east-1', messageSpies: { bufferSize: 50_000 } });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    queueEvents: () =>
      server.spy
        .getAllMessages()
        .flatMap((event) =>
          event.service === 'sqs' ? [{ ...event, messageAttributes: event.messageAttributes as QueueEvent['messageAttributes'] }] : [],
        ),
    stop: () => server.stop(),
  };
};
