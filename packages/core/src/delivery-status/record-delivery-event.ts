import { WebhookLogger } from '../replies/webhook-secret';
import { DeliveryEvent, DeliveryStatusStore } from './delivery-status-store';
import { isFailure } from './statuses';

export interface DeliveryMetrics {
  count(name: string, value?: number): void;
  /** A final delivery failure, by channel and the provider's error code (its own metric and dimension). */
  failure(channel: string, errorCode: string): void;
}

export interface RecordDeliveryDeps {
  store: DeliveryStatusStore;
  clock: { now(): Date };
  metrics: DeliveryMetrics;
  logger: WebhookLogger;
}

/** One provider event: stored once, the status moved forward, a new final failure counted and logged. */
export const recordDeliveryEvent = async (event: DeliveryEvent, deps: RecordDeliveryDeps): Promise<void> => {
  const { newEvent, statusChanged } = await deps.store.record(event, deps.clock.now());
  deps.metrics.count(newEvent ? 'DeliveryEvents' : 'DeliveryEventDuplicates');
  if (statusChanged && event.status && isFailure(event.status)) {
    deps.metrics.failure(event.channel, event.errorCode ?? 'none');
    deps.logger.warn('Message not delivered', { provider_message_id: event.providerMessageId, channel: event.channel, delivery_status: event.status, error_code: event.errorCode });
  }
};
