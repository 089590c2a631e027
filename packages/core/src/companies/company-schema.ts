import { CHANNEL_DESCRIPTORS } from '../channels';
import { CHANNELS } from '../request/types';
import { COMPANY_ID_PATTERN } from '../request/schema';
import { SECRET_NAME_PATTERN, secretNameSchema } from './secret-name';

/**
 * Schema of a company/project as operators write it (onboarding file) and as the Context Object
 * carries it. Every `*_reference` / `*_credentials_id` must be a Secrets Manager *name*.
 */
export { SECRET_NAME_PATTERN };
const secretName = secretNameSchema;
const channelList = { type: 'array', items: { enum: [...CHANNELS] }, uniqueItems: true };
/** One property per channel, from the channel descriptors: a new channel is declared there, not here. */
const perChannel = <T>(schemaOf: (channel: (typeof CHANNELS)[number]) => T): Record<(typeof CHANNELS)[number], T> =>
  Object.fromEntries(CHANNELS.map((channel) => [channel, schemaOf(channel)])) as Record<(typeof CHANNELS)[number], T>;

const openAiChannelConfig = {
  type: 'object',
  required: ['api_key_reference'],
  additionalProperties: false,
  properties: {
    api_key_reference: secretName,
    prompt_id: { type: 'string', minLength: 1, maxLength: 200 },
    prompt_version: { type: 'string', minLength: 1, maxLength: 50 },
    model: { type: 'string', minLength: 1, maxLength: 100 },
    instructions: { type: 'string', minLength: 1, maxLength: 20000 },
    temperature: { type: 'number', minimum: 0, maximum: 2 },
    // OpenAI refuses a budget below 16 (400 integer_below_min_value).
    max_output_tokens: { type: 'integer', minimum: 16, maximum: 100000 },
    requests_per_minute: { type: 'integer', minimum: 1, maximum: 1000000 },
  },
  anyOf: [{ required: ['prompt_id'] }, { required: ['model', 'instructions'] }],
};

export const companyProjectProperties = {
  company_id: { type: 'string', pattern: COMPANY_ID_PATTERN },
  project_id: { type: 'string', pattern: COMPANY_ID_PATTERN },
  company_name: { type: 'string', minLength: 1, maxLength: 200 },
  project_name: { type: 'string', minLength: 1, maxLength: 200 },
  project_status: { enum: ['active', 'inactive'] },
  allowed_channels: channelList,
  api_key_reference: { type: 'string', maxLength: 128 },
  rate_limits: {
    type: 'object',
    additionalProperties: false,
    properties: {
      requests_per_minute: { type: 'integer', minimum: 1 },
      requests_per_day: { type: 'integer', minimum: 1 },
      concurrent_conversations: { type: 'integer', minimum: 1 },
      max_message_length: { type: 'integer', minimum: 1, maximum: 100000 },
      // Automatic answers per conversation in 24 hours; past it the conversation is handed off (DEFAULT_ANSWERS_PER_DAY without it).
      automatic_answers_per_day: { type: 'integer', minimum: 1, maximum: 1000 },
    },
  },
  // Days a conversation and what hangs off it are kept (DynamoDB TTL); DEFAULT_RETENTION_DAYS without it.
  data_retention_days: { type: 'integer', minimum: 1, maximum: 3650 },
  // Where the engine POSTs the project's signed events (Standard Webhooks); the signing secret is
  // in Secrets Manager (clientWebhookSecretName). HTTPS, or plain HTTP on the machine itself (local).
  client_events: {
    type: 'object',
    required: ['url'],
    additionalProperties: false,
    properties: {
      url: { type: 'string', maxLength: 2048, pattern: '^(https://[^\\s]+|http://(127\\.0\\.0\\.1|localhost)(:[0-9]+)?(/[^\\s]*)?)$' },
    },
  },
  company_rep: {
    type: 'object',
    additionalProperties: false,
    patternProperties: { '^company_rep_[1-5]$': { type: ['string', 'null'], maxLength: 200 } },
  },
  ai_config: {
    type: 'object',
    required: ['openai_config'],
    additionalProperties: false,
    properties: {
      openai_config: {
        type: 'object',
        additionalProperties: false,
        properties: perChannel(() => openAiChannelConfig),
      },
      // How the AI answers a person's replies (docs/processing.md "Replies"); a default applies without it.
      reply_instructions: { type: 'string', minLength: 1, maxLength: 8000 },
    },
  },
  channel_config: {
    type: 'object',
    additionalProperties: false,
    properties: perChannel((channel) => CHANNEL_DESCRIPTORS[channel].channelConfigSchema),
  },
  created_at: { type: 'string', format: 'date-time' },
  updated_at: { type: 'string', format: 'date-time' },
} as const;

const COMMON_REQUIRED = [
  'company_id',
  'project_id',
  'company_name',
  'project_name',
  'project_status',
  'allowed_channels',
  'ai_config',
  'channel_config',
] as const;

/** The onboarding file: the item's fields, plus the plain API keys to hash (or their hashes). */
export const onboardingFileSchema = {
  type: 'object',
  required: [...COMMON_REQUIRED],
  additionalProperties: false,
  properties: {
    ...companyProjectProperties,
    api_keys: { type: 'array', items: { type: 'string', minLength: 20, maxLength: 128 } },
    api_key_sha256: { type: 'array', items: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
  },
  anyOf: [{ required: ['api_keys'] }, { required: ['api_key_sha256'] }],
} as const;

/** The company payload inside a Context Object: references only, no key hashes. */
export const companyPayloadSchema = {
  type: 'object',
  required: [...COMMON_REQUIRED, 'created_at', 'updated_at'],
  additionalProperties: false,
  properties: companyProjectProperties,
} as const;
