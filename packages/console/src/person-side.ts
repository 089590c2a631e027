/**
 * The person's side, locally: their WhatsApp chat, SMS thread and mailbox as the local providers
 * delivered them (templates rendered, statuses as Twilio and SendGrid hold them) beside what the
 * person sent, and a reply box that posts through the local providers' simulate routes, so the
 * engine receives a real signed webhook.
 */
interface TwilioMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  status: string;
  date_created: string;
  createdAtMs?: number;
  error_code?: number | null;
}
interface SentMail {
  msg_id: string;
  from_email: string;
  to_emails: string[];
  subject: string;
  body?: { content?: { type: string; value: string }[] };
  sent_at: string;
}
interface PersonMessage {
  id: string;
  channel: string;
  from: string;
  to: string;
  subject?: string;
  text: string;
  at: string;
}

/** One line of a chat: from the company (`in`, to the person) or from the person (`out`). */
export interface ChatLine {
  id: string;
  direction: 'to_person' | 'from_person';
  channel: 'whatsapp' | 'sms' | 'email';
  text: string;
  subject?: string;
  at: string;
  status?: string;
  /** WhatsApp and SMS: the company's number it came from (a reply goes back to it). */
  company?: string;
}

const get = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(10_000) })).json() as Promise<Record<string, unknown>>;

const mailText = (mail: SentMail): string =>
  mail.body?.content?.find((part) => part.type === 'text/plain')?.value ?? mail.body?.content?.[0]?.value ?? '';

export const personSide = (providersUrl: string) => ({
  async view(tel: string, email: string) {
    const [twilio, sendgrid, sent] = await Promise.all([
      get(`${providersUrl}/__messages?provider=twilio`),
      get(`${providersUrl}/__messages?provider=sendgrid`),
      get(`${providersUrl}/__simulate/sent`),
    ]);
    const lines: ChatLine[] = [];
    for (const m of (twilio.twilio ?? []) as TwilioMessage[]) {
      const whatsapp = m.to === `whatsapp:${tel}`;
      if (!tel || (!whatsapp && m.to !== tel)) continue;
      const at = m.createdAtMs ? new Date(m.createdAtMs).toISOString() : new Date(m.date_created).toISOString();
      const company = m.from.replace(/^whatsapp:/, '');
      lines.push({
        id: m.sid,
        direction: 'to_person',
        channel: whatsapp ? 'whatsapp' : 'sms',
        text: m.body,
        at,
        status: m.status,
        company,
      });
    }
    for (const mail of (sendgrid.sendgrid ?? []) as SentMail[]) {
      if (!email || !mail.to_emails.some((to) => to.toLowerCase() === email.toLowerCase())) continue;
      lines.push({
        id: mail.msg_id,
        direction: 'to_person',
        channel: 'email',
        subject: mail.subject,
        text: mailText(mail),
        at: mail.sent_at,
        status: 'delivered',
      });
    }
    for (const m of (sent.sent ?? []) as PersonMessage[]) {
      const from = m.from.replace(/^whatsapp:/, '').toLowerCase();
      if (from !== tel.toLowerCase() && from !== email.toLowerCase()) continue;
      lines.push({
        id: m.id,
        direction: 'from_person',
        channel: m.channel as ChatLine['channel'],
        subject: m.subject,
        text: m.text,
        at: m.at,
      });
    }
    lines.sort((a, b) => a.at.localeCompare(b.at));
    return { tel, email, lines };
  },

  /** What the local demo client received of our events (raw body and headers, as a client gets them). */
  async clientEvents() {
    const { deliveries = [] } = (await get(`${providersUrl}/__client-events`)) as { deliveries?: Record<string, unknown>[] };
    return {
      deliveries: deliveries
        .slice(-200)
        .reverse()
        .map((delivery) => {
          let payload: { type?: string; data?: Record<string, unknown> } = {};
          try {
            payload = JSON.parse(String(delivery.body)) as typeof payload;
          } catch {
            // shown raw
          }
          return { ...delivery, type: payload.type, conversation_id: payload.data?.conversation_id };
        }),
    };
  },

  /** The person writes back: WhatsApp or SMS to the company's number they were written from, e-mail as "Reply" to the last mail. */
  async reply(body: Record<string, unknown>) {
    const field = (name: string) => (typeof body[name] === 'string' ? body[name] : '');
    const channel = field('channel');
    const text = field('text');
    const from = field('from');
    if (!text.trim() || !from) return { status: 400, body: { error: 'Write something first.' } };
    const route = channel === 'email' ? '/__simulate/sendgrid/inbound' : '/__simulate/twilio/inbound';
    const payload = channel === 'email' ? { from, text } : { channel, from, to: field('to'), body: text };
    const response = await fetch(`${providersUrl}${route}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  },
});
