import twilio from 'twilio';
import { providerTimeoutMs } from '../provider-timeout';

export type TwilioClient = ReturnType<typeof twilio>;

/**
 * One Twilio client per account, kept for the container's life. `autoRetry` retries 429s with
 * exponential backoff (a rejected request is safe to repeat). 5xx and network errors are not
 * retried here: Twilio may have created the message before failing, so the pipeline retries
 * through SQS, and the next attempt reconciles before it sends again.
 * TWILIO_API_BASE_URL (local stack only) points the client's `api` domain at the local server.
 */
const clients = new Map<string, TwilioClient>();

export const twilioClientFor = (accountSid: string, authToken: string, baseUrl = process.env.TWILIO_API_BASE_URL, timeoutMs = providerTimeoutMs()): TwilioClient => {
  const cacheKey = `${accountSid}:${authToken}:${baseUrl ?? ''}:${timeoutMs}`;
  let client = clients.get(cacheKey);
  if (!client) {
    client = twilio(accountSid, authToken, { autoRetry: true, maxRetries: 3, maxRetryDelay: 2000, timeout: timeoutMs });
    if (baseUrl) client.api.baseUrl = baseUrl;
    clients.set(cacheKey, client);
  }
  return client;
};
