import { lazy, optionalString, readConfig, requiredString } from '@ai-multi-comms/core';
import { COMPANY_CACHE_SECONDS } from '../config';

/** The webhooks' configuration, declared in serverless.yml, read once per container. */
export interface WebhookConfig {
  /** The public base URL the providers are configured with (signatures cover it): https://<api>/<stage>. */
  webhookBaseUrl: string;
  inboundMessagesTable: string;
  senderAddressesTable: string;
  conversationsTable: string;
  messagesTable: string;
  optOutsTable: string;
  replyQueueUrl: string;
  deliveryEventsTable: string;
  /** The status webhooks read the project's retention for the events they store. */
  companyDataTable: string;
  companyCacheSeconds: number;
  /** The secret with the Inbound Parse URL's Basic credentials ({username, password}). */
  inboundParseSecretId: string | undefined;
  /** The client-events FIFO queue (services/client-events); absent: no events. */
  clientEventsQueueUrl: string | undefined;
}

export const webhookConfig = lazy(() =>
  readConfig<WebhookConfig>({
    webhookBaseUrl: ['WEBHOOK_BASE_URL', requiredString],
    inboundMessagesTable: ['INBOUND_MESSAGES_TABLE', requiredString],
    senderAddressesTable: ['SENDER_ADDRESSES_TABLE', requiredString],
    conversationsTable: ['CONVERSATIONS_TABLE', requiredString],
    messagesTable: ['MESSAGES_TABLE', requiredString],
    optOutsTable: ['OPT_OUTS_TABLE', requiredString],
    replyQueueUrl: ['REPLY_QUEUE_URL', requiredString],
    deliveryEventsTable: ['DELIVERY_EVENTS_TABLE', requiredString],
    companyDataTable: ['COMPANY_DATA_TABLE', requiredString],
    companyCacheSeconds: COMPANY_CACHE_SECONDS,
    inboundParseSecretId: ['INBOUND_PARSE_SECRET_ID', optionalString],
    clientEventsQueueUrl: ['CLIENT_EVENTS_QUEUE_URL', optionalString],
  }),
);
