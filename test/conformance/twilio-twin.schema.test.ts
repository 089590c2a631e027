/**
 * The local Twilio (packages/local-stack/src/provider-servers/twilio-routes.ts) against Twilio's
 * own published OpenAPI (vendor/twilio/twilio-oai, see its PROVENANCE.md): every JSON body the
 * twin answers, to the real `twilio` SDK (as the engine builds its client) and to raw HTTP, is
 * checked against the spec's schema for that answer:
 * - no type, enum, pattern or format error (the schema as published);
 * - no property the spec does not declare;
 * - every property Twilio's own example answer for that operation carries is there (api_v2010
 *   marks no property `required`, but Twilio returns the whole resource; its examples show it).
 * A failure lists each disagreement with what the spec says. The twin is never adjusted here.
 *
 * Runs on its own twin (a free port), never the global stack: LOCAL_STACK=off is enough.
 */
import { ProviderServers } from '../../packages/local-stack/src/provider-servers/provider-server';
import { twilioClientFor } from '../../packages/core/src/providers/twilio/twilio-client';
import { pointer, report, specValidator, TWILIO_FORMATS } from './support/openapi-schema';
import { basic, raw, startTwin } from './support/provider-twin';
import messagesSpec from './vendor/twilio/twilio-oai/twilio_api_v2010.messages.json';
import contentSpec from './vendor/twilio/twilio-oai/twilio_content_v1.content.json';
import errorSchema from './vendor/twilio/twilio-oai/twilio_error.json';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'conformance-twilio-auth-token';
const FROM_SMS = '+15005550006';
const TO_SMS = '+447700900123';
const FROM_WA = 'whatsapp:+15005550007';
const TO_WA = 'whatsapp:+447700900124';

const COLLECTION = '/2010-04-01/Accounts/{AccountSid}/Messages.json';
const SINGLE = '/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json';
const CREATE = pointer('paths', COLLECTION, 'post', 'responses', '201', 'content', 'application/json', 'schema');
const LIST = pointer('paths', COLLECTION, 'get', 'responses', '200', 'content', 'application/json', 'schema');
const FETCH = pointer('paths', SINGLE, 'get', 'responses', '200', 'content', 'application/json', 'schema');
const CONTENT_CREATE = pointer('paths', '/v1/Content', 'post', 'responses', '201', 'content', 'application/json', 'schema');
const CONTENT_FETCH = pointer('paths', '/v1/Content/{Sid}', 'get', 'responses', '200', 'content', 'application/json', 'schema');
const ERROR = pointer('components', 'schemas', 'error');

type Examples = Record<string, { value: Record<string, unknown> }>;
const examplesOf = (spec: { paths: object }, path: string, method: string, status: string): Examples =>
  (
    spec.paths as Record<string, Record<string, { responses: Record<string, { content: { 'application/json': { examples: Examples } } }> }>>
  )[path]![method]!.responses[status]!.content['application/json'].examples;
const CREATE_EXAMPLE = examplesOf(messagesSpec, COLLECTION, 'post', '201').create!.value;
const LIST_EXAMPLE = examplesOf(messagesSpec, COLLECTION, 'get', '200').readFullPage1!.value;
const FETCH_EXAMPLE = examplesOf(messagesSpec, SINGLE, 'get', '200').fetch!.value;
const CONTENT_EXAMPLE = examplesOf(contentSpec, '/v1/Content/{Sid}', 'get', '200').fetch!.value;
const CONTENT_CREATE_EXAMPLE = examplesOf(contentSpec, '/v1/Content', 'post', '201').create!.value;

const messages = specValidator(messagesSpec, TWILIO_FORMATS);
const content = specValidator(contentSpec, TWILIO_FORMATS);
const errors = specValidator({ openapi: '3.0.1', components: { schemas: { error: errorSchema } } }, TWILIO_FORMATS);

/** Every property of Twilio's own example answer that `body` lacks. */
const missingAgainst = (example: Record<string, unknown>, body: unknown): string[] =>
  Object.keys(example).filter((key) => !(typeof body === 'object' && body !== null && key in body));

