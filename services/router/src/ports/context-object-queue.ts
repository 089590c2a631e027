import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Channel, ContextObject, contextObjectMessageAttributes, ErrorCodes, permanent, toSqsSafeJson, transient } from '@ai-multi-comms/core';

/** Where Context Objects go: one SQS queue per channel. */
export interface ContextObjectQueue {
  enqueue(channel: Channel, contextObject: ContextObject, routerTimestamp: string): Promise<void>;
}

export const sqsContextObjectQueue = (client: SQSClient, queueUrls: Partial<Record<Channel, string>>): ContextObjectQueue => ({
  async enqueue(channel, contextObject, routerTimestamp) {
    const queueUrl = queueUrls[channel];
    if (!queueUrl) {
      throw permanent(ErrorCodes.CONFIGURATION_ERROR, `The ${channel} channel is not configured on this deployment; contact support.`);
    }
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
