/**
 * Dead-letter queues, a channel sender's, the compose step's or the reply step's:
 *   pnpm dlq show <channel|compose> (--local | --stage dev)                  each message with its conversation's (or thread's) failure reason
 *   pnpm dlq redrive <channel|compose> [--message-id <id>] (--local | --stage dev)   move all (or one) back to its queue
 *
 * Redrive copies a message to the queue *before* deleting it from the DLQ, so an interruption
 * can leave a copy in both places but never lose one; a copy processed twice is harmless (the
 * processor's claim acknowledges a conversation already sent).
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  Channel,
  CHANNEL_DESCRIPTORS,
  CHANNELS,
  ContextObject,
  createDynamoDocumentClient,
  createSqsClient,
  redriveMessage,
  threadKeyOf,
} from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { resolveTarget } from './lib/target';

/** The item a parked message is about: its channel's conversation, or (compose) the request's thread. */
const keyOf = (
  body: string,
  queue: string,
):
  | { table: 'conversations'; key: { primary_channel: string; conversation_id: string }; id: string }
  | { table: 'threads'; key: { thread_key: string }; id: string }
  | undefined => {
  try {
    const value = JSON.parse(body) as Partial<ContextObject> | null;
    const request = value?.frontend_payload;
    if (queue === 'reply' || queue === 'client-events') return undefined; // a reply task names its inbound message only; an event is shown by its own fields
    if (queue === 'compose') {
      const [companyId, projectId, requestId] = [
        request?.company_data?.company_id,
        request?.company_data?.project_id,
        request?.request_data?.request_id,
      ];
      if (typeof companyId !== 'string' || typeof projectId !== 'string' || typeof requestId !== 'string') return undefined;
      const threadKey = threadKeyOf(companyId, projectId, requestId);
      return { table: 'threads', key: { thread_key: threadKey }, id: threadKey };
    }
    const conversations: unknown = value?.conversation_data?.conversations;
    const conversationId = Array.isArray(conversations)
      ? (conversations as { channel?: unknown; conversation_id?: unknown }[]).find((c) => c?.channel === queue)?.conversation_id
      : undefined;
    const primary: unknown = request?.recipient_data?.[CHANNEL_DESCRIPTORS[queue as Channel].recipientField];
    return typeof primary === 'string' && typeof conversationId === 'string'
      ? { table: 'conversations', key: { primary_channel: primary, conversation_id: conversationId }, id: conversationId }
      : undefined;
  } catch {
    return undefined;
  }
};

/** A reply task's inbound message id (pnpm conversation finds its conversation). */
const inboundIdOf = (body: string): string | undefined => {
  try {
    const id = (JSON.parse(body) as { inbound_id?: unknown }).inbound_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
};

/** Every message on the queue, each held for `holdSeconds` while the callback runs, seen once. */
const eachMessage = async (sqs: SQSClient, queueUrl: string, visit: (message: Message) => Promise<'keep' | 'done'>, holdSeconds = 60) => {
  const seen = new Set<string>();
  const held: Message[] = [];
  try {
    for (let emptyRounds = 0; emptyRounds < 2; ) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: holdSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const fresh = Messages.filter((message) => !seen.has(message.MessageId!));
      if (fresh.length === 0) {
        emptyRounds += 1;
        continue;
      }
      emptyRounds = 0;
      for (const message of fresh) {
        seen.add(message.MessageId!);
        if ((await visit(message)) === 'keep') held.push(message);
      }
    }
  } finally {
    // Hand back what we only looked at.
    for (const message of held) {
      await sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 }))
        .catch(() => undefined);
    }
  }
};

/**
 * Every message of a FIFO DLQ (the reply queue's), each seen once, in order. A FIFO queue hands
 * out a message group's next messages only once the ones in flight are gone, so looking without
 * taking (as `eachMessage` does) stops at the first batch of each thread. Here each message is
 * put back at the tail of its group first (same body, attributes and group, marked with this
 * pass's id) and only then deleted, so nothing can be lost; the pass ends when its own copies come
 * round. The order within each group is kept; the copies' receive counts start again.
 */
