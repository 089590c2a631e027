import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { dynamoBucketStore } from '../../governor/bucket-store';
import { createGovernor } from '../../governor/governor';
import { QueueActions, queueRecordOf, settleRecord, sqsQueueActions } from '../../processing/runtime/queue-actions';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createAiThread, generateTurn } from '../../ai/openai-content';
import { createDynamoDocumentClient, createSecretsManagerClient, createSnsClient, createSqsClient } from '../../aws/clients';
import { dynamoCompanyRepository } from '../../companies/company-repository';
import { composedMessageAttributes } from '../../context-object/build';
import { transient } from '../../errors/app-error';
import { createLogger } from '../../observability/logger';
import { createTracing } from '../../observability/tracing';
import { cachedSecretReader } from '../../secrets/secret-reader';
import { systemClock } from '../../util/clock';
import { toSqsSafeJson } from '../../validation/text';
import { composeRecord, ComposeDeps } from '../compose-record';
import { dynamoThreadRepository } from '../thread-repository';
import { readComposeConfig } from './compose-config';

interface ComposeRuntime {
  deps: ComposeDeps;
  queue: QueueActions;
}

/** The production wiring: real AWS clients (emulators when AWS_ENDPOINT_URL_* are set) and the real OpenAI SDK. */
const createComposeRuntime = async (observability: { logger: ReturnType<typeof createLogger>; metrics: Metrics; tracing: ReturnType<typeof createTracing> }): Promise<ComposeRuntime> => {
  const config = readComposeConfig();
  const instrument = <T>(client: T): T => observability.tracing.instrument(client);
  const sqs = createSqsClient({ instrument });
  const sns = createSnsClient({ instrument });
  const documents = createDynamoDocumentClient({ instrument });
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: config.queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }));
  const maxReceiveCount = Attributes?.RedrivePolicy ? Number((JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount?: unknown }).maxReceiveCount) : NaN;
  const ai = { maxRetries: config.openAiMaxRetries, timeoutMs: config.openAiTimeoutSeconds * 1000 };
  const queue = sqsQueueActions(sqs, config.queueUrl);
  return {
    queue,
    deps: {
      threads: dynamoThreadRepository(documents, config.threadsTable),
      companies: dynamoCompanyRepository(documents, config.companyDataTable),
      secrets: cachedSecretReader(createSecretsManagerClient({ instrument }), config.secretsCacheSeconds * 1000),
      ai: { createThread: (apiKey, metadata) => createAiThread(apiKey, metadata, ai), turn: (turn) => generateTurn(turn, ai) },
      publish: async (message) => {
        try {
          await sns.send(new PublishCommand({ TopicArn: config.fanOutTopicArn, Message: toSqsSafeJson(message), MessageAttributes: composedMessageAttributes(message) }));
        } catch (error) {
          throw transient('QUEUE_ERROR', 'The composed message could not be published.', error);
        }
      },
      extendVisibility: queue.delayRetry,
      governor: createGovernor({ buckets: dynamoBucketStore(documents, config.rateLimitsTable), clock: systemClock, config: { enabled: config.governorEnabled } }),
      clock: systemClock,
      logger: observability.logger,
      metrics: { count: (name, value = 1) => observability.metrics.addMetric(name, name.endsWith('Ms') ? MetricUnit.Milliseconds : MetricUnit.Count, value) },
      config: {
        visibilityTimeoutSeconds: Number(Attributes?.VisibilityTimeout ?? 605),
        heartbeatIntervalMs: config.heartbeatIntervalSeconds * 1000,
        retryBackoffBaseSeconds: config.retryBackoffBaseSeconds,
        retryBackoffMaxSeconds: config.retryBackoffMaxSeconds,
        maxReceiveCount: Number.isInteger(maxReceiveCount) && maxReceiveCount > 0 ? maxReceiveCount : undefined,
        recordDeadlineMs: config.recordDeadlineSeconds * 1000,
      },
    },
  };
};

/** The compose function's Lambda handler: SQS batch → composeRecord per record → batchItemFailures. */
export const createComposeHandler = (options: { serviceName: string }) => {
  const logger = createLogger(options.serviceName);
  const metrics = new Metrics({ serviceName: options.serviceName, defaultDimensions: { stage: process.env.STAGE ?? 'local' } });
  const tracing = createTracing(options.serviceName);
  let runtime: Promise<ComposeRuntime> | undefined;
  const processor = new BatchProcessor(EventType.SQS);

  const handleRecord = async (record: SQSRecord) => {
    runtime ??= createComposeRuntime({ logger, metrics, tracing }).catch((error: unknown) => {
      runtime = undefined;
      throw error;
    });
    const { deps, queue } = await runtime;
    const outcome = await composeRecord(queueRecordOf(record), deps);
    await settleRecord(record, outcome, queue, logger);
  };

  const handle = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false, processInParallel: true });

  return middy<SQSEvent, SQSBatchResponse>(handle).use(tracing.middleware()).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
};
