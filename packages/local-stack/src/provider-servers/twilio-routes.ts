import { textOf } from '@ai-multi-comms/core';
import { countSmsSegments } from '@ai-multi-comms/core';
import { basicAuth, randomHex, ProviderRequest, ProviderResponse } from './http-kit';
import { TwilioLimits } from './provider-limits';

/**
 * Twilio's Programmable Messaging REST API (2010-04-01), as much as this engine uses: create a
 * message (form-encoded, HTTP Basic with the account SID and auth token), list messages filtered
 * by To / From / DateSent (for reconciliation), fetch one. Errors use Twilio's JSON body.
 *
 * Timing as Twilio's: a created message is `queued`, with `date_sent` empty, until it is
 * dispatched (after `dispatchDelayMs`, or a fault's `queued_ms`); the list is newest first by
 * creation; `DateSent` filters compare whole days (GMT) and never match a message not yet sent.
 * A reconciliation that filters on DateSent therefore misses a message still queued, as it would
 * against Twilio.
 *
 * With limits (provider-limits.ts) each sender dispatches its queue at its rate in creation
 * order; an SMS takes one slot per segment (Twilio's MPS counts segments: a two-segment SMS from a
 * 1 MPS long code takes two seconds), a WhatsApp message one. A create beyond the sender's queue
 * length (in the same units) fails with 21611;
 * a queued message older than its ValidityPeriod (seconds, default 36,000) fails with 30036
 * instead of going out, and its status callback says so.
 *
 * As Twilio does, and the engine must hold against:
 * - Content templates (the Content API, `GET /v1/Content/{sid}`, `POST /v1/Content`): a send with
 *   ContentSid is rendered (`{{1}}`… replaced by ContentVariables, else the template's defaults)
 *   and the message's `body` is the rendered text (twilio-node issue 1081: without a Messaging
 *   Service the answer carries the rendered body); an unknown ContentSid is 400 21655.
 * - WhatsApp's 24-hour customer-care window, per sender and person, opened by the person's
 *   message: a free-form WhatsApp message outside it is *created* (201, queued) and then fails
 *   with 63016 in its status callback. The clock can be moved for tests (`advanceClock`).
 * - No status callback for `queued` (Twilio sends none for the initial status).
 * - Advanced Opt-Out on SMS: a person's STOP (STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT,
 *   REVOKE) blocks that sender for them; Twilio answers with its own confirmation and refuses
 *   later sends with 400 21610; START (UNSTOP, YES) lifts it.
 */
export const twilioError = (status: number, code: number, message: string): ProviderResponse => ({
  status,
  body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
});

export interface TwilioMessage {
  sid: string;
  /** Twilio's own answer to STOP/START (not created through the API). */
  automatic?: boolean;
  account_sid: string;
  to: string;
  from: string;
  body: string;
  content_sid: string | null;
  content_variables: string | null;
  status: string;
  direction: 'outbound-api';
  date_created: string;
  date_updated: string;
  date_sent: string | null;
  num_segments: string;
  status_callback: string | null;
  /** ms since epoch of creation, for ordering; not part of Twilio's resource. */
  createdAtMs: number;
  /** ms since epoch of dispatch (undefined while queued); not part of Twilio's resource. */
  sentAtMs?: number;
  /** Set when the message failed (30036: its ValidityPeriod passed in the queue). */
  error_code?: number | null;
  error_message?: string | null;
  /** Seconds the message may wait in the sender's queue. */
  validityPeriodSeconds: number;
}

export interface TwilioTiming {
  /** How long a created message stays `queued` before it is sent (default 200 ms). */
  dispatchDelayMs?: number;
  /** How long after `sent` the handset reports `delivered` (and WhatsApp `read` as long again). Default 100 ms. */
  deliveryDelayMs?: number;
}

/** Told of each status a message reaches (queued at creation, sent, delivered, read for WhatsApp), in order: the status callbacks. */
export type TwilioStatusHook = (message: TwilioMessage, status: string) => void;

const E164 = /^\+[0-9]{7,15}$/;
const rfc2822 = (date: Date) => date.toUTCString().replace('GMT', '+0000');

/** "whatsapp:+44…" → ["whatsapp", "+44…"]; "+44…" → ["sms", "+44…"]. */
const channelOf = (address: string): [string, string] => {
  const match = /^([a-z]+):(.*)$/.exec(address);
  return match ? [match[1]!, match[2]!] : ['sms', address];
};

