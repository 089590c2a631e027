import { compileSchema, ErrorCodes, FieldError, fieldOf, validationError } from '@ai-multi-comms/core';
import type { AgentMessageInput } from '@ai-multi-comms/core';

/** The longest text an agent may send: WhatsApp's body limit, the strictest of the channels' free text. */
export const MAX_AGENT_TEXT = 1600;

/**
 * POST /conversations/{id}/messages' body: the schema the router validates with and the OpenAPI
 * document describes (one source).
 */
export const AGENT_MESSAGE_SCHEMA = {
  type: 'object',
  required: ['text', 'agent_name', 'idempotency_key'],
  additionalProperties: false,
  properties: {
    text: { type: 'string', maxLength: MAX_AGENT_TEXT, pattern: '\\S', description: 'What the person receives, as written.' },
    agent_name: { type: 'string', maxLength: 100, pattern: '\\S', description: 'Who wrote it: on the conversation and on the AI thread.' },
    idempotency_key: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description:
        'A repeat with the same key answers the first call and sends nothing again; the same key with other words is 409 IDEMPOTENCY_CONFLICT.',
    },
  },
} as const;

/** POST /conversations/{id}/hand-back's optional body. */
export const HAND_BACK_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: { agent_name: { type: 'string', maxLength: 100, pattern: '\\S' } },
} as const;

let validateMessage: ReturnType<typeof compileSchema<AgentMessageInput>> | undefined;
let validateHandBack: ReturnType<typeof compileSchema<{ agent_name?: string }>> | undefined;

const parseJson = (rawBody: string | null, emptyAllowed: boolean): unknown => {
  if (emptyAllowed && (!rawBody || rawBody.trim() === '')) return {};
  try {
    return JSON.parse(rawBody ?? '');
  } catch {
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The body must be a JSON object.');
  }
};

const refuse = (errors: { instancePath: string }[] | null | undefined): never => {
  const problems: FieldError[] = (errors ?? []).map((error) => ({
    field: fieldOf(error as Parameters<typeof fieldOf>[0]),
    code: ErrorCodes.VALIDATION_ERROR,
    // `pattern: \S` is how the schema says "not blank": say it so.
    message:
      (error as { keyword?: string }).keyword === 'pattern'
        ? 'must not be blank'
        : ((error as { message?: string }).message ?? 'is invalid'),
  }));
  throw validationError(
    ErrorCodes.VALIDATION_ERROR,
    `Invalid body: ${problems[0]?.field ?? '(body)'} ${problems[0]?.message ?? 'is invalid'}${problems.length > 1 ? ` (${problems.length} problems in all; see validation_errors)` : ''}.`,
    problems,
  );
};

export const parseAgentMessage = (rawBody: string | null): AgentMessageInput => {
  const body = parseJson(rawBody, false);
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The body must be a JSON object.');
  validateMessage ??= compileSchema<AgentMessageInput>(AGENT_MESSAGE_SCHEMA);
  if (!validateMessage(body)) return refuse(validateMessage.errors);
  return { ...body, agent_name: body.agent_name.trim() };
};

export const parseHandBack = (rawBody: string | null): string => {
  const body = parseJson(rawBody, true);
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The body must be a JSON object, or empty.');
  validateHandBack ??= compileSchema<{ agent_name?: string }>(HAND_BACK_SCHEMA);
  if (!validateHandBack(body)) return refuse(validateHandBack.errors);
  return body.agent_name?.trim() || 'an agent';
};
