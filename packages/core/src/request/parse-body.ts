import { validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';

export const MAX_BODY_BYTES = 64 * 1024;

/** A charset the Content-Type header declares, lower-cased, if any (`application/json; charset=ISO-8859-1` → `iso-8859-1`). */
const declaredCharset = (contentType: string | undefined): string | undefined => {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1]?.toLowerCase();
};

/**
 * U+FFFD, the replacement character. API Gateway hands a text body to Lambda already decoded,
 * with every byte that was not UTF-8 replaced by it: seeing one means the client's bytes were not
 * UTF-8 (a Latin-1 "José" arrives as "Jos\uFFFD"), and passing it on would put the mark in front
 * of the recipient.
 */
const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * Turn the raw HTTP body into a JSON object, or refuse it: over 64 KiB → 413; missing, empty,
 * not UTF-8 (by its bytes, by a declared charset, or by the replacement characters left where
 * bytes were not UTF-8), not JSON, or not an object → 400 INVALID_REQUEST.
 */
export const parseJsonBody = (
  rawBody: string | null | undefined,
  isBase64Encoded = false,
  contentType?: string,
): Record<string, unknown> => {
  if (rawBody === null || rawBody === undefined) {
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The request body is missing; send a JSON object.');
  }
  const bytes = isBase64Encoded ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw payloadTooLarge(bytes.length);
  }
  const charset = declaredCharset(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw validationError(
      ErrorCodes.INVALID_REQUEST,
      `The request body must be UTF-8 JSON; the Content-Type declares charset=${charset.replace(/[^a-z0-9_.:-]/g, '').slice(0, 40)}.`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The request body is not valid UTF-8 text.');
  }
  if (text.includes(REPLACEMENT_CHARACTER)) {
    throw validationError(
      ErrorCodes.INVALID_REQUEST,
      'The request body is not valid UTF-8 text: it holds U+FFFD replacement characters where bytes were not UTF-8.',
    );
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
  validationError(ErrorCodes.PAYLOAD_TOO_LARGE, `The request body is ${size} bytes; the limit is ${MAX_BODY_BYTES} bytes (64 KiB).`);
