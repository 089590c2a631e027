import { AppError } from '../../errors/app-error';
import { CREDENTIALS_REJECTED } from '../../queue-work/credentials-rejected';
import { ProviderFailure } from '../provider-failure';

/**
 * Twilio failures → rate-limited (wait and go again, never a failure: docs/throughput.md),
 * transient (retry through SQS) or permanent (acknowledge, recorded with the code).
 * Rate: too many concurrent requests (HTTP 429 / 20429, once the SDK's own retries are spent) and
 * a sender whose queue is full (21611; 30001 "queue overflow" with a Messaging Service).
 * docs/processing.md: 5xx and network errors are transient;
 * invalid number 21211, not a WhatsApp number 63003, outside the 24 h window 63016, template
 * problems, authentication 20003 and other 4xx are permanent; 21610 (the recipient replied STOP)
 * is permanent and recorded as `opted_out`.
 */
export const PROVIDER_TRANSIENT = 'PROVIDER_TRANSIENT';
export const PROVIDER_PERMANENT = 'PROVIDER_PERMANENT';

export const PROVIDER_RATE_LIMITED = 'PROVIDER_RATE_LIMITED';

const TRANSIENT_CODES = new Set([20500, 20503, 30008]);
/** Too many concurrent requests: the SDK has backed off three times already; wait a little more. */
const CONCURRENCY_CODE = 20429;
const CONCURRENCY_WAIT_SECONDS = 5;
/** "This 'From' number has exceeded the maximum number of queued messages" / "Queue overflow": the sender's queue drains at its rate. */
const QUEUE_FULL_CODES = new Set([21611, 30001]);
const QUEUE_FULL_WAIT_SECONDS = 60;
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
  // A 4xx answer (429 included) is Twilio refusing the request: no message was created.
  const notSent = status >= 400 && status < 500;
  if (status === 429 || code === CONCURRENCY_CODE)
    return new AppError('rate-limited', PROVIDER_RATE_LIMITED, detail, {
      cause: error,
      retryAfterSeconds: CONCURRENCY_WAIT_SECONDS,
      notSent,
    });
  if (code !== undefined && QUEUE_FULL_CODES.has(code))
    return new AppError('rate-limited', PROVIDER_RATE_LIMITED, detail, {
      cause: error,
      retryAfterSeconds: QUEUE_FULL_WAIT_SECONDS,
      notSent,
    });
  if (status >= 500 || (code !== undefined && TRANSIENT_CODES.has(code))) {
    return new AppError('transient', PROVIDER_TRANSIENT, detail, { cause: error });
  }
  if (status === 401 || code === AUTHENTICATION_CODE)
    return new ProviderFailure('permanent', CREDENTIALS_REJECTED, detail, undefined, { cause: error, notSent });
  return new ProviderFailure('permanent', PROVIDER_PERMANENT, detail, code === OPTED_OUT_CODE ? 'opted_out' : undefined, {
    cause: error,
    notSent,
  });
};
