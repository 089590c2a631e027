import { CHANNELS } from './types';

/**
 * JSON schema of the request body (docs/api.md). Kept as data so that the processor can validate the
 * `frontend_payload` of a Context Object against the very same rules.
 */
export const COMPANY_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
import { E164_PATTERN } from '../channels/address-patterns';

export { E164_PATTERN };
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** A pattern that matches any of the words in any letter case (JSON-schema patterns have no `i` flag). */
const anyCase = (words: readonly string[]): string =>
  `^(?:${words
    .map((word) => [...word].map((ch) => (/[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch)).join(''))
    .join('|')})$`;

export const CHANNEL_PATTERN = anyCase(CHANNELS);
/** `all`: every channel the project allows. */
export const ALL_CHANNELS = 'all';
const CHANNEL_OR_ALL_PATTERN = anyCase([...CHANNELS, ALL_CHANNELS]);

/** Schema for the normalised request: used to check what the router enqueues and what the processor receives. */
export const initiateConversationRequestSchema = {
  $id: 'https://ai-multi-comms/schemas/initiate-conversation-request.json',
  type: 'object',
  required: ['company_data', 'recipient_data', 'request_data'],
  additionalProperties: false,
  properties: {
    company_data: {
      type: 'object',
      required: ['company_id', 'project_id'],
      additionalProperties: false,
      properties: {
        company_id: { type: 'string', pattern: COMPANY_ID_PATTERN },
        project_id: { type: 'string', pattern: COMPANY_ID_PATTERN },
        // Accepted for compatibility with existing clients, dropped at once (never stored or queued).
        api_key: { type: 'string', maxLength: 512 },
      },
    },
    recipient_data: {
      type: 'object',
      required: ['comms_consent'],
      additionalProperties: false,
      properties: {
        recipient_first_name: { type: 'string', maxLength: 100 },
        recipient_last_name: { type: 'string', maxLength: 100 },
        recipient_tel: { type: 'string', pattern: E164_PATTERN },
        recipient_email: { type: 'string', format: 'email', maxLength: 254 },
        comms_consent: { type: 'boolean' },
      },
    },
    project_data: { type: 'object' },
    request_data: {
      type: 'object',
      required: ['request_id', 'channel_method', 'initial_request_timestamp'],
      additionalProperties: false,
      properties: {
        request_id: { type: 'string', pattern: UUID_PATTERN },
        // A channel, a list of distinct channels (in the order to compose them), or "all". Whether
        // each has its recipient address, and the list has no repeats, is checked in code
        // (validate-request.ts), where "all" can be resolved against the project first.
        channel_method: {
          anyOf: [
            { type: 'string', pattern: CHANNEL_OR_ALL_PATTERN },
            { type: 'array', minItems: 1, maxItems: CHANNELS.length, items: { type: 'string', pattern: CHANNEL_PATTERN } },
          ],
        },
        initial_request_timestamp: { type: 'string', format: 'date-time', maxLength: 64 },
      },
    },
  },
} as const;