const resource = (message: TwilioMessage) => {
  const {
    automatic: _automatic,
    createdAtMs: _created,
    sentAtMs: _sent,
    content_sid: _c,
    content_variables: _v,
    status_callback: _s,
    validityPeriodSeconds: _p,
    error_code,
    error_message,
    ...rest
  } = message;
  return {
    ...rest,
    api_version: '2010-04-01',
    error_code: error_code ?? null,
    error_message: error_message ?? null,
    messaging_service_sid: null,
    num_media: '0',
    price: null,
    price_unit: 'USD',
    uri: `/2010-04-01/Accounts/${message.account_sid}/Messages/${message.sid}.json`,
    subresource_uris: { media: `/2010-04-01/Accounts/${message.account_sid}/Messages/${message.sid}/Media.json` },
  };
};

/** Twilio's longest (and default) ValidityPeriod: ten hours. */
const MAX_VALIDITY_SECONDS = 36_000;

/** WhatsApp's customer-care window: free-form messages only within 24 hours of the person's last message. */
export const WHATSAPP_WINDOW_MS = 24 * 3_600_000;

/** Twilio's default opt-out, opt-in and help keywords (the whole message, any case). */
const STOP_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'];
const START_KEYWORDS = ['START', 'UNSTOP', 'YES'];
const HELP_KEYWORDS = ['HELP', 'INFO'];
/** Twilio's default replies to them. */
export const TWILIO_STOP_CONFIRMATION =
  'You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.';
export const TWILIO_START_CONFIRMATION =
  'You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.';
export const TWILIO_HELP_REPLY = 'Reply STOP to unsubscribe. Msg&Data Rates May Apply.';

/** A Content API template (content.v1.content), as much as a text template needs. */
export interface TwilioContent {
  sid: string;
  account_sid: string;
  friendly_name: string;
  language: string;
  /** Default values of the placeholders. */
  variables: Record<string, string>;
  /** e.g. {"twilio/text": {"body": "Hi {{1}}"}}. */
  types: Record<string, { body?: string } & Record<string, unknown>>;
  date_created: string;
  date_updated: string;
}

const contentResource = (content: TwilioContent) => ({
  ...content,
  date_created: new Date(content.date_created).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  date_updated: new Date(content.date_updated).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  url: `https://content.twilio.com/v1/Content/${content.sid}`,
  links: {
    approval_create: `https://content.twilio.com/v1/Content/${content.sid}/ApprovalRequests/whatsapp`,
    approval_fetch: `https://content.twilio.com/v1/Content/${content.sid}/ApprovalRequests`,
  },
});

/** The template's text: the first of its types that has a body. */
export const contentBody = (content: Pick<TwilioContent, 'types'>): string | undefined =>
  Object.values(content.types).find((type) => typeof type?.body === 'string')?.body;

/** `{{name}}` placeholders filled from the variables, else the template's defaults; undefined when one has neither. */
export const renderContent = (
  body: string,
  variables: Record<string, unknown>,
  defaults: Record<string, string> = {},
): string | undefined => {
  let missing = false;
  const rendered = body.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_all, name: string) => {
    const value = variables[name] ?? defaults[name];
    if (value === undefined) missing = true;
    return textOf(value);
  });
  return missing ? undefined : rendered;
};

