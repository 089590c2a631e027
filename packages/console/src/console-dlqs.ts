import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { redriveMessage } from '@ai-multi-comms/core';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsoleTarget } from './console-target';

/** One parked message as the console shows it: which conversation, why it failed there (its item's reason). */
export interface ParkedMessage {
  message_id: string;
  conversation_id?: string;
  /** Why it is there: the failure its conversation's message item (or the request's thread) recorded. */
  failure_reason?: string;
  receive_count?: number;
  sent_at?: string;
}

/** What a parked message names: a channel's conversation, the compose step's request, or a reply's inbound message. */
const subjectOf = (body: string | undefined): string | undefined => {
  try {
    const value = JSON.parse(body ?? '') as {
      inbound_id?: string;
      conversation_data?: { conversations?: { conversation_id?: string }[] };
      frontend_payload?: { company_data?: { company_id?: string; project_id?: string }; request_data?: { request_id?: string } };
    };
    if (typeof value.inbound_id === 'string') return value.inbound_id;
    const id = value.conversation_data?.conversations?.[0]?.conversation_id;
    if (typeof id === 'string') return id;
    const request = value.frontend_payload;
    return request
      ? `${request.company_data?.company_id}#${request.company_data?.project_id}#${request.request_data?.request_id}`
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The DLQs: their depth, and (standard queues) the messages in them. SQS cannot read without
 * receiving: a look receives with a visibility of 0 s, which leaves every message where it is and
 * raises its receive count (a DLQ has no redrive policy: the count decides nothing); `pnpm dlq
 * show` says the same. A FIFO DLQ (replies) shows its depth only: reading it means moving it.
 */
export const consoleDlqs = (sqs: SQSClient, target: ConsoleTarget, documents: DynamoDBDocumentClient) => {
  /** A channel's message item (`initial`, or the answer it carries) or the compose step's thread: its recorded failure. */
  const reasonOf = async (queue: string, body: string | undefined, subject: string | undefined): Promise<string | undefined> => {
    if (!subject || queue === 'reply') return undefined;
    try {
      const key =
        queue === 'compose'
          ? { TableName: target.tables.threads, Key: { thread_key: subject } }
          : {
              TableName: target.tables.messages,
              Key: {
                conversation_id: subject,
                message_key: (JSON.parse(body ?? '{}') as { reply?: { message_key?: string } }).reply?.message_key ?? 'initial',
              },
            };
      const item = (await documents.send(new GetCommand(key))).Item;
      return typeof item?.failure_reason === 'string' ? item.failure_reason : undefined;
    } catch {
      return undefined;
    }
  };
  const look = async (queue: string, queueUrl: string): Promise<ParkedMessage[]> => {
    if (queueUrl.endsWith('.fifo')) return [];
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    return Promise.all(
      Messages.map(async (message) => {
        const subject = subjectOf(message.Body);
        return {
          message_id: message.MessageId!,
          conversation_id: subject,
          failure_reason: await reasonOf(queue, message.Body, subject),
          receive_count: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
          sent_at: message.Attributes?.SentTimestamp ? new Date(Number(message.Attributes.SentTimestamp)).toISOString() : undefined,
        };
      }),
    );
  };

  const list = () =>
    Promise.all(
      target.queues.map(async (queue) => {
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queue.deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
        );
        const depth = Number(Attributes.ApproximateNumberOfMessages ?? 0);
        return {
          name: queue.name,
          depth,
          fifo: queue.deadLetterQueueUrl.endsWith('.fifo'),
          messages: depth > 0 ? await look(queue.name, queue.deadLetterQueueUrl) : [],
        };
      }),
    );

  /** Every message back to its queue, one by one as `pnpm dlq redrive` moves them (core `redriveMessage`). Returns how many moved. */
  const redrive = async (name: string): Promise<number> => {
    const queue = target.queues.find((q) => q.name === name);
    if (!queue) return 0;
    let moved = 0;
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 60,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) {
        empty += 1;
        continue;
      }
      for (const message of Messages) {
        await redriveMessage(sqs, queue, message);
        moved += 1;
      }
    }
    return moved;
  };

  return { list, redrive };
};
