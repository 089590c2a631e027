import { request } from 'node:http';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConsoleServer, ConsoleTarget, startConsoleServer } from '../src';

/**
 * The console server's guards, with no stack behind it (the browser tests drive the whole
 * console against one): the page's security headers, 127.0.0.1 only, POSTs only from its own
 * page as JSON, and a read-only console refusing every button.
 */
const target = (actions: boolean): ConsoleTarget => ({
  stage: 'test',
  local: false,
  actions,
  tables: { companyData: 'c', conversations: 'v', messages: 'm', threads: 't' },
  queues: [],
  apiBaseUrl: 'http://127.0.0.1:9/dev',
  apiKeys: {},
});
const nowhere = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  maxAttempts: 1,
};
let servers: ConsoleServer[] = [];
const start = async (actions: boolean) => {
  const server = await startConsoleServer({
    port: 0,
    target: target(actions),
    documents: DynamoDBDocumentClient.from(new DynamoDBClient(nowhere)),
    sqs: new SQSClient(nowhere),
    projects: async () => [],
  });
  servers.push(server);
  return server;
};
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

/** A raw request (fetch would not let the test set Host). */
const send = (url: string, method: string, headers: Record<string, string>, body?: string) =>
  new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });

it('serves the page with a CSP that runs only its own scripts, and its vendored Preact and htm', async () => {
  const { url } = await start(false);
  const page = await send(`${url}/`, 'GET', {});
  expect(page.status).toBe(200);
  expect(String(page.headers['content-security-policy'])).toMatch(/^default-src 'self'; script-src 'self' 'sha256-[A-Za-z0-9+/=]+';/);
  expect(page.headers['x-content-type-options']).toBe('nosniff');
  for (const asset of ['/app.js', '/vendor/preact.js', '/vendor/hooks.js', '/vendor/htm.js'])
    expect((await send(`${url}${asset}`, 'GET', {})).status).toBe(200);
});

it('answers on 127.0.0.1 only: another Host name is refused (DNS rebinding)', async () => {
  const { url } = await start(true);
  expect((await send(`${url}/api/config`, 'GET', { Host: 'evil.example:4000' })).status).toBe(421);
});

it('takes a POST only from its own page, as JSON; a read-only console refuses every button', async () => {
  const writable = await start(true);
  const body = JSON.stringify({ name: 'compose' });
  expect((await send(`${writable.url}/api/dlqs/redrive`, 'POST', { 'Content-Type': 'application/json' }, body)).status).toBe(403);
  expect(
    (await send(`${writable.url}/api/dlqs/redrive`, 'POST', { 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body))
      .status,
  ).toBe(403);
  expect(
    (await send(`${writable.url}/api/dlqs/redrive`, 'POST', { 'Content-Type': 'text/plain', Origin: writable.url }, body)).status,
  ).toBe(403);
  // From its own page: past the guards (no queue of that name: nothing moved).
  const allowed = await send(
    `${writable.url}/api/dlqs/redrive`,
    'POST',
    { 'Content-Type': 'application/json', Origin: writable.url },
    body,
  );
  expect([allowed.status, JSON.parse(allowed.body)]).toEqual([200, { moved: 0 }]);
  const readOnly = await start(false);
  const refused = await send(
    `${readOnly.url}/api/dlqs/redrive`,
    'POST',
    { 'Content-Type': 'application/json', Origin: readOnly.url },
    body,
  );
  expect([refused.status, JSON.parse(refused.body).error]).toEqual([403, 'This console is read-only (start it with --allow-actions).']);
});
