import { FieldError, validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { compileSchema, fieldOf } from '../validation/ajv';
import { conversationIdFor } from './conversation-id';
import { contextObjectSchema } from './schema';
import { ContextObject } from './types';

const validateContextObject = compileSchema<ContextObject>(contextObjectSchema);

/** Every problem with a Context Object: schema, the channel's config present, the id consistent with its parts. */
export const findContextObjectProblems = (value: unknown): FieldError[] => {
  if (!validateContextObject(value)) {
    return (validateContextObject.errors ?? [])
      .filter((error) => error.keyword !== 'if')
      .map((error) => ({ field: fieldOf(error), code: ErrorCodes.VALIDATION_ERROR, message: error.message ?? 'is invalid' }));
  }
  const channel = value.frontend_payload.request_data.channel_method;
  const problems: FieldError[] = [];
  if (channel !== channel.toLowerCase()) {
    problems.push({ field: 'frontend_payload.request_data.channel_method', code: ErrorCodes.VALIDATION_ERROR, message: 'must be lower-case' });
  }
  if (!value.company_data_payload.channel_config[channel]) {
    problems.push({ field: `company_data_payload.channel_config.${channel}`, code: ErrorCodes.VALIDATION_ERROR, message: 'is required for the channel' });
  }
  if (!value.company_data_payload.ai_config.openai_config[channel]) {
    problems.push({ field: `company_data_payload.ai_config.openai_config.${channel}`, code: ErrorCodes.VALIDATION_ERROR, message: 'is required for the channel' });
  }
  if (problems.length === 0 && conversationIdFor(value.frontend_payload, value.company_data_payload) !== value.conversation_data.conversation_id) {
    problems.push({ field: 'conversation_data.conversation_id', code: ErrorCodes.VALIDATION_ERROR, message: 'does not match the request and company it carries' });
  }
  return problems;
};

/** Parse and validate a queue message body; a malformed one is a validation AppError listing every problem. */
export const parseContextObject = (body: string): ContextObject => {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw validationError(ErrorCodes.VALIDATION_ERROR, 'The Context Object is not valid JSON.');
  }
  const problems = findContextObjectProblems(value);
  if (problems.length > 0) {
    throw validationError(ErrorCodes.VALIDATION_ERROR, `The Context Object is invalid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, problems);
  }
  return value as ContextObject;
};