const eachFifoMessage = async (sqs: SQSClient, queueUrl: string, visit: (message: Message) => Promise<void>) => {
  const pass = randomUUID();
  for (let emptyRounds = 0; emptyRounds < 2; ) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) {
      emptyRounds += 1;
      continue;
    }
    emptyRounds = 0;
    for (const [index, message] of Messages.entries()) {
      if (message.MessageAttributes?.[SHOW_PASS]?.StringValue === pass) {
        // Round once: hand back this batch's rest untouched.
        for (const rest of Messages.slice(index))
          await sqs
            .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: rest.ReceiptHandle!, VisibilityTimeout: 0 }))
            .catch(() => undefined);
        return;
      }
      await visit(message);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: message.Body!,
          MessageAttributes: { ...(message.MessageAttributes ?? {}), [SHOW_PASS]: { DataType: 'String', StringValue: pass } },
          MessageGroupId: message.Attributes?.MessageGroupId,
          MessageDeduplicationId: `${message.MessageId}-${pass}`.slice(0, 128),
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    }
  }
};
/**
 * What a `show` does to the messages, printed after them. SQS offers no way to read a message
 * without receiving it (ReceiveMessage is the only read), and every receive raises its
 * ApproximateReceiveCount. A DLQ has no redrive policy of its own, so that count sends nothing
 * anywhere; it only counts the shows too.
 */
const SHOW_RECEIVES_NOTE = {
  standard:
    "note: SQS cannot read without receiving, so each show raised these messages' receives= by one (this DLQ has no redrive policy: the count decides nothing); message ids and ages are kept.",
  fifo: 'note: a FIFO DLQ is read by putting each message back as a copy (a FIFO message cannot be left in place): receives= starts again, message ids change, nothing is lost.',
};

/** The message attribute marking a `dlq show` pass's copies on a FIFO DLQ. */
const SHOW_PASS = 'dlq-show-pass';

const main = async () => {
  const {
    target: targetOptions,
    positionals,
    values,
  } = parseCommandLine(process.argv.slice(2), {
    usage: `pnpm dlq show|redrive <${[...CHANNELS, 'compose', 'reply', 'client-events'].join('|')}> [--message-id <id>] (--local | --stage <stage>)`,
    example: 'npx -y pnpm@9.15.9 dlq show whatsapp --local',
    options: { 'message-id': 'string' },
  });
  const [command, channel] = positionals;
  const onlyId = values['message-id'] as string | undefined;
  if (!['show', 'redrive'].includes(command ?? '') || ![...CHANNELS, 'compose', 'reply', 'client-events'].includes(channel ?? '')) {
    console.error(
      `usage: pnpm dlq show|redrive <${[...CHANNELS, 'compose', 'reply', 'client-events'].join('|')}> [--message-id <id>] (--local | --stage <stage>)`,
    );
    process.exit(2);
  }
  const target = await resolveTarget(targetOptions);
  const { queueUrl, deadLetterQueueUrl } = await target.queues(channel!);
  const sqs = createSqsClient();

  if (command === 'show') {
    const documents = createDynamoDocumentClient();
    let count = 0;
    const show = async (message: Message) => {
      count += 1;
      const found = keyOf(message.Body ?? '', channel!);
      const table = found?.table === 'threads' ? target.threadsTable : target.conversationsTable;
      const item = found && table ? (await documents.send(new GetCommand({ TableName: table, Key: found.key }))).Item : undefined;
      console.log(
        [
          message.MessageId,
          `receives=${message.Attributes?.ApproximateReceiveCount ?? '?'}`,
          found?.id ??
            (channel === 'reply'
              ? `inbound ${inboundIdOf(message.Body ?? '') ?? '(malformed task)'}`
              : '(no conversation id: malformed body)'),
          item ? `${item.conversation_status ?? item.status}: ${item.failure_reason ?? ''}` : '(no item)',
        ].join('\t'),
      );
    };
    if (deadLetterQueueUrl.endsWith('.fifo')) await eachFifoMessage(sqs, deadLetterQueueUrl, show);
    else await eachMessage(sqs, deadLetterQueueUrl, async (message) => (await show(message), 'keep'));
    console.error(`${count} message(s) in ${deadLetterQueueUrl}`);
    // SQS has no peek: reading a message is receiving it. Say what that costs, where it applies.
    if (count > 0) console.error(SHOW_RECEIVES_NOTE[deadLetterQueueUrl.endsWith('.fifo') ? 'fifo' : 'standard']);
    return;
  }

  let moved = 0;
  await eachMessage(sqs, deadLetterQueueUrl, async (message) => {
    if (onlyId && message.MessageId !== onlyId) return 'keep';
    await redriveMessage(sqs, { queueUrl, deadLetterQueueUrl }, message, [SHOW_PASS]);
    moved += 1;
    console.log(`redriven\t${message.MessageId}\t${keyOf(message.Body ?? '', channel!)?.id ?? ''}`);
    return 'done';
  });
  console.error(`${moved} message(s) moved from ${deadLetterQueueUrl} to ${queueUrl}`);
  if (onlyId && moved === 0) process.exit(1);
};

main().catch((error: unknown) => {
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
