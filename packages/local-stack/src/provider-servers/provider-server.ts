import { textOf } from '@ai-multi-comms/core';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { FaultBook, FaultRule, ProviderName } from './faults';
import { bearerToken, parseBody, ProviderRequest, ProviderResponse, readBody, send } from './http-kit';
import { createOpenAiRoutes, openAiError } from './openai-routes';
import { createPersonSimulator, PersonMessage, WebhookTargets } from './person-simulator';
import { createProviderCallbacks } from './provider-callbacks';
import { createClientEventsReceiver, ReceivedClientEvent } from './client-events-receiver';
import { createSendGridRoutes, SentMail, sendGridError } from './sendgrid-routes';
import { createTwilioRoutes, twilioError } from './twilio-routes';
import { createOpenAiLimiter, ProviderLimits } from './provider-limits';

/**
 * The local OpenAI, Twilio and SendGrid: one process, one port, routed by path. Test peers for
 * the real SDKs. Control routes (not part of any provider):
 *   GET /__requests[?provider=twilio&route=messages.create&after=<seq>]   every request received (after one), in order, and the last seq
 *   DELETE /__requests                                         forget them
 *   GET /__messages?provider=twilio|sendgrid                   what was "delivered"
 *   POST /__faults  (a FaultRule or an array)  GET /__faults  DELETE /__faults
 *   POST /__credentials {openai_keys?, twilio_accounts?: {sid: token}, sendgrid_keys?}
 *   GET /__openai/locks                                        how many responses were refused with conversation_locked
 *   POST /__limits {openai?, twilio?}  GET /__limits  DELETE /__limits   the providers' rate limits (provider-limits.ts)
 *   POST /__simulate/twilio/inbound, /__simulate/sendgrid/inbound   the person replies (person-simulator.ts)
 *   POST /__twilio/contents {sid?, account_sid, body | types, variables?}   a Content API template (as seeded projects have)
 *   POST /__twilio/opt-outs {from, to, blocked}                  a sender blocked for a person, as an earlier STOP left it
 *   POST /__clock {advance_ms, sender?, person?}  GET /__clock   move the providers' clock forward (WhatsApp's 24-hour window); with sender and person (as Twilio writes them), only that window
 *   POST /__callbacks {order: "in-order" | "shuffled", recipients?}  Twilio's status callbacks of one message in order, or not (Twilio does not promise order); for every message, or only those to `recipients`
 */
/** The `usage` of an OpenAI response's body, if it has one. */
const usageOf = (body: unknown): Record<string, unknown> | undefined => {
  const usage = (body as { usage?: unknown } | undefined)?.usage;
  return typeof usage === 'object' && usage !== null ? (usage as Record<string, unknown>) : undefined;
};

export interface RecordedRequest {
  seq: number;
  provider: ProviderName;
  route: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Who called: Twilio's account SID, or "bearer" for key-authenticated calls (keys themselves are never recorded). */
  auth: string | null;
  body: unknown;
  status: number;
  /** The provider's error code when it refused (Twilio's `code`, OpenAI's `error.code`). */
  error_code?: string | number | null;
  /** An OpenAI response's token counts (input, cached, output), as it answered them. */
  usage?: Record<string, unknown>;
  fault: boolean;
  received_at: string;
}

const errorCodeOf = (body: unknown): string | number | null | undefined => {
  const answer = body as { code?: string | number | null; error?: { code?: string | null } } | undefined;
  return answer?.error?.code ?? answer?.code;
};

export interface ProviderCredentials {
  openai_keys?: string[];
  twilio_accounts?: Record<string, string>;
  sendgrid_keys?: string[];
  /** Twilio numbers (`whatsapp:+44…`, `+44…`) → the account that owns them (inbound webhooks are signed with its token). */
  twilio_numbers?: Record<string, string>;
  /** Content API templates the accounts own: sid → {account_sid, body} (the text with `{{1}}`… placeholders). */
  twilio_contents?: Record<string, { account_sid: string; body: string; variables?: Record<string, string> }>;
  /** SendGrid keys whose account has the Email Activity add-on (GET /v3/messages); others are refused it. */
  sendgrid_email_activity_keys?: string[];
}

