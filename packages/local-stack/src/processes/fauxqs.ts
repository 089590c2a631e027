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

/**
 * fauxqs imports `node:sqlite` at load (for its persistence, which only `pnpm start` uses), and Node then
 * prints "ExperimentalWarning: SQLite is an experimental feature" into every start: that one
 * warning is dropped while fauxqs loads; every other warning still prints.
 */
const withoutSqliteWarning = async <T>(load: () => Promise<T>): Promise<T> => {
  // Kept to be put back exactly as it was (it is called with `process` as `this` below).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (/SQLite is an experimental feature/.test(typeof warning === 'string' ? warning : warning.message)) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await load();
  } finally {
    process.emitWarning = emit;
  }
};

/** With `dataDir`, fauxqs keeps its queues, topics and messages in SQLite there (they survive a restart). */
export const startFauxqs = async (port: number, dataDir?: string): Promise<FauxqsHandle> => {
  const { startFauxqs: start } = await withoutSqliteWarning(() => import('fauxqs'));
  const server = await start({
    port,
    host: 'localhost',
    logger: false,
    defaultRegion: 'us-east-1',
    messageSpies: { bufferSize: 50_000 },
    ...(dataDir ? { dataDir } : {}),
  });
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
