import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { toSqsSafeJson } from '@ai-multi-comms/core';
import { contractViolation } from '../api-contract';
import {
  eventually,
  postInitiate,
  providerRequests,
  queueEvents,
  sleep,
  uniqueTel,
  useLocalStack,
  validBody,
} from '@ai-multi-comms/testing/stack';
import { demoContextObject } from '@ai-multi-comms/testing/stack';

/**
 * Hostile and broken input, over HTTP and straight onto the queue: every answer is a 4xx with a
 * listed code (or API Gateway's 403), nothing is queued for a refused request, and a broken
 * queue message never takes the good ones of its batch down with it.
 */
const { state, clients } = useLocalStack();

/** A raw HTTP request, for what fetch will not send (repeated headers, arbitrary bytes). */
const raw = (headers: [string, string][], body: Buffer): Promise<{ status: number; json: any }> =>
  new Promise((resolve, reject) => {
    const url = new URL(`${state.apiBaseUrl}/initiate-conversation`);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: ['host', url.host, ...headers.flat(), 'content-length', String(body.length)] as unknown as Record<string, string>,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });

const nothingQueuedFor = async (requestId: string) => {
  await sleep(300);
  expect(
    await queueEvents(state, {
      queueUrl: state.resources.whatsappQueueUrl,
      status: 'published',
      conversationId: `ci-aaa-001#pi-aaa-001#${requestId}#447700900001`,
    }),
  ).toHaveLength(0);
};

describe('headers', () => {
  it.each([
    ['missing x-api-key', [] as [string, string][]],
    ['an 8 KiB x-api-key', [['x-api-key', 'k'.repeat(8192)]] as [string, string][]],
    ['an empty x-api-key', [['x-api-key', '']] as [string, string][]],
  ])('%s → 403 Forbidden, nothing queued', async (_name, headers) => {
    const body = validBody();
    const response = await raw([['content-type', 'application/json'], ...headers], Buffer.from(JSON.stringify(body)));
    expect(response.status).toBe(403);
    await nothingQueuedFor(body.request_data.request_id);
  });

  it('a repeated x-api-key header (valid, then another) is not accepted as the valid one alone', async () => {
    const body = validBody();
    const response = await raw(
      [
        ['content-type', 'application/json'],
        ['x-api-key', state.demoApiKeys.companyA],
        ['x-api-key', state.demoApiKeys.companyB],
      ],
      Buffer.from(JSON.stringify(body)),
    );
    expect(response.status).toBe(403);
    await nothingQueuedFor(body.request_data.request_id);
  });
});

