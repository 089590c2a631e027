import { DeleteMessageCommand, Message, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

/**
 * One parked message back to its queue (`pnpm dlq redrive`, the console's Redrive button): sent
 * to the queue *before* it is deleted from the DLQ, so an interruption can leave a copy in both
 * places but never lose one (the workers' claims make a second copy harmless). A FIFO message goes
 * back into its group as a new message (not deduplicated against the first). `withoutAttributes`:
 * message attributes not to carry over (a `dlq show` pass's marker).
 */
export const redriveMessage = async (
  sqs: SQSClient,
  urls: { queueUrl: string; deadLetterQueueUrl: string },
  message: Message,
  withoutAttributes: string[] = [],
): Promise<void> => {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: urls.queueUrl,
      MessageBody: message.Body!,
      MessageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).filter(([name]) => !withoutAttributes.includes(name)),
      ),
      ...(message.Attributes?.MessageGroupId
        ? {
            MessageGroupId: message.Attributes.MessageGroupId,
            MessageDeduplicationId: `${message.MessageId}-redrive-${Date.now()}`.slice(0, 128),
          }
        : {}),
    }),
  );
  await sqs.send(new DeleteMessageCommand({ QueueUrl: urls.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle! }));
};
