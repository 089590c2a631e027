import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CompanyProject } from '@ai-multi-comms/core';
import { consoleData } from './console-data';
import { consoleDlqs } from './console-dlqs';
import type { ConsoleTarget } from './console-target';
import { personSide } from './person-side';

/**
 * The console's server: the page and its three vendored modules (Preact, its hooks, htm: served
 * from node_modules, nothing from the internet), and a small JSON API over the target. Bound to
 * 127.0.0.1; a request naming another host is refused (DNS rebinding), and a POST must come from
 * the console's own page (Origin) as JSON, so another site open in the browser cannot press its
 * buttons. Message text and names are the people's and are only ever rendered as text (Preact
 * escapes it; the page never sets innerHTML), under a Content-Security-Policy that runs this
 * origin's scripts only.
 */
export interface ConsoleServer {
  url: string;
  stop(): Promise<void>;
}

type Json = Record<string, unknown> | unknown[];
type Handler = (request: { url: URL; body: Record<string, unknown> }) => Promise<{ status: number; body: Json }>;

const PUBLIC = join(__dirname, '..', 'public');
/** The ES module build beside a package's CommonJS entry (htm exports no ./package.json to find its folder by). */
const vendorFile = (specifier: string, file: string) => join(dirname(require.resolve(specifier)), file);
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: join(PUBLIC, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: join(PUBLIC, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: join(PUBLIC, 'style.css'), type: 'text/css; charset=utf-8' },
  '/vendor/preact.js': { file: vendorFile('preact', 'preact.module.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/hooks.js': { file: vendorFile('preact/hooks', 'hooks.module.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/htm.js': { file: vendorFile('htm', 'htm.module.js'), type: 'text/javascript; charset=utf-8' },
};
/** The page's one inline script is its import map: allowed by its hash, and no other inline script runs. */
const importMapHash = (() => {
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(readFileSync(join(PUBLIC, 'index.html'), 'utf8'))?.[1] ?? '';
  return createHash('sha256').update(map, 'utf8').digest('base64');
})();
const SECURITY_HEADERS = {
  'Content-Security-Policy': `default-src 'self'; script-src 'self' 'sha256-${importMapHash}'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'`,
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on the page's own POSTs, which the Origin check refuses.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const json = (response: ServerResponse, status: number, body: Json) => {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
};

const readJson = async (request: IncomingMessage): Promise<Record<string, unknown>> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const value = text ? (JSON.parse(text) as unknown) : {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
};

export const startConsoleServer = async (options: {
  port: number;
  target: ConsoleTarget;
  documents: DynamoDBDocumentClient;
  sqs: SQSClient;
  projects: () => Promise<CompanyProject[]>;
}): Promise<ConsoleServer> => {
  const { target } = options;
  const data = consoleData(options.documents, target);
  const dlqs = consoleDlqs(options.sqs, target, options.documents);
  const person = target.local && target.providersUrl ? personSide(target.providersUrl) : undefined;
  const routes = consoleRoutes({ ...options, data, dlqs, person });
  let origin = '';
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', origin);
      const host = request.headers.host ?? '';
      if (!/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host)) return json(response, 421, { error: 'The console answers on 127.0.0.1 only.' });
      const asset = request.method === 'GET' ? STATIC[url.pathname] : undefined;
      if (asset) {
        response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': asset.type });
        return response.end(readFileSync(asset.file));
      }
      const handler = routes[`${request.method} ${url.pathname}`];
      if (!handler) return json(response, 404, { error: 'No such page.' });
      if (request.method === 'POST') {
        if (request.headers.origin !== origin || !String(request.headers['content-type'] ?? '').startsWith('application/json'))
          return json(response, 403, { error: "Buttons work from the console's own page only." });
        if (!target.actions) return json(response, 403, { error: 'This console is read-only (start it with --allow-actions).' });
      }
      let body: Record<string, unknown> = {};
      try {
        if (request.method === 'POST') body = await readJson(request);
      } catch {
        return json(response, 400, { error: 'The body must be a JSON object.' });
      }
      const answer = await handler({ url, body });
      return json(response, answer.status, answer.body);
    })().catch(() => json(response, 500, { error: 'The console could not do that; see its terminal.' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: origin,
    stop: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
};

/** Calls the engine's API the way a client does, with the project's key. */
const callApi = async (target: ConsoleTarget, method: string, path: string, companyProject: string, body?: unknown, key?: string) => {
  const apiKey = key || target.apiKeys[companyProject];
  if (!apiKey) return { status: 400, body: { error: `No API key for ${companyProject.replace('#', '/')}: type one in the console.` } };
  const response = await fetch(`${target.apiBaseUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'x-api-key': apiKey },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    parsed = { raw: text };
  }
  // The console's own answer is 200: the API's status is in the body (the page shows it; a 4xx of the API is not the console's error).
  return { status: 200, body: { status: response.status, answer: parsed } };
};

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const projectOf = (conversationId: string) => conversationId.split('#').slice(0, 2).join('#');

const consoleRoutes = (deps: {
  target: ConsoleTarget;
  projects: () => Promise<CompanyProject[]>;
  data: ReturnType<typeof consoleData>;
  dlqs: ReturnType<typeof consoleDlqs>;
  person: ReturnType<typeof personSide> | undefined;
}): Record<string, Handler> => {
  const { target, data, dlqs, person } = deps;
  return {
    'GET /api/config': async () => ({
      status: 200,
      body: {
        stage: target.stage,
        local: target.local,
        actions: target.actions,
        person_side: Boolean(person),
        projects: (await deps.projects())
          .sort((a, b) => `${a.company_id}/${a.project_id}`.localeCompare(`${b.company_id}/${b.project_id}`))
          .map((p) => ({
            company_id: p.company_id,
            project_id: p.project_id,
            company_name: p.company_name,
            project_name: p.project_name,
            allowed_channels: p.allowed_channels,
            has_key: Boolean(target.apiKeys[`${p.company_id}#${p.project_id}`]),
          })),
      },
    }),
    'GET /api/conversations': async ({ url }) => {
      const q = (name: string) => url.searchParams.get(name) || undefined;
      const all = await deps.projects();
      const projects = all.filter(
        (p) => (!q('company_id') || p.company_id === q('company_id')) && (!q('project_id') || p.project_id === q('project_id')),
      );
      const recipient = q('recipient');
      const list = await data.conversations(
        projects,
        { status: q('status'), channel: q('channel'), recipient: recipient?.includes('@') ? recipient.toLowerCase() : recipient },
        Math.min(Number(q('limit') ?? 50) || 50, 200),
      );
      return { status: 200, body: { conversations: list } };
    },
    'GET /api/thread': async ({ url }) => {
      const [c, p, r] = ['company_id', 'project_id', 'request_id'].map((name) => url.searchParams.get(name) ?? '');
      const thread = await data.thread(c!, p!, r!);
      return thread ? { status: 200, body: thread } : { status: 404, body: { error: 'No such request.' } };
    },
    'POST /api/agent/message': async ({ body }) => {
      const conversationId = text(body.conversation_id);
      return callApi(
        target,
        'POST',
        `/conversations/${encodeURIComponent(conversationId)}/messages`,
        projectOf(conversationId),
        { text: text(body.text), agent_name: text(body.agent_name), idempotency_key: text(body.idempotency_key) || randomUUID() },
        text(body.api_key),
      );
    },
    'POST /api/agent/hand-back': async ({ body }) => {
      const conversationId = text(body.conversation_id);
      return callApi(
        target,
        'POST',
        `/conversations/${encodeURIComponent(conversationId)}/hand-back`,
        projectOf(conversationId),
        {
          agent_name: text(body.agent_name) || 'an agent',
        },
        text(body.api_key),
      );
    },
    'GET /api/dlqs': async () => ({ status: 200, body: { dlqs: await dlqs.list() } }),
    'POST /api/dlqs/redrive': async ({ body }) => ({ status: 200, body: { moved: await dlqs.redrive(text(body.name)) } }),
    'POST /api/playground': async ({ body }) => {
      const request = (body.request ?? {}) as { company_data?: { company_id?: string; project_id?: string } };
      const companyProject = `${text(request.company_data?.company_id)}#${text(request.company_data?.project_id)}`;
      return callApi(target, 'POST', '/initiate-conversation', companyProject, body.request, text(body.api_key));
    },
    ...(person
      ? {
          'GET /api/person': async ({ url }) => ({
            status: 200,
            body: await person.view(url.searchParams.get('tel') ?? '', url.searchParams.get('email') ?? ''),
          }),
          'POST /api/person/reply': async ({ body }) => person.reply(body),
        }
      : {}),
  };
};
