import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openApiContract, OPENAPI_FILE } from '@ai-multi-comms/testing/contract';

/**
 * The OpenAPI document is the contract clients read: generated from the schemas the router
 * validates with (never edited by hand: the committed file must be what the generator writes, as
 * must the typed client's types), clean under Redocly's `recommended` rules, and the check that
 * holds every answer of the end-to-end tests to it (test/global-teardown.ts) refuses what it must.
 */
const ROOT = join(__dirname, '..', '..');

it('docs/openapi.json and the typed client are what `pnpm generate:openapi` writes', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts/generate-openapi.ts'), '--check'],
    { cwd: ROOT },
  );
  expect(stdout).toContain('are current');
}, 60_000);

/** Redocly's linter (`@redocly/openapi-core`, an ES module: run in a node of its own) over the committed document. */
const LINT = `
import { createConfig, lint } from '@redocly/openapi-core';
const config = await createConfig({ extends: ['recommended'] });
const problems = await lint({ ref: process.argv[1], config });
console.log(JSON.stringify(problems.map((p) => p.severity + ' ' + p.ruleId + ': ' + p.message + ' at ' + (p.location[0]?.pointer ?? ''))));
`;

it("passes Redocly's recommended OpenAPI rules with no error or warning", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', LINT, OPENAPI_FILE], { cwd: ROOT });
  expect(JSON.parse(stdout)).toEqual([]);
}, 30_000);

it('lists every operation of the API, with every error code its operation can answer', () => {
  const document = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as {
    openapi: string;
    paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
  };
  expect(document.openapi).toBe('3.1.0');
  expect(Object.keys(document.paths).sort()).toEqual([
    '/conversations',
    '/conversations/{conversation_id}/hand-back',
    '/conversations/{conversation_id}/messages',
    '/health',
    '/initiate-conversation',
    '/webhooks/sendgrid/events',
    '/webhooks/sendgrid/events/{company_id}/{project_id}',
    '/webhooks/sendgrid/inbound',
    '/webhooks/twilio/messages',
    '/webhooks/twilio/status',
  ]);
  const agent = document.paths['/conversations/{conversation_id}/messages']!.post!.responses;
  expect(agent['409']!.description).toContain('`WHATSAPP_WINDOW_CLOSED`');
  expect(agent['403']!.description).toContain('`RECIPIENT_OPTED_OUT`');
  expect(document.paths['/initiate-conversation']!.post!.responses['429']!.description).toContain('`RATE_LIMIT_EXCEEDED`');
});

describe('the contract check', () => {
  const check = openApiContract();
  const accepted = {
    status: 'success',
    request_id: '8a2f1c55-1111-4222-8333-444455556666',
    conversation_id: 'ci-aaa-001#pi-aaa-001#8a2f1c55-1111-4222-8333-444455556666#447700900001',
    conversations: [{ channel: 'whatsapp', conversation_id: 'x' }],
    message: 'Request accepted and queued for processing',
    queue_timestamp: '2026-12-05T10:00:00.000Z',
  };
  const answer = (status: number, body: unknown, path = '/initiate-conversation', method = 'POST') => ({
    method,
    path,
    status,
    contentType: 'application/json',
    headers: {},
    body,
  });

  it('takes an answer the document describes', () => {
    expect(check(answer(200, accepted))).toBeUndefined();
    expect(check(answer(403, { message: 'Forbidden' }))).toBeUndefined();
    expect(
      check(answer(409, { status: 'error', error_code: 'IDEMPOTENCY_CONFLICT', message: 'x', request_id: 'unknown' })),
    ).toBeUndefined();
    expect(
      check(
        answer(
          202,
          { status: 'accepted', conversation_id: 'c', channel: 'sms', message_id: 'reply#agent#1', accepted_at: '2026-12-05T10:00:00Z' },
          '/conversations/c%23p/messages',
        ),
      ),
    ).toBeUndefined();
  });

  it('refuses a missing field, an unknown field, an undeclared status or code, a path or a content type the document lacks', () => {
    const { queue_timestamp: _t, ...withoutTimestamp } = accepted;
    expect(check(answer(200, withoutTimestamp))).toMatch(/queue_timestamp/);
    expect(check(answer(200, { ...accepted, secret: 'x' }))).toMatch(/additional properties/);
    expect(check(answer(418, {}))).toMatch(/does not list/);
    expect(check(answer(404, { status: 'error', error_code: 'RATE_LIMIT_EXCEEDED', message: 'x', request_id: 'u' }))).toMatch(
      /allowed values/,
    );
    expect(check(answer(200, {}, '/nowhere', 'GET'))).toMatch(/no such path/);
    expect(check({ ...answer(200, accepted), contentType: 'text/html' })).toMatch(/content type text\/html/);
  });
});
