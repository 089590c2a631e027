import { ERRORS } from '../src/openapi/error-responses';

/** docs/api.md's error table for POST /initiate-conversation, as the OpenAPI document lists it (one table: src/openapi/error-responses.ts). A response outside it is a contract breach. */
export const CODES_BY_STATUS: Record<number, readonly string[]> = ERRORS.initiateConversation!;

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
