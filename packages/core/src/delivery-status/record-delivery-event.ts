import { CompanyRepository } from '../companies/company-repository';
import { conversationBelongsTo, ProviderMessageOwners } from '../messages/provider-message-owner';
import { retentionExpiresAt } from '../companies/retention';
import { WebhookLogger } from '../replies/webhook-secret';
import { DeliveryEvent, DeliveryStatusStore } from './delivery-status-store';
import { isFailure } from './statuses';
import { clientEvent } from '../client-events/client-event';
import { ClientEvents, emitSafely } from '../client-events/client-events-queue';

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
  /** Whose message a provider id is: a callback changes only its own tenant's messages. */
  owners: ProviderMessageOwners;
  /** The project's signed events (message.delivered, message.failed), when the deployment has them. */
  events?: ClientEvents;
}

/** The project whose account or key verified the callback. */
export interface CallbackTenant {
  companyId: string;
  projectId: string;
}

/**
 * How long the events of an id that matches no message of the tenant are kept: long enough for a
 * callback that overtook the sender's own record of the id (seconds, in practice), short enough
 * that ids which exist nowhere leave nothing lasting.
 */
export const UNMATCHED_EVENT_SECONDS = 86_400;

/**
 * When a project's delivery events expire: its `data_retention_days` from now, as its
 * conversations (the default when the project is gone). Without it a message's events would
 * outlive the conversation they belong to, and a callback arriving after an erasure would stay.
 */
export const deliveryEventsExpireAt = async (
  companyId: string,
  projectId: string,
  deps: Pick<RecordDeliveryDeps, 'projects' | 'clock'>,
): Promise<number> => retentionExpiresAt((await deps.projects.get(companyId, projectId)) ?? {}, deps.clock.now());

/**
 * One provider event, from the tenant that verified it: stored once, the status moved forward, a
 * new final failure counted and logged. A message of another tenant is not touched (the event is
 * acknowledged and counted); an id that matches no message yet is kept only briefly.
 */
export const recordDeliveryEvent = async (
  event: DeliveryEvent,
  tenant: CallbackTenant,
  deps: RecordDeliveryDeps,
): Promise<'recorded' | 'foreign'> => {
  const owner = await deps.owners.conversationOf(event.providerMessageId);
  if (owner !== undefined && !conversationBelongsTo(owner, tenant)) {
    deps.metrics.count('DeliveryEventsForeign');
    deps.logger.warn("A verified callback names another tenant's message; ignored", {
      provider: event.provider,
      company_id: tenant.companyId,
      project_id: tenant.projectId,
    });
    return 'foreign';
  }
  const briefly = Math.floor(deps.clock.now().getTime() / 1000) + UNMATCHED_EVENT_SECONDS;
  if (owner === undefined) deps.metrics.count('DeliveryEventsUnmatched');
  const kept = owner === undefined ? { ...event, expiresAt: Math.min(event.expiresAt ?? briefly, briefly) } : event;
  const { newEvent, statusChanged } = await deps.store.record(kept, deps.clock.now());
  deps.metrics.count(newEvent ? 'DeliveryEvents' : 'DeliveryEventDuplicates');
  if (statusChanged && event.status && isFailure(event.status)) {
    deps.metrics.failure(event.channel, event.errorCode ?? 'none');
    deps.logger.warn('Message not delivered', {
      provider_message_id: event.providerMessageId,
      channel: event.channel,
      delivery_status: event.status,
      error_code: event.errorCode,
    });
  }
  if (statusChanged && owner !== undefined && event.status) await emitDeliveryOutcome(event, owner, tenant, deps);
  return 'recorded';
};

/** `message.delivered` (delivered or read: one event, by its id) or `message.failed`, to the project's endpoint. */
const emitDeliveryOutcome = async (event: DeliveryEvent, conversationId: string, tenant: CallbackTenant, deps: RecordDeliveryDeps) => {
  const status = event.status!;
  const type = isFailure(status) ? 'message.failed' : status === 'delivered' || status === 'read' ? 'message.delivered' : undefined;
  if (!type) return;
  const data = {
    company_id: tenant.companyId,
    project_id: tenant.projectId,
    request_id: conversationId.split('#')[2],
    conversation_id: conversationId,
    channel: event.channel,
    message_id: event.providerMessageId,
    delivery_status: status,
    error_code: event.errorCode,
  };
  await emitSafely(deps.events, clientEvent(type, event.providerMessageId, data, deps.clock.now()), deps.logger);
};
