import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { ReplyTask } from './types';

/**
 * The reply queue (SQS FIFO): the message group is the thread, so the replies of one thread, on
 * every channel, are answered one after another in arrival order, while other threads go on in
 * parallel; the deduplication id is the inbound id, so a webhook retried within five minutes
 * enqueues nothing twice (the reply step is idempotent on the inbound id beyond that).
 */
export interface ReplyQueue {
  enqueue(task: ReplyTask, threadId: string): Promise<void>;
}

/** FIFO ids allow 128 characters of [A-Za-z0-9!-~]; ours are ASCII, longer ones are hashed by the caller. */
const fifoId = (value: string) => value.replace(/[^!-~]/g, '_').slice(0, 128);

export const sqsReplyQueue = (client: SQSClient, queueUrl: string): ReplyQueue => ({
  async enqueue(task, threadId) {
    try {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(task),
          MessageGroupId: fifoId(threadId),
          MessageDeduplicationId: fifoId(task.inbound_id),
        }),
      );
    } catch (error) {
      throw transient(ErrorCodes.QUEUE_ERROR, 'The reply could not be queued.', error);
    }
  },
});
