/**
 * The local OpenAI (packages/local-stack/src/provider-servers/openai-routes.ts) against OpenAI's
 * published OpenAPI (vendor/openai/openai-openapi, see its PROVENANCE.md): every JSON body the
 * twin answers, to the real `openai` SDK and to raw HTTP, is checked against the spec's schema
 * for that answer: no type, enum, format or `required` error, and no property the spec does not
 * declare. A failure lists each disagreement with what the spec says. The twin is never adjusted here.
 *
 * Runs on its own twin (a free port), never the global stack: LOCAL_STACK=off is enough.
 */
import OpenAI from 'openai';
import { ProviderServers } from '../../packages/local-stack/src/provider-servers/provider-server';
import { OPENAI_FORMATS, pointer, report, specValidator } from './support/openapi-schema';
import { raw, startTwin } from './support/provider-twin';
import openAiSpec from './vendor/openai/openai-openapi/openai.responses-conversations.json';

const KEY = 'sk-test-conformance-0001';
const OTHER_KEY = 'sk-test-conformance-0002';
const MODEL = 'gpt-4o-mini';

const answerOf = (path: string, method: string) =>
  pointer('paths', path, method, 'responses', '200', 'content', 'application/json', 'schema');
const CONVERSATION = answerOf('/conversations', 'post');
const ITEMS = answerOf('/conversations/{conversation_id}/items', 'get');
const ITEMS_CREATED = answerOf('/conversations/{conversation_id}/items', 'post');
const RESPONSE = answerOf('/responses', 'post');
const ERROR = pointer('components', 'schemas', 'ErrorResponse');
const TOO_MANY = pointer('components', 'responses', 'TooManyRequests', 'content', 'application/json', 'schema');

const spec = specValidator(openAiSpec, OPENAI_FORMATS);

const expectConforms = (at: string, what: string, body: unknown) => {
  const result = spec.check(at, body);
  expect(result.errors.length + result.undeclared.length > 0 ? report(what, result) : '').toBe('');
};

interface Captured {
  method: string;
  url: string;
  status: number;
  body: unknown;
}

let twin: ProviderServers;
/** Every answer the SDK got, raw (the SDK's own fetch, teed). */
const captured: Captured[] = [];
let client: OpenAI;
const lastAnswer = (method: string, path: RegExp, status?: number): Captured => {
  const found = [...captured]
    .reverse()
    .find(
      (answer) => answer.method === method && path.test(new URL(answer.url).pathname) && (status === undefined || answer.status === status),
    );
  if (!found) throw new Error(`the SDK made no ${method} ${String(path)}`);
  return found;
};
const json = (key = KEY) => ({ 'Content-Type': 'application/json', Authorization: `Bearer ${key}` });

beforeAll(async () => {
  twin = await startTwin({ openai_keys: [KEY, OTHER_KEY] });
  client = new OpenAI({
    apiKey: KEY,
    baseURL: `${twin.url}/v1`,
    maxRetries: 0,
    timeout: 10_000,
    fetch: async (input: string | URL | Request, init?: RequestInit) => {
      const response = await fetch(input, init);
      const text = await response.clone().text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      captured.push({
        method: init?.method ?? 'GET',
        url: String(input instanceof Request ? input.url : input),
        status: response.status,
        body,
      });
      return response;
    },
  });
});
afterAll(async () => twin?.stop());

describe('this converter on the vendored schemas (checked first: a twin failure must not be the converter’s)', () => {
  it('a conversation the spec allows passes; an undeclared property, a missing required one and a wrong type are caught', () => {
    const valid = { id: 'conv_1', object: 'conversation', created_at: 1_700_000_000, metadata: {} };
    expect(spec.check(CONVERSATION, valid)).toEqual({ errors: [], undeclared: [] });
    const { created_at: _dropped, ...withoutCreatedAt } = valid;
    const broken = spec.check(CONVERSATION, { ...withoutCreatedAt, object: 'thread', surprise: true });
    expect(broken.undeclared).toEqual(['/surprise']);
    expect(broken.errors.join('\n')).toMatch(/must have required property 'created_at'/);
    expect(broken.errors.join('\n')).toMatch(/\/object must be equal to one of the allowed values/);
  });

  it('the error envelope: OpenAI’s own shape passes, one without `param`/`code` does not', () => {
    expect(spec.check(ERROR, { error: { message: 'x', type: 'invalid_request_error', param: null, code: null } })).toEqual({
      errors: [],
      undeclared: [],
    });
    expect(spec.check(ERROR, { error: { message: 'x', type: 'invalid_request_error' } }).errors.join('\n')).toMatch(
      /required property 'param'/,
    );
  });
});

