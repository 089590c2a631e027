import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ContextObject, contextObjectMessageAttributes, ErrorCodes, toSqsSafeJson, transient } from '@ai-multi-comms/core';

/** Where accepted requests go: the compose step's queue (it fans them out to the channels). */
export interface ContextObjectQueue {
  enqueue(contextObject: ContextObject, routerTimestamp: string): Promise<void>;
}

export const sqsContextObjectQueue = (client: SQSClient, queueUrl: string): ContextObjectQueue => ({
  async enqueue(contextObject, routerTimestamp) {
    try {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: toSqsSafeJson(contextObject),
          MessageAttributes: contextObjectMessageAttributes(contextObject, routerTimestamp),
        }),
      );
    } catch (error) {
      throw transient(ErrorCodes.QUEUE_ERROR, 'The request could not be queued. Please retry; retrying is safe.', error);
    }
  },
});