describe('bodies', () => {
  it.each([
    // API Gateway (and serverless-offline) hand the body over as text, invalid bytes already replaced:
    // whatever code follows, it must be a listed 4xx. (Base64 bodies with bad bytes: INVALID_REQUEST, unit-tested.)
    [
      'bytes that are not UTF-8',
      () => Buffer.concat([Buffer.from('{"company_data":{"company_id":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}')]),
      undefined,
    ],
    [
      '10,000 nested arrays in project_data',
      () =>
        Buffer.from(
          JSON.stringify(validBody()).replace('"project_data":{', `"project_data":{"deep":${'['.repeat(10000)}${']'.repeat(10000)},`),
        ),
      'VALIDATION_ERROR',
    ],
    [
      'a __proto__ key in recipient_data',
      () => Buffer.from(JSON.stringify(validBody()).replace('"recipient_data":{', '"recipient_data":{"__proto__":{"comms_consent":true},')),
      'VALIDATION_ERROR',
    ],
    [
      'a constructor key at the top',
      () => Buffer.from(JSON.stringify({ ...validBody(), constructor: { prototype: {} } })),
      'VALIDATION_ERROR',
    ],
    ['64 KiB + 1 of whitespace', () => Buffer.from(`${' '.repeat(64 * 1024)}{`), 'PAYLOAD_TOO_LARGE'],
  ])('%s → a listed 4xx, no 5xx', async (_name, makeBody, code) => {
    const response = await raw(
      [
        ['content-type', 'application/json'],
        ['x-api-key', state.demoApiKeys.companyA],
      ],
      makeBody(),
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    if (code) expect(response.json.error_code).toBe(code);
    expect(contractViolation(response.status, response.json)).toBeUndefined();
  });

  it('accepts __proto__ inside free-form project_data and carries it as data, not as a prototype', async () => {
    const body = validBody();
    const text = JSON.stringify(body).replace('"project_data":{', '"project_data":{"__proto__":{"polluted":true},');
    const response = await postInitiate(state, undefined, { rawBody: text });
    expect(response.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('accepted means delivered: what was accepted and then never sent', () => {
  const conversationItem = (tel: string, requestId: string) =>
    clients.documents.send(
      new GetCommand({
        TableName: state.resources.conversationsTable,
        Key: { primary_channel: tel, conversation_id: `ci-aaa-001#pi-aaa-001#${requestId}#447700900001` },
        ConsistentRead: true,
      }),
    );

  it.each([
    [
      '"constructor" as a key in project_data',
      (body: Record<string, any>) =>
        (body.project_data = { constructor: 'Bob the Builder Ltd', nested: { __proto__x: 1, constructor: { name: 'Set' } } }),
      {},
    ],
    [
      '"__proto__" and "" as keys and a number as large as 2^53 allows in project_data',
      (body: Record<string, any>) => (body.project_data = JSON.parse('{"__proto__":{"a":1},"":"empty","n":9007199254740991,"f":0.1}')),
      {},
    ],
    ['an X-Amzn-Trace-Id of 300 characters', () => undefined, { 'X-Amzn-Trace-Id': `Root=1-${'a'.repeat(293)}` }],
  ])('%s: accepted, then sent and recorded', async (_name, patch, headers) => {
    const tel = uniqueTel();
    const body = validBody((b) => {
      b.recipient_data.recipient_tel = tel;
      patch(b);
    });
    const response = await postInitiate(state, undefined, { rawBody: JSON.stringify(body), headers });
    expect(response.status).toBe(200);
    const item = await eventually('the conversation sent', async () => {
      const { Item } = await conversationItem(tel, body.request_data.request_id);
      return Item?.conversation_status === 'initial_message_sent' ? Item : undefined;
    });
    expect(JSON.parse(item.project_data_json as string)).toEqual(JSON.parse(JSON.stringify(body.project_data)));
    expect(
      (await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel })).filter((r) => r.status === 201),
    ).toHaveLength(1);
  });

  it('a number in project_data beyond ±2^53 (JSON.parse would round it, and the AI would read 1.2345678901234568e+22) → 400 naming it, nothing queued', async () => {
    const body = validBody();
    const text = JSON.stringify(body).replace('"project_data":{', '"project_data":{"candidate":{"ids":[1,12345678901234567890123]},');
    const response = await postInitiate(state, undefined, { rawBody: text });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({
      error_code: 'VALIDATION_ERROR',
      validation_errors: [{ field: 'project_data.candidate.ids[1]', message: expect.stringContaining('send it as a string') }],
    });
    await nothingQueuedFor(body.request_data.request_id);
  });

  it('Latin-1 bytes in a name ("José" with é as the single byte 0xE9) → 400 INVALID_REQUEST, nothing queued', async () => {
    // API Gateway decodes the body as UTF-8 and leaves U+FFFD where a byte was not UTF-8.
    const body = validBody();
    const [head, tail] = JSON.stringify(body).split('"John"') as [string, string];
    const bytes = Buffer.concat([Buffer.from(`${head}"Jos`), Buffer.from([0xe9]), Buffer.from(`"${tail}`)]);
    const response = await raw(
      [
        ['content-type', 'application/json'],
        ['x-api-key', state.demoApiKeys.companyA],
      ],
      bytes,
    );
    expect(response.status).toBe(400);
    expect(response.json.error_code).toBe('INVALID_REQUEST');
    await nothingQueuedFor(body.request_data.request_id);
  });

  it('a body declared as charset=iso-8859-1 → 400 INVALID_REQUEST, nothing queued', async () => {
    const body = validBody();
    const response = await raw(
      [
        ['content-type', 'application/json; charset=iso-8859-1'],
        ['x-api-key', state.demoApiKeys.companyA],
      ],
      Buffer.from(JSON.stringify(body), 'latin1'),
    );
    expect(response.status).toBe(400);
    expect(response.json.error_code).toBe('INVALID_REQUEST');
    await nothingQueuedFor(body.request_data.request_id);
  });

  it('a 59 KB body of 6,000 unknown keys gets a short answer listing the first problems', async () => {
    const body = validBody();
    for (let index = 0; index < 6000; index += 1) body.recipient_data[`k${index}`] = 1;
    const response = await raw(
      [
        ['content-type', 'application/json'],
        ['x-api-key', state.demoApiKeys.companyA],
      ],
      Buffer.from(JSON.stringify(body)),
    );
    expect(response.status).toBe(400);
    expect(response.json.validation_errors.length).toBeLessThanOrEqual(25);
    expect(JSON.stringify(response.json).length).toBeLessThan(8 * 1024);
    expect(contractViolation(response.status, response.json)).toBeUndefined();
  });

  it('a key of company B with ids that exist nowhere → 403 API_KEY_NOT_AUTHORIZED, not 404', async () => {
    const body = validBody((b) => (b.company_data = { company_id: 'ci-nowhere', project_id: 'pi-nowhere' }));
    const response = await postInitiate(state, body, { apiKey: state.demoApiKeys.companyB });
    expect(response.status).toBe(403);
    expect(response.json.error_code).toBe('API_KEY_NOT_AUTHORIZED');
  });
});

describe('Context Objects straight on the queue', () => {
  it('a batch of good and broken messages: the good ones are sent, the broken ones end in the DLQ, none takes the others down', async () => {
    const good = await Promise.all(
      [uniqueTel(), uniqueTel()].map(async (tel) => ({
        tel,
        contextObject: await demoContextObject(state, clients, (b) => (b.recipient_data.recipient_tel = tel)),
      })),
    );
    const marker = randomUUID();
    const broken = [`{"not":"a context object","marker":"${marker}"}`, `garbage ${marker}`, JSON.stringify({ schema_version: 99, marker })];
    await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: state.outputs['ai-multi-comms-whatsapp-processor']!.QueueUrl!,
        Entries: [
          { Id: 'b0', MessageBody: broken[0]! },
          { Id: 'g0', MessageBody: toSqsSafeJson(good[0]!.contextObject) },
          { Id: 'b1', MessageBody: broken[1]! },
          { Id: 'g1', MessageBody: toSqsSafeJson(good[1]!.contextObject) },
          { Id: 'b2', MessageBody: broken[2]! },
        ],
      }),
    );
    for (const { tel, contextObject } of good) {
      await eventually('the good message sent', async () => {
        const { Item } = await clients.documents.send(
          new GetCommand({
            TableName: state.resources.conversationsTable,
            Key: { primary_channel: tel, conversation_id: contextObject.conversation_data.conversations[0]!.conversation_id },
          }),
        );
        return Item?.conversation_status === 'initial_message_sent' ? true : undefined;
      });
      expect(
        (await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel })).filter((r) => r.status === 201),
      ).toHaveLength(1);
    }
    // Each broken message reaches the DLQ (at least once: another test's "redrive all" may send it round again).
    await eventually(
      'every broken message in the DLQ',
      async () => {
        const parked = new Set(
          (await queueEvents(state, { status: 'dlq' })).filter((event) => event.body.includes(marker)).map((event) => event.body),
        );
        return broken.every((body) => parked.has(body)) ? true : undefined;
      },
      30_000,
    );
  });
});
