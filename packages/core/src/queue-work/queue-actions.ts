import type { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityCommand, MessageAttributeValue, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { QueueRecord } from './queue-record';
import type { RecordOutcome } from './queue-outcomes';

/**
 * What the queue worker (sqs-worker.ts) does with a record's outcome (queue-outcomes.ts), in one place
 * for every queue: acknowledge (the batch response leaves it out, so the event source
 * deletes it), retry (shorten its visibility to the backoff, report it failed), or requeue (send a
 * copy with the delay and the governor's slot, then acknowledge this one). A requeue that cannot
 * be sent falls back to a retry: the message is never dropped.
 */
export const GOVERNOR_SLOT_ATTRIBUTE = 'governor_slot_ms';

/** Thrown for a record the queue should offer again; the batch processor reports it in batchItemFailures. */
export class RetryLater extends Error {}

export interface QueueActions {
  delayRetry: (receiptHandle: string, seconds: number) => Promise<void>;
  requeue: (record: SQSRecord, delaySeconds: number, slotAtMs?: number) => Promise<void>;
}

export const sqsQueueActions = (sqs: SQSClient, queueUrl: string, options: { fifo?: boolean } = {}): QueueActions => ({
  delayRetry: (receiptHandle, seconds) =>
    sqs
      .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }))
      .then(() => undefined),
  requeue: async (record, delaySeconds, slotAtMs) => {
    // A FIFO queue has no per-message delay, and a copy would go behind its group's later
    // messages: the message is offered again in place instead (settleRecord's fallback).
    if (options.fifo) throw new Error('A FIFO queue cannot put one message back with a delay');
    // The copy keeps the message's attributes (the fan-out's channel list) and carries its slot.
    const attributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
      if (name === GOVERNOR_SLOT_ATTRIBUTE || !value.stringValue) continue;
      attributes[name] = { DataType: value.dataType, StringValue: value.stringValue };
    }
    if (slotAtMs !== undefined) attributes[GOVERNOR_SLOT_ATTRIBUTE] = { DataType: 'Number', StringValue: String(Math.round(slotAtMs)) };
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: record.body, DelaySeconds: delaySeconds, MessageAttributes: attributes }),
    );
  },
});

/** An SQS record as the pipelines read it; a copy's booked slot counts on its first receive only (a retried copy books again). */
export const queueRecordOf = (record: SQSRecord): QueueRecord => {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
  const slot = Number(record.messageAttributes?.[GOVERNOR_SLOT_ATTRIBUTE]?.stringValue);
  return {
    messageId: record.messageId,
    receiptHandle: record.receiptHandle,
    body: record.body,
    receiveCount,
    ...(receiveCount === 1 && Number.isFinite(slot) ? { bookedSlotMs: slot } : {}),
  };
};

export const settleRecord = async (
  record: SQSRecord,
  outcome: RecordOutcome,
  queue: QueueActions,
  logger: Pick<Logger, 'warn'>,
): Promise<void> => {
  if (outcome.outcome === 'acknowledge') return;
  if (outcome.outcome === 'requeue') {
    try {
      await queue.requeue(record, outcome.delaySeconds, outcome.slotAtMs);
      return;
    } catch (error) {
      logger.warn('Could not put the message back for its slot; the queue offers it again instead', { error: error as Error });
    }
  }
  await queue
    .delayRetry(record.receiptHandle, outcome.delaySeconds)
    .catch((error: unknown) =>
      logger.warn('Could not shorten the retry delay; the queue visibility timeout applies', { error: error as Error }),
    );
  throw new RetryLater(outcome.reason);
};
