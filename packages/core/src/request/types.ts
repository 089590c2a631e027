/** The body of POST /initiate-conversation after validation and normalisation (api.md). */
export const CHANNELS = ['whatsapp', 'sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

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

export interface RequestData {
  /** Lower-case UUID: the idempotency key. */
  request_id: string;
  /** Lower-case channel name. */
  channel_method: Channel;
  initial_request_timestamp: string;
}

export interface InitiateConversationRequest {
  company_data: CompanyRef;
  recipient_data: RecipientData;
  project_data?: Record<string, unknown>;
  request_data: RequestData;
}
