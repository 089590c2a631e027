import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  cachedSecretReader,
  ChannelAdapter,
  DeliveryRepository,
  Governor,
  createLogger,
  createGovernor,
  createSecretsManagerClient,
  dynamoBucketStore,
  dynamoCompanyRepository,
  dynamoDeliveryRepository,
  dynamoOptOutStore,
  ProcessingDeps,
  processRecord,
  QueueRecord,
  RecordOutcome,
} from '@ai-multi-comms/core';
import { eventually, sleep, stackClients, StackState } from './stack';

type Logger = ReturnType<typeof createLogger>;

/** One DynamoDB client for every in-process processor of this test file. */
let documents: ReturnType<typeof stackClients>['documents'] | undefined;
const documentsFor = (state: StackState) => (documents ??= stackClients(state).documents);

/**
 * A channel's processing dependencies for tests that inject a fault into one of them: the real
 * Secrets Manager server, the real company-data table, the given
 * deliveries repository (often the real one, wrapped), and a lease of `leaseSeconds`.
 */
export const inProcessDeps = <Credentials extends Record<string, string>>(
  state: StackState,
  channel: ChannelAdapter<Credentials>,
  deliveries: DeliveryRepository,
  options: { leaseSeconds?: number; logger?: Logger; recordDeadlineMs?: number; secretsCacheMs?: number; governor?: Governor } = {},
): ProcessingDeps<Credentials> => ({
  channel,
  deliveries,
  companies: dynamoCompanyRepository(documentsFor(state), state.resources.companyDataTable!),
  optOuts: dynamoOptOutStore(documentsFor(state), state.resources.optOutsTable!),
  secrets: cachedSecretReader(createSecretsManagerClient(), options.secretsCacheMs ?? 0),
  extendVisibility: async () => undefined,
  // The real buckets in DynamoDB Local, as the deployed processors use them. The demo senders are
  // shared by every test running at once, so a slot may be seconds away: a call here waits for it
  // in the function (what a put-back message does on its next receive) instead of answering
  // "requeue" to a test that is about something else (CI saw exactly that on the opt-out test).
  governor:
    options.governor ??
    createGovernor({
      buckets: dynamoBucketStore(documentsFor(state), state.resources.rateLimitsTable!),
      clock: { now: () => new Date() },
      config: { enabled: true, maxInlineWaitMs: 30_000 },
    }),
  clock: { now: () => new Date() },
  logger: options.logger ?? createLogger(`${channel.channel}-processor`),
  metrics: { count: () => undefined },
  config: {
    visibilityTimeoutSeconds: options.leaseSeconds ?? 905,
    heartbeatIntervalMs: 600_000,
    retryBackoffBaseSeconds: 1,
    retryBackoffMaxSeconds: 10,
    finalUpdateAttempts: 3,
    processorVersion: 'test',
    conversationsTable: state.resources.conversationsTable!,
    messagesTable: state.resources.messagesTable!,
    recordDeadlineMs: options.recordDeadlineMs ?? 60_000,
  },
  sleep: async () => undefined,
});

/** The real deliveries repository on the local stack's tables. */
export const realDeliveries = (state: StackState, documents: DynamoDBDocumentClient = documentsFor(state)): DeliveryRepository =>
  dynamoDeliveryRepository(documents, {
    conversationsTable: state.resources.conversationsTable!,
    messagesTable: state.resources.messagesTable!,
  });

/**
 * The crash the engine must survive, run in process so it can be injected: attempt 1 sends, then
 * dies inside the final update (the call never returns; its promise is abandoned, as a dead
 * process's would be). Once its 2 s lease runs out, as the visibility timeout would, the
 * redelivery (receive 2, and more while it waits for the provider's word) runs with the real
 * repository. Returns the redelivery's outcome.
 */
export const crashAfterSendThenRedeliver = async <Credentials extends Record<string, string>>(
  state: StackState,
  documents: DynamoDBDocumentClient,
  channel: ChannelAdapter<Credentials>,
  record: QueueRecord,
  firstSendSeen: () => Promise<boolean>,
): Promise<RecordOutcome> => {
  const real = realDeliveries(state, documents);
  void processRecord(
    record,
    inProcessDeps(state, channel, { ...real, complete: () => new Promise<void>(() => undefined) }, { leaseSeconds: 2 }),
  );
  await eventually('the crashed attempt to send', async () => ((await firstSendSeen()) ? true : undefined));
  await sleep(2200);
  // The redelivery may have to wait for the provider's word (SendGrid's event, which a loaded
  // machine posts later): SQS would offer the message again after the requeue's delay, so do that.
  for (let receiveCount = 2; ; receiveCount += 1) {
    const outcome = await processRecord({ ...record, receiveCount }, inProcessDeps(state, channel, real, { leaseSeconds: 905 }));
    if (outcome.outcome !== 'requeue' || receiveCount >= 20) return outcome;
    await sleep(Math.min(2, outcome.delaySeconds) * 1000);
  }
};
