import { FieldError, validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { addressProblems } from '../request/validate-request';
import { Channel } from '../request/types';
import type { ValidateFunction } from 'ajv';
import { fieldOf } from '../validation/field-of';
import validateContextObjectSchema from '../validation/generated/context-object';
import { conversationIdFor } from './conversation-id';
import { ComposedMessage, ContextObject } from './types';

// Compiled ahead of time from contextObjectSchema (context-object/standalone-validators.ts).
const validateContextObject = validateContextObjectSchema as ValidateFunction<ContextObject & { composed?: ComposedMessage['composed'] }>;

const problem = (field: string, message: string): FieldError => ({ field, code: ErrorCodes.VALIDATION_ERROR, message });

/**
 * Every problem with a Context Object: the schema; the channels resolved (a list, lower-case,
 * each once, each with its address, its sender and AI configuration); one conversation per
 * channel, in order, each id consistent with its parts.
 */
export const findContextObjectProblems = (value: unknown): FieldError[] => {
  if (!validateContextObject(value)) {
    return (validateContextObject.errors ?? [])
      .filter((error) => error.keyword !== 'if')
      .map((error) => problem(fieldOf(error), error.message ?? 'is invalid'));
  }
  const channels = value.frontend_payload.request_data.channel_method;
  if (!Array.isArray(channels)) return [problem('frontend_payload.request_data.channel_method', 'must be the resolved list of channels')];
  const problems: FieldError[] = [];
  channels.forEach((channel, index) => {
    if (channel !== channel.toLowerCase())
      problems.push(problem(`frontend_payload.request_data.channel_method.${index}`, 'must be lower-case'));
    if (channels.indexOf(channel) !== index) problems.push(problem(`frontend_payload.request_data.channel_method.${index}`, 'is repeated'));
  });
  if (problems.length > 0) return problems;
  for (const channel of channels) {
    if (!value.company_data_payload.channel_config[channel])
      problems.push(problem(`company_data_payload.channel_config.${channel}`, 'is required for the channel'));
    if (!value.company_data_payload.ai_config.openai_config[channel])
      problems.push(problem(`company_data_payload.ai_config.openai_config.${channel}`, 'is required for the channel'));
  }
  problems.push(
    ...addressProblems(value.frontend_payload.recipient_data, channels).map((p) => problem(`frontend_payload.${p.field}`, p.message)),
  );
  const conversations = value.conversation_data.conversations;
  if (conversations.length !== channels.length || conversations.some((c, index) => c.channel !== channels[index])) {
    problems.push(problem('conversation_data.conversations', "must be one per channel, in the request's order"));
  }
  if (problems.length === 0) {
    conversations.forEach(({ channel, conversation_id }, index) => {
      if (conversationIdFor(value.frontend_payload, value.company_data_payload, channel) !== conversation_id) {
        problems.push(
          problem(`conversation_data.conversations.${index}.conversation_id`, 'does not match the request and company it carries'),
        );
      }
    });
  }
  return problems;
};

const parseJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    throw validationError(ErrorCodes.VALIDATION_ERROR, 'The Context Object is not valid JSON.');
  }
};

const refuse = (problems: FieldError[]) =>
  validationError(
    ErrorCodes.VALIDATION_ERROR,
    `The Context Object is invalid: ${problems
      .map((p) => `${p.field} ${p.message}`)
      .join('; ')
      .slice(0, 800)}.`,
    problems,
  );

/** The router's hand-over, as the compose step receives it; a malformed one is a validation AppError listing every problem. */
export const parseContextObject = (body: string): ContextObject => {
  const value = parseJson(body);
  const problems = findContextObjectProblems(value);
  if (problems.length > 0) throw refuse(problems);
  return value as ContextObject;
};

/** The composed message, as `channel`'s sender receives it: the Context Object with the thread and this channel's part. */
export const parseComposedMessage = (body: string, channel: Channel): ComposedMessage => {
  const value = parseJson(body);
  const problems = findContextObjectProblems(value);
  if (problems.length === 0) {
    const message = value as ComposedMessage;
    if (typeof message.conversation_data.thread_id !== 'string')
      problems.push(problem('conversation_data.thread_id', 'is required once composed'));
    if (!message.conversation_data.conversations.some((c) => c.channel === channel))
      problems.push(problem('conversation_data.conversations', `has no ${channel} conversation`));
    if (!message.composed?.[channel]) problems.push(problem(`composed.${channel}`, 'is required for the channel'));
  }
  if (problems.length > 0) throw refuse(problems);
  return value as ComposedMessage;
};

/** This channel's conversation id in a message. */
export const conversationIdOf = (message: ContextObject, channel: Channel): string =>
  message.conversation_data.conversations.find((c) => c.channel === channel)!.conversation_id;
