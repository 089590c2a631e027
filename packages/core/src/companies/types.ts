import type { ChannelConfig } from '../channels/channel-config';
import { Channel } from '../request/types';

/** AI settings for one channel: a stored prompt, or a model with instructions (docs/processing.md). */
export interface OpenAiChannelConfig {
  /** Secrets Manager name of the OpenAI key; never the key itself. */
  api_key_reference: string;
  prompt_id?: string;
  prompt_version?: string;
  model?: string;
  instructions?: string;
  temperature?: number;
  max_output_tokens?: number;
  /** The key's request limit per minute (its OpenAI project's); the governor paces to it. Default 500. */
  requests_per_minute?: number;
}

export type { ChannelConfig, EmailChannelConfig, SmsChannelConfig, WhatsAppChannelConfig } from '../channels/channel-config';

export interface RateLimits {
  requests_per_minute?: number;
  requests_per_day?: number;
  concurrent_conversations?: number;
  max_message_length?: number;
  /** Automatic answers one conversation may get in 24 hours; past it, a hand-off (default 20). */
  automatic_answers_per_day?: number;
}

/** One issued key's record on its project: the start of its hash (its id), its API Gateway key id, when. */
export interface ApiKeyRecord {
  key_id: string;
  reference: string;
  created_at: string;
}

/** An item of the company-data table (docs/data-model.md). References to secrets only. */
export interface CompanyProject {
  company_id: string;
  project_id: string;
  company_name: string;
  project_name: string;
  project_status: 'active' | 'inactive';
  allowed_channels: Channel[];
  api_key_reference?: string;
  /** Hex SHA-256 of each API key value allowed for this project (several during a rotation). */
  api_key_sha256: string[];
  /** Where each key issued by `pnpm api-key create` came from (its API Gateway key id), by key id; never the key. */
  api_key_records?: ApiKeyRecord[];
  rate_limits: RateLimits;
  company_rep?: Record<string, string | null>;
  /** Days its conversations are kept (DynamoDB TTL `expires_at`); DEFAULT_RETENTION_DAYS when absent. */
  data_retention_days?: number;
  /** Where the project's signed events go (client-events/), if it wants them. */
  client_events?: { url: string };
  ai_config: { openai_config: Partial<Record<Channel, OpenAiChannelConfig>>; reply_instructions?: string };
  channel_config: ChannelConfig;
  created_at: string;
  updated_at: string;
}

/** What the router forwards in the Context Object: the item without the key hashes. */
export type CompanyPayload = Omit<CompanyProject, 'api_key_sha256' | 'api_key_records'>;
