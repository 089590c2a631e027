import { createDynamoDocumentClient, createSecretsManagerClient } from '../../aws/clients';
import { dynamoCompanyRepository } from '../../companies/company-repository';
import { dynamoBucketStore } from '../../governor/bucket-store';
import { createGovernor } from '../../governor/governor';
import { dynamoDeliveryRepository } from '../../messages/delivery-repository';
import { dynamoOptOutStore } from '../../opt-outs/opt-out-store';
import { leasedWorkerConfig } from '../../queue-work/queue-settings';
import type { WorkerContext } from '../../queue-work/sqs-worker';
import { cachedSecretReader } from '../../secrets/secret-reader';
import { systemClock } from '../../util/clock';
import { ChannelAdapter } from '../channel-adapter';
import { sqsClientEvents } from '../../client-events/client-events-queue';
import type { ProcessingDeps } from '../processing-deps';
import { ProcessorConfig } from './processor-config';

/** The production wiring of a channel processor: real AWS clients (emulators when AWS_ENDPOINT_URL_* are set) and real provider SDKs. */
export const createProcessingDeps = <Credentials extends Record<string, string>>(
  channel: ChannelAdapter<Credentials>,
  config: ProcessorConfig,
  context: WorkerContext,
): ProcessingDeps<Credentials> => {
  const documents = createDynamoDocumentClient({ instrument: context.instrument });
  const clock = systemClock;
  return {
    channel,
    deliveries: dynamoDeliveryRepository(documents, { conversationsTable: config.conversationsTable, messagesTable: config.messagesTable }),
    companies: dynamoCompanyRepository(documents, config.companyDataTable),
    optOuts: dynamoOptOutStore(documents, config.optOutsTable),
    secrets: cachedSecretReader(createSecretsManagerClient({ instrument: context.instrument }), config.secretsCacheSeconds * 1000),
    extendVisibility: context.queue.delayRetry,
    governor: createGovernor({
      buckets: dynamoBucketStore(documents, config.rateLimitsTable),
      clock,
      config: { enabled: config.governorEnabled },
    }),
    clock,
    logger: context.logger,
    metrics: context.metrics,
    ...(config.clientEventsQueueUrl ? { events: sqsClientEvents(context.sqs, config.clientEventsQueueUrl) } : {}),
    config: {
      ...leasedWorkerConfig(context.settings, config),
      finalUpdateAttempts: 3,
      processorVersion: config.processorVersion,
      conversationsTable: config.conversationsTable,
      messagesTable: config.messagesTable,
    },
  };
};
