import { CHANNELS, UUID_PATTERN } from '@ai-multi-comms/core';
import { LIST_STATUSES, MAX_LIST_LIMIT } from '../agent/list-conversations';
import { MAX_MESSAGES_LIMIT } from '../get-conversations';

/**
 * The JSON Schemas (2020-12, as OpenAPI 3.1 takes them) of what the API answers. The OpenAPI
 * document is generated from these and from the schemas the router validates requests with
 * (openapi-document.ts); every response the end-to-end tests receive is validated against the
 * document (test/global-teardown.ts), so an answer and its description cannot drift apart.
 */
const channel = { type: 'string', enum: [...CHANNELS] } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const channelConversation = {
  type: 'object',
  required: ['channel', 'conversation_id'],
  additionalProperties: false,
  properties: { channel, conversation_id: { type: 'string' } },
} as const;

export const ERROR_SCHEMA = {
  type: 'object',
  description:
    'Every refusal and failure of the API: a code to branch on and a sentence for people. A 5xx never carries a stack trace, a secret or personal data.',
  required: ['status', 'error_code', 'message', 'request_id'],
  additionalProperties: false,
  properties: {
    status: { const: 'error' },
    error_code: { type: 'string', description: 'One of the codes listed with each response.' },
    message: { type: 'string', minLength: 1 },
    request_id: { type: 'string', description: "The request's request_id when it could be read, else `unknown`." },
    validation_errors: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

export const FORBIDDEN_SCHEMA = {
  type: 'object',
  description: "API Gateway's own answer to a missing or unknown x-api-key (before the function runs).",
  required: ['message'],
  properties: { message: { const: 'Forbidden' } },
} as const;

export const INITIATE_ACCEPTED_SCHEMA = {
  type: 'object',
  required: ['status', 'request_id', 'conversation_id', 'conversations', 'message', 'queue_timestamp'],
  additionalProperties: false,
  properties: {
    status: { const: 'success' },
    request_id: { type: 'string', pattern: UUID_PATTERN },
    conversation_id: { type: 'string', description: "The first channel's conversation (kept for clients of one channel)." },
    conversations: { type: 'array', minItems: 1, maxItems: CHANNELS.length, items: channelConversation },
    message: { type: 'string' },
    queue_timestamp: timestamp,
  },
} as const;

const messageView = {
  type: 'object',
  required: ['message_id', 'role', 'channel', 'content', 'timestamp', 'delivery_status'],
  additionalProperties: false,
  properties: {
    message_id: { type: 'string' },
    role: { enum: ['assistant', 'user', 'agent'], description: 'The AI, the person, or a person at the company (the agent API).' },
    agent_name: { type: 'string' },
    channel,
    content: { type: 'string' },
    timestamp: { type: 'string' },
    delivery_status: {
      type: 'string',
      description: "queued, sending, sent, delivered, read; failed, undelivered, bounce, dropped; received (the person's).",
    },
    delivery_error_code: { type: 'string' },
    delivery_error: { type: 'string' },
  },
} as const;

export const CONVERSATIONS_VIEW_SCHEMA = {
  type: 'object',
  required: ['status', 'request_id', 'thread_id', 'conversations'],
  additionalProperties: false,
  properties: {
    status: { const: 'success' },
    request_id: { type: 'string' },
    thread_id: { type: ['string', 'null'] },
    conversations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['channel', 'conversation_id', 'conversation_status', 'hand_off_to_human', 'message_count', 'messages'],
        additionalProperties: false,
        properties: {
          channel,
          conversation_id: { type: 'string' },
          conversation_status: { type: 'string' },
          hand_off_to_human: { type: 'boolean' },
          failure_reason: { type: 'string' },
          message_count: { type: 'integer', minimum: 0 },
          messages_before: { type: 'string', description: 'A cursor: pass it as `before` with this conversation_id for the older page.' },
          messages: { type: 'array', maxItems: MAX_MESSAGES_LIMIT, items: messageView },
        },
      },
    },
  },
} as const;

export const CONVERSATION_LIST_SCHEMA = {
  type: 'object',
  required: ['status', 'conversations'],
  additionalProperties: false,
  properties: {
    status: { const: 'success' },
    next_cursor: { type: 'string', description: 'Pass it back as `cursor` for the next (older) page; absent on the last.' },
    conversations: {
      type: 'array',
      maxItems: MAX_LIST_LIMIT,
      items: {
        type: 'object',
        required: [
          'conversation_id',
          'request_id',
          'channel',
          'conversation_status',
          'hand_off_to_human',
          'recipient',
          'message_count',
          'created_at',
          'updated_at',
        ],
        additionalProperties: false,
        properties: {
          conversation_id: { type: 'string' },
          request_id: { type: 'string' },
          channel,
          conversation_status: { type: 'string', description: `One of ${LIST_STATUSES.slice(1).join(', ')}.` },
          hand_off_to_human: { type: 'boolean' },
          hand_off_reason: { type: 'string' },
          recipient: {
            type: 'object',
            required: ['address'],
            additionalProperties: false,
            properties: { first_name: { type: 'string' }, last_name: { type: 'string' }, address: { type: 'string' } },
          },
          message_count: { type: 'integer', minimum: 0 },
          created_at: timestamp,
          updated_at: timestamp,
          last_message_at: { type: 'string' },
        },
      },
    },
  },
} as const;

export const AGENT_MESSAGE_ACCEPTED_SCHEMA = {
  type: 'object',
  required: ['status', 'conversation_id', 'channel', 'message_id', 'accepted_at'],
  additionalProperties: false,
  properties: {
    status: { const: 'accepted' },
    conversation_id: { type: 'string' },
    channel,
    message_id: { type: 'string', pattern: '^reply#agent#', description: "The message's id on the conversation once sent." },
    accepted_at: timestamp,
  },
} as const;

export const HANDED_BACK_SCHEMA = {
  type: 'object',
  required: ['status', 'conversation_id', 'handed_back'],
  additionalProperties: false,
  properties: {
    status: { const: 'success' },
    conversation_id: { type: 'string' },
    handed_back: {
      type: 'array',
      items: { type: 'string' },
      description: 'The conversations the AI answers again from now (empty: none was with a person).',
    },
  },
} as const;

export const HEALTH_SCHEMA = {
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: { status: { const: 'ok' } },
} as const;
