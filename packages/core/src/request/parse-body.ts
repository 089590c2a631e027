import { validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Turn the raw HTTP body into a JSON object, or refuse it: over 64 KiB → 413; missing, empty,
 * not UTF-8, not JSON, or not an object → 400 INVALID_REQUEST.
 */
export const parseJsonBody = (rawBody: string | null | undefined, isBase64Encoded = false): Record<string, unknown> => {
  if (rawBody === null || rawBody === undefined) {
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The request body is missing; send a JSON object.');
  }
  const bytes = isBase64Encoded ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw payloadTooLarge(bytes.length);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The request body is not valid UTF-8 text.');
  }
  if (text.trim() === '') {
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The request body is empty; send a JSON object.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
};

const payloadTooLarge = (size: number) =>
  validationError(
    ErrorCodes.PAYLOAD_TOO_LARGE,
    `The request body is ${size} bytes; the limit is ${MAX_BODY_BYTES} bytes (64 KiB).`,
  );
