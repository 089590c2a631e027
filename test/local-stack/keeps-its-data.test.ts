import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { eventually, spawnStack, SpawnedStack, StackState, uniqueTel, validBody } from '@ai-multi-comms/testing/stack';

/**
 * `pnpm start` keeps its data: a conversation, its messages at the local providers and its AI
 * thread survive a restart (the person's reply after it is answered on the same thread); a key
 * made by `pnpm api-key create --local` works at once, without a restart.
 * Its own stacks (the shared one is in memory), one after another on one data folder.
 */
const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'ai-comms-data-'));
let stack: SpawnedStack | undefined;

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const api = async (state: StackState, path: string, init: { method?: string; body?: unknown; key?: string } = {}) => {
  const response = await fetch(`${state.apiBaseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'Content-Type': 'application/json', 'x-api-key': init.key ?? state.demoApiKeys.companyA },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, json: (await response.json()) as any };
};
const readBack = (state: StackState, requestId: string) =>
  api(state, `/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&request_id=${requestId}`);

// `--fresh` (start.ts) removes the data folder before the stack starts: not a third stack start here (each costs the shared stack's tests CPU).
it('keeps conversations, provider messages and AI threads across a restart; a new key works without one', async () => {
  const tel = uniqueTel();
  const requestId = randomUUID();
  stack = await spawnStack(['--data-dir', dataDir]);
  const first = stack.state;
  const accepted = await api(first, '/initiate-conversation', {
    method: 'POST',
    body: validBody((b) => {
      b.recipient_data.recipient_tel = tel;
      b.request_data.request_id = requestId;
      b.request_data.channel_method = ['whatsapp'];
    }),
  });
  expect(accepted.status).toBe(200);
  const sent = await eventually('the first message sent', async () => {
    const read = await readBack(first, requestId);
    return read.json.conversations?.[0]?.conversation_status === 'initial_message_sent' ? read.json : undefined;
  });

  // A key made now is accepted now (the API's key check reads the keys file again).
  const { stdout } = await run(
    process.execPath,
    [
      join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
      join(ROOT, 'scripts/api-key.ts'),
      'create',
      'ci-aaa-001',
      'pi-aaa-001',
      '--local',
      '--state-file',
      stack.stateFile,
    ],
    { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  const lines = stdout.trim().split('\n');
  const newKey = lines[lines.findIndex((line) => line.startsWith('Key id:')) - 1]!.trim();
  // The API's key check takes it at once (no API Gateway "Forbidden"); the router's binding check
  // within its project cache time (COMPANY_CACHE_SECONDS, 15 s), as on AWS.
  const list = `/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&limit=1`;
  expect((await api(first, list, { key: newKey })).json.message).not.toBe('Forbidden');
  await eventually('the new key bound', async () => ((await api(first, list, { key: newKey })).status === 200 ? true : undefined), 25_000);
  expect((await api(first, '/health', { key: `${newKey}x` })).status).toBe(403);
  await stack.stop();

  // Started again on the same folder (other ports): everything is there.
  stack = await spawnStack(['--data-dir', dataDir]);
  const second = stack.state;
  expect(second.apiBaseUrl).not.toBe(first.apiBaseUrl);
  const again = await readBack(second, requestId);
  expect(again.status).toBe(200);
  expect(again.json.thread_id).toBe(sent.thread_id);
  expect(again.json.conversations[0].messages).toEqual([
    expect.objectContaining({ role: 'assistant', content: sent.conversations[0].messages[0].content }),
  ]);
  const delivered = (await (await fetch(`${second.providersUrl}/__messages?provider=twilio`)).json()) as { twilio: { to: string }[] };
  expect(delivered.twilio.filter((m) => m.to === `whatsapp:${tel}`)).toHaveLength(1);
  // The person answers after the restart: answered on the same OpenAI conversation.
  await fetch(`${second.providersUrl}/__simulate/twilio/inbound`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel: 'whatsapp', from: tel, to: '+447700900001', body: 'Yes, tell me more' }),
  });
  const answered = await eventually('the reply answered after the restart', async () => {
    const read = await readBack(second, requestId);
    return read.json.conversations[0].messages.length >= 3 ? read.json : undefined;
  });
  expect(answered.conversations[0].messages.map((m: any) => m.role)).toEqual(['assistant', 'user', 'assistant']);
}, 240_000);
