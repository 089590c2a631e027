import { TRACE_ID_MAX_LENGTH } from '../observability/trace-id';
import { companyPayloadSchema } from '../companies/company-schema';
import { initiateConversationRequestSchema } from '../request/schema';
import { CHANNELS } from '../request/types';

const channelName = { enum: [...CHANNELS] };

const composedPart = {
  type: 'object',
  required: ['text', 'usage'],
  additionalProperties: false,
  properties: {
    text: { type: 'string' },
    json: { type: 'object' },
    usage: {
      type: 'object',
      required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
      additionalProperties: false,
      properties: {
        prompt_tokens: { type: 'integer', minimum: 0 },
        completion_tokens: { type: 'integer', minimum: 0 },
        total_tokens: { type: 'integer', minimum: 0 },
      },
    },
  },
};

/**
 * JSON schema of the Context Object and of the composed message (`composed` present): every
 * stage validates what it receives as strictly as the router validates requests.
 */
export const contextObjectSchema = {
  type: 'object',
  required: ['schema_version', 'frontend_payload', 'company_data_payload', 'conversation_data', 'metadata'],
  additionalProperties: false,
  properties: {
    schema_version: { const: 2 },
    frontend_payload: { ...initiateConversationRequestSchema, $id: undefined },
    company_data_payload: companyPayloadSchema,
    conversation_data: {
      type: 'object',
      required: ['conversations', 'conversation_status', 'thread_id'],
      additionalProperties: false,
      properties: {
        conversations: {
          type: 'array',
          minItems: 1,
          maxItems: CHANNELS.length,
          items: {
            type: 'object',
            required: ['channel', 'conversation_id'],
            additionalProperties: false,
            properties: { channel: channelName, conversation_id: { type: 'string', minLength: 1, maxLength: 1024 } },
          },
        },
        conversation_status: { const: 'initiated' },
        thread_id: { type: ['string', 'null'], maxLength: 256 },
      },
    },
    metadata: {
      type: 'object',
      required: ['router_version', 'received_at', 'trace_id'],
      additionalProperties: false,
      properties: {
        router_version: { type: 'string' },
        received_at: { type: 'string', format: 'date-time' },
        trace_id: { type: 'string', minLength: 1, maxLength: TRACE_ID_MAX_LENGTH },
      },
    },
    composed: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(CHANNELS.map((channel) => [channel, composedPart])),
    },
    // An answer to a person's reply (docs/processing.md "Replies"): which message it is, and how an e-mail answer threads.
    reply: {
      type: 'object',
      required: ['message_key', 'inbound_id'],
      additionalProperties: false,
      properties: {
        message_key: { type: 'string', pattern: '^reply#', maxLength: 300 },
        inbound_id: { type: 'string', minLength: 1, maxLength: 256 },
        subject: { type: 'string', maxLength: 998 },
        in_reply_to: { type: 'string', maxLength: 998 },
        references: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 998 } },
        // A person at the company wrote it (the agent API), not the AI: recorded as role `agent`.
        author: {
          type: 'object',
          required: ['role', 'name'],
          additionalProperties: false,
          properties: { role: { const: 'agent' }, name: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        // When the person last wrote (WhatsApp's 24-hour window), when that is not when this message was accepted.
        person_wrote_at: { type: 'string', format: 'date-time', maxLength: 64 },
      },
    },
  },
} as const;
