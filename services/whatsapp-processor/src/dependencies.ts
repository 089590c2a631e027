import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import {
  cachedSecretReader,
  createDynamoDocumentClient,
  createLogger,
  createSecretsManagerClient,
  createSqsClient,
  dynamoConversationRepository,
  generateContent,
  ProcessingDeps,
  systemClock,
} from '@ai-multi-comms/core';
import { processorConfig } from './config';
import { WhatsAppCredentials, whatsappChannel } from './whatsapp-channel';

export const logger = createLogger('whatsapp-processor');
// EMF metrics (printed as structured logs, no API call): POWERTOOLS_METRICS_NAMESPACE from serverless.yml.
export const metrics = new Metrics({ serviceName: 'whatsapp-processor', defaultDimensions: { channel: 'whatsapp', stage: process.env.STAGE ?? 'local' } });
export const tracer = new Tracer({ serviceName: 'whatsapp-processor' });
const instrument = <T>(client: T): T => tracer.captureAWSv3Client(client);

/** The queue's real visibility timeout, read once per container (processing.md step 3). */
const visibilityTimeoutOf = async (sqs: SQSClient, queueUrl: string): Promise<number> => {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }));
  const seconds = Number(Attributes?.VisibilityTimeout);
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`Queue ${queueUrl} reported no VisibilityTimeout`);
  return seconds;
};

export interface ProcessorDeps {
  processing: ProcessingDeps<WhatsAppCredentials>;
  /** Offer a retried message again after `seconds` (instead of the full visibility timeout). */
  delayRetry: (receiptHandle: string, seconds: number) => Promise<void>;
}

/** The production wiring: real AWS clients (emulators when AWS_ENDPOINT_URL_* are set) and real provider SDKs. */
export const createDefaultDeps = async (): Promise<ProcessorDeps> => {
  const config = processorConfig.get();
  const sqs = createSqsClient({ instrument });
  const changeVisibility = (receiptHandle: string, seconds: number) =>
    sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: config.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds })).then(() => undefined);
  return {
    delayRetry: changeVisibility,
    processing: {
      channel: whatsappChannel,
      conversations: dynamoConversationRepository(createDynamoDocumentClient({ instrument }), config.conversationsTable),
      secrets: cachedSecretReader(createSecretsManagerClient({ instrument }), config.secretsCacheSeconds * 1000),
      ai: (request) => generateContent(request, { maxRetries: config.openAiMaxRetries, timeoutMs: config.openAiTimeoutSeconds * 1000 }),
      extendVisibility: changeVisibility,
      clock: systemClock,
      logger,
      metrics: { count: (name, value = 1) => metrics.addMetric(name, name.endsWith('Ms') ? MetricUnit.Milliseconds : MetricUnit.Count, value) },
      config: {
        visibilityTimeoutSeconds: await visibilityTimeoutOf(sqs, config.queueUrl),
        heartbeatIntervalMs: config.heartbeatIntervalSeconds * 1000,
        retryBackoffBaseSeconds: config.retryBackoffBaseSeconds,
        retryBackoffMaxSeconds: config.retryBackoffMaxSeconds,
        finalUpdateAttempts: 3,
        processorVersion: config.processorVersion,
        conversationsTable: config.conversationsTable,
      },
    },
  };
};