/** The twins' state as JSON (provider-server.ts `snapshot`). */
export interface ProviderSnapshot {
  version: 1;
  credentials: ProviderCredentials;
  twilio: ReturnType<ReturnType<typeof createTwilioRoutes>['snapshot']>;
  sendgrid: SentMail[];
  openai: ReturnType<ReturnType<typeof createOpenAiRoutes>['snapshot']>;
  person: PersonMessage[];
  clientEvents?: ReceivedClientEvent[];
}

export interface ProviderServers {
  url: string;
  server: Server;
  requests: RecordedRequest[];
  faults: FaultBook;
  addCredentials(credentials: ProviderCredentials): void;
  /** Where the providers' webhooks go (the engine's public base URL, the Inbound Parse credentials). */
  configureWebhooks(targets: WebhookTargets): void;
  /** Turn the providers' automatic status callbacks and events on or off (the bench compares both in one run). */
  setAutomaticCallbacks(on: boolean): void;
  /** What the twins hold (messages, mails, OpenAI conversations, what the person sent, credentials), for a stack that keeps its data. */
  snapshot(): ProviderSnapshot;
  restore(saved: ProviderSnapshot): void;
  /** Add a control route of the local stack's own (e.g. `GET /__queue-events`). */
  addControlRoute(methodAndPath: string, handle: (request: ProviderRequest) => ProviderResponse | Promise<ProviderResponse>): void;
  stop(): Promise<void>;
}

const providerOf = (path: string): ProviderName | undefined =>
  // Twilio's Content API (content.twilio.com/v1/Content) shares the /v1 prefix with OpenAI.
  path === '/v1/Content' || path.startsWith('/v1/Content/')
    ? 'twilio'
    : path.startsWith('/v1/')
      ? 'openai'
      : path.startsWith('/2010-04-01/')
        ? 'twilio'
        : path.startsWith('/v3/')
          ? 'sendgrid'
          : undefined;

const faultResponse = (provider: ProviderName, rule: FaultRule): ProviderResponse => {
  const status = rule.status ?? 500;
  if (provider === 'twilio') {
    const code = Number(rule.code ?? (status === 429 ? 20429 : status >= 500 ? 20500 : 21211));
    return twilioError(
      status,
      code,
      rule.message ?? (status === 429 ? 'Too Many Requests' : status >= 500 ? 'Internal Server Error' : 'Error'),
    );
  }
  if (provider === 'openai') {
    return openAiError(
      status,
      rule.message ?? (status === 429 ? 'Rate limit reached for requests' : 'The server had an error while processing your request.'),
      rule.code === undefined ? null : String(rule.code),
    );
  }
  return sendGridError(status, rule.message ?? (status === 429 ? 'too many requests' : 'Internal server error'));
};

