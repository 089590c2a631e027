import { CHANNELS, COMPANY_ID_PATTERN, initiateConversationRequestSchema, UUID_PATTERN } from '@ai-multi-comms/core';
import { AGENT_MESSAGE_SCHEMA, HAND_BACK_SCHEMA } from '../agent/agent-message-schema';
import { DEFAULT_LIST_LIMIT, LIST_STATUSES, MAX_LIST_LIMIT } from '../agent/list-conversations';
import { DEFAULT_MESSAGES_LIMIT, MAX_MESSAGES_LIMIT } from '../get-conversations';
import { ERRORS, ErrorTable, STATUS_MEANING } from './error-responses';
import {
  AGENT_MESSAGE_ACCEPTED_SCHEMA,
  CONVERSATION_LIST_SCHEMA,
  CONVERSATIONS_VIEW_SCHEMA,
  ERROR_SCHEMA,
  FORBIDDEN_SCHEMA,
  HANDED_BACK_SCHEMA,
  HEALTH_SCHEMA,
  INITIATE_ACCEPTED_SCHEMA,
} from './response-schemas';

/**
 * The OpenAPI 3.1 document of the public API, built from the schemas the router validates with
 * and the response schemas the contract check holds real answers to. `pnpm generate:openapi`
 * writes it to docs/openapi.json (and the typed client's types from it); a test fails while the
 * committed file differs from what this builds.
 */
