import { PublishCommand } from '@aws-sdk/client-sns';
import { generateTurn, noteOnThread } from '../../ai/openai-content';
import { createDynamoDocumentClient, createSecretsManagerClient, createSnsClient } from '../../aws/clients';
import { dynamoCompanyRepository } from '../../companies/company-repository';
import { composedMessageAttributes } from '../../context-object/build';
import { dynamoConversationRepository } from '../../conversations/conversation-repository';
import { transient } from '../../errors/app-error';
import { dynamoBucketStore } from '../../governor/bucket-store';
import { createGovernor } from '../../governor/governor';
import { dynamoOptOutStore } from '../../opt-outs/opt-out-store';
import { createSqsWorker, WorkerContext } from '../../queue-work/sqs-worker';
import { cachedSecretReader } from '../../secrets/secret-reader';
import { systemClock } from '../../util/clock';
import { toSqsSafeJson } from '../../validation/text';
import { answerReply, ReplyDeps } from '../answer-reply';
import { dynamoConversationUpdates } from '../conversation-updates';
import { dynamoInboundStore } from '../inbound-store';
import { readReplyConfig, ReplyRuntimeConfig } from './reply-config';
import { sqsClientEvents } from '../../client-events/client-events-queue';

/** The production wiring: real AWS clients (emulators when AWS_ENDPOINT_URL_* are set) and the real OpenAI SDK. */
export const createReplyDeps = (config: ReplyRuntimeConfig, context: WorkerContext): ReplyDeps => {
  const sns = createSnsClient({ instrument: context.instrument });
  const documents = createDynamoDocumentClient({ instrument: context.instrument });
  const ai = { maxRetries: config.openAiMaxRetries, timeoutMs: config.openAiTimeoutSeconds * 1000 };
  const publish = async (
    topicArn: string,
    message: string,
    attributes: Record<string, { DataType: 'String'; StringValue: string }>,
    what: string,
  ) => {
    try {
      await sns.send(new PublishCommand({ TopicArn: topicArn, Message: message, MessageAttributes: attributes }));
    } catch (error) {
      throw transient('QUEUE_ERROR', `The ${what} could not be published.`, error);
    }
  };
  return {
    inbound: dynamoInboundStore(documents, config.inboundMessagesTable),
    conversations: dynamoConversationRepository(documents, config.conversationsTable),
    updates: dynamoConversationUpdates(documents, config.conversationsTable, config.messagesTable),
    companies: dynamoCompanyRepository(documents, config.companyDataTable),
    optOuts: dynamoOptOutStore(documents, config.optOutsTable),
    secrets: cachedSecretReader(createSecretsManagerClient({ instrument: context.instrument }), config.secretsCacheSeconds * 1000),
    ai: { turn: (turn) => generateTurn(turn, ai), note: (apiKey, threadId, note) => noteOnThread(apiKey, threadId, note, ai) },
    governor: createGovernor({
      buckets: dynamoBucketStore(documents, config.rateLimitsTable),
      clock: systemClock,
      config: { enabled: config.governorEnabled },
    }),
    ...(config.clientEventsQueueUrl ? { events: sqsClientEvents(context.sqs, config.clientEventsQueueUrl) } : {}),
    publishAnswer: (message) => publish(config.fanOutTopicArn, toSqsSafeJson(message), composedMessageAttributes(message), 'answer'),
    publishHandOff: (event) =>
      publish(config.handOffTopicArn, JSON.stringify(event), { event: { DataType: 'String', StringValue: event.event } }, 'hand-off event'),
    clock: systemClock,
    logger: context.logger,
    metrics: context.metrics,
    config: {
      retryBackoffBaseSeconds: config.retryBackoffBaseSeconds,
      retryBackoffMaxSeconds: config.retryBackoffMaxSeconds,
      maxReceiveCount: context.settings.maxReceiveCount,
    },
  };
};

/**
 * The reply function's Lambda handler: the queue worker over answerReply on the FIFO reply queue,
 * records in order; a record that must be retried fails the rest of its batch with it, so no later
 * reply of a thread is answered before an earlier one.
 */
export const createReplyHandler = (options: { serviceName: string }) =>
  createSqsWorker({
    serviceName: options.serviceName,
    fifo: true,
    readConfig: readReplyConfig,
    createWork: (config, context) => {
      const deps = createReplyDeps(config, context);
      return (record) => answerReply(record, deps);
    },
  });