describe('the local OpenAI answers as OpenAI’s published schema says', () => {
  let conversationId = '';

  it('conversations.create (SDK): a ConversationResource', async () => {
    const conversation = await client.conversations.create({
      metadata: { purpose: 'conformance' },
      items: [{ type: 'message', role: 'user', content: 'Hello there' }],
    });
    expect(conversation.id).toMatch(/^conv_/);
    expect(conversation.object).toBe('conversation');
    conversationId = conversation.id;
    const answer = lastAnswer('POST', /\/v1\/conversations$/);
    expect(answer.status).toBe(200);
    expectConforms(CONVERSATION, 'POST /v1/conversations (SDK)', answer.body);
  });

  it('conversations.create (raw, no body fields): a ConversationResource', async () => {
    const answer = await raw(`${twin.url}/v1/conversations`, { method: 'POST', headers: json(), body: '{}' });
    expect(answer.status).toBe(200);
    expectConforms(CONVERSATION, 'POST /v1/conversations (raw, empty)', answer.json);
  });

  it('responses.create on the conversation, plain text (SDK): a Response', async () => {
    const response = await client.responses.create({
      model: MODEL,
      conversation: conversationId,
      instructions: 'Be brief.',
      input: 'Write one friendly sentence.',
    });
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.output_text.length).toBeGreaterThan(0);
    const answer = lastAnswer('POST', /\/v1\/responses$/);
    expect(answer.status).toBe(200);
    expectConforms(RESPONSE, 'POST /v1/responses (text, SDK)', answer.body);
  });

  it('responses.create with text.format json_schema (SDK, then raw): a Response whose text is the schema’s JSON', async () => {
    const format = {
      type: 'json_schema' as const,
      name: 'outreach',
      strict: true,
      schema: {
        type: 'object',
        properties: { message: { type: 'string' }, subject: { type: 'string' } },
        required: ['message', 'subject'],
        additionalProperties: false,
      },
    };
    const response = await client.responses.create({
      model: MODEL,
      conversation: conversationId,
      input: [{ role: 'user', content: 'Write the outreach.' }],
      text: { format },
    });
    expect(JSON.parse(response.output_text)).toEqual({ message: expect.any(String), subject: expect.any(String) });
    expectConforms(RESPONSE, 'POST /v1/responses (json_schema, SDK)', lastAnswer('POST', /\/v1\/responses$/).body);

    const answer = await raw(`${twin.url}/v1/responses`, {
      method: 'POST',
      headers: json(),
      body: JSON.stringify({
        model: MODEL,
        conversation: { id: conversationId },
        input: 'Again.',
        text: { format },
        max_output_tokens: 500,
      }),
    });
    expect(answer.status).toBe(200);
    expectConforms(RESPONSE, 'POST /v1/responses (json_schema, raw)', answer.json);
  });

  it('responses.create cut short by max_output_tokens: an incomplete Response', async () => {
    const answer = await raw(`${twin.url}/v1/responses`, {
      method: 'POST',
      headers: json(),
      body: JSON.stringify({ model: MODEL, conversation: conversationId, input: 'Write at length.', max_output_tokens: 16 }),
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expectConforms(RESPONSE, 'POST /v1/responses (max_output_tokens reached)', answer.json);
  });

  it('responses.create answered with a refusal (twin fault `outcome: refusal`): a Response', async () => {
    await fetch(`${twin.url}/__faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'openai', route: 'responses', outcome: 'refusal' }),
    });
    const answer = await raw(`${twin.url}/v1/responses`, {
      method: 'POST',
      headers: json(),
      body: JSON.stringify({ model: MODEL, input: 'Something it refuses.' }),
    });
    expect(answer.status).toBe(200);
    expect(JSON.stringify(answer.json)).toContain('"refusal"');
    expectConforms(RESPONSE, 'POST /v1/responses (refusal)', answer.json);
  });

  it('conversations.items.list (SDK, then raw asc with limit): a ConversationItemList', async () => {
    const page = await client.conversations.items.list(conversationId, { limit: 20 });
    expect(page.data.length).toBeGreaterThanOrEqual(4);
    const answer = lastAnswer('GET', /\/v1\/conversations\/[^/]+\/items$/);
    expect(answer.status).toBe(200);
    expectConforms(ITEMS, 'GET /v1/conversations/{id}/items (SDK)', answer.body);

    const ascending = await raw(`${twin.url}/v1/conversations/${conversationId}/items?order=asc&limit=2`, { headers: json() });
    expect(ascending.status).toBe(200);
    expect((ascending.json as { has_more: boolean }).has_more).toBe(true);
    expectConforms(ITEMS, 'GET /v1/conversations/{id}/items?order=asc&limit=2 (raw)', ascending.json);
  });

  it('conversations.items.list of a conversation with no items: a ConversationItemList', async () => {
    const empty = await client.conversations.create({});
    const answer = await raw(`${twin.url}/v1/conversations/${empty.id}/items`, { headers: json() });
    expect(answer.status).toBe(200);
    expect((answer.json as { data: unknown[] }).data).toEqual([]);
    // Known gap in the spec, not in the twin: an empty list has no first or last item, and OpenAI's
    // list answers say so with null (as its other cursor lists do); the spec types both ids as a
    // required string. Everything else of the answer is held to the spec.
    expect(answer.json).toMatchObject({ first_id: null, last_id: null });
    expectConforms(ITEMS, 'GET /v1/conversations/{id}/items (no items)', { ...(answer.json as object), first_id: '', last_id: '' });
  });

  it('conversations.items.create (SDK): a ConversationItemList', async () => {
    await client.conversations.items.create(conversationId, { items: [{ type: 'message', role: 'user', content: 'One more thing.' }] });
    const answer = lastAnswer('POST', /\/v1\/conversations\/[^/]+\/items$/);
    expect(answer.status).toBe(200);
    expectConforms(ITEMS_CREATED, 'POST /v1/conversations/{id}/items (SDK)', answer.body);
  });

  it('401 (unknown key): the SDK’s AuthenticationError, and OpenAI’s error envelope', async () => {
    const stranger = new OpenAI({ apiKey: 'sk-test-not-registered', baseURL: `${twin.url}/v1`, maxRetries: 0 });
    await expect(stranger.conversations.create({})).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const answer = await raw(`${twin.url}/v1/responses`, {
      method: 'POST',
      headers: json('sk-test-not-registered'),
      body: JSON.stringify({ model: MODEL, input: 'x' }),
    });
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: { code: 'invalid_api_key' } });
    expectConforms(ERROR, '401 body', answer.json);
  });

  it('404 (a conversation of another key, and an unknown one): the SDK’s NotFoundError, and OpenAI’s error envelope', async () => {
    const other = new OpenAI({ apiKey: OTHER_KEY, baseURL: `${twin.url}/v1`, maxRetries: 0 });
    await expect(other.conversations.items.list(conversationId)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const answer = await raw(`${twin.url}/v1/responses`, {
      method: 'POST',
      headers: json(),
      body: JSON.stringify({ model: MODEL, conversation: 'conv_does_not_exist', input: 'x' }),
    });
    expect(answer.status).toBe(404);
    expectConforms(ERROR, '404 body', answer.json);
  });

  it('400 (no model; max_output_tokens below 16): the SDK’s BadRequestError, and OpenAI’s error envelope', async () => {
    await expect(
      client.responses.create({ input: 'x' } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    expectConforms(ERROR, '400 body (no model, SDK)', lastAnswer('POST', /\/v1\/responses$/).body);
    const answer = await raw(`${twin.url}/v1/responses`, {
      method: 'POST',
      headers: json(),
      body: JSON.stringify({ model: MODEL, input: 'x', max_output_tokens: 1 }),
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: { param: 'max_output_tokens' } });
    expectConforms(ERROR, '400 body (max_output_tokens)', answer.json);
  });

  it('429 (twin fault): the spec’s TooManyRequests answer (an ErrorResponse)', async () => {
    await fetch(`${twin.url}/__faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'openai', route: 'responses', status: 429 }),
    });
    await expect(client.responses.create({ model: MODEL, input: 'x' })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const answer = lastAnswer('POST', /\/v1\/responses$/);
    expect(answer.status).toBe(429);
    expectConforms(TOO_MANY, '429 body', answer.body);
  });

  it('a twin answer with one property more, or one required property less, would fail these checks', () => {
    const body = lastAnswer('POST', /\/v1\/conversations$/).body as Record<string, unknown>;
    expect(spec.check(CONVERSATION, { ...body, thread_id: 'x' }).undeclared).toEqual(['/thread_id']);
    const { id: _id, ...withoutId } = body;
    expect(spec.check(CONVERSATION, withoutId).errors.join('\n')).toMatch(/required property 'id'/);

    // Inside unions (an output item, a content part) the undeclared property is named, not the union's noise.
    const response = structuredClone(lastAnswer('POST', /\/v1\/responses$/, 200).body) as {
      output: { content: Record<string, unknown>[] }[] & Record<string, unknown>[];
    };
    const message = response.output.find((item) => (item as unknown as { type: string }).type === 'message')!;
    const index = response.output.indexOf(message);
    Object.assign(message, { surprise: 1 });
    Object.assign(message.content[0]!, { surprise: 2 });
    const undeclared = spec.check(RESPONSE, response).undeclared;
    expect(undeclared).toEqual(expect.arrayContaining([`/output/${index}/surprise`, `/output/${index}/content/0/surprise`]));
    expect(undeclared.filter((path) => path.startsWith(`/output/${index}/`))).toEqual([
      `/output/${index}/content/0/surprise`,
      `/output/${index}/surprise`,
    ]);
  });
});
