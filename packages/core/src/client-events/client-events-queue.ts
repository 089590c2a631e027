import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClientEvent } from './client-event';

/** Where workers put the events for the project's endpoint; tests pass a recording fake. */
export interface ClientEvents {
  emit(event: ClientEvent): Promise<void>;
}

/**
 * The client-events FIFO queue: one message group per conversation (its events reach the client
 * in order), deduplicated by the event's id (a worker's retry that makes the event again within
 * SQS's five minutes is dropped there; later, the client's own deduplication by `webhook-id`).
 */
export const sqsClientEvents = (sqs: SQSClient, queueUrl: string): ClientEvents => ({
  async emit(event) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(event),
        MessageGroupId: (event.data.conversation_id ?? `${event.data.company_id}#${event.data.project_id}`).slice(0, 128),
        MessageDeduplicationId: event.id,
      }),
    );
  },
});

/**
 * Emitting never stops the work it reports on: an event that cannot be queued is logged and
 * counted (`ClientEventsNotQueued`); the work's own retry makes it again with the same id.
 */
export const emitSafely = async (
  events: ClientEvents | undefined,
  event: ClientEvent,
  logger: Pick<Logger, 'warn'>,
  metrics?: { count(name: string): void },
): Promise<void> => {
  if (!events) return;
  try {
    await events.emit(event);
  } catch (error) {
    metrics?.count('ClientEventsNotQueued');
    logger.warn('Could not queue a client event', { event_type: event.type, event_id: event.id, error: (error as Error).message });
  }
};
