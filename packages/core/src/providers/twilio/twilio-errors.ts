import { AppError } from '../../errors/app-error';
import { CREDENTIALS_REJECTED, ProviderFailure } from '../../processing/provider-failure';

/**
 * Twilio failures → transient (retry through SQS) or permanent (acknowledge, recorded with the
 * code). docs/processing.md: rate limits (20429, HTTP 429), 5xx and network errors are transient;
 * invalid number 21211, not a WhatsApp number 63003, outside the 24 h window 63016, template
 * problems, authentication 20003 and other 4xx are permanent; 21610 (the recipient replied STOP)
 * is permanent and recorded as `opted_out`.
 */
export const PROVIDER_TRANSIENT = 'PROVIDER_TRANSIENT';
export const PROVIDER_PERMANENT = 'PROVIDER_PERMANENT';

const TRANSIENT_CODES = new Set([20429, 20500, 20503, 30001, 30008]);
/** "Attempt to send to unsubscribed recipient". */
const OPTED_OUT_CODE = 21610;
/** "Authenticate": the account SID / auth token pair was refused. */
const AUTHENTICATION_CODE = 20003;

interface TwilioLikeError {
  status?: number;
  code?: number | string;
  message?: string;
}

export const classifyTwilioError = (error: unknown): AppError => {
  if (error instanceof AppError) return error;
  const twilioError = error as TwilioLikeError;
  const status = typeof twilioError?.status === 'number' ? twilioError.status : undefined;
  const code = twilioError?.code !== undefined ? Number(twilioError.code) : undefined;
  if (status === undefined) {
    // No HTTP answer: a network failure or timeout (the request may or may not have arrived).
    return new AppError('transient', PROVIDER_TRANSIENT, 'Twilio could not be reached (network or timeout).', { cause: error });
  }
  // Twilio's own sentences name numbers and templates, never credentials; keep them short.
  const detail = `Twilio ${code ?? status}: ${String(twilioError.message ?? '').slice(0, 200)}`;
  if (status === 429 || status >= 500 || (code !== undefined && TRANSIENT_CODES.has(code))) {
    return new AppError('transient', PROVIDER_TRANSIENT, detail, { cause: error });
  }
  if (status === 401 || code === AUTHENTICATION_CODE) return new ProviderFailure('permanent', CREDENTIALS_REJECTED, detail, undefined, { cause: error });
  return new ProviderFailure('permanent', PROVIDER_PERMANENT, detail, code === OPTED_OUT_CODE ? 'opted_out' : undefined, { cause: error });
};
