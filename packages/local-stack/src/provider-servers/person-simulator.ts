import { randomBytes } from 'node:crypto';
import { randomHex, ProviderRequest, ProviderResponse } from './http-kit';
import { encodeMailText, headerText, multipartBody } from './mail-charsets';
import { SentMail } from './sendgrid-routes';
import { TwilioMessage } from './twilio-routes';
import { twilioSignature } from './webhook-signing';

/**
 * The person at the other end, and the providers' webhooks that carry what they write
 * (local-stack docs: "The local providers play the person"):
 *   POST /__simulate/twilio/inbound   {"channel": "whatsapp"|"sms", "from", "to", "body", "original_replied_message_sid"?, "opt_out_type"?, "message_sid"?}
 *   POST /__simulate/sendgrid/inbound {"from", "to"?, "subject"?, "text", "in_reply_to"?, "references"?, "message_id"?, "charset"?}
 * Each posts to the engine exactly what the provider would: Twilio a form signed with
 * X-Twilio-Signature (HMAC-SHA1 of the configured URL and the sorted parameters, with the auth
 * token of the account that owns `to`); SendGrid an Inbound Parse multipart body with the Basic
 * credentials of its configured URL. The answer says what the engine answered.
 * An e-mail without `to` is a press on "Reply" to the last mail sent to that person: to its
 * Reply-To (or From), In-Reply-To its Message-ID, subject "Re: …".
 */
export interface WebhookTargets {
  /** The engine's public base URL (WEBHOOK_BASE_URL): https://host/stage. */
  baseUrl: string;
  /** The Inbound Parse URL's Basic credentials. */
  parseCredentials?: { username: string; password: string };
  /** The SendGrid account's Event Webhook signing key (PKCS#8 DER, base64). */
  sendGridEventKey?: string;
  /** Per SendGrid API key (one account per local project): its Event Webhook's path after baseUrl (`/webhooks/sendgrid/events/{company}/{project}`). */
  sendGridEventsPaths?: Record<string, string>;
  /** Whether the providers send each send's status callbacks by themselves (default true). */
  automaticCallbacks?: boolean;
}

export { twilioSignature };

/** One message the person sent through the simulator. */
export interface PersonMessage {
  id: string;
  channel: 'whatsapp' | 'sms' | 'email';
  from: string;
  to: string;
  subject?: string;
  text: string;
  at: string;
  /** What the engine's webhook answered. */
  webhook_status: number;
}

