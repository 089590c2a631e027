import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createHandler } from '../src/handler';
import { contractViolation } from './api-contract';
import { API_KEY, fakeDeps } from './fakes';

/**
 * Property: whatever body arrives, the router answers within docs/api.md's contract: never a 5xx
 * (the fakes never fail, so any 5xx is our bug), never an unlisted code, never a malformed body.
 * Bodies: random JSON, random text, and valid bodies mutated field by field.
 */
const context = { functionName: 'router', awsRequestId: 'fuzz', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const { deps } = fakeDeps();
const handler = createHandler(() => deps);

const respond = async (rawBody: string) => {
  const event = {
    httpMethod: 'POST',
    headers: { 'x-api-key': API_KEY },
    body: rawBody,
    isBase64Encoded: false,
    requestContext: { requestId: 'r' },
  } as unknown as APIGatewayProxyEvent;
  const response = await handler(event, context);
  return { status: response.statusCode, body: JSON.parse(response.body) };
};

const validBody = () => ({
  company_data: { company_id: 'ci-aaa-001', project_id: 'pi-aaa-001' },
  recipient_data: {
    recipient_first_name: 'John',
    recipient_tel: '+447700900123',
    recipient_email: 'john@example.com',
    comms_consent: true,
  },
  project_data: { jobRole: 'Carer' },
  request_data: { request_id: randomUUID(), channel_method: 'whatsapp', initial_request_timestamp: '2025-09-15T11:45:32.789Z' },
});

const PATHS = [
  [],
  ['company_data'],
  ['company_data', 'company_id'],
  ['company_data', 'project_id'],
  ['company_data', 'api_key'],
  ['recipient_data'],
  ['recipient_data', 'recipient_first_name'],
  ['recipient_data', 'recipient_tel'],
  ['recipient_data', 'recipient_email'],
  ['recipient_data', 'comms_consent'],
  ['project_data'],
  ['request_data'],
  ['request_data', 'request_id'],
  ['request_data', 'channel_method'],
  ['request_data', 'initial_request_timestamp'],
];

const interestingValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    '',
    ' ',
    'WHATSAPP',
    'Email',
    'sms ',
    '+447700900123',
    '+1',
    'a@b',
    'a@b.co',
    '2025-09-15T11:45:32Z',
    '2025-13-45T99:99:99Z',
    '__proto__',
    'constructor',
    null,
    true,
    false,
    0,
    -1,
    1e308,
    '#',
    'x'.repeat(200),
  ),
  fc.string({ unit: 'binary' }),
);

const mutation = fc.record({
  path: fc.constantFrom(...PATHS),
  action: fc.constantFrom('delete', 'set', 'add-key'),
  value: interestingValue,
  key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString')),
});

const apply = (body: any, m: { path: string[]; action: string; value: unknown; key: string }) => {
  if (m.path.length === 0) {
    if (m.action === 'add-key') body[m.key] = m.value;
    return body;
  }
  const parent = m.path.slice(0, -1).reduce((node: any, part) => (node && typeof node === 'object' ? node[part] : undefined), body);
  if (!parent || typeof parent !== 'object') return body;
  const last = m.path[m.path.length - 1]!;
  if (m.action === 'delete') delete parent[last];
  else if (m.action === 'set') parent[last] = m.value;
  else if (parent[last] && typeof parent[last] === 'object') parent[last][m.key] = m.value;
  return body;
};

const check = async (rawBody: string) => {
  const { status, body } = await respond(rawBody);
  // The fakes never fail, so a 5xx can only be the router's own bug.
  const violation = status >= 500 ? `a ${status} (${body?.error_code})` : contractViolation(status, body);
  if (violation) throw new Error(`${violation}: ${status} ${JSON.stringify(body)} for ${rawBody.slice(0, 300)}`);
  return status;
};

/**
 * Runs per property: the full count in the README's test command; `pnpm test:unit` runs a tenth
 * (FUZZ_SCALE=0.1) so the quick loop stays quick, with fast-check's random seed either way.
 */
const runs = (full: number) => Math.max(100, Math.round(full * Number(process.env.FUZZ_SCALE ?? 1)));

describe('router input fuzzing (fast-check)', () => {
  it('answers any JSON value within the contract', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => void (await check(JSON.stringify(value)))),
      { numRuns: runs(3000) },
    );
  });

  it('answers any text, including invalid UTF-16 and near-JSON, within the contract', async () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
    );
    await fc.assert(
      fc.asyncProperty(text, async (raw) => void (await check(raw))),
      { numRuns: runs(2000) },
    );
  });

  it('answers valid bodies with one to four random mutations within the contract', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        const body = mutations.reduce(apply, validBody());
        const status = await check(JSON.stringify(body));
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
      { numRuns: runs(5000) },
    );
    // The generator reaches both acceptance and refusal, so the property is not vacuous.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });
});