/** The body conforms: schema (open and closed) and, when given, the example's properties. */
const expectConforms = (
  validator: ReturnType<typeof specValidator>,
  at: string,
  what: string,
  body: unknown,
  example?: Record<string, unknown>,
) => {
  const result = validator.check(at, body);
  const missing = example ? missingAgainst(example, body) : [];
  const message = [
    result.errors.length + result.undeclared.length > 0 ? report(what, result) : '',
    missing.length > 0 ? `${what} lacks properties Twilio's own example answer has: ${missing.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  expect(message).toBe('');
};

const twilioErrorOf = (error: unknown) => error as { status?: number; code?: number; message?: string; moreInfo?: string };

let twin: ProviderServers;
let api: string;
/** The WhatsApp template the sends use: made through the twin's Content API (POST /v1/Content) in beforeAll. */
let CONTENT_SID = '';
let contentCreated: Awaited<ReturnType<typeof raw>>;
const auth = { Authorization: basic(ACCOUNT, TOKEN) };
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** The raw JSON of the SDK's last answer (what the SDK parsed). */
const sdkBody = (client: ReturnType<typeof twilioClientFor>): unknown => {
  const last = (client.httpClient as unknown as { lastResponse?: { statusCode: number; body: unknown } }).lastResponse;
  if (!last) throw new Error('the SDK kept no last answer');
  return typeof last.body === 'string' ? JSON.parse(last.body) : last.body;
};
const sdkStatus = (client: ReturnType<typeof twilioClientFor>) =>
  (client.httpClient as unknown as { lastResponse?: { statusCode: number } }).lastResponse?.statusCode;

beforeAll(async () => {
  twin = await startTwin({ twilio_accounts: { [ACCOUNT]: TOKEN } });
  api = `${twin.url}/2010-04-01/Accounts/${ACCOUNT}`;
  // As Twilio's Content API takes it (ContentCreateRequest: language and types required).
  contentCreated = await raw(`${twin.url}/v1/Content`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      friendly_name: 'conformance_greeting',
      language: 'en',
      variables: { 1: 'there', 2: 'us' },
      types: { 'twilio/text': { body: 'Hello {{1}}, this is {{2}}.' } },
    }),
  });
  CONTENT_SID = (contentCreated.json as { sid?: string } | undefined)?.sid ?? `HX${'f'.repeat(32)}`;
});
afterAll(async () => twin?.stop());

describe('the vendored schemas and this converter (checked first: a twin failure must not be the converter’s)', () => {
  it.each([
    ['create', CREATE, CREATE_EXAMPLE],
    ['list', LIST, LIST_EXAMPLE],
    ['fetch', FETCH, FETCH_EXAMPLE],
  ])('Twilio’s own %s example conforms to its schema', (_name, at, example) => {
    const result = messages.check(at, example);
    expect(result).toEqual({ errors: [], undeclared: [] });
  });

  it('Twilio’s own Content create and fetch examples conform to content.v1.content', () => {
    expect(content.check(CONTENT_CREATE, CONTENT_CREATE_EXAMPLE)).toEqual({ errors: [], undeclared: [] });
    expect(content.check(CONTENT_FETCH, CONTENT_EXAMPLE)).toEqual({ errors: [], undeclared: [] });
  });

  it('a body the spec does not allow is caught: an undeclared property, a wrong type, a bad enum value, a bad SID', () => {
    const result = messages.check(FETCH, { ...FETCH_EXAMPLE, surprise: 1, num_segments: 1, status: 'teleported', sid: 'XX1' });
    expect(result.undeclared).toEqual(['/surprise']);
    expect(result.errors.join('\n')).toMatch(/\/num_segments must be string/);
    expect(result.errors.join('\n')).toMatch(/\/status must be equal to one of the allowed values/);
    expect(result.errors.join('\n')).toMatch(/\/sid must match pattern/);
    expect(missingAgainst(FETCH_EXAMPLE, { sid: 'SM1' })).toContain('account_sid');
  });

  it('nullable (OpenAPI 3.0) is honoured: null is a valid price, and a null where the spec has no nullable is not', () => {
    expect(messages.check(FETCH, { ...FETCH_EXAMPLE, price: null }).errors).toEqual([]);
    expect(messages.check(LIST, { ...LIST_EXAMPLE, page: null }).errors.join('\n')).toMatch(/\/page must be integer/);
  });
});

describe('the local Twilio answers as Twilio’s published schema says', () => {
  const client = () => twilioClientFor(ACCOUNT, TOKEN, twin.url, 10_000);
  let smsSid = '';

  it('messages.create, an SMS with a Body (SDK): 201, a Message resource', async () => {
    const message = await client().messages.create({ to: TO_SMS, from: FROM_SMS, body: 'Hello from the conformance test' });
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.status).toBe('queued');
    expect(sdkStatus(client())).toBe(201);
    smsSid = message.sid;
    expectConforms(messages, CREATE, 'POST Messages.json (SMS, SDK)', sdkBody(client()), CREATE_EXAMPLE);
  });

  it('messages.create, a WhatsApp template (ContentSid + ContentVariables), raw HTTP: 201, a Message resource', async () => {
    const answer = await raw(
      `${api}/Messages.json`,
      form({ To: TO_WA, From: FROM_WA, ContentSid: CONTENT_SID, ContentVariables: JSON.stringify({ 1: 'Ann', 2: 'Acme' }) }),
    );
    expect(answer.status).toBe(201);
    expect(answer.contentType).toMatch(/^application\/json/);
    expectConforms(messages, CREATE, 'POST Messages.json (WhatsApp ContentSid, raw)', answer.json, CREATE_EXAMPLE);
  });

  it('messages.create, a WhatsApp template through the SDK (contentSid, contentVariables)', async () => {
    const message = await client().messages.create({
      to: TO_WA,
      from: FROM_WA,
      contentSid: CONTENT_SID,
      contentVariables: JSON.stringify({ 1: 'Ben' }),
    });
    expect(message.to).toBe(TO_WA);
    expectConforms(messages, CREATE, 'POST Messages.json (WhatsApp ContentSid, SDK)', sdkBody(client()), CREATE_EXAMPLE);
  });

  it('messages.list filtered by To (SDK and raw): 200, Twilio’s list page of Message resources', async () => {
    const listed = await client().messages.list({ to: TO_SMS, limit: 20 });
    expect(listed.map((m) => m.sid)).toContain(smsSid);
    expectConforms(messages, LIST, 'GET Messages.json (SDK)', sdkBody(client()), LIST_EXAMPLE);

    const answer = await raw(`${api}/Messages.json?${new URLSearchParams({ To: TO_WA, PageSize: '20' })}`, { headers: auth });
    expect(answer.status).toBe(200);
    expect((answer.json as { messages: unknown[] }).messages.length).toBeGreaterThanOrEqual(2);
    expectConforms(messages, LIST, 'GET Messages.json (raw)', answer.json, LIST_EXAMPLE);
    for (const [index, message] of (answer.json as { messages: unknown[] }).messages.entries()) {
      expectConforms(
        messages,
        pointer('components', 'schemas', 'api.v2010.account.message'),
        `GET Messages.json messages[${index}]`,
        message,
        LIST_EXAMPLE.messages ? (LIST_EXAMPLE.messages as Record<string, unknown>[])[0] : undefined,
      );
    }
  });

  it('messages.fetch (SDK and raw), also after the message was sent: 200, a Message resource', async () => {
    const fetched = await client().messages(smsSid).fetch();
    expect(fetched.sid).toBe(smsSid);
    expectConforms(messages, FETCH, 'GET Messages/{Sid}.json (SDK)', sdkBody(client()), FETCH_EXAMPLE);

    await new Promise((resolve) => setTimeout(resolve, 600)); // past the twin's dispatch and delivery delays: date_sent set, status moved on
    const answer = await raw(`${api}/Messages/${smsSid}.json`, { headers: auth });
    expect(answer.status).toBe(200);
    expect((answer.json as { date_sent: unknown }).date_sent).not.toBeNull();
    expectConforms(messages, FETCH, 'GET Messages/{Sid}.json (raw, sent)', answer.json, FETCH_EXAMPLE);
  });

  it('400 21211 (invalid To): Twilio’s error body, and the SDK reads it as such', async () => {
    const refusal = twilioErrorOf(
      await client()
        .messages.create({ to: 'not-a-number', from: FROM_SMS, body: 'x' })
        .catch((error: unknown) => error),
    );
    expect(refusal).toMatchObject({ status: 400, code: 21211 });
    expect(refusal.moreInfo).toBe('https://www.twilio.com/docs/errors/21211');

    const answer = await raw(`${api}/Messages.json`, form({ To: 'not-a-number', From: FROM_SMS, Body: 'x' }));
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 21211, status: 400 });
    expectConforms(errors, ERROR, '400 21211 body', answer.json, { code: 0, message: '', more_info: '', status: 0 });
  });

  it('401 20003 (wrong auth token): Twilio’s error body', async () => {
    const refusal = twilioErrorOf(
      await twilioClientFor(ACCOUNT, 'not-the-token', twin.url, 10_000)
        .messages.list({ limit: 1 })
        .catch((error: unknown) => error),
    );
    expect(refusal).toMatchObject({ status: 401, code: 20003 });

    const answer = await raw(`${api}/Messages.json`, { headers: { Authorization: basic(ACCOUNT, 'not-the-token') } });
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ code: 20003, status: 401 });
    expectConforms(errors, ERROR, '401 20003 body', answer.json, { code: 0, message: '', more_info: '', status: 0 });
  });

  it('404 (unknown message): Twilio’s error body', async () => {
    const unknown = `SM${'0'.repeat(32)}`;
    const refusal = twilioErrorOf(
      await client()
        .messages(unknown)
        .fetch()
        .catch((error: unknown) => error),
    );
    expect(refusal).toMatchObject({ status: 404, code: 20404 });

    const answer = await raw(`${api}/Messages/${unknown}.json`, { headers: auth });
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ code: 20404, status: 404 });
    expectConforms(errors, ERROR, '404 body', answer.json, { code: 0, message: '', more_info: '', status: 0 });
  });
});

describe('the local Twilio Content API (POST /v1/Content, GET /v1/Content/{Sid}: the engine will start fetching templates)', () => {
  it('POST /v1/Content: 201, a Content resource as content.v1.content describes it', () => {
    expect({ status: contentCreated.status, body: contentCreated.status === 201 ? 'a Content resource' : contentCreated.text }).toEqual({
      status: 201,
      body: 'a Content resource',
    });
    expectConforms(content, CONTENT_CREATE, 'POST /v1/Content', contentCreated.json, CONTENT_CREATE_EXAMPLE);
    expect(contentCreated.json).toMatchObject({
      account_sid: ACCOUNT,
      language: 'en',
      types: { 'twilio/text': { body: 'Hello {{1}}, this is {{2}}.' } },
    });
  });

  it('GET /v1/Content/{Sid}: 200, the same Content resource', async () => {
    const answer = await raw(`${twin.url}/v1/Content/${CONTENT_SID}`, { headers: auth });
    expect({ status: answer.status, body: answer.status === 200 ? 'a Content resource' : answer.text }).toEqual({
      status: 200,
      body: 'a Content resource',
    });
    expectConforms(content, CONTENT_FETCH, 'GET /v1/Content/{Sid}', answer.json, CONTENT_EXAMPLE);
    expect(answer.json).toMatchObject({ sid: CONTENT_SID, account_sid: ACCOUNT });
  });

  it('an unknown Content SID: 404 and Twilio’s error body', async () => {
    const answer = await raw(`${twin.url}/v1/Content/HX${'0'.repeat(32)}`, { headers: auth });
    expect({ status: answer.status, body: answer.json }).toMatchObject({ status: 404, body: { code: 20404, status: 404 } });
    expectConforms(errors, ERROR, 'GET /v1/Content/{unknown} body', answer.json, { code: 0, message: '', more_info: '', status: 0 });
  });

  it('wrong credentials: 401 20003 and Twilio’s error body', async () => {
    const answer = await raw(`${twin.url}/v1/Content/${CONTENT_SID}`, { headers: { Authorization: basic(ACCOUNT, 'not-the-token') } });
    expect({ status: answer.status, body: answer.json }).toMatchObject({ status: 401, body: { code: 20003, status: 401 } });
    expectConforms(errors, ERROR, 'GET /v1/Content/{Sid} 401 body', answer.json, { code: 0, message: '', more_info: '', status: 0 });
  });
});
