import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { Agent, createServer, request as httpRequest, Server } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { ServiceFunction } from '../cloudformation/service-template';

/**
 * API Gateway's API-key check, in front of serverless-offline. serverless-offline reads the keys
 * once, when it creates its first route (HttpServer.js `#apiKeysValues`), so a key made by
 * `pnpm api-key create --local` would need a restart; here the keys are read again whenever the
 * keys file changes. It answers as API Gateway does for a missing or unknown key on a private
 * route: 403, `{"message":"Forbidden"}`, `x-amzn-ErrorType: ForbiddenException` (what
 * serverless-offline answered itself, which now runs with --noAuth behind this gate). Public routes
 * (the provider webhooks) and CORS preflights pass untouched.
 */
export interface ApiKeyGate {
  url: string;
  stop(): Promise<void>;
}

interface PrivateRoute {
  method: string;
  pattern: RegExp;
}

type HttpEvent = { http?: { path?: string; method?: string; private?: boolean } };

/** The routes serverless.yml marks `private: true`, as method and path pattern under the stage. */
export const privateRoutesOf = (functions: Record<string, ServiceFunction>, stage: string): PrivateRoute[] =>
  Object.values(functions).flatMap((fn) =>
    ((fn.events ?? []) as HttpEvent[])
      .filter((event) => event.http?.private === true && event.http.path && event.http.method)
      .map((event) => ({
        method: event.http!.method!.toUpperCase(),
        pattern: new RegExp(
          `^/${stage}/${event
            .http!.path!.replace(/^\//, '')
            .split('/')
            .map((part) => (/^\{.+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
            .join('/')}/?$`,
        ),
      })),
  );

/** The keys: the fixed ones, and those in the keys file (`pnpm api-key create --local` writes it), read again when it changes. */
const keySource = (fixed: string[], keysFile: string | undefined) => {
  let seenMtime = -1;
  let fromFile: string[] = [];
  return (): Set<string> => {
    if (keysFile && existsSync(keysFile)) {
      const mtime = statSync(keysFile).mtimeMs;
      if (mtime !== seenMtime) {
        seenMtime = mtime;
        try {
          fromFile = (JSON.parse(readFileSync(keysFile, 'utf8')) as { value: string }[]).map((key) => String(key.value));
        } catch {
          // Half-written: the next request reads it again.
          seenMtime = -1;
        }
      }
    } else fromFile = [];
    return new Set([...fixed, ...fromFile]);
  };
};

const FORBIDDEN = JSON.stringify({ message: 'Forbidden' });

/** One JSON line per answer; the stage's first path segment is dropped (the document's paths are under it). */
const answerRecorder = (file: string) => {
  const out = createWriteStream(file, { flags: 'a' });
  return (answer: { method: string; path: string; status: number; headers: Record<string, unknown>; body: Buffer }) => {
    const contentType = typeof answer.headers['content-type'] === 'string' ? answer.headers['content-type'] : undefined;
    let body: unknown;
    if (contentType?.startsWith('application/json') && answer.body.length < 512 * 1024) {
      const encoding = answer.headers['content-encoding'];
      const raw = encoding === 'gzip' ? gunzipSync(answer.body) : encoding === 'br' ? brotliDecompressSync(answer.body) : answer.body;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
    }
    const headers = Object.fromEntries(Object.entries(answer.headers).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    out.write(
      `${JSON.stringify({ method: answer.method, path: answer.path.replace(/^\/[^/]+/, ''), status: answer.status, contentType, headers, body })}\n`,
    );
  };
};

export const startApiKeyGate = (options: {
  port: number;
  target: string;
  routes: PrivateRoute[];
  keys: string[];
  keysFile?: string;
  /** Append every answer (method, path under the stage, status, content type, headers, JSON body) to this file, one JSON line each: the tests' contract check reads it. */
  recordFile?: string;
}): Promise<ApiKeyGate> => {
  const target = new URL(options.target);
  const record = options.recordFile ? answerRecorder(options.recordFile) : undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const keys = keySource(options.keys, options.keysFile);
  const server: Server = createServer((incoming, response) => {
    const path = (incoming.url ?? '/').split('?')[0]!;
    const method = (incoming.method ?? 'GET').toUpperCase();
    const isPrivate = method !== 'OPTIONS' && options.routes.some((route) => route.method === method && route.pattern.test(path));
    const key = incoming.headers['x-api-key'];
    if (isPrivate && (typeof key !== 'string' || !keys().has(key))) {
      incoming.resume();
      response.writeHead(403, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ForbiddenException' });
      response.end(FORBIDDEN);
      record?.({ method, path, status: 403, headers: { 'content-type': 'application/json' }, body: Buffer.from(FORBIDDEN) });
      return;
    }
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method, path: incoming.url, headers: { ...incoming.headers, host: target.host }, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        // CORS preflights are API Gateway's own answers, not operations of the document.
        if (!record || method === 'OPTIONS') return;
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          record({ method, path, status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    forwarded.on('error', () => {
      if (!response.headersSent) response.writeHead(502, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ message: 'Bad Gateway' }));
    });
    incoming.pipe(forwarded);
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(options.port, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        stop: () =>
          new Promise((done) => {
            agent.destroy();
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
};
