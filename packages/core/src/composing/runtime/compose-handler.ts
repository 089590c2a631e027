import { dynamoThreadRepository } from '../thread-repository';
import { PublishCommand } from '@aws-sdk/client-sns';
import { createAiThread, generateTurn } from '../../ai/openai-content';
import { createDynamoDocumentClient, createSecretsManagerClient, createSnsClient } from '../../aws/clients';
import { dynamoCompanyRepository } from '../../companies/company-repository';
import { composedMessageAttributes } from '../../context-object/build';
import { transient } from '../../errors/app-error';
import { dynamoBucketStore } from '../../governor/bucket-store';
import { createGovernor } from '../../governor/governor';
import { leasedWorkerConfig } from '../../queue-work/queue-settings';
import { createSqsWorker, WorkerContext } from '../../queue-work/sqs-worker';
import { cachedSecretReader } from '../../secrets/secret-reader';
import { systemClock } from '../../util/clock';
import { toSqsSafeJson } from '../../validation/text';
import { composeRecord } from '../compose-record';
import type { ComposeDeps } from '../compose-deps';
import { ComposeRuntimeConfig, readComposeConfig } from './compose-config';

/** The production wiring: real AWS clients (emulators when AWS_ENDPOINT_URL_* are set) and the real OpenAI SDK. */
export const createComposeDeps = (config: ComposeRuntimeConfig, context: WorkerContext): ComposeDeps => {
  const sns = createSnsClient({ instrument: context.instrument });
  const documents = createDynamoDocumentClient({ instrument: context.instrument });
  const ai = { maxRetries: config.openAiMaxRetries, timeoutMs: config.openAiTimeoutSeconds * 1000 };
  return {
    threads: dynamoThreadRepository(documents, config.threadsTable),
    companies: dynamoCompanyRepository(documents, config.companyDataTable),
    secrets: cachedSecretReader(createSecretsManagerClient({ instrument: context.instrument }), config.secretsCacheSeconds * 1000),
    ai: { createThread: (apiKey, metadata) => createAiThread(apiKey, metadata, ai), turn: (turn) => generateTurn(turn, ai) },
    publish: async (message) => {
      try {
        await sns.send(
          new PublishCommand({
            TopicArn: config.fanOutTopicArn,
            Message: toSqsSafeJson(message),
            MessageAttributes: composedMessageAttributes(message),
          }),
        );
      } catch (error) {
        throw transient('QUEUE_ERROR', 'The composed message could not be published.', error);
      }
    },
    extendVisibility: context.queue.delayRetry,
    governor: createGovernor({
      buckets: dynamoBucketStore(documents, config.rateLimitsTable),
      clock: systemClock,
      config: { enabled: config.governorEnabled },
    }),
    clock: systemClock,
    logger: context.logger,
    metrics: context.metrics,
    config: leasedWorkerConfig(context.settings, config),
  };
};

/** The compose function's Lambda handler: the queue worker over composeRecord, records in parallel. */
export const createComposeHandler = (options: { serviceName: string }) =>
  createSqsWorker({
    serviceName: options.serviceName,
    readConfig: readComposeConfig,
    createWork: (config, context) => {
      const deps = createComposeDeps(config, context);
      return (record) => composeRecord(record, deps);
    },
  });