export const startProviderServers = (port: number, credentials: ProviderCredentials = {}): Promise<ProviderServers> => {
  const openAiKeys = new Set<string>();
  const twilioAccounts = new Map<string, string>();
  const twilioNumbers = new Map<string, string>();
  const sendGridKeys = new Set<string>();
  const addCredentials = (more: ProviderCredentials) => {
    for (const key of more.openai_keys ?? []) openAiKeys.add(key);
    for (const [sid, token] of Object.entries(more.twilio_accounts ?? {})) twilioAccounts.set(sid, token);
    for (const [number, sid] of Object.entries(more.twilio_numbers ?? {})) twilioNumbers.set(number, sid);
    for (const key of more.sendgrid_keys ?? []) sendGridKeys.add(key);
    for (const key of more.sendgrid_email_activity_keys ?? []) sendGridActivityKeys.add(key);
    for (const [sid, content] of Object.entries(more.twilio_contents ?? {})) twilio.registerContent({ sid, ...content });
  };
  const sendGridActivityKeys = new Set<string>();

  let limits: ProviderLimits = {};
  /** OpenAI's requests and tokens per minute per key (provider-limits.ts). */
  const openAiBuckets = createOpenAiLimiter();
  const twilioInFlight = new Map<string, number>();
  const openAi = createOpenAiRoutes();
  // Each message's status callbacks in order, one after another (a message's chain); or, as
  // Twilio may (it promises no order), each on its own after a random wait of up to 300 ms.
  // Shuffled for every message, or only for messages to some recipients (concurrent tests keep their order).
  let callbackOrder: 'in-order' | 'shuffled' = 'in-order';
  const shuffledFor = new Set<string>();
  const chains = new Map<string, Promise<unknown>>();
  const inOrder = (key: string, send: () => Promise<unknown>, recipient = '') => {
    if (callbackOrder === 'shuffled' || shuffledFor.has(recipient.replace(/^whatsapp:/, ''))) {
      setTimeout(() => void send(), Math.floor(Math.random() * 300)).unref();
      return;
    }
    const next = (chains.get(key) ?? Promise.resolve()).then(send, send);
    chains.set(key, next);
    void next.finally(() => chains.get(key) === next && chains.delete(key));
  };
  const twilio = createTwilioRoutes(
    twilioAccounts,
    {},
    (message, status) =>
      callbacks.automatic() &&
      inOrder(
        message.sid,
        () => callbacks.twilioStatus(message, status, status === 'failed' && message.error_code ? String(message.error_code) : undefined),
        message.to,
      ),
    () => limits.twilio,
  );
  const sendGrid = createSendGridRoutes(
    sendGridKeys,
    (mail) =>
      callbacks.automatic() &&
      inOrder(mail.msg_id, async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return callbacks.sendGridEvents([
          { event: 'processed', msg_id: mail.msg_id },
          { event: 'delivered', msg_id: mail.msg_id, response: '250 2.0.0 OK' },
        ]);
      }),
    sendGridActivityKeys,
  );
  const callbacks = createProviderCallbacks({ accounts: twilioAccounts, mails: sendGrid.mails });
  const person = createPersonSimulator({
    accounts: twilioAccounts,
    numbers: twilioNumbers,
    twilioMessages: twilio.messages,
    mails: sendGrid.mails,
    receiveTwilioInbound: twilio.receiveInbound,
  });
  addCredentials(credentials);
  /** Any callback on demand, in any order (tests play duplicates, reordering and failures). */
  const callbackRoutes: Record<string, (request: ProviderRequest) => Promise<ProviderResponse>> = {
    'POST /__simulate/twilio/status': async (request) => {
      const input = (request.body ?? {}) as { message_sid?: string; status?: string; error_code?: string | number };
      const message = twilio.messages.find((m) => m.sid === input.message_sid);
      if (!message || !input.status) return { status: 404, body: { error: 'no such message (message_sid), or no status' } };
      return {
        status: 200,
        body: {
          webhook_status: await callbacks.twilioStatus(
            message,
            input.status,
            input.error_code === undefined ? undefined : String(input.error_code),
          ),
        },
      };
    },
    'POST /__simulate/sendgrid/events': async (request) => {
      // An array of events, or {events, url}: a batch to one Event Webhook URL (events of no mail of ours, account events).
      const input = request.body as { events?: unknown[]; url?: string } | unknown[];
      const events = (Array.isArray(input) ? input : (input?.events ?? [input])) as { event: string; msg_id?: string }[];
      return {
        status: 200,
        body: { webhook_status: await callbacks.sendGridEvents(events, Array.isArray(input) ? undefined : input?.url) },
      };
    },
  };
  const faults = new FaultBook();
  const clientEvents = createClientEventsReceiver(faults);
  const requests: RecordedRequest[] = [];
  let seq = 0;

  const extraControl = new Map<string, (request: ProviderRequest) => ProviderResponse | Promise<ProviderResponse>>();
  const control = (request: ProviderRequest): ProviderResponse | Promise<ProviderResponse> | undefined => {
    const extra =
      extraControl.get(`${request.method} ${request.path}`) ??
      person.routes[`${request.method} ${request.path}`] ??
      clientEvents.routes[`${request.method} ${request.path}`] ??
      callbackRoutes[`${request.method} ${request.path}`];
    if (extra) return extra(request);
    const provider = request.query.get('provider');
    const route = request.query.get('route');
    const after = request.query.get('after');
    switch (`${request.method} ${request.path}`) {
      case 'GET /__requests':
        return {
          status: 200,
          body: {
            requests: requests.filter(
              (r) => (!provider || r.provider === provider) && (!route || r.route === route) && (!after || r.seq > Number(after)),
            ),
            last_seq: seq,
          },
        };
      case 'DELETE /__requests':
        requests.length = 0;
        return { status: 204 };
      case 'GET /__messages':
        return {
          status: 200,
          body: {
            twilio: provider && provider !== 'twilio' ? [] : twilio.messages,
            sendgrid: provider && provider !== 'sendgrid' ? [] : sendGrid.mails.map(({ api_key: _key, ...mail }) => mail),
          },
        };
      case 'POST /__faults': {
        const rules = Array.isArray(request.body) ? request.body : [request.body];
        for (const rule of rules as FaultRule[]) faults.add(rule);
        return { status: 201, body: { faults: faults.pending() } };
      }
      case 'GET /__faults':
        return { status: 200, body: { faults: faults.pending() } };
      case 'DELETE /__faults':
        faults.clear();
        return { status: 204 };
      case 'POST /__credentials':
        try {
          addCredentials((request.body ?? {}) as ProviderCredentials);
        } catch (error) {
          return { status: 409, body: { error: (error as Error).message } };
        }
        return { status: 204 };
      case 'POST /__limits':
        limits = { ...limits, ...((request.body ?? {}) as ProviderLimits) };
        openAiBuckets.clear();
        return { status: 200, body: { limits } };
      case 'GET /__limits':
        return { status: 200, body: { limits } };
      case 'DELETE /__limits':
        limits = {};
        openAiBuckets.clear();
        return { status: 204 };
      case 'POST /__twilio/contents': {
        const input = (request.body ?? {}) as Parameters<typeof twilio.registerContent>[0];
        if (!input.account_sid) return { status: 400, body: { error: 'account_sid is required' } };
        try {
          return { status: 201, body: twilio.registerContent(input) };
        } catch (error) {
          return { status: 409, body: { error: (error as Error).message } };
        }
      }
      case 'POST /__twilio/opt-outs': {
        const input = (request.body ?? {}) as { from?: string; to?: string; blocked?: boolean };
        if (!input.from || !input.to) return { status: 400, body: { error: 'from and to are required' } };
        twilio.setOptOut(input.from, input.to, input.blocked !== false);
        return { status: 204 };
      }
      case 'POST /__clock': {
        const input = (request.body ?? {}) as { advance_ms?: number; sender?: string; person?: string };
        twilio.advanceClock(
          Number(input.advance_ms ?? 0),
          input.sender && input.person ? { sender: input.sender, person: input.person } : undefined,
        );
        return { status: 200, body: { offset_ms: twilio.clockOffsetMs() } };
      }
      case 'GET /__clock':
        return { status: 200, body: { offset_ms: twilio.clockOffsetMs() } };
      case 'POST /__callbacks': {
        const input = (request.body ?? {}) as { order?: string; recipients?: string[] };
        if (input.order !== 'in-order' && input.order !== 'shuffled')
          return { status: 400, body: { error: 'order is "in-order" or "shuffled"' } };
        const recipients = (input.recipients ?? []).map((recipient) => recipient.replace(/^whatsapp:/, ''));
        if (recipients.length > 0)
          for (const recipient of recipients) {
            if (input.order === 'shuffled') shuffledFor.add(recipient);
            else shuffledFor.delete(recipient);
          }
        else callbackOrder = input.order;
        return { status: 200, body: { order: input.order, ...(recipients.length > 0 ? { recipients } : {}) } };
      }
      case 'GET /__openai/locks':
        return { status: 200, body: { conversation_locked: openAi.locksRefused() } };
      case 'GET /__health':
        return { status: 200, body: { ok: true } };
      default:
        return undefined;
    }
  };

  /**
   * OpenAI: requests and tokens per minute per key on the model endpoint, with the x-ratelimit-*
   * headers on every answer of it.
   * Twilio: at most `concurrency` API requests in flight per account, each taking `api_latency_ms`.
   */
  const withinLimits = async (
    provider: ProviderName,
    route: string,
    request: ProviderRequest,
    run: () => ProviderResponse | Promise<ProviderResponse>,
  ): Promise<{ refused: boolean; response: ProviderResponse }> => {
    if (provider === 'openai' && route === 'responses') {
      const model = textOf((request.body as { model?: unknown } | undefined)?.model, 'gpt-4o-mini');
      const admission = openAiBuckets.admit(bearerToken(request.headers) ?? '', limits.openai, model, (defaultOutputTokens) =>
        openAi.requestedTokens(request, defaultOutputTokens),
      );
      if (admission.refusal) return { refused: true, response: admission.refusal };
      const answer = await run();
      return { refused: false, response: { ...answer, headers: { ...answer.headers, ...admission.headers } } };
    }
    const account = provider === 'twilio' ? (/^\/2010-04-01\/Accounts\/([^/]+)\//.exec(request.path)?.[1] ?? '') : '';
    const concurrency = limits.twilio?.accounts?.[account]?.concurrency ?? limits.twilio?.concurrency;
    const latencyMs = limits.twilio?.accounts?.[account]?.api_latency_ms ?? limits.twilio?.api_latency_ms;
    if (provider === 'twilio' && (concurrency !== undefined || latencyMs !== undefined)) {
      const inFlight = twilioInFlight.get(account) ?? 0;
      if (concurrency !== undefined && inFlight >= concurrency) {
        return { refused: true, response: twilioError(429, 20429, 'Too Many Requests') };
      }
      twilioInFlight.set(account, inFlight + 1);
      try {
        if (latencyMs) await new Promise((resolve) => setTimeout(resolve, latencyMs));
        return { refused: false, response: await run() };
      } finally {
        twilioInFlight.set(account, (twilioInFlight.get(account) ?? 1) - 1);
      }
    }
    return { refused: false, response: await run() };
  };

  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    const url = new URL(incoming.url ?? '/', 'http://localhost');
    const rawBody = await readBody(incoming);
    const request: ProviderRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      rawBody,
      body: parseBody(incoming.headers['content-type'], rawBody),
    };
    const controlled = await control(request);
    if (controlled) return send(response, controlled);

    const provider = providerOf(request.path);
    const matched =
      provider === 'openai'
        ? openAi(request)
        : provider === 'twilio'
          ? twilio.route(request)
          : provider === 'sendgrid'
            ? sendGrid.route(request)
            : undefined;
    if (!provider || !matched)
      return send(response, { status: 404, body: { error: `no provider route for ${request.method} ${request.path}` } });

    const record = (status: number, fault: boolean, answer?: unknown) =>
      requests.push({
        seq: (seq += 1),
        provider,
        route: matched.route,
        method: request.method,
        path: request.path,
        query: Object.fromEntries(request.query),
        auth:
          provider === 'twilio'
            ? (Buffer.from((incoming.headers.authorization ?? '').replace(/^Basic\s+/i, ''), 'base64')
                .toString('utf8')
                .split(':')[0] ?? null)
            : bearerToken(incoming.headers)
              ? 'bearer'
              : null,
        body: request.body,
        status,
        ...(status >= 400 ? { error_code: errorCodeOf(answer) ?? null } : {}),
        // OpenAI's token counts of a response, for the bench's tokens per conversation.
        ...(provider === 'openai' && usageOf(answer) ? { usage: usageOf(answer) } : {}),
        fault,
        received_at: new Date().toISOString(),
      });

    const rule = faults.take(
      provider,
      matched.route,
      `${JSON.stringify(request.body ?? request.rawBody)} ${decodeURIComponent(url.search)}`,
    );
    if (rule?.delay_ms) await new Promise((resolve) => setTimeout(resolve, rule.delay_ms));
    if (rule?.drop) {
      record(0, true);
      incoming.socket.destroy();
      return;
    }
    if (rule && (rule.status !== undefined || rule.code !== undefined)) {
      const result = faultResponse(provider, rule);
      record(result.status, true, result.body);
      return send(response, result);
    }
    if (provider === 'openai') {
      const key = bearerToken(incoming.headers);
      if (!key || !openAiKeys.has(key)) {
        const result = openAiError(
          401,
          'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
          'invalid_api_key',
        );
        record(result.status, false, result.body);
        return send(response, result);
      }
    }
    // The providers' own limits, after authentication as theirs are.
    const limited = await withinLimits(provider, matched.route, request, () => matched.handle(rule));
    if (limited.refused) {
      record(limited.response.status, false, limited.response.body);
      return send(response, limited.response);
    }
    const result = limited.response;
    if (rule?.drop_after) {
      record(0, true);
      incoming.socket.destroy();
      return;
    }
    record(result.status, false, result.body);
    return send(response, result);
  };

  return new Promise((resolve, reject) => {
    const server = createServer((incoming, response) => {
      handle(incoming, response).catch((error: unknown) => send(response, { status: 500, body: { error: String(error) } }));
    });
    server.keepAliveTimeout = 30_000;
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        server,
        requests,
        faults,
        addCredentials,
        configureWebhooks: (targets) => {
          person.configure(targets);
          callbacks.configure({
            sendGridEventsUrl: `${targets.baseUrl.replace(/\/+$/, '')}/webhooks/sendgrid/events`,
            sendGridEventsUrls: Object.fromEntries(
              Object.entries(targets.sendGridEventsPaths ?? {}).map(([key, path]) => [
                key,
                `${targets.baseUrl.replace(/\/+$/, '')}${path}`,
              ]),
            ),
            sendGridEventKey: targets.sendGridEventKey,
            automatic: targets.automaticCallbacks,
          });
        },
        setAutomaticCallbacks: (on) => callbacks.configure({ automatic: on }),
        snapshot: () => ({
          version: 1,
          credentials: {
            openai_keys: [...openAiKeys],
            twilio_accounts: Object.fromEntries(twilioAccounts),
            twilio_numbers: Object.fromEntries(twilioNumbers),
            sendgrid_keys: [...sendGridKeys],
            sendgrid_email_activity_keys: [...sendGridActivityKeys],
          },
          twilio: twilio.snapshot(),
          sendgrid: [...sendGrid.mails],
          openai: openAi.snapshot(),
          person: person.snapshot(),
          clientEvents: clientEvents.snapshot(),
        }),
        restore: (saved) => {
          if (saved.version !== 1) return;
          addCredentials(saved.credentials ?? {});
          twilio.restore(saved.twilio ?? {});
          sendGrid.mails.push(...(saved.sendgrid ?? []));
          openAi.restore(saved.openai ?? []);
          person.restore(saved.person ?? []);
          clientEvents.restore(saved.clientEvents ?? []);
        },
        addControlRoute: (methodAndPath, handleRoute) => void extraControl.set(methodAndPath, handleRoute),
        stop: () =>
          new Promise((done) => {
            twilio.stop();
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
};
