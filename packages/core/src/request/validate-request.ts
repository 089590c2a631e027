import { FieldError, validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { fieldOf } from '../validation/field-of';
import validateRequestSchema from '../validation/generated/initiate-request';
import { exceedsDepth } from '../validation/json-depth';
import { findUnpairedSurrogate } from '../validation/text';
import { findImpreciseNumber } from '../validation/numbers';
import { ALL_CHANNELS, UUID_PATTERN } from './schema';
import { CHANNEL_DESCRIPTORS } from '../channels';

const UUID_REGEX = new RegExp(UUID_PATTERN);
import { Channel, CHANNELS, InitiateConversationRequest } from './types';

/** Deepest nesting accepted anywhere in the body, counted from the body itself (project_data is free-form). */
export const MAX_JSON_DEPTH = 32;

/**
 * At most this many problems are listed in `validation_errors`: enough for any honest mistake,
 * and a 59 KB body of 6,000 unknown keys no longer earns a 335 KB answer. The message still
 * says how many there were.
 */
export const MAX_LISTED_PROBLEMS = 25;

// Compiled ahead of time from initiateConversationRequestSchema (context-object/standalone-validators.ts).
const validateSchema = validateRequestSchema as ValidateFunction<InitiateConversationRequest>;

/** The contract's specific code for a field that is absent. */
const MISSING_CODE: Record<string, string> = {
  company_data: ErrorCodes.MISSING_COMPANY_DATA,
  recipient_data: ErrorCodes.MISSING_RECIPIENT_DATA,
  request_data: ErrorCodes.MISSING_REQUEST_DATA,
  'company_data.company_id': ErrorCodes.MISSING_IDENTIFIERS,
  'company_data.project_id': ErrorCodes.MISSING_IDENTIFIERS,
  'request_data.request_id': ErrorCodes.MISSING_REQUEST_ID,
  'request_data.channel_method': ErrorCodes.MISSING_CHANNEL_METHOD,
  'request_data.initial_request_timestamp': ErrorCodes.MISSING_INITIAL_REQUEST_TIMESTAMP,
  'recipient_data.recipient_tel': ErrorCodes.MISSING_RECIPIENT_TEL,
  'recipient_data.recipient_email': ErrorCodes.MISSING_RECIPIENT_EMAIL,
  'recipient_data.comms_consent': ErrorCodes.MISSING_COMMS_CONSENT,
};

/** The contract's specific code, and a sentence, for a field that is present but malformed. */
const INVALID: Record<string, { code: string; message: string }> = {
  'request_data.request_id': { code: ErrorCodes.INVALID_REQUEST_ID, message: 'must be a UUID, e.g. 550e8400-e29b-41d4-a716-446655440001' },
  'request_data.channel_method': {
    code: ErrorCodes.UNSUPPORTED_CHANNEL,
    message: `must be one of ${CHANNELS.join(', ')}, a list of distinct channels, or ${ALL_CHANNELS}`,
  },
  'request_data.initial_request_timestamp': {
    code: ErrorCodes.INVALID_TIMESTAMP,
    message: 'must be an ISO 8601 date-time with a time zone, e.g. 2025-09-15T11:45:32.789Z',
  },
  'recipient_data.recipient_tel': {
    code: ErrorCodes.INVALID_RECIPIENT_TEL,
    message: 'must be an E.164 number: + followed by 7 to 15 digits',
  },
  'recipient_data.recipient_email': { code: ErrorCodes.INVALID_RECIPIENT_EMAIL, message: 'must be a valid e-mail address' },
  'recipient_data.comms_consent': { code: ErrorCodes.INVALID_COMMS_CONSENT_TYPE, message: 'must be a JSON boolean (true or false)' },
  'company_data.company_id': { code: ErrorCodes.VALIDATION_ERROR, message: 'must be 1-64 letters, digits, "-" or "_"' },
  'company_data.project_id': { code: ErrorCodes.VALIDATION_ERROR, message: 'must be 1-64 letters, digits, "-" or "_"' },
};

/**
 * When several problems are found, the response's `error_code` is the first of these that occurs
 * (sections before fields, identifiers before addresses); every problem is still listed.
 */
const PRECEDENCE: string[] = [
  ErrorCodes.MISSING_COMPANY_DATA,
  ErrorCodes.MISSING_RECIPIENT_DATA,
  ErrorCodes.MISSING_REQUEST_DATA,
  ErrorCodes.MISSING_IDENTIFIERS,
  ErrorCodes.MISSING_REQUEST_ID,
  ErrorCodes.INVALID_REQUEST_ID,
  ErrorCodes.MISSING_CHANNEL_METHOD,
  ErrorCodes.UNSUPPORTED_CHANNEL,
  ErrorCodes.MISSING_INITIAL_REQUEST_TIMESTAMP,
  ErrorCodes.INVALID_TIMESTAMP,
  ErrorCodes.MISSING_RECIPIENT_TEL,
  ErrorCodes.INVALID_RECIPIENT_TEL,
  ErrorCodes.MISSING_RECIPIENT_EMAIL,
  ErrorCodes.INVALID_RECIPIENT_EMAIL,
  ErrorCodes.MISSING_COMMS_CONSENT,
  ErrorCodes.INVALID_COMMS_CONSENT_TYPE,
  ErrorCodes.VALIDATION_ERROR,
];

const describe = (error: ErrorObject): string => {
  switch (error.keyword) {
    case 'type':
      return `must be ${(error.params as { type: string }).type === 'object' ? 'an object' : `a ${(error.params as { type: string }).type}`}`;
    case 'maxLength':
      return `must be at most ${(error.params as { limit: number }).limit} characters`;
    case 'additionalProperties':
      return 'is not a recognised field';
    default:
      return error.message ?? 'is invalid';
  }
};

/** The contract's code for a field, also for an item of a list field (`request_data.channel_method.1`). */
const specificFor = (field: string) =>
  INVALID[field] ??
  (field.startsWith('request_data.channel_method.')
    ? { code: ErrorCodes.UNSUPPORTED_CHANNEL, message: `must be one of ${CHANNELS.join(', ')}` }
    : undefined);

const toFieldError = (error: ErrorObject): FieldError | undefined => {
  if (error.keyword === 'if') return undefined; // the failing `then` branch reports the real problem
  const field = fieldOf(error);
  if (error.keyword === 'required') {
    return { field, code: MISSING_CODE[field] ?? ErrorCodes.VALIDATION_ERROR, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    return { field, code: ErrorCodes.VALIDATION_ERROR, message: describe(error) };
  }
  const specific = specificFor(field);
  if (specific && error.keyword !== 'maxLength') return { field, code: specific.code, message: specific.message };
  return { field, code: specific?.code ?? ErrorCodes.VALIDATION_ERROR, message: describe(error) };
};

/** The lower-case channel list a valid channel_method names, or `all`. */
const selectionOf = (channelMethod: string | string[]): Channel[] | 'all' =>
  typeof channelMethod === 'string'
    ? channelMethod.toLowerCase() === ALL_CHANNELS
      ? ALL_CHANNELS
      : [channelMethod.toLowerCase() as Channel]
    : channelMethod.map((channel) => channel.toLowerCase() as Channel);

/**
 * The problems the schema cannot see: a channel named twice (in any letter case), and a channel
 * without the recipient's address for it. For `all`, the addresses are checked once the router
 * knows the project's channels (`addressProblems`).
 */
const channelProblems = (body: InitiateConversationRequest<string | string[]>): FieldError[] => {
  const selection = selectionOf(body.request_data.channel_method);
  if (selection === ALL_CHANNELS) return [];
  const repeated = selection.filter((channel, index) => selection.indexOf(channel) !== index);
  const problems: FieldError[] = [...new Set(repeated)].map((channel) => ({
    field: 'request_data.channel_method',
    code: ErrorCodes.UNSUPPORTED_CHANNEL,
    message: `names ${channel} more than once; list each channel once`,
  }));
  return [...problems, ...addressProblems(body.recipient_data, selection)];
};

/** One problem per address the channels need and the recipient lacks (recipient_tel for WhatsApp and SMS, recipient_email for e-mail). */
export const addressProblems = (recipient: InitiateConversationRequest['recipient_data'], channels: readonly Channel[]): FieldError[] => {
  const fields = [...new Set(channels.map((channel) => CHANNEL_DESCRIPTORS[channel].recipientField))];
  return fields
    .filter((field) => recipient[field] === undefined)
    .map((field) => ({
      field: `recipient_data.${field}`,
      code: MISSING_CODE[`recipient_data.${field}`]!,
      message: `is required for ${channels.filter((c) => CHANNEL_DESCRIPTORS[c].recipientField === field).join(' and ')}`,
    }));
};

/** Every problem with the body, one entry per field and code, in the order Ajv found them. */
export const findRequestProblems = (body: Record<string, unknown>): FieldError[] => {
  if (exceedsDepth(body, MAX_JSON_DEPTH)) {
    return [{ field: '(body)', code: ErrorCodes.VALIDATION_ERROR, message: `must not nest deeper than ${MAX_JSON_DEPTH} levels` }];
  }
  const badText = findUnpairedSurrogate(body);
  if (badText) {
    return [
      { field: badText, code: ErrorCodes.VALIDATION_ERROR, message: 'contains an unpaired UTF-16 surrogate; send valid Unicode text' },
    ];
  }
  const imprecise = findImpreciseNumber(body.project_data, 'project_data');
  if (imprecise) {
    return [
      {
        field: imprecise,
        code: ErrorCodes.VALIDATION_ERROR,
        message: 'is a number beyond ±2^53 that cannot be kept exactly; send it as a string',
      },
    ];
  }
  if (validateSchema(body)) return channelProblems(body as unknown as InitiateConversationRequest<string | string[]>);
  const seen = new Set<string>();
  const problems: FieldError[] = [];
  for (const error of validateSchema.errors ?? []) {
    const problem = toFieldError(error);
    if (!problem) continue;
    const key = `${problem.field}|${problem.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
};

const headlineCode = (problems: FieldError[]): string =>
  PRECEDENCE.find((code) => problems.some((problem) => problem.code === code)) ?? ErrorCodes.VALIDATION_ERROR;

/** The validation AppError for a list of problems: headed by the most basic code, the first MAX_LISTED_PROBLEMS listed. */
export const requestRefusal = (problems: FieldError[]) => {
  const first = problems[0]!;
  // When some must be left out, the most basic are kept (the headline code among them).
  const rank = (problem: FieldError) => (PRECEDENCE.indexOf(problem.code) + PRECEDENCE.length + 1) % (PRECEDENCE.length + 1);
  const listed =
    problems.length > MAX_LISTED_PROBLEMS ? [...problems].sort((a, b) => rank(a) - rank(b)).slice(0, MAX_LISTED_PROBLEMS) : problems;
  const more =
    problems.length > MAX_LISTED_PROBLEMS
      ? ` (${problems.length} problems in all; the first ${MAX_LISTED_PROBLEMS} are in validation_errors)`
      : problems.length > 1
        ? ` (${problems.length} problems in all; see validation_errors)`
        : '';
  return validationError(headlineCode(problems), `Invalid request: ${first.field.slice(0, 200)} ${first.message}${more}.`, listed);
};

/**
 * Validate and normalise a parsed body: request_id and channel_method lower-cased (the channels
 * as a list, or `all`), the legacy `company_data.api_key` dropped. Throws a validation AppError
 * listing every problem.
 */
export const validateInitiateRequest = (body: Record<string, unknown>): InitiateConversationRequest => {
  const problems = findRequestProblems(body);
  if (problems.length > 0) throw requestRefusal(problems);
  return normaliseRequest(body as unknown as InitiateConversationRequest<string | string[]>);
};

export const normaliseRequest = (request: InitiateConversationRequest<string | string[]>): InitiateConversationRequest => {
  const { company_id, project_id } = request.company_data;
  const normalised: InitiateConversationRequest = {
    company_data: { company_id, project_id },
    recipient_data: { ...request.recipient_data },
    request_data: {
      request_id: request.request_data.request_id.toLowerCase(),
      channel_method: selectionOf(request.request_data.channel_method),
      initial_request_timestamp: request.request_data.initial_request_timestamp,
    },
  };
  if (request.project_data !== undefined) normalised.project_data = request.project_data;
  return normalised;
};

/** The request id for error bodies: the body's own when it is a string, else "unknown". */
export const requestIdForErrors = (body: unknown): string => {
  const requestData = (body as { request_data?: { request_id?: unknown } } | null)?.request_data;
  const id = requestData && typeof requestData === 'object' ? requestData.request_id : undefined;
  // Echo it only when it is a well-formed UUID: an error body never reflects arbitrary input.
  return typeof id === 'string' && UUID_REGEX.test(id) ? id.toLowerCase() : 'unknown';
};
