import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateRoutesOf, startApiKeyGate } from '../src/processes/api-key-gate';

/**
 * The local API's key check, in front of serverless-offline: API Gateway's 403 for a missing or
 * unknown key on a private route, public routes and CORS preflights untouched, and a key written
 * to the keys file (`pnpm api-key create --local`) accepted at once, without a restart.
 */
const dir = mkdtempSync(join(tmpdir(), 'ai-comms-gate-'));
const keysFile = join(dir, 'api-keys.json');
const recordFile = join(dir, 'answers.jsonl');
let upstream: Server;
let stopGate: () => Promise<void>;
let url = '';

beforeAll(async () => {
  upstream = createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ reached: request.url }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
  const routes = privateRoutesOf(
    {
      initiate: { handler: 'h', events: [{ http: { path: 'initiate-conversation', method: 'post', private: true } }] as never },
      messages: {
        handler: 'h',
        events: [{ http: { path: 'conversations/{conversation_id}/messages', method: 'post', private: true } }] as never,
      },
      webhook: { handler: 'h', events: [{ http: { path: 'webhooks/twilio/messages', method: 'post', private: false } }] as never },
    },
    'dev',
  );
  const gate = await startApiKeyGate({
    port: 0,
    target: `http://127.0.0.1:${(upstream.address() as { port: number }).port}`,
    routes,
    keys: ['fixed-key'],
    keysFile,
    recordFile,
  });
  url = gate.url;
  stopGate = gate.stop;
});
afterAll(async () => {
  await stopGate();
  upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, key?: string) =>
  fetch(`${url}/dev${path}`, { method: 'POST', headers: key ? { 'x-api-key': key } : {}, body: '{}' }).then(async (response) => ({
    status: response.status,
    type: response.headers.get('x-amzn-errortype'),
    body: (await response.json()) as unknown,
  }));

it('answers a missing or unknown key on a private route as API Gateway does, and lets a known key, a public route and a preflight through', async () => {
  expect(await post('/initiate-conversation')).toEqual({ status: 403, type: 'ForbiddenException', body: { message: 'Forbidden' } });
  expect(await post('/conversations/a%23b/messages', 'nope')).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
  expect(await post('/initiate-conversation', 'fixed-key')).toEqual({
    status: 200,
    type: null,
    body: { reached: '/dev/initiate-conversation' },
  });
  expect(await post('/webhooks/twilio/messages')).toMatchObject({ status: 200 });
  expect((await fetch(`${url}/dev/initiate-conversation`, { method: 'OPTIONS' })).status).toBe(200);
});

it('accepts a key written to the keys file at once, and refuses it at once when it leaves the file', async () => {
  expect((await post('/initiate-conversation', 'created-now')).status).toBe(403);
  writeFileSync(keysFile, JSON.stringify([{ name: 'local-ci-aaa-001', value: 'created-now' }]));
  expect((await post('/initiate-conversation', 'created-now')).status).toBe(200);
  writeFileSync(keysFile, JSON.stringify([]));
  expect((await post('/initiate-conversation', 'created-now')).status).toBe(403);
});

it('records every answer but preflights, under the stage, for the contract check', async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const answers = readFileSync(recordFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { method: string; path: string; status: number });
  expect(answers.some((a) => a.method === 'POST' && a.path === '/initiate-conversation' && a.status === 403)).toBe(true);
  expect(answers.some((a) => a.method === 'OPTIONS')).toBe(false);
});
