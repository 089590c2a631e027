import { bearerToken, randomHex, ProviderRequest, ProviderResponse } from './http-kit';

/**
 * SendGrid v3 as this engine uses it: POST /v3/mail/send (Bearer key; 202 with X-Message-Id) and
 * the Email Activity query GET /v3/messages?query=unique_args['k']="v" used for reconciliation.
 * Errors use SendGrid's `{"errors":[{message, field, help}]}` body.
 */
export const sendGridError = (status: number, message: string, field: string | null = null): ProviderResponse => ({
  status,
  body: { errors: [{ message, field, help: null }] },
});

export interface SentMail {
  msg_id: string;
  from_email: string;
  to_emails: string[];
  subject: string;
  custom_args: Record<string, string>;
  body: unknown;
  sent_at: string;
}

export const createSendGridRoutes = (keys: Set<string>, onSent: (mail: SentMail) => void = () => undefined) => {
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
    if (!personalization) return sendGridError(400, 'The personalizations field is required and must have at least one personalization.', 'personalizations');
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
      from_email: body.from.email,
      to_emails: to,
      subject: subject ?? '',
      custom_args: { ...(body.custom_args ?? {}), ...(personalization.custom_args ?? {}) },
      body,
      sent_at: new Date().toISOString(),
    });
    onSent(mails.at(-1)!);
    return { status: 202, headers: { 'X-Message-Id': msgId } };
  };

  const activity = (request: ProviderRequest): ProviderResponse => {
    const query = request.query.get('query') ?? '';
    const conditions = [...query.matchAll(/unique_args\['([^']+)'\]\s*=\s*"([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const);
    const limit = Math.min(1000, Number(request.query.get('limit') ?? 10) || 10);
    const found = mails.filter((mail) => conditions.every(([key, value]) => mail.custom_args[key] === value)).slice(-limit);
    return {
      status: 200,
      body: {
        messages: found.map((mail) => ({
          from_email: mail.from_email,
          msg_id: mail.msg_id,
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
    if (request.method === 'POST' && request.path === '/v3/mail/send') return { route: 'mail.send', handle: () => authenticate(request) ?? send(request) };
    if (request.method === 'GET' && request.path === '/v3/messages') return { route: 'messages.list', handle: () => authenticate(request) ?? activity(request) };
    if (request.path.startsWith('/v3/')) return { route: 'unknown', handle: () => sendGridError(404, 'Not found') };
    return undefined;
  };

  return { route, mails };
};
