import { AppError, ErrorKind, isAppError } from './app-error';
import { ErrorCodes } from './error-codes';

/**
 * The single mapping from errors to HTTP. Kinds decide the status; the two codes docs/api.md gives a
 * status of their own (413, and 5xx for permanent configuration faults) are named here.
 */
const STATUS_BY_KIND: Record<ErrorKind, number> = {
  validation: 400,
  'not-found': 404,
  forbidden: 403,
  conflict: 409,
  'rate-limited': 429,
  transient: 500,
  permanent: 500,
};

const STATUS_BY_CODE: Record<string, number> = {
  [ErrorCodes.PAYLOAD_TOO_LARGE]: 413,
  // Inbound Parse authenticates with HTTP Basic: a missing or wrong credential is 401, as HTTP says.
  [ErrorCodes.WEBHOOK_UNAUTHENTICATED]: 401,
};

export interface HttpErrorBody {
  status: 'error';
  error_code: string;
  message: string;
  request_id: string;
  validation_errors?: { field: string; message: string }[];
}

export interface HttpErrorResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: HttpErrorBody;
}

/**
 * Turn any thrown value into the response docs/api.md prescribes. Anything that is not an AppError is
 * our bug: it becomes INTERNAL_ERROR with a fixed sentence, never the error's own text, which
 * could hold a stack trace, an endpoint or a secret.
 */
export const toHttpError = (error: unknown, requestId: string): HttpErrorResponse => {
  const appError: AppError = isAppError(error)
    ? error
    : new AppError('permanent', ErrorCodes.INTERNAL_ERROR, 'An internal error occurred. Please retry later.');
  const statusCode = STATUS_BY_CODE[appError.code] ?? STATUS_BY_KIND[appError.kind];
  const headers: Record<string, string> = {};
  if (appError.retryAfterSeconds !== undefined) headers['Retry-After'] = String(appError.retryAfterSeconds);
  if (appError.code === ErrorCodes.WEBHOOK_UNAUTHENTICATED) headers['WWW-Authenticate'] = 'Basic realm="inbound-parse"';
  const body: HttpErrorBody = {
    status: 'error',
    error_code: appError.code,
    message: appError.message,
    request_id: requestId,
  };
  if (appError.validationErrors && appError.validationErrors.length > 0) {
    body.validation_errors = appError.validationErrors.map(({ field, message }) => ({ field, message }));
  }
  return { statusCode, headers, body };
};
