import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { PublishCommand } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { generateTurn } from '../../ai/openai-content';
import { createDynamoDocumentClient, createSecretsManagerClient, createSnsClient, createSqsClient } from '../../aws/clients';
import { dynamoCompanyRepository } from '../../companies/company-repository';
import { composedMessageAttributes } from '../../context-object/build';
import { dynamoConversationRepository } from '../../conversations/conversation-repository';
import { dynamoBucketStore } from '../../governor/bucket-store';
import { createGovernor } from '../../governor/governor';
import { transient } from '../../errors/app-error';
import { createLogger } from '../../observability/logger';
import { createTracing } from '../../observability/tracing';
import { dynamoOptOutStore } from '../../opt-outs/opt-out-store';
import { cachedSecretReader } from '../../secrets/secret-reader';
import { systemClock } from '../../util/clock';
import { toSqsSafeJson } from '../../validation/text';
import { answerReply, ReplyDeps } from '../answer-reply';
import { dynamoConversationUpdates } from '../conversation-updates';
import { dynamoInboundStore } from '../inbound-store';
import { readReplyConfig } from './reply-config';

class RetryLater extends Error {}

const createReplyRuntime = async (observability: { logger: ReturnType<typeof createLogger>; metrics: Metrics; tracing: ReturnType<typeof createTracing> }) => {
  const config = readReplyConfig();
  const instrument = <T>(client: T): T => observability.tracing.instrument(client);
  const sqs = createSqsClient({ instrument });
  const sns = createSnsClient({ instrument });
  const documents = createDynamoDocumentClient({ instrument });
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: config.queueUrl, AttributeNames: ['RedrivePolicy'] }));
  const maxReceiveCount = Attributes?.RedrivePolicy ? Number((JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount?: unknown }).maxReceiveCount) : NaN;
  const ai = { maxRetries: config.openAiMaxRetries, timeoutMs: config.openAiTimeoutSeconds * 1000 };
  const publish = async (topicArn: string, message: string, attributes: Record<string, { DataType: 'String'; StringValue: string }>, what: string) => {
    try {
      await sns.send(new PublishCommand({ TopicArn: topicArn, Message: message, MessageAttributes: attributes }));
    } catch (error) {
      throw transient('QUEUE_ERROR', `The ${what} could not be published.`, error);
    }
  };
  const deps: ReplyDeps = {
    inbound: dynamoInboundStore(documents, config.inboundMessagesTable),
    conversations: dynamoConversationRepository(documents, config.conversationsTable),
    updates: dynamoConversationUpdates(documents, config.conversationsTable, config.messagesTable),
    companies: dynamoCompanyRepository(documents, config.companyDataTable),
    optOuts: dynamoOptOutStore(documents, config.optOutsTable),
    secrets: cachedSecretReader(createSecretsManagerClient({ instrument }), config.secretsCacheSeconds * 1000),
    ai: { turn: (turn) => generateTurn(turn, ai) },
    governor: createGovernor({ buckets: dynamoBucketStore(documents, config.rateLimitsTable), clock: systemClock, config: { enabled: config.governorEnabled } }),
    publishAnswer: (message) => publish(config.fanOutTopicArn, toSqsSafeJson(message), composedMessageAttributes(message), 'answer'),
    publishHandOff: (event) => publish(config.handOffTopicArn, JSON.stringify(event), { event: { DataType: 'String', StringValue: event.event } }, 'hand-off event'),
    clock: systemClock,
    logger: observability.logger,
    metrics: { count: (name, value = 1) => observability.metrics.addMetric(name, MetricUnit.Count, value) },
    config: {
      retryBackoffBaseSeconds: config.retryBackoffBaseSeconds,
      retryBackoffMaxSeconds: config.retryBackoffMaxSeconds,
      maxReceiveCount: Number.isInteger(maxReceiveCount) && maxReceiveCount > 0 ? maxReceiveCount : undefined,
    },
  };
  const delayRetry = (receiptHandle: string, seconds: number) =>
    sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: config.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds })).then(() => undefined);
  return { deps, delayRetry };
};

/**
 * The reply function's Lambda handler: FIFO batch → answerReply per record, in order. A record
 * that must be retried fails the rest of its batch too (as Powertools' SqsFifoPartialProcessor
 * does), so no later reply of a thread is answered before an earlier one.
 */
export const createReplyHandler = (options: { serviceName: string }) => {
  const logger = createLogger(options.serviceName);
  const metrics = new Metrics({ serviceName: options.serviceName, defaultDimensions: { stage: process.env.STAGE ?? 'local' } });
  const tracing = createTracing(options.serviceName);
  let runtime: ReturnType<typeof createReplyRuntime> | undefined;

  const handleRecord = async (record: SQSRecord) => {
    runtime ??= createReplyRuntime({ logger, metrics, tracing }).catch((error: unknown) => {
      runtime = undefined;
      throw error;
    });
    const { deps, delayRetry } = await runtime;
    const outcome = await answerReply({ messageId: record.messageId, receiptHandle: record.receiptHandle, body: record.body, receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1) }, deps);
    if (outcome.outcome === 'retry') {
      await delayRetry(record.receiptHandle, outcome.delaySeconds).catch((error: unknown) => logger.warn('Could not set the retry delay', { error: error as Error }));
      throw new RetryLater(outcome.reason);
    }
  };

  const handle = async (event: SQSEvent, _context: Context): Promise<SQSBatchResponse> => {
    // In order, stopping at the first failure: every later record of the batch is reported failed with it.
    const failures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      if (failures.length > 0) {
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        await handleRecord(record);
      } catch (error) {
        if (!(error instanceof RetryLater)) logger.error('Reply record failed', { error: error as Error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };

  return middy<SQSEvent, SQSBatchResponse>(handle).use(tracing.middleware()).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
};