const json = (schema: object, example?: unknown) => ({ 'application/json': { schema, ...(example === undefined ? {} : { example }) } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const errorResponses = (table: ErrorTable, options: { retryAfter?: number[] } = {}) =>
  Object.fromEntries(
    Object.entries(table).map(([status, codes]) => [
      status,
      {
        description: `${STATUS_MEANING[Number(status)]} Codes: ${codes.map((code) => `\`${code}\``).join(', ')}.`,
        ...((options.retryAfter ?? []).includes(Number(status))
          ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } } } }
          : {}),
        content: json(
          { allOf: [ref('Error'), { properties: { error_code: { enum: [...codes] } } }] },
          {
            status: 'error',
            error_code: codes[0],
            message: 'A sentence that says what to do.',
            request_id: 'unknown',
          },
        ),
      },
    ]),
  );

const forbiddenByGateway = {
  description:
    "No x-api-key, or a key API Gateway does not know (its own answer, before the API runs); or, with an error code, the API's refusal.",
  content: json({ oneOf: [ref('Forbidden'), ref('Error')] }, { message: 'Forbidden' }),
};

/** A private operation's errors: its own table, with 403 answered by API Gateway too. */
const privateErrors = (table: ErrorTable, options?: { retryAfter?: number[] }) => {
  const responses = errorResponses(table, options) as Record<string, { content: unknown; description: string }>;
  const own = responses['403'];
  return {
    ...responses,
    403: {
      description: `${forbiddenByGateway.description} Codes: ${(table[403] ?? []).map((c) => `\`${c}\``).join(', ')}.`,
      content: json(
        { oneOf: [ref('Forbidden'), (own?.content as { 'application/json': { schema: object } })['application/json'].schema] },
        {
          message: 'Forbidden',
        },
      ),
    },
  };
};

const conversationIdParameter = {
  name: 'conversation_id',
  in: 'path',
  required: true,
  description: 'The conversation id as the API gave it, URL-encoded (it holds `#`): `ci-aaa-001%23pi-aaa-001%23<uuid>%23447700900001`.',
  schema: { type: 'string', minLength: 1, maxLength: 2048 },
};

const query = (name: string, description: string, schema: object, required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

const initiate = {
  post: {
    operationId: 'initiateConversation',
    summary: 'Reach a person on one or more channels, with one AI thread',
    description:
      "Validates the request, checks the key's binding to the company/project, consent, opt-outs, idempotency (request_id) and rate limits, and queues it. Accepted means delivered: each channel reaches the person or ends in a recorded, visible failure. Sending the same body again answers the same and queues nothing new.",
    tags: ['Conversations'],
    security: [{ apiKey: [] }],
    requestBody: {
      required: true,
      content: json(ref('InitiateConversationRequest'), {
        company_data: { company_id: 'ci-aaa-001', project_id: 'pi-aaa-001' },
        recipient_data: {
          recipient_first_name: 'John',
          recipient_last_name: 'Doe',
          recipient_tel: '+447700900123',
          recipient_email: 'john.doe@example.com',
          comms_consent: true,
        },
        project_data: { jobID: '9999', jobRole: 'Healthcare Assistant' },
        request_data: {
          request_id: '8a2f1c55-1111-4222-8333-444455556666',
          channel_method: ['whatsapp', 'email'],
          initial_request_timestamp: '2025-09-15T11:45:32.789Z',
        },
      }),
    },
    responses: {
      200: {
        description: 'Accepted and queued (or a repeat of an accepted request: the same answer).',
        content: json(ref('InitiateConversationAccepted')),
      },
      ...privateErrors(ERRORS.initiateConversation!, { retryAfter: [409, 429] }),
    },
  },
};

const conversations = {
  get: {
    operationId: 'getConversations',
    summary: "A request's thread and conversations, or a project's conversations",
    description:
      "With `request_id`: the request's thread and each channel's conversation with its messages (newest `messages_limit`, oldest first) and their delivery status. Without it: the project's conversations newest first, a page at a time; `status=handed_off` is the agents' queue.",
    tags: ['Conversations', 'Agents'],
    security: [{ apiKey: [] }],
    parameters: [
      query('company_id', 'The company.', { type: 'string', pattern: COMPANY_ID_PATTERN }, true),
      query('project_id', 'The project.', { type: 'string', pattern: COMPANY_ID_PATTERN }, true),
      query('request_id', 'A request: its thread and conversations.', { type: 'string', pattern: UUID_PATTERN }),
      query('messages_limit', 'With request_id: messages per conversation.', {
        type: 'integer',
        minimum: 1,
        maximum: MAX_MESSAGES_LIMIT,
        default: DEFAULT_MESSAGES_LIMIT,
      }),
      query('conversation_id', 'With request_id and before: the conversation to page.', { type: 'string' }),
      query('before', "With request_id and conversation_id: a conversation's `messages_before` cursor.", { type: 'string' }),
      query('status', 'Without request_id: only conversations of this status (`handed_off`: with a person).', { enum: [...LIST_STATUSES] }),
      query('channel', 'Without request_id: only this channel.', { enum: [...CHANNELS] }),
      query('recipient', "Without request_id: only this person's (number or e-mail address).", { type: 'string', maxLength: 254 }),
      query('limit', 'Without request_id: conversations per page.', {
        type: 'integer',
        minimum: 1,
        maximum: MAX_LIST_LIMIT,
        default: DEFAULT_LIST_LIMIT,
      }),
      query('cursor', 'Without request_id: the `next_cursor` of the page before.', { type: 'string' }),
    ],
    responses: {
      200: {
        description: "The request's thread (with request_id), or a page of the project's conversations (without).",
        content: json({ oneOf: [ref('ConversationsView'), ref('ConversationList')] }),
      },
      ...privateErrors(ERRORS.getConversations!),
    },
  },
};

const agentMessage = {
  post: {
    operationId: 'postAgentMessage',
    summary: 'A person at the company writes to the person on the conversation',
    description:
      "Queued on the thread's turn (after the person's messages before it), added to the AI thread as a turn a person wrote, and sent once on the conversation's channel, recorded as role `agent`. Does not end a hand-off. Refused up front what could not be sent.",
    tags: ['Agents'],
    security: [{ apiKey: [] }],
    parameters: [conversationIdParameter],
    requestBody: {
      required: true,
      content: json(ref('AgentMessageRequest'), {
        text: 'Hi John, this is Alex from the team. I can call you at 3pm.',
        agent_name: 'Alex',
        idempotency_key: 'b0c7…',
      }),
    },
    responses: {
      202: {
        description: 'Accepted: it goes out on the channel in a moment (a repeat of the key: the first answer).',
        content: json(ref('AgentMessageAccepted')),
      },
      ...privateErrors(ERRORS.postAgentMessage!),
    },
  },
};

const handBack = {
  post: {
    operationId: 'handBack',
    summary: 'The AI answers the thread again',
    description: "Clears the hand-off on every conversation of the request; the AI answers the person's next message. Repeatable.",
    tags: ['Agents'],
    security: [{ apiKey: [] }],
    parameters: [conversationIdParameter],
    requestBody: { required: false, content: json(ref('HandBackRequest'), { agent_name: 'Alex' }) },
    responses: { 200: { description: 'Handed back.', content: json(ref('HandedBack')) }, ...privateErrors(ERRORS.handBack!) },
  },
};

const health = {
  get: {
    operationId: 'health',
    summary: 'Liveness behind the API key (no I/O)',
    tags: ['Operations'],
    security: [{ apiKey: [] }],
    responses: {
      200: { description: 'The API is up and the key is accepted.', content: json(ref('Health'), { status: 'ok' }) },
      403: forbiddenByGateway,
    },
  },
};

/** A provider webhook, described as such: the provider calls it, authenticated as the provider authenticates. */
const webhook = (
  operationId: string,
  summary: string,
  description: string,
  contentType: string,
  answer: { type: string; description: string },
) => ({
  post: {
    operationId,
    summary,
    description,
    tags: ['Provider webhooks'],
    security: [],
    requestBody: {
      required: true,
      content: { [contentType]: { schema: { type: contentType === 'application/json' ? 'array' : 'object' } } },
    },
    responses: {
      200: {
        description: answer.description,
        content: { [answer.type]: { schema: answer.type === 'application/json' ? { type: 'object' } : { type: 'string' } } },
      },
      400: {
        description:
          'Not a body this provider sends (`WEBHOOK_BODY_INVALID`), or one the HTTP layer cannot parse at all (refused before the function runs).',
        content: json({
          anyOf: [
            ref('Error'),
            {
              type: 'object',
              required: ['message'],
              properties: { message: { type: 'string' } },
              description: "The HTTP layer's own refusal.",
            },
          ],
        }),
      },
      401: { description: 'Not authenticated as the provider (`WEBHOOK_UNAUTHENTICATED`).', content: json(ref('Error')) },
      403: {
        description: "The provider's signature does not verify (`WEBHOOK_SIGNATURE_INVALID`): nothing was read into the system.",
        content: json(ref('Error')),
      },
      500: { description: 'A failure of ours: the provider retries.', content: json(ref('Error')) },
    },
  },
});

/** The request schema without its `$id` (an id inside components would rebase its references). */
function withoutId<T extends { $id?: string }>(schema: T): Omit<T, '$id'> {
  const { $id: _id, ...rest } = schema;
  return rest;
}

const DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'AI Multi-Communications Engine API',
    version: '1.0.0',
    description:
      "One request becomes AI-written messages to a person on WhatsApp, SMS and e-mail, on one AI thread; replies are answered in context; people at the company answer after a hand-off. Every endpoint but the provider webhooks needs the project's API key in `x-api-key`.",
    license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
  },
  servers: [
    {
      url: 'https://{api}.execute-api.{region}.amazonaws.com/{stage}',
      variables: { api: { default: 'abcdef1234' }, region: { default: 'us-east-1' }, stage: { default: 'dev' } },
    },
    { url: 'http://127.0.0.1:3000/dev', description: 'The local stack (`pnpm start`).' },
  ],
  tags: [
    { name: 'Conversations', description: 'Start conversations and read them back.' },
    { name: 'Agents', description: 'People at the company in the loop: their queue, their messages, the hand-back.' },
    { name: 'Operations', description: 'Liveness.' },
    {
      name: 'Provider webhooks',
      description: 'Called by Twilio and SendGrid, never by clients; each verifies its provider before it reads anything.',
    },
  ],
  security: [{ apiKey: [] }],
  paths: {
    '/initiate-conversation': initiate,
    '/conversations': conversations,
    '/conversations/{conversation_id}/messages': agentMessage,
    '/conversations/{conversation_id}/hand-back': handBack,
    '/health': health,
    '/webhooks/twilio/messages': webhook(
      'twilioInboundWebhook',
      'Twilio: an inbound WhatsApp or SMS message',
      "Verified with `X-Twilio-Signature` (the number's account token) before anything is read.",
      'application/x-www-form-urlencoded',
      { type: 'text/xml', description: 'Empty TwiML: stored (once) and queued for an answer.' },
    ),
    '/webhooks/twilio/status': webhook(
      'twilioStatusWebhook',
      'Twilio: a message status callback',
      'Verified with `X-Twilio-Signature`; statuses only move forward.',
      'application/x-www-form-urlencoded',
      { type: 'text/xml', description: 'Empty TwiML: recorded.' },
    ),
    '/webhooks/sendgrid/inbound': webhook(
      'sendgridInboundParse',
      'SendGrid Inbound Parse: an e-mail reply',
      "HTTP Basic credentials in the Parse URL; multipart/form-data in the mail's charsets.",
      'multipart/form-data',
      { type: 'application/json', description: 'Stored (once) and queued for an answer.' },
    ),
    '/webhooks/sendgrid/events/{company_id}/{project_id}': {
      ...webhook(
        'sendgridEventWebhook',
        "SendGrid Signed Event Webhook, a project's URL",
        "Verified with the project's ECDSA verification key (`X-Twilio-Email-Event-Webhook-Signature`) before the batch is read.",
        'application/json',
        { type: 'application/json', description: 'Recorded.' },
      ),
      parameters: [
        { name: 'company_id', in: 'path', required: true, schema: { type: 'string', pattern: COMPANY_ID_PATTERN } },
        { name: 'project_id', in: 'path', required: true, schema: { type: 'string', pattern: COMPANY_ID_PATTERN } },
      ],
    },
    '/webhooks/sendgrid/events': {
      post: {
        ...webhook(
          'sendgridEventWebhookDeprecated',
          'SendGrid Signed Event Webhook (deprecated account-wide URL)',
          'Use the project URL above.',
          'application/json',
          {
            type: 'application/json',
            description: 'Recorded.',
          },
        ).post,
        deprecated: true,
      },
    },
  },
  components: {
    securitySchemes: {
      apiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'x-api-key',
        description: "The project's API key (`pnpm api-key create`): bound to one company and project.",
      },
    },
    schemas: {
      InitiateConversationRequest: withoutId(initiateConversationRequestSchema),
      InitiateConversationAccepted: INITIATE_ACCEPTED_SCHEMA,
      ConversationsView: CONVERSATIONS_VIEW_SCHEMA,
      ConversationList: CONVERSATION_LIST_SCHEMA,
      AgentMessageRequest: AGENT_MESSAGE_SCHEMA,
      AgentMessageAccepted: AGENT_MESSAGE_ACCEPTED_SCHEMA,
      HandBackRequest: HAND_BACK_SCHEMA,
      HandedBack: HANDED_BACK_SCHEMA,
      Health: HEALTH_SCHEMA,
      Error: ERROR_SCHEMA,
      Forbidden: FORBIDDEN_SCHEMA,
    },
  },
};

/** The document (a copy: a caller may not change the one the next caller gets). */
export const openApiDocument = () => structuredClone(DOCUMENT);