export const createTwilioRoutes = (
  accounts: Map<string, string>,
  timing: TwilioTiming = {},
  onStatus: TwilioStatusHook = () => undefined,
  limits: () => TwilioLimits | undefined = () => undefined,
) => {
  const messages: TwilioMessage[] = [];
  const contents = new Map<string, TwilioContent>();
  /** The local Twilio's clock: real time, moved forward by tests (the 24-hour window). */
  let clockOffsetMs = 0;
  const nowMs = () => Date.now() + clockOffsetMs;
  /** `from|to` (as Twilio writes them) → when the person last wrote to that sender. */
  const lastInbound = new Map<string, number>();
  /** `from|to` pairs blocked by the person's STOP (Advanced Opt-Out). */
  const optedOut = new Set<string>();
  const pair = (from: string, to: string) => `${from}|${to}`;
  const timers = new Set<NodeJS.Timeout>();
  const later = (afterMs: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, afterMs);
    timer.unref();
    timers.add(timer);
  };
  const advance = (message: TwilioMessage, status: string) => {
    message.status = status;
    message.date_updated = rfc2822(new Date());
    onStatus(message, status);
  };
  const send = (message: TwilioMessage) => {
    // A free-form WhatsApp message outside the 24-hour window is refused by WhatsApp after Twilio accepted it.
    if (message.to.startsWith('whatsapp:') && !message.content_sid && !windowOpen(message.from, message.to)) {
      message.error_code = 63016;
      message.error_message =
        'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.';
      advance(message, 'failed');
      return;
    }
    const now = new Date();
    message.sentAtMs = now.getTime();
    message.date_sent = rfc2822(now);
    advance(message, 'sent');
    const deliveryMs = timing.deliveryDelayMs ?? 100;
    later(deliveryMs, () => {
      advance(message, 'delivered');
      if (message.to.startsWith('whatsapp:')) later(deliveryMs, () => advance(message, 'read'));
    });
  };

  const windowOpen = (from: string, to: string) => {
    const last = lastInbound.get(pair(to, from));
    return last !== undefined && nowMs() - last < WHATSAPP_WINDOW_MS;
  };

  /** What a message takes of its sender's rate: its segments for SMS, one for WhatsApp. */
  const unitsOf = (message: TwilioMessage) => (message.to.startsWith('whatsapp:') ? 1 : Number(message.num_segments));
  /** A sender's queue under a rate: `units` every 1/rate s, oldest first (expired ones have left it, see expire). */
  const senders = new Map<string, { queue: TwilioMessage[]; draining: boolean; nextAtMs: number }>();
  const rateOf = (from: string) => limits()?.senders?.[from] ?? limits()?.messages_per_second;
  const senderOf = (from: string) => {
    let sender = senders.get(from);
    if (!sender) senders.set(from, (sender = { queue: [], draining: false, nextAtMs: 0 }));
    return sender;
  };
  const drain = (from: string) => {
    const sender = senderOf(from);
    if (sender.draining) return;
    sender.draining = true;
    const step = () => {
      const rate = rateOf(from) ?? 1000;
      const message = sender.queue.shift();
      if (!message) {
        sender.draining = false;
        return;
      }
      send(message);
      sender.nextAtMs = Math.max(sender.nextAtMs, Date.now()) + (unitsOf(message) * 1000) / rate;
      later(Math.max(0, sender.nextAtMs - Date.now()), step);
    };
    later(Math.max(0, sender.nextAtMs - Date.now(), timing.dispatchDelayMs ?? 0), step);
  };

  /** A message still queued when its ValidityPeriod ends fails then, as Twilio fails it. */
  const expire = (message: TwilioMessage) => {
    const sender = senderOf(message.from);
    const index = sender.queue.indexOf(message);
    if (index < 0) return;
    sender.queue.splice(index, 1);
    message.error_code = 30036;
    message.error_message = 'Validity Period Expired';
    advance(message, 'failed');
  };

  const dispatch = (message: TwilioMessage, afterMs: number) => {
    if (rateOf(message.from) !== undefined) {
      senderOf(message.from).queue.push(message);
      later(message.validityPeriodSeconds * 1000, () => expire(message));
      drain(message.from);
      return;
    }
    later(afterMs, () => send(message));
  };

  const authenticate = (request: ProviderRequest, accountSid: string): ProviderResponse | undefined => {
    const credentials = basicAuth(request.headers);
    if (!credentials || accounts.get(credentials[0]) !== credentials[1] || credentials[0] !== accountSid) {
      return twilioError(401, 20003, 'Authenticate');
    }
    return undefined;
  };

  const create = (request: ProviderRequest, accountSid: string, queuedMs?: number): ProviderResponse => {
    const form = (request.body ?? {}) as Record<string, string>;
    if (!form.To) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!form.From && !form.MessagingServiceSid) return twilioError(400, 21603, "A 'From' phone number is required.");
    const [toChannel, toNumber] = channelOf(form.To);
    const [fromChannel, fromNumber] = channelOf(form.From ?? '');
    if (!E164.test(toNumber)) return twilioError(400, 21211, `Invalid 'To' Phone Number: ${form.To}`);
    if (form.From && !E164.test(fromNumber)) return twilioError(400, 21212, `Invalid From Number (caller ID): ${form.From}`);
    if (form.From && toChannel !== fromChannel)
      return twilioError(400, 21910, 'Invalid From and To pair. From and To should be of the same channel');
    if (!form.Body && !form.ContentSid && !form.MediaUrl)
      return twilioError(400, 21619, 'A text message body or media urls must be specified.');
    if (form.ContentVariables !== undefined) {
      try {
        const parsed = JSON.parse(form.ContentVariables) as unknown;
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      } catch {
        return twilioError(400, 21656, 'The ContentVariables Parameter is invalid.');
      }
    }
    let validityPeriodSeconds = MAX_VALIDITY_SECONDS;
    if (form.ValidityPeriod !== undefined) {
      validityPeriodSeconds = Number(form.ValidityPeriod);
      if (!Number.isInteger(validityPeriodSeconds) || validityPeriodSeconds < 1 || validityPeriodSeconds > MAX_VALIDITY_SECONDS) {
        return twilioError(400, 21618, `ValidityPeriod must be between 1 and ${MAX_VALIDITY_SECONDS} seconds.`);
      }
    }
    if (form.From && optedOut.has(pair(form.From, form.To))) return twilioError(400, 21610, 'Attempt to send to unsubscribed recipient');
    let body = form.Body ?? '';
    if (form.ContentSid) {
      const content = contents.get(form.ContentSid);
      if (!content || content.account_sid !== accountSid) return twilioError(400, 21655, 'The ContentSid is Invalid.');
      const rendered = renderContent(
        contentBody(content) ?? '',
        form.ContentVariables ? (JSON.parse(form.ContentVariables) as Record<string, unknown>) : {},
        content.variables,
      );
      if (rendered === undefined) return twilioError(400, 21656, 'The ContentVariables Parameter is invalid.');
      body = rendered;
    }
    const segments = toChannel === 'whatsapp' ? 1 : countSmsSegments(body).segments;
    const rate = form.From ? rateOf(form.From) : undefined;
    if (rate !== undefined) {
      const queued = senderOf(form.From!).queue.reduce((units, waiting) => units + unitsOf(waiting), 0);
      if (queued + segments > Math.max(1, Math.floor(rate * (limits()?.queue_seconds ?? MAX_VALIDITY_SECONDS)))) {
        return twilioError(400, 21611, "This 'From' number has exceeded the maximum number of queued messages");
      }
    }
    const now = new Date();
    const message: TwilioMessage = {
      sid: `SM${randomHex(32)}`,
      account_sid: accountSid,
      to: form.To,
      from: form.From ?? '',
      body,
      content_sid: form.ContentSid ?? null,
      content_variables: form.ContentVariables ?? null,
      status: 'queued',
      direction: 'outbound-api',
      date_created: rfc2822(now),
      date_updated: rfc2822(now),
      date_sent: null,
      num_segments: String(segments),
      status_callback: form.StatusCallback ?? null,
      createdAtMs: now.getTime(),
      validityPeriodSeconds,
    };
    messages.push(message);
    const response = resource(message);
    // No callback for `queued`: Twilio sends none for the initial status.
    dispatch(message, queuedMs ?? timing.dispatchDelayMs ?? 200);
    return { status: 201, body: response };
  };

  /**
   * DateSent filters compare whole GMT days, as Twilio's do (the SDK sends a date-time; Twilio
   * reads its date): `DateSent` that day, `DateSent>` on or after its midnight, `DateSent<` on or
   * before the end of it. Returns the day's first ms.
   */
  const dayOf = (value: string | null): number | undefined => {
    if (!value) return undefined;
    const parsed = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    return Number.isNaN(parsed) ? undefined : parsed - (parsed % 86_400_000);
  };

  const list = (request: ProviderRequest, accountSid: string): ProviderResponse => {
    const q = request.query;
    const exact = dayOf(q.get('DateSent'));
    const after = dayOf(q.get('DateSent>'));
    const before = dayOf(q.get('DateSent<'));
    const dated = exact !== undefined || after !== undefined || before !== undefined;
    const pageSize = Math.min(1000, Number(q.get('PageSize') ?? 50) || 50);
    const found = messages
      .filter((m) => m.account_sid === accountSid)
      .filter((m) => !q.get('To') || m.to === q.get('To'))
      .filter((m) => !q.get('From') || m.from === q.get('From'))
      // A message still queued has no date_sent: no DateSent filter matches it.
      .filter((m) => !dated || m.sentAtMs !== undefined)
      .filter((m) => exact === undefined || (m.sentAtMs! >= exact && m.sentAtMs! < exact + 86_400_000))
      .filter((m) => after === undefined || m.sentAtMs! >= after)
      .filter((m) => before === undefined || m.sentAtMs! < before + 86_400_000)
      .map((m, index) => ({ m, index }))
      .sort((a, b) => b.m.createdAtMs - a.m.createdAtMs || b.index - a.index)
      .map(({ m }) => m)
      .slice(0, pageSize);
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages.json?${q.toString()}`;
    return {
      status: 200,
      body: {
        messages: found.map(resource),
        end: Math.max(0, found.length - 1),
        first_page_uri: uri,
        next_page_uri: null,
        page: 0,
        page_size: pageSize,
        previous_page_uri: null,
        start: 0,
        uri,
      },
    };
  };

  const fetchOne = (accountSid: string, sid: string): ProviderResponse => {
    const message = messages.find((m) => m.sid === sid && m.account_sid === accountSid);
    if (!message)
      return twilioError(404, 20404, `The requested resource /2010-04-01/Accounts/${accountSid}/Messages/${sid}.json was not found`);
    return { status: 200, body: resource(message) };
  };

  /** A template as the Content API creates it (or with a given sid, for seeded projects). */
  const registerContent = (input: {
    sid?: string;
    account_sid: string;
    friendly_name?: string;
    language?: string;
    variables?: Record<string, string>;
    types?: TwilioContent['types'];
    body?: string;
  }): TwilioContent => {
    // A sid is one template of one account, as at Twilio: another account cannot take it over.
    const existing = input.sid ? contents.get(input.sid) : undefined;
    if (existing && existing.account_sid !== input.account_sid) throw new Error(`Content ${input.sid} belongs to another account`);
    const now = rfc2822(new Date());
    const content: TwilioContent = {
      sid: input.sid ?? `HX${randomHex(32)}`,
      account_sid: input.account_sid,
      friendly_name: input.friendly_name ?? 'template',
      language: input.language ?? 'en',
      variables: input.variables ?? {},
      types: input.types ?? { 'twilio/text': { body: input.body ?? '' } },
      date_created: now,
      date_updated: now,
    };
    contents.set(content.sid, content);
    return content;
  };

  const createContent = (request: ProviderRequest, accountSid: string): ProviderResponse => {
    const input = (request.body ?? {}) as {
      friendly_name?: string;
      language?: string;
      variables?: Record<string, string>;
      types?: TwilioContent['types'];
    };
    if (!input.types || typeof input.types !== 'object' || Object.keys(input.types).length === 0)
      return twilioError(400, 20001, 'Types is required');
    if (!input.language) return twilioError(400, 20001, 'Language is required');
    return { status: 201, body: contentResource(registerContent({ account_sid: accountSid, ...input })) };
  };

  const fetchContent = (accountSid: string, sid: string): ProviderResponse => {
    const content = contents.get(sid);
    if (!content || content.account_sid !== accountSid)
      return twilioError(404, 20404, `The requested resource /Content/${sid} was not found`);
    return { status: 200, body: contentResource(content) };
  };

  /**
   * The person's message to a sender, before Twilio forwards it: it opens WhatsApp's window, and
   * on SMS a STOP / START keyword changes the opt-out and is answered by Twilio itself. Returns the
   * OptOutType Twilio adds to the forwarded webhook.
   */
  const receiveInbound = (input: {
    channel: 'sms' | 'whatsapp';
    from: string;
    to: string;
    body: string;
    accountSid: string;
  }): { optOutType?: 'STOP' | 'START' | 'HELP' } => {
    lastInbound.set(pair(input.from, input.to), nowMs());
    if (input.channel !== 'sms') return {};
    const keyword = input.body.trim().toUpperCase();
    const answer = (text: string) => {
      const now = new Date();
      messages.push({
        sid: `SM${randomHex(32)}`,
        account_sid: input.accountSid,
        to: input.from,
        from: input.to,
        body: text,
        content_sid: null,
        content_variables: null,
        status: 'delivered',
        direction: 'outbound-api',
        date_created: rfc2822(now),
        date_updated: rfc2822(now),
        date_sent: rfc2822(now),
        num_segments: String(countSmsSegments(text).segments),
        status_callback: null,
        createdAtMs: now.getTime(),
        sentAtMs: now.getTime(),
        validityPeriodSeconds: MAX_VALIDITY_SECONDS,
        automatic: true,
      });
    };
    if (STOP_KEYWORDS.includes(keyword)) {
      optedOut.add(pair(input.to, input.from));
      answer(TWILIO_STOP_CONFIRMATION);
      return { optOutType: 'STOP' };
    }
    if (START_KEYWORDS.includes(keyword)) {
      optedOut.delete(pair(input.to, input.from));
      answer(TWILIO_START_CONFIRMATION);
      return { optOutType: 'START' };
    }
    if (HELP_KEYWORDS.includes(keyword)) {
      answer(TWILIO_HELP_REPLY);
      return { optOutType: 'HELP' };
    }
    return {};
  };

  /** The Content API authenticates like the REST API; its account is the caller's. */
  const contentCaller = (request: ProviderRequest): string | ProviderResponse => {
    const credentials = basicAuth(request.headers);
    if (!credentials || accounts.get(credentials[0]) !== credentials[1]) return twilioError(401, 20003, 'Authenticate');
    return credentials[0];
  };

  const route = (request: ProviderRequest): { route: string; handle: (fault?: { queued_ms?: number }) => ProviderResponse } | undefined => {
    const contentOne = /^\/v1\/Content\/([^/]+)$/.exec(request.path);
    const withCaller = (run: (accountSid: string) => ProviderResponse) => () => {
      const caller = contentCaller(request);
      return typeof caller === 'string' ? run(caller) : caller;
    };
    if (contentOne && request.method === 'GET')
      return { route: 'content.fetch', handle: withCaller((sid) => fetchContent(sid, contentOne[1]!)) };
    if (request.path === '/v1/Content' && request.method === 'POST')
      return { route: 'content.create', handle: withCaller((sid) => createContent(request, sid)) };
    const collection = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(request.path);
    const single = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/.exec(request.path);
    const guarded =
      (accountSid: string, handler: (fault?: { queued_ms?: number }) => ProviderResponse) => (fault?: { queued_ms?: number }) =>
        authenticate(request, accountSid) ?? handler(fault);
    if (collection && request.method === 'POST')
      return { route: 'messages.create', handle: guarded(collection[1]!, (fault) => create(request, collection[1]!, fault?.queued_ms)) };
    if (collection && request.method === 'GET')
      return { route: 'messages.list', handle: guarded(collection[1]!, () => list(request, collection[1]!)) };
    if (single && request.method === 'GET')
      return { route: 'messages.fetch', handle: guarded(single[1]!, () => fetchOne(single[1]!, single[2]!)) };
    if (request.path.startsWith('/2010-04-01/'))
      return { route: 'unknown', handle: () => twilioError(404, 20404, `The requested resource ${request.path} was not found`) };
    return undefined;
  };

  return {
    route,
    messages,
    contents,
    registerContent,
    receiveInbound,
    /**
     * Move the local Twilio's clock forward (the 24-hour window), as time passing would; with a
     * sender and a person, only their window ages (concurrent tests keep theirs).
     */
    advanceClock: (ms: number, scope?: { sender: string; person: string }) => {
      if (!scope) return void (clockOffsetMs += Math.max(0, ms));
      const key = pair(scope.person, scope.sender);
      const last = lastInbound.get(key);
      if (last !== undefined) lastInbound.set(key, last - Math.max(0, ms));
    },
    clockOffsetMs: () => clockOffsetMs,
    /** What the local Twilio holds, for a stack that keeps its data across restarts. */
    snapshot: () => ({
      messages: [...messages],
      contents: [...contents.values()],
      lastInbound: [...lastInbound.entries()],
      optedOut: [...optedOut],
    }),
    restore: (saved: { messages?: TwilioMessage[]; contents?: TwilioContent[]; lastInbound?: [string, number][]; optedOut?: string[] }) => {
      messages.push(...(saved.messages ?? []));
      for (const content of saved.contents ?? []) contents.set(content.sid, content);
      for (const [key, at] of saved.lastInbound ?? []) lastInbound.set(key, at);
      for (const key of saved.optedOut ?? []) optedOut.add(key);
    },
    /** Block (or unblock) a sender for a person, as an earlier STOP did. */
    setOptOut: (from: string, to: string, blocked: boolean) =>
      void (blocked ? optedOut.add(pair(from, to)) : optedOut.delete(pair(from, to))),
    stop: () => timers.forEach((timer) => clearTimeout(timer)),
  };
};
