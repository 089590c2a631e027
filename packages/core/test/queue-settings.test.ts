import { leasedWorkerConfig, leaseMsFor } from '../src';

/** A leased worker's timing comes from its queue (as SQS reports it) and its environment, in one place for compose and the senders. */
it("a leased worker's config: the queue's visibility and maxReceiveCount, the environment's timing in milliseconds", () => {
  const config = leasedWorkerConfig(
    { visibilityTimeoutSeconds: 905, maxReceiveCount: 3 },
    { heartbeatIntervalSeconds: 120, retryBackoffBaseSeconds: 30, retryBackoffMaxSeconds: 900, recordDeadlineSeconds: 600 },
  );
  expect(config).toEqual({
    visibilityTimeoutSeconds: 905,
    maxReceiveCount: 3,
    heartbeatIntervalMs: 120_000,
    retryBackoffBaseSeconds: 30,
    retryBackoffMaxSeconds: 900,
    recordDeadlineMs: 600_000,
  });
  // The lease ends a little before the message is visible again, so a redelivery takes over at once.
  expect(leaseMsFor(config.visibilityTimeoutSeconds)).toBe(900_000);
});
