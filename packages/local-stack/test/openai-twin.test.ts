import OpenAI from 'openai';
import { freePort } from '../src/processes/free-port';
import { ProviderServers, startProviderServers } from '../src/provider-servers/provider-server';
import { LOCAL_REFUSAL } from '../src/provider-servers/openai-routes';
import { countTokens, encodingOf } from '../src/provider-servers/openai-tokens';
import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * The local OpenAI as unkind as the real one (stack-free: the provider servers alone, on a free
 * port, through the real openai SDK): tokens-per-minute refusals without retry-after, the whole
 * x-ratelimit-* set on every answer, responses cut at max_output_tokens, refusals.
 */
const KEY = 'sk-twin-test';
let providers: ProviderServers;
const client = (maxRetries = 0) => new OpenAI({ apiKey: KEY, baseURL: `${providers.url}/v1`, maxRetries });
const control = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${providers.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: response.status === 204 ? undefined : ((await response.json()) as any) };
};

beforeAll(async () => {
  providers = await startProviderServers(await freePort(), { openai_keys: [KEY] });
});
afterAll(() => providers.stop());
afterEach(async () => {
  await control('DELETE', '/__limits');
  await control('DELETE', '/__faults');
});

describe('the local OpenAI: tokens per minute', () => {
  it('counts input + max_output_tokens per request, and past the limit refuses 429 rate_limit_exceeded, type tokens, with the TPM sentence and no retry-after', async () => {
    expect((await control('POST', '/__limits', { openai: { keys: { [KEY]: { tokens_per_minute: 1000 } } } })).status).toBe(200);
    const openai = client();
    const first = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hello', max_output_tokens: 400 }).withResponse();
    const afterFirst = Number(first.response.headers.get('x-ratelimit-remaining-tokens'));
    expect(first.response.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    // 400 for the output budget and a few for the input.
    expect(afterFirst).toBeLessThan(600);
    expect(afterFirst).toBeGreaterThan(550);
    expect(first.response.headers.get('x-ratelimit-reset-tokens')).toMatch(/^\d+(\.\d+)?s$/);
    const second = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hello', max_output_tokens: 400 }).withResponse();
    expect(Number(second.response.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(afterFirst - 400);

    const refused = await openai.responses
      .create({ model: 'gpt-4o-mini', input: 'hello', max_output_tokens: 400 })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const error = refused as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.type).toBe('tokens');
    expect(error.message).toMatch(
      /^429 Rate limit reached for gpt-4o-mini in organization org-local on tokens per min \(TPM\): Limit 1000, Used \d+, Requested \d+\. Please try again in \d+(\.\d+)?(ms|s)\. Visit https:\/\/platform\.openai\.com\/account\/rate-limits to learn more\.$/,
    );
    expect(error.headers?.get('retry-after')).toBeNull();
    expect(error.headers?.get('retry-after-ms')).toBeNull();
    // The full set, requests too (no requests limit: a nominal one, not enforced).
    for (const name of ['limit-requests', 'remaining-requests', 'reset-requests', 'limit-tokens', 'remaining-tokens', 'reset-tokens'])
      expect(error.headers?.get(`x-ratelimit-${name}`)).toEqual(expect.any(String));
    // The reset is to the initial state: longer than "try again in" (which is only until this one fits).
    const resetSeconds = Number(/^(\d+(?:\.\d+)?)s$/.exec(error.headers!.get('x-ratelimit-reset-tokens')!)?.[1]);
    expect(resetSeconds).toBeGreaterThan(40);
    expect(resetSeconds).toBeLessThanOrEqual(60);
    const recorded = (await control('GET', '/__requests?provider=openai&route=responses')).json.requests as {
      status: number;
      error_code?: string;
    }[];
    expect(recorded.slice(-3).map((r) => r.status)).toEqual([200, 200, 429]);
  });

  it('a request larger than the whole limit is "Request too large": no wait would make it fit', async () => {
    await control('POST', '/__limits', { openai: { tokens_per_minute: 500 } });
    const error = (await client()
      .responses.create({ model: 'gpt-4o-mini', input: 'hello', max_output_tokens: 600 })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.status).toBe(429);
    expect(error.message).toMatch(
      /Request too large for gpt-4o-mini in organization org-local on tokens per min \(TPM\): Limit 500, Requested \d+\. The input or output tokens must be reduced/,
    );
  });

  it('a request without max_output_tokens counts default_output_tokens; a request refused for tokens is not counted against the requests', async () => {
    await control('POST', '/__limits', {
      openai: { keys: { [KEY]: { tokens_per_minute: 3000, requests_per_minute: 120 } }, burst_seconds: 1, default_output_tokens: 2000 },
    });
    const ok = await client().responses.create({ model: 'gpt-4o-mini', input: 'hello' }).withResponse();
    expect(Number(ok.response.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(1000);
    expect(ok.response.headers.get('x-ratelimit-limit-requests')).toBe('120');
    expect(ok.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    const error = (await client()
      .responses.create({ model: 'gpt-4o-mini', input: 'hello' })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.type).toBe('tokens');
    // The request bucket was not charged for the refused request.
    expect(error.headers?.get('x-ratelimit-remaining-requests')).toBe('1');
  });

  it('requests per minute still refuse with type requests and retry-after (the numbered keys form still works)', async () => {
    await control('POST', '/__limits', { openai: { keys: { [KEY]: 60 } } });
    await client().responses.create({ model: 'gpt-4o-mini', input: 'hello' });
    const error = (await client()
      .responses.create({ model: 'gpt-4o-mini', input: 'hello' })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.type).toBe('requests');
    expect(error.message).toContain('on requests per min (RPM): Limit 60');
    expect(error.headers?.get('retry-after')).toBe('1');
    expect(error.headers?.get('x-ratelimit-limit-tokens')).toEqual(expect.any(String));
  });

  it('every answer carries the x-ratelimit-* set, even with no limits set', async () => {
    const { response } = await client().responses.create({ model: 'gpt-4o-mini', input: 'hello' }).withResponse();
    for (const name of ['limit-requests', 'remaining-requests', 'reset-requests', 'limit-tokens', 'remaining-tokens', 'reset-tokens'])
      expect(response.headers.get(`x-ratelimit-${name}`)).toEqual(expect.any(String));
  });
});

describe('the local OpenAI: incomplete and refused responses', () => {
  const itemsOf = async (conversationId: string) =>
    (await client().conversations.items.list(conversationId, { order: 'asc' })).data as any[];

  it('a reply longer than max_output_tokens comes back incomplete, cut at the budget, and the partial reply is still stored on the conversation', async () => {
    const openai = client();
    const conversation = await openai.conversations.create({});
    const response = await openai.responses.create({
      model: 'gpt-4o-mini',
      conversation: conversation.id,
      input: [{ role: 'user', content: '{"recipient_first_name":"Maximilian","company_name":"A company with a long name"}' }],
      max_output_tokens: 16,
    });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.usage?.output_tokens).toBe(16);
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(response.output_text.length).toBeLessThanOrEqual(64);
    expect(response.output[0]).toMatchObject({ type: 'message', status: 'incomplete' });
    const items = await itemsOf(conversation.id);
    expect(items.map((i) => [i.role, i.status])).toEqual([
      ['user', 'completed'],
      ['assistant', 'incomplete'],
    ]);
    expect(items[1].content[0].text).toBe(response.output_text);
  });

  it('refuses max_output_tokens below 16, as OpenAI does', async () => {
    const error = (await client()
      .responses.create({ model: 'gpt-4o-mini', input: 'hello', max_output_tokens: 5 })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe('integer_below_min_value');
    expect(error.param).toBe('max_output_tokens');
  });

  it('a fault with outcome "incomplete" cuts a reply that would have fitted; the next request is complete again', async () => {
    await control('POST', '/__faults', { provider: 'openai', route: 'responses', outcome: 'incomplete', match: 'cut-me' });
    const openai = client();
    const cut = await openai.responses.create({ model: 'gpt-4o-mini', input: 'cut-me', max_output_tokens: 500 });
    expect(cut.status).toBe('incomplete');
    expect(cut.incomplete_details?.reason).toBe('max_output_tokens');
    const whole = await openai.responses.create({ model: 'gpt-4o-mini', input: 'cut-me', max_output_tokens: 500 });
    expect(whole.status).toBe('completed');
    expect(whole.incomplete_details).toBeNull();
    expect(cut.output_text.length).toBeLessThan(whole.output_text.length);
  });

  it('a fault with outcome "refusal" answers a refusal content part instead of output_text, stored on the conversation', async () => {
    const openai = client();
    const conversation = await openai.conversations.create({});
    await control('POST', '/__faults', { provider: 'openai', route: 'responses', outcome: 'refusal', match: conversation.id });
    const response = await openai.responses.create({ model: 'gpt-4o-mini', conversation: conversation.id, input: 'hello' });
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('');
    expect(response.output[0]).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'refusal', refusal: LOCAL_REFUSAL }],
    });
    expect((await itemsOf(conversation.id)).map((i) => i.content[0].type)).toEqual(['input_text', 'refusal']);
  });
});

describe('the local OpenAI: usage counted with the model’s tokenizer, prompt caching as OpenAI reports it', () => {
  it('counts tokens with tiktoken’s encodings (its published vectors): o200k_base for gpt-4o-mini, cl100k_base for gpt-4', () => {
    // tiktoken's test vectors: "hello world" is [15339, 1917] in cl100k_base and [24912, 2375] in o200k_base.
    expect(encodingOf('gpt-4o-mini')).toBe('o200k_base');
    expect(encodingOf('gpt-4.1-mini')).toBe('o200k_base');
    expect(encodingOf('gpt-4')).toBe('cl100k_base');
    expect(encodingOf('gpt-3.5-turbo')).toBe('cl100k_base');
    expect(encodeO200k('hello world')).toEqual([24912, 2375]);
    expect(encodeCl100k('hello world')).toEqual([15339, 1917]);
    expect(countTokens('gpt-4o-mini', 'hello world')).toBe(2);
    expect(countTokens('gpt-4', 'hello world')).toBe(2);
    expect(countTokens('gpt-4o-mini', 'The quick brown fox jumps over the lazy dog.')).toBe(10);
  });

  it('input = the instructions, the conversation and the input with 3 tokens of framing each and 3 priming the reply; output = the text written', async () => {
    const openai = client();
    const response = await openai.responses.create({ model: 'gpt-4o-mini', instructions: 'hello world', input: 'hello world' });
    // Two messages (system, user): 2 × (2 text + 1 role + 3 framing) + 3 priming.
    expect(response.usage?.input_tokens).toBe(2 * (2 + 1 + 3) + 3);
    expect(response.usage?.output_tokens).toBe(countTokens('gpt-4o-mini', response.output_text));
    expect(response.usage?.input_tokens_details).toEqual({ cached_tokens: 0, cache_write_tokens: 0 });
    expect(response.usage?.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
  });

  it('a prompt of 1,024 tokens or more sent again reads its prefix from the cache, in steps of 128; a short one never does', async () => {
    const openai = client();
    const instructions = `Write kindly. ${'Every message must be clear and warm. '.repeat(200)}`;
    const first = await openai.responses.create({ model: 'gpt-4o-mini', instructions, input: 'First person: Ann.' });
    expect(first.usage!.input_tokens).toBeGreaterThan(1024);
    expect(first.usage!.input_tokens_details.cached_tokens).toBe(0);
    const second = await openai.responses.create({ model: 'gpt-4o-mini', instructions, input: 'Second person: Bob.' });
    const cached = second.usage!.input_tokens_details.cached_tokens;
    expect(cached).toBeGreaterThanOrEqual(1024);
    expect((cached - 1024) % 128).toBe(0);
    expect(cached).toBeLessThan(second.usage!.input_tokens);
    expect(second.usage!.input_tokens - cached).toBeLessThan(128 + 20);
    const short = await openai.responses.create({ model: 'gpt-4o-mini', instructions: 'Be brief.', input: 'hello' });
    const again = await openai.responses.create({ model: 'gpt-4o-mini', instructions: 'Be brief.', input: 'hello' });
    expect([short.usage!.input_tokens_details.cached_tokens, again.usage!.input_tokens_details.cached_tokens]).toEqual([0, 0]);
  });
});
