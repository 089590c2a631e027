import { bearerToken, randomHex, ProviderRequest, ProviderResponse } from './http-kit';

/**
 * SendGrid v3 as this engine uses it: POST /v3/mail/send (Bearer key; 202 with X-Message-Id) and
 * the Email Activity query GET /v3/messages. Errors use SendGrid's `{"errors":[{message, field, help}]}` body.
 * As SendGrid's:
 * - Email Activity is a paid add-on: a key whose account lacks it (not in `activityKeys`) is
 *   refused with 403 "access forbidden", whatever it asks.
 * - A message's `msg_id` there is the X-Message-Id followed by SendGrid's `.filter…` routing
 *   suffix (the same id events carry as `sg_message_id`); the query language filters with
 *   `msg_id LIKE '<X-Message-Id>%'` (SendGrid support: "How To Filter results with Activity Feed
 *   API for X Message ID"), `unique_args['k']="v"`, `to_email="…"`, joined with AND.
 */
export const sendGridError = (status: number, message: string, field: string | null = null): ProviderResponse => ({
  status,
  body: { errors: [{ message, field, help: null }] },
});

export interface SentMail {
  /** The X-Message-Id of the send. */
  msg_id: string;
  /** SendGrid's message id for this recipient: the X-Message-Id and its routing suffix (events' sg_message_id, Email Activity's msg_id). */
  sg_message_id: string;
  from_email: string;
  to_emails: string[];
  subject: string;
  custom_args: Record<string, string>;
  /** The API key it was sent with: its account's Event Webhook receives its events (local only; never shown by /__messages). */
  api_key?: string;
  body: unknown;
  sent_at: string;
}

export const createSendGridRoutes = (
  keys: Set<string>,
  onSent: (mail: SentMail) => void = () => undefined,
  activityKeys: Set<string> = new Set(),
) => {
  const mails: SentMail[] = [];

  const authenticate = (request: ProviderRequest): ProviderResponse | undefined => {
    const token = bearerToken(request.headers);
    if (!token) return sendGridError(401, 'Permission denied, wrong credentials');
    if (!keys.has(token)) return sendGridError(401, 'The provided authorization grant is invalid, expired, or revoked');
    return undefined;
  };

  const send = (request: ProviderRequest): ProviderResponse => {
    const body = request.body as {
      personalizations?: { to?: { email?: string }[]; subject?: string; custom_args?: Record<string, string> }[];
      from?: { email?: string };
      subject?: string;
      content?: { type?: string; value?: string }[];
      template_id?: string;
      custom_args?: Record<string, string>;
    };
    if (!body || typeof body !== 'object') return sendGridError(400, 'Bad Request', null);
    const personalization = body.personalizations?.[0];
    if (!personalization)
      return sendGridError(400, 'The personalizations field is required and must have at least one personalization.', 'personalizations');
    const to = (personalization.to ?? []).map((entry) => entry.email ?? '');
    if (to.length === 0 || to.some((email) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))) {
      return sendGridError(400, 'Does not contain a valid address.', 'personalizations.0.to.0.email');
    }
    if (!body.from?.email) return sendGridError(400, 'The from object must be provided for every email send.', 'from');
    const subject = personalization.subject ?? body.subject;
    if (!subject && !body.template_id) return sendGridError(400, 'The subject is required.', 'subject');
    if (!body.template_id && !(body.content ?? []).some((part) => part.value)) {
      return sendGridError(400, 'Unless a valid template_id is provided, the content parameter is required.', 'content');
    }
    const msgId = randomHex(22);
    mails.push({
      msg_id: msgId,
      sg_message_id: `${msgId}.filterdrecv-5bd9d4b5c-x2v7m-1-${randomHex(8).toUpperCase()}-1.0`,
      from_email: body.from.email,
      to_emails: to,
      subject: subject ?? '',
      custom_args: { ...(body.custom_args ?? {}), ...(personalization.custom_args ?? {}) },
      api_key: bearerToken(request.headers),
      body,
      sent_at: new Date().toISOString(),
    });
    onSent(mails.at(-1)!);
    return { status: 202, headers: { 'X-Message-Id': msgId } };
  };

  const activity = (request: ProviderRequest): ProviderResponse => {
    if (!activityKeys.has(bearerToken(request.headers) ?? '')) return sendGridError(403, 'access forbidden');
    const query = request.query.get('query') ?? '';
    const args = [...query.matchAll(/unique_args\['([^']+)'\]\s*=\s*"([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const);
    const likes = [...query.matchAll(/msg_id\s+LIKE\s+'([^'%]*)%'/gi)].map((m) => m[1]!);
    const exactIds = [...query.matchAll(/msg_id\s*=\s*"([^"]*)"/g)].map((m) => m[1]!);
    const toEmails = [...query.matchAll(/to_email\s*=\s*"([^"]*)"/g)].map((m) => m[1]!.toLowerCase());
    const limit = Math.min(1000, Number(request.query.get('limit') ?? 10) || 10);
    const found = mails
      .filter((mail) => args.every(([key, value]) => mail.custom_args[key] === value))
      .filter((mail) => likes.every((prefix) => mail.sg_message_id.startsWith(prefix)))
      .filter((mail) => exactIds.every((id) => mail.sg_message_id === id))
      .filter((mail) => toEmails.every((email) => mail.to_emails.some((to) => to.toLowerCase() === email)))
      .slice(-limit)
      .reverse();
    return {
      status: 200,
      body: {
        messages: found.map((mail) => ({
          from_email: mail.from_email,
          msg_id: mail.sg_message_id,
          subject: mail.subject,
          to_email: mail.to_emails[0],
          status: 'delivered',
          opens_count: 0,
          clicks_count: 0,
          last_event_time: mail.sent_at,
        })),
      },
    };
  };

  const route = (request: ProviderRequest): { route: string; handle: () => ProviderResponse } | undefined => {
    if (request.method === 'POST' && request.path === '/v3/mail/send')
      return { route: 'mail.send', handle: () => authenticate(request) ?? send(request) };
    if (request.method === 'GET' && request.path === '/v3/messages')
      return { route: 'messages.list', handle: () => authenticate(request) ?? activity(request) };
    if (request.path.startsWith('/v3/')) return { route: 'unknown', handle: () => sendGridError(404, 'Not found') };
    return undefined;
  };

  return { route, mails };
};
