import { sha256Hex } from '../util/canonical-json';

/** What a client is told (docs/api.md "Events"): each with an id, a type, a timestamp and what a client needs. */
export const CLIENT_EVENT_TYPES = [
  'message.sent',
  'message.delivered',
  'message.failed',
  'reply.received',
  'reply.sent',
  'conversation.handed_off',
  'conversation.handed_back',
  'agent_message.sent',
  'recipient.opted_out',
] as const;
export type ClientEventType = (typeof CLIENT_EVENT_TYPES)[number];

/** Never another project's data, never a secret: the ids, the channel, and the event's own facts. */
export interface ClientEventData {
  company_id: string;
  project_id: string;
  request_id?: string;
  conversation_id?: string;
  thread_id?: string;
  channel?: string;
  /** The message: our id for it on the conversation (provider id for ours, inbound id for the person's). */
  message_id?: string;
  /** The text the person received or sent (messages and replies only). */
  text?: string;
  delivery_status?: string;
  error_code?: string;
  reason?: string;
  agent_name?: string;
}

/** The Standard Webhooks payload: `{type, timestamp, data}`; its id travels in `webhook-id`. */
export interface ClientEvent {
  id: string;
  type: ClientEventType;
  timestamp: string;
  data: ClientEventData;
}

/**
 * An event whose id is the same however often it is made (a retried worker makes it again): the
 * type and what it is about. A client deduplicates by it; so does the events queue (FIFO
 * deduplication id).
 */
export const clientEvent = (type: ClientEventType, about: string, data: ClientEventData, at: Date): ClientEvent => ({
  id: `evt_${sha256Hex(`${type}\n${data.company_id}\n${data.project_id}\n${about}`).slice(0, 32)}`,
  type,
  timestamp: at.toISOString(),
  data: Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined && value !== null)) as ClientEventData,
});

/** Where a project's signing secret lives in Secrets Manager (field `signing_secret`, a `whsec_…` value). */
export const clientWebhookSecretName = (companyId: string, projectId: string, stage: string): string =>
  `ai-multi-comms/client-webhook/${companyId}/${projectId}-${stage}`;