export const createPersonSimulator = (deps: {
  accounts: Map<string, string>;
  /** Number (as Twilio writes it: `whatsapp:+44…` or `+44…`) → the account that owns it. */
  numbers: Map<string, string>;
  twilioMessages: TwilioMessage[];
  mails: SentMail[];
  /** The local Twilio takes the person's message first (WhatsApp's window, STOP/START), as Twilio does before forwarding it. */
  receiveTwilioInbound?: (input: { channel: 'sms' | 'whatsapp'; from: string; to: string; body: string; accountSid: string }) => {
    optOutType?: string;
  };
}) => {
  let targets: WebhookTargets | undefined;
  /** What the person sent, as their phone and mailbox keep it (the console's person side shows both directions). */
  const sent: PersonMessage[] = [];

  const post = async (url: string, init: RequestInit) => {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      return { status: 0, body: String(error) };
    }
  };

  const twilioInbound = async (request: ProviderRequest): Promise<ProviderResponse> => {
    if (!targets) return { status: 409, body: { error: "the engine's webhook URL is not configured yet" } };
    const input = (request.body ?? {}) as {
      channel?: string;
      from?: string;
      to?: string;
      body?: string;
      original_replied_message_sid?: string;
      opt_out_type?: string;
      message_sid?: string;
    };
    const channel = input.channel === 'sms' ? 'sms' : 'whatsapp';
    if (!input.from || !input.to) return { status: 400, body: { error: 'from and to are required' } };
    const address = (number: string) =>
      channel === 'whatsapp' ? `whatsapp:${number.replace(/^whatsapp:/, '')}` : number.replace(/^whatsapp:/, '');
    const to = address(input.to);
    const from = address(input.from);
    const accountSid = deps.numbers.get(to) ?? deps.twilioMessages.find((m) => m.from === to)?.account_sid;
    const authToken = accountSid ? deps.accounts.get(accountSid) : undefined;
    if (!accountSid || !authToken) return { status: 404, body: { error: `no local Twilio account owns ${to}` } };
    const messageSid = input.message_sid ?? `SM${randomHex(32)}`;
    const taken = deps.receiveTwilioInbound?.({ channel, from, to, body: input.body ?? '', accountSid });
    const optOutType = input.opt_out_type ?? taken?.optOutType;
    const params: Record<string, string> = {
      ToCountry: 'GB',
      ToState: '',
      SmsMessageSid: messageSid,
      NumMedia: '0',
      ToCity: '',
      FromZip: '',
      SmsSid: messageSid,
      FromState: '',
      SmsStatus: 'received',
      FromCity: '',
      Body: input.body ?? '',
      FromCountry: 'GB',
      To: to,
      ToZip: '',
      NumSegments: '1',
      MessageSid: messageSid,
      AccountSid: accountSid,
      From: from,
      ApiVersion: '2010-04-01',
      ...(channel === 'whatsapp' ? { WaId: from.replace(/\D/g, ''), ProfileName: 'Local Person', MessageType: 'text' } : {}),
      ...(input.original_replied_message_sid
        ? { OriginalRepliedMessageSid: input.original_replied_message_sid, OriginalRepliedMessageSender: to }
        : {}),
      ...(optOutType ? { OptOutType: optOutType } : {}),
    };
    const url = `${targets.baseUrl.replace(/\/+$/, '')}/webhooks/twilio/messages`;
    const answer = await post(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
        'X-Twilio-Signature': twilioSignature(authToken, url, params),
        'User-Agent': 'TwilioProxy/1.1',
      },
      body: new URLSearchParams(params).toString(),
    });
    sent.push({ id: messageSid, channel, from, to, text: input.body ?? '', at: new Date().toISOString(), webhook_status: answer.status });
    return { status: 200, body: { message_sid: messageSid, webhook_status: answer.status, webhook_body: answer.body } };
  };

  const sendGridInbound = async (request: ProviderRequest): Promise<ProviderResponse> => {
    if (!targets?.parseCredentials) return { status: 409, body: { error: "the engine's Inbound Parse URL is not configured yet" } };
    const input = (request.body ?? {}) as {
      from?: string;
      to?: string;
      subject?: string;
      text?: string;
      in_reply_to?: string;
      references?: string;
      message_id?: string;
      charset?: string;
      /** More header lines, as a mail system would add them (Auto-Submitted, Precedence, Return-Path…). */
      headers?: Record<string, string>;
      /** The From field as written, when it is not simply the person (several authors, a display name). */
      from_field?: string;
      /** SendGrid's SPF verdict and DKIM results for the mail (pass and "{@person.example : pass}" by default). */
      spf?: string;
      dkim?: string;
    };
    if (!input.from) return { status: 400, body: { error: 'from is required' } };
    // The mail's charset ("iso-8859-1", "windows-1252", "iso-2022-jp", …): text, html and subject are posted in it, named in `charsets`.
    const charset = input.charset ?? 'UTF-8';
    if (!encodeMailText('', charset)) return { status: 400, body: { error: `the local SendGrid cannot write charset ${charset}` } };
    const last = [...deps.mails]
      .reverse()
      .find((mail) => mail.to_emails.some((email) => email.toLowerCase() === input.from!.toLowerCase()));
    const lastBody = last?.body as { reply_to?: { email?: string }; headers?: Record<string, string>; subject?: string } | undefined;
    const to = input.to ?? lastBody?.reply_to?.email ?? last?.from_email;
    if (!to) return { status: 404, body: { error: `no mail was sent to ${input.from}; give "to"` } };
    const inReplyTo = input.in_reply_to ?? (input.to ? undefined : lastBody?.headers?.['Message-ID']);
    const references = input.references ?? [lastBody?.headers?.References, inReplyTo].filter(Boolean).join(' ');
    const subject = input.subject ?? (last ? `Re: ${last.subject}` : '');
    const messageId = input.message_id ?? `<${randomBytes(12).toString('hex')}@mail.person.example>`;
    const headers = [
      `Received: from mail.person.example by mx.sendgrid.net`,
      `Message-ID: ${messageId}`,
      `Date: ${new Date().toUTCString()}`,
      `From: ${input.from_field ?? `Local Person <${input.from}>`}`,
      `To: ${to}`,
      `Subject: ${headerText(subject, charset)}`,
      ...(inReplyTo ? [`In-Reply-To: ${inReplyTo}`] : []),
      ...(references ? [`References: ${references}`] : []),
      'MIME-Version: 1.0',
      ...Object.entries(input.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      ...(input.headers && Object.keys(input.headers).some((name) => name.toLowerCase() === 'content-type')
        ? []
        : [`Content-Type: text/plain; charset="${charset}"`]),
    ].join('\n');
    const inCharset = (value: string) => encodeMailText(value, charset)!;
    const fields: Record<string, string | Buffer> = {
      headers,
      dkim: input.dkim ?? '{@person.example : pass}',
      to,
      from: input.from_field ?? `Local Person <${input.from}>`,
      text: inCharset(input.text ?? ''),
      html: inCharset(`<p>${(input.text ?? '').replace(/</g, '&lt;')}</p>`),
      sender_ip: '192.0.2.10',
      envelope: JSON.stringify({ to: [to], from: input.from }),
      attachments: '0',
      subject: inCharset(subject),
      charsets: JSON.stringify({ to: 'UTF-8', html: charset, subject: charset, from: 'UTF-8', text: charset }),
      SPF: input.spf ?? 'pass',
    };
    const form = multipartBody(Object.entries(fields));
    const { username, password } = targets.parseCredentials;
    const answer = await post(`${targets.baseUrl.replace(/\/+$/, '')}/webhooks/sendgrid/inbound`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
        'User-Agent': 'Sendlib/1.0 mx.sendgrid.net',
        'Content-Type': form.contentType,
      },
      body: form.body,
    });
    sent.push({
      id: messageId,
      channel: 'email',
      from: input.from,
      to,
      subject,
      text: input.text ?? '',
      at: new Date().toISOString(),
      webhook_status: answer.status,
    });
    return { status: 200, body: { message_id: messageId, to, webhook_status: answer.status, webhook_body: answer.body } };
  };

  /** GET /__simulate/sent[?address=]: what the person sent (from that address), oldest first. */
  const sentBy = async (request: ProviderRequest): Promise<ProviderResponse> => {
    const address = request.query
      .get('address')
      ?.replace(/^whatsapp:/, '')
      .toLowerCase();
    const matches = (from: string) => !address || from.replace(/^whatsapp:/, '').toLowerCase() === address;
    return { status: 200, body: { sent: sent.filter((message) => matches(message.from)) } };
  };

  return {
    configure: (next: WebhookTargets) => void (targets = next),
    snapshot: () => [...sent],
    restore: (saved: PersonMessage[]) => void sent.push(...saved),
    routes: {
      'POST /__simulate/twilio/inbound': twilioInbound,
      'POST /__simulate/sendgrid/inbound': sendGridInbound,
      'GET /__simulate/sent': sentBy,
    } as Record<string, (request: ProviderRequest) => Promise<ProviderResponse>>,
  };
};
