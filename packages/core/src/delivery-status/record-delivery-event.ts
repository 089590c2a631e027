import { CompanyRepository } from '../companies/company-repository';
import { retentionExpiresAt } from '../companies/retention';
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
  /** The project's configuration (cached), for its retention. */
  projects: Pick<CompanyRepository, 'get'>;
}

/**
 * When a project's delivery events expire: its `data_retention_days` from now, as its
 * conversations (the default when the project is gone). Without it a message's events would
 * outlive the conversation they belong to, and a callback arriving after an erasure would stay.
 */
export const deliveryEventsExpireAt = async (companyId: string, projectId: string, deps: Pick<RecordDeliveryDeps, 'projects' | 'clock'>): Promise<number> =>
  retentionExpiresAt((await deps.projects.get(companyId, projectId)) ?? {}, deps.clock.now());

/** One provider event: stored once, the status moved forward, a new final failure counted and logged. */
export const recordDeliveryEvent = async (event: DeliveryEvent, deps: RecordDeliveryDeps): Promise<void> => {
  const { newEvent, statusChanged } = await deps.store.record(event, deps.clock.now());
  deps.metrics.count(newEvent ? 'DeliveryEvents' : 'DeliveryEventDuplicates');
  if (statusChanged && event.status && isFailure(event.status)) {
    deps.metrics.failure(event.channel, event.errorCode ?? 'none');
    deps.logger.warn('Message not delivered', { provider_message_id: event.providerMessageId, channel: event.channel, delivery_status: event.status, error_code: event.errorCode });
  }
};
