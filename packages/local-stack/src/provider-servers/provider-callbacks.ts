import { randomBytes } from 'node:crypto';
import { SentMail } from './sendgrid-routes';
import { TwilioMessage } from './twilio-routes';
import { sendGridEventSignature, twilioSignature } from './webhook-signing';

/**
 * The providers' callbacks about messages they accepted, sent as the providers send them:
 * Twilio's status callback (form, X-Twilio-Signature with the account's auth token, to the
 * message's StatusCallback) and SendGrid's Signed Event Webhook (a JSON array, ECDSA-signed with
 * the account's key, to the configured Event Webhook URL, custom_args as top-level keys).
 */
export interface CallbackTargets {
  /** SendGrid's Event Webhook URL (account-wide, as in SendGrid's settings). */
  sendGridEventsUrl?: string;
  /** Per API key (each local project is its own SendGrid account): that account's Event Webhook URL, which names the project. */
  sendGridEventsUrls?: Record<string, string>;
  /** The account's Event Webhook signing key (PKCS#8 DER, base64). */
  sendGridEventKey?: string;
  /** Send the callbacks of every send by themselves (default); off, only the on-demand ones. */
  automatic?: boolean;
}

export type SendGridEventInput = Record<string, unknown> & { event: string; msg_id?: string };

export const createProviderCallbacks = (deps: { accounts: Map<string, string>; mails: SentMail[] }) => {
  let targets: CallbackTargets = { automatic: true };
  const post = async (url: string, init: RequestInit) => {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
      await response.text();
      return response.status;
    } catch {
      return 0;
    }
  };

  const twilioStatus = async (message: TwilioMessage, status: string, errorCode?: string): Promise<number> => {
    const url = message.status_callback;
    const token = deps.accounts.get(message.account_sid);
    if (!url || !token) return 0;
    const params: Record<string, string> = {
      AccountSid: message.account_sid,
      ApiVersion: '2010-04-01',
      From: message.from,
      MessageSid: message.sid,
      MessageStatus: status,
      SmsSid: message.sid,
      SmsStatus: status,
      To: message.to,
      ...(message.from.startsWith('whatsapp:') ? { ChannelPrefix: 'whatsapp' } : {}),
      ...(errorCode ? { ErrorCode: errorCode } : {}),
    };
    return post(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
        'X-Twilio-Signature': twilioSignature(token, url, params),
        'User-Agent': 'TwilioProxy/1.1',
      },
      body: new URLSearchParams(params).toString(),
    });
  };

  /** Events about sent mails; each names its mail by `msg_id` (our X-Message-Id) and gets SendGrid's fields filled in. */
  const sendGridEvents = async (inputs: SendGridEventInput[], url?: string): Promise<number> => {
    if (url) return sendGridBatch(url, inputs);
    // One batch per account's webhook URL: the mail's key decides it, as its account's settings would.
    const urlOf = (input: SendGridEventInput) => {
      const key = deps.mails.find((m) => m.msg_id === input.msg_id)?.api_key;
      return (key && targets.sendGridEventsUrls?.[key]) || targets.sendGridEventsUrl;
    };
    const byUrl = new Map<string, SendGridEventInput[]>();
    for (const input of inputs) {
      const url = urlOf(input);
      if (url) byUrl.set(url, [...(byUrl.get(url) ?? []), input]);
    }
    let status = 0;
    for (const [url, batch] of byUrl) status = await sendGridBatch(url, batch);
    return status;
  };

  const sendGridBatch = async (url: string, inputs: SendGridEventInput[]): Promise<number> => {
    if (!targets.sendGridEventKey) return 0;
    const now = Math.floor(Date.now() / 1000);
    const events = inputs.map((input) => {
      const { msg_id: msgId, ...rest } = input;
      const mail = deps.mails.find((m) => m.msg_id === msgId);
      return {
        email: mail?.to_emails[0],
        timestamp: now,
        'smtp-id': `<${msgId}@ismtpd0001p1lon1.sendgrid.net>`,
        sg_event_id: randomBytes(16).toString('base64url'),
        sg_message_id: mail?.sg_message_id ?? `${msgId}.filterdrecv-5bd9d4b5c-x2v7m-1-${randomBytes(4).toString('hex').toUpperCase()}-1.0`,
        ...(mail?.custom_args ?? {}),
        ...rest,
      };
    });
    const payload = JSON.stringify(events);
    const timestamp = String(now);
    return post(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Twilio-Email-Event-Webhook-Signature': sendGridEventSignature(targets.sendGridEventKey, timestamp, payload),
        'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
        'User-Agent': 'SendGrid Event API',
      },
      body: payload,
    });
  };

  return {
    configure: (next: CallbackTargets) => void (targets = { ...targets, ...next }),
    automatic: () => targets.automatic !== false,
    twilioStatus,
    sendGridEvents,
  };
};
