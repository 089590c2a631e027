import { ErrorCodes } from '@ai-multi-comms/core';

/** docs/api.md's error table: which codes each status may carry. A response outside it is a contract breach. */
export const CODES_BY_STATUS: Record<number, string[]> = {
  400: [
    ErrorCodes.INVALID_REQUEST,
    ErrorCodes.MISSING_IDENTIFIERS,
    ErrorCodes.MISSING_COMPANY_DATA,
    ErrorCodes.MISSING_RECIPIENT_DATA,
    ErrorCodes.MISSING_REQUEST_DATA,
    ErrorCodes.MISSING_REQUEST_ID,
    ErrorCodes.MISSING_CHANNEL_METHOD,
    ErrorCodes.MISSING_INITIAL_REQUEST_TIMESTAMP,
    ErrorCodes.INVALID_REQUEST_ID,
    ErrorCodes.UNSUPPORTED_CHANNEL,
    ErrorCodes.INVALID_TIMESTAMP,
    ErrorCodes.MISSING_RECIPIENT_TEL,
    ErrorCodes.INVALID_RECIPIENT_TEL,
    ErrorCodes.MISSING_RECIPIENT_EMAIL,
    ErrorCodes.INVALID_RECIPIENT_EMAIL,
    ErrorCodes.MISSING_COMMS_CONSENT,
    ErrorCodes.INVALID_COMMS_CONSENT_TYPE,
    ErrorCodes.VALIDATION_ERROR,
  ],
  413: [ErrorCodes.PAYLOAD_TOO_LARGE],
  403: [ErrorCodes.API_KEY_NOT_AUTHORIZED, ErrorCodes.COMMS_CONSENT_REQUIRED, ErrorCodes.PROJECT_INACTIVE, ErrorCodes.CHANNEL_NOT_ALLOWED],
  404: [ErrorCodes.COMPANY_NOT_FOUND],
  409: [ErrorCodes.IDEMPOTENCY_CONFLICT, ErrorCodes.IDEMPOTENCY_IN_PROGRESS],
  429: [ErrorCodes.RATE_LIMIT_EXCEEDED],
  500: [ErrorCodes.DATABASE_ERROR, ErrorCodes.QUEUE_ERROR, ErrorCodes.CONFIGURATION_ERROR, ErrorCodes.INTERNAL_ERROR],
};

/** Assert that a status and body are a well-formed docs/api.md response; returns a reason when not. */
export const contractViolation = (status: number, body: any): string | undefined => {
  if (status === 200) {
    if (body?.status !== 'success' || typeof body.conversation_id !== 'string' || typeof body.queue_timestamp !== 'string')
      return 'malformed success body';
    return undefined;
  }
  const allowed = CODES_BY_STATUS[status];
  if (!allowed) return `unexpected status ${status}`;
  if (body?.status !== 'error') return 'error body without status "error"';
  if (!allowed.includes(body.error_code)) return `code ${body.error_code} is not listed for ${status}`;
  if (typeof body.message !== 'string' || body.message.length === 0) return 'no message sentence';
  if (typeof body.request_id !== 'string') return 'no request_id';
  if (body.validation_errors !== undefined) {
    if (status !== 400 || !Array.isArray(body.validation_errors) || body.validation_errors.length === 0)
      return 'validation_errors out of place';
    if (!body.validation_errors.every((e: any) => typeof e.field === 'string' && typeof e.message === 'string'))
      return 'malformed validation_errors';
  }
  if (/\bat .+:\d+|Error:|stack/i.test(body.message)) return 'message looks like a stack trace';
  return undefined;
};
