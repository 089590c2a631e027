import BaseTwilio from 'twilio/lib/base/BaseTwilio';
import Domain from 'twilio/lib/base/Domain';
import Version from 'twilio/lib/base/Version';
import { MessageListInstance } from 'twilio/lib/rest/api/v2010/account/message';
import { providerTimeoutMs } from '../provider-timeout';

/**
 * The part of Twilio's client the senders use, the account's Messages resource of the REST API
 * (2010-04-01), built from the same pieces `twilio()` builds it from (its base client: auth,
 * retries, timeout, user agent; its `api` domain; that version's Messages list). The full
 * client's module refers to every one of Twilio's ~40 product domains and the API domain to every
 * resource of an account, all of which a bundler must include: the senders' bundles were 10 MB
 * and their module initialisation 3× the floor of their SDK clients (`pnpm bench`, cold start;
 * the CPU profile was compile time of Twilio's code).
 */
export class TwilioClient extends BaseTwilio.Client {
  private apiDomain?: Domain;
  private contentDomain?: Domain;
  private messageList?: MessageListInstance;
  /** As `twilio().api`: its `baseUrl` is where requests go. */
  get api(): Domain {
    return (this.apiDomain ??= new Domain(this, 'https://api.twilio.com'));
  }
  /** As `twilio().content`: the Content API (templates), at the same base URL as `api` locally. */
  get content(): Domain {
    return (this.contentDomain ??= new Domain(this, 'https://content.twilio.com'));
  }
  get messages(): MessageListInstance {
    return (this.messageList ??= MessageListInstance(new Version(this.api, '2010-04-01') as never, this.accountSid));
  }
}

/**
 * One Twilio client per account, kept for the container's life. `autoRetry` retries 429s with
 * exponential backoff (a rejected request is safe to repeat). 5xx and network errors are not
 * retried here: Twilio may have created the message before failing, so the pipeline retries
 * through SQS, and the next attempt reconciles before it sends again.
 * TWILIO_API_BASE_URL (local stack only) points the client's `api` domain at the local server.
 */
const clients = new Map<string, TwilioClient>();

export const twilioClientFor = (
  accountSid: string,
  authToken: string,
  baseUrl = process.env.TWILIO_API_BASE_URL,
  timeoutMs = providerTimeoutMs(),
): TwilioClient => {
  const cacheKey = `${accountSid}:${authToken}:${baseUrl ?? ''}:${timeoutMs}`;
  let client = clients.get(cacheKey);
  if (!client) {
    client = new TwilioClient(accountSid, authToken, { autoRetry: true, maxRetries: 3, maxRetryDelay: 2000, timeout: timeoutMs });
    if (baseUrl) {
      client.api.baseUrl = baseUrl;
      client.content.baseUrl = baseUrl;
    }
    clients.set(cacheKey, client);
  }
  return client;
};
