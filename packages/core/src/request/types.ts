/** The body of POST /initiate-conversation after validation and normalisation (docs/api.md). */
import type { Channel } from '../channels/channel';

export { CHANNELS } from '../channels/channel';
export type { Channel } from '../channels/channel';

export interface CompanyRef {
  company_id: string;
  project_id: string;
}

export interface RecipientData {
  recipient_first_name?: string;
  recipient_last_name?: string;
  recipient_tel?: string;
  recipient_email?: string;
  comms_consent: boolean;
}

export interface RequestData<Channels = Channel[] | 'all'> {
  /** Lower-case UUID: the idempotency key. */
  request_id: string;
  /** The channels, lower-case, in request order (a single channel is a list of one), or `all` until the router resolves it. */
  channel_method: Channels;
  initial_request_timestamp: string;
}

export interface InitiateConversationRequest<Channels = Channel[] | 'all'> {
  company_data: CompanyRef;
  recipient_data: RecipientData;
  project_data?: Record<string, unknown>;
  request_data: RequestData<Channels>;
}

/** The request once `all` is resolved against the project: what the Context Object carries. */
export type ResolvedRequest = InitiateConversationRequest<Channel[]>;
