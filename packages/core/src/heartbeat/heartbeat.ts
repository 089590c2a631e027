/**
 * Keeps a queue message invisible (and the conversation's lease alive) while a record is worked
 * on, so that SQS does not hand it to another invocation. Every `intervalMs` it calls `beat`,
 * which extends both by the queue's real visibility timeout. A failed beat is remembered: the
 * pipeline checks `healthy()` before the provider call and stops as a retryable failure instead
 * of sending on a message another invocation may already hold.
 */
export interface Heartbeat {
  healthy(): boolean;
  failure(): unknown;
  stop(): Promise<void>;
}

export const startHeartbeat = (
  beat: () => Promise<void>,
  intervalMs: number,
  onFailure: (error: unknown) => void = () => undefined,
): Heartbeat => {
  let failed: unknown;
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running || failed !== undefined) return;
    running = beat()
      .catch((error: unknown) => {
        failed = error ?? new Error('heartbeat failed');
        onFailure(failed);
      })
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    healthy: () => failed === undefined,
    failure: () => failed,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
};
