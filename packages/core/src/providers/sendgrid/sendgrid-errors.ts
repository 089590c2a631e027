import { AppError } from '../../errors/app-error';
import { CREDENTIALS_REJECTED } from '../../queue-work/credentials-rejected';
import { PROVIDER_PERMANENT, PROVIDER_TRANSIENT } from '../twilio/twilio-errors';

/** SendGrid failures: 429 and 5xx (and no answer) are transient; 400/401/403 and other 4xx permanent. */
export const classifySendGridError = (error: unknown): AppError => {
  if (error instanceof AppError) return error;
  const status = (error as { code?: unknown })?.code;
  const errors =
    (error as { response?: { body?: { errors?: { message?: string; field?: string | null }[] } } })?.response?.body?.errors ?? [];
  if (typeof status !== 'number') {
    return new AppError('transient', PROVIDER_TRANSIENT, 'SendGrid could not be reached (network or timeout).', { cause: error });
  }
  const detail = `SendGrid ${status}: ${errors
    .map((e) => `${e.field ? `${e.field}: ` : ''}${e.message ?? ''}`)
    .join('; ')
    .slice(0, 200)}`;
  // A 4xx answer (429 included) is SendGrid refusing the request: no mail was taken.
  const notSent = status >= 400 && status < 500;
  if (status === 429 || status >= 500) return new AppError('transient', PROVIDER_TRANSIENT, detail, { cause: error, notSent });
  if (status === 401) return new AppError('permanent', CREDENTIALS_REJECTED, detail, { cause: error, notSent });
  return new AppError('permanent', PROVIDER_PERMANENT, detail, { cause: error, notSent });
};
