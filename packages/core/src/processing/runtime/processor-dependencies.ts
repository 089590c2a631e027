import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { dynamoBucketStore } from '../../governor/bucket-store';
import { createGovernor } from '../../governor/governor';
import { createDynamoDocumentClient, createSecretsManagerClient, createSqsClient } from '../../aws/clients';
import { dynamoDeliveryRepository } from '../../messages/delivery-repository';
import { dynamoCompanyRepository } from '../../companies/company-repository';
import { dynamoOptOutStore } from '../../opt-outs/opt-out-store';
import { cachedSecretReader } from '../../secrets/secret-reader';
import { systemClock } from '../../util/clock';
import type { Tracing } from '../../observability/tracing';
import { ChannelAdapter } from '../channel-adapter';
import { ProcessingDeps } from '../process-record';
import { readProcessorConfig } from './processor-config';
import { QueueActions, sqsQueueActions } from './queue-actions';

export interface ProcessorDeps<Credentials extends Record<string, string>> {
  processing: ProcessingDeps<Credentials>;
  /** Offer a retried message again after its backoff, or put a copy back for its slot. */
  queue: QueueActions;
}

/**
 * The queue's real visibility timeout (docs/processing.md step 3) and its DLQ's maxReceiveCount (to
 * know a last receive), read once per container.
 */
const queueSettingsOf = async (sqs: SQSClient, queueUrl: string): Promise<{ visibilityTimeoutSeconds: number; maxReceiveCount?: number }> => {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }));
  const seconds = Number(Attributes?.VisibilityTimeout);
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`Queue ${queueUrl} reported no VisibilityTimeout`);
  const maxReceiveCount = Attributes?.RedrivePolicy ? Number((JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount?: unknown }).maxReceiveCount) : NaN;
  return { visibilityTimeoutSeconds: seconds, ...(Number.isInteger(maxReceiveCount) && maxReceiveCount > 0 ? { maxReceiveCount } : {}) };
};

/** The production wiring of a channel processor: real AWS clients (emulators when AWS_ENDPOINT_URL_* are set) and real provider SDKs. */
export const createProcessorDeps = async <Credentials extends Record<string, string>>(
  channel: ChannelAdapter<Credentials>,
  observability: { logger: Logger; metrics: Metrics; tracing: Tracing },
): Promise<ProcessorDeps<Credentials>> => {
  const config = readProcessorConfig();
  const instrument = <T>(client: T): T => observability.tracing.instrument(client);
  const sqs = createSqsClient({ instrument });
  const documents = createDynamoDocumentClient({ instrument });
  const queue = await queueSettingsOf(sqs, config.queueUrl);
  const queueActions = sqsQueueActions(sqs, config.queueUrl);
  const clock = systemClock;
  return {
    queue: queueActions,
    processing: {
      channel,
      deliveries: dynamoDeliveryRepository(documents, { conversationsTable: config.conversationsTable, messagesTable: config.messagesTable }),
      companies: dynamoCompanyRepository(documents, config.companyDataTable),
      optOuts: dynamoOptOutStore(documents, config.optOutsTable),
      secrets: cachedSecretReader(createSecretsManagerClient({ instrument }), config.secretsCacheSeconds * 1000),
      extendVisibility: queueActions.delayRetry,
      governor: createGovernor({ buckets: dynamoBucketStore(documents, config.rateLimitsTable), clock, config: { enabled: config.governorEnabled } }),
      clock,
      logger: observability.logger,
      metrics: { count: (name, value = 1) => observability.metrics.addMetric(name, name.endsWith('Ms') ? MetricUnit.Milliseconds : MetricUnit.Count, value) },
      config: {
        visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
        maxReceiveCount: queue.maxReceiveCount,
        heartbeatIntervalMs: config.heartbeatIntervalSeconds * 1000,
        retryBackoffBaseSeconds: config.retryBackoffBaseSeconds,
        retryBackoffMaxSeconds: config.retryBackoffMaxSeconds,
        finalUpdateAttempts: 3,
        processorVersion: config.processorVersion,
        conversationsTable: config.conversationsTable,
        messagesTable: config.messagesTable,
        recordDeadlineMs: config.recordDeadlineSeconds * 1000,
      },
    },
  };
};
