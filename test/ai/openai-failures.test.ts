import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import OpenAI from 'openai';
import {
  AI_INCOMPLETE,
  AI_PERMANENT,
  AI_RATE_LIMITED,
  AI_REFUSED,
  AiTurn,
  answerReply,
  AppError,
  ConversationItem,
  CHANNEL_DESCRIPTORS,
  classifyOpenAiError,
  ComposedMessage,
  composeRecord,
  ComposeDeps,
  createAiThread,
  createGovernor,
  createLogger,
  exhaustedLimitsOf,
  generateTurn,
  InboundMessage,
  inMemoryBucketStore,
  REFUSAL_HAND_OFF_REASON,
  ReplyDeps,
  retryAfterMsOf,
  retryOutputBudget,
  ThreadItem,
  ThreadRepository,
  toSqsSafeJson,
} from '@ai-multi-comms/core';
import { ProviderServers, startProviderServers } from '@ai-multi-comms/local-stack';
import { companyItem } from '@ai-multi-comms/testing';
import { routerContextObjectFor } from '@ai-multi-comms/testing/stack';

/**
 * What the real OpenAI does that a kind one would not, through the engine's own AI calls (the real
 * openai SDK) against the local OpenAI on a port of its own (stack-free): a tokens-per-minute 429
 * without retry-after, a reply cut at max_output_tokens, a refusal; and the compose step
 * recording them on the thread item.
 */
const KEY = 'sk-engine-openai-failures';
let providers: ProviderServers;
const savedBaseUrl = process.env.OPENAI_BASE_URL;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
const control = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${providers.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.status === 204 ? undefined : ((await response.json()) as any);
};
/** The bodies of the responses requests the local OpenAI received on a thread, in order. */
const turnsOn = async (threadId: string) =>
  (
    (await control('GET', '/__requests?provider=openai&route=responses')).requests as {
      body: { conversation?: string; max_output_tokens?: number };
      status: number;
    }[]
  ).filter((r) => r.body.conversation === threadId);

beforeAll(async () => {
  providers = await startProviderServers(await freePort(), { openai_keys: [KEY] });
  // The SDK reads OPENAI_BASE_URL itself, as the engine's clients do under the local stack.
  process.env.OPENAI_BASE_URL = `${providers.url}/v1`;
});
afterAll(async () => {
  process.env.OPENAI_BASE_URL = savedBaseUrl;
  if (savedBaseUrl === undefined) delete process.env.OPENAI_BASE_URL;
  await providers.stop();
});
afterEach(async () => {
  await control('DELETE', '/__limits');
  await control('DELETE', '/__faults');
});

const ai = { maxRetries: 0, timeoutMs: 10_000 };
const turnOn = (
  threadId: string,
  patch: Partial<AiTurn['config']> = {},
  outputSchema = CHANNEL_DESCRIPTORS.email.firstMessageSchema,
): AiTurn => ({
  apiKey: KEY,
  config: {
    api_key_reference: 'ai-multi-comms/openai-api-key/test',
    model: 'gpt-4o-mini',
    instructions: 'Write the first message.',
    ...patch,
  },
  threadId,
  input: { task: 'first_message', company_name: 'Acme', recipient_first_name: 'John', project_data: { jobRole: 'Healthcare Assistant' } },
  outputSchema,
  metadata: { request_id: randomUUID() },
});
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as AppError,
  );
const durationMs = (value: string) =>
  [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m)/g)].reduce(
    (total, [, n, unit]) => total + Number(n) * { ms: 1, s: 1000, m: 60_000 }[unit as 'ms' | 's' | 'm'],
    0,
  );

describe('a tokens-per-minute 429 (no retry-after)', () => {
  it.each([0, 1])(
    "is AI_RATE_LIMITED, waiting x-ratelimit-reset-tokens, not the requests' reset (SDK maxRetries %i)",
    async (maxRetries) => {
      await control('POST', '/__limits', { openai: { keys: { [KEY]: { tokens_per_minute: 2000 } } } });
      const threadId = await createAiThread(KEY, {}, ai);
      let error: AppError | undefined;
      for (let i = 0; i < 4 && !error; i += 1)
        error = await failureOf(generateTurn(turnOn(threadId, { max_output_tokens: 900 }), { ...ai, maxRetries }));
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ kind: 'rate-limited', code: AI_RATE_LIMITED, message: expect.stringContaining('tokens per minute') });
      const headers = (error!.cause as InstanceType<typeof OpenAI.RateLimitError>).headers!;
      expect(headers.get('retry-after')).toBeNull();
      const resetTokensMs = durationMs(headers.get('x-ratelimit-reset-tokens')!);
      expect(resetTokensMs).toBeGreaterThan(30_000);
      expect(error!.retryAfterSeconds).toBeCloseTo(resetTokensMs / 1000, 3);
      // What the engine used to read (the requests' reset) says: no wait at all.
      expect(retryAfterMsOf(headers)).toBe(0);
      // The SDK's own retry (its backoff, no retry-after to follow) met the same refusal.
      const refused = (await turnsOn(threadId)).filter((r) => r.status === 429);
      expect(refused).toHaveLength(1 + maxRetries);
    },
  );

  it('the wait: retry-after wins when sent; else the longer reset of the limits the 429 names', () => {
    const headers = (values: Record<string, string>) => new Headers(values);
    const both = { 'x-ratelimit-reset-requests': '120ms', 'x-ratelimit-reset-tokens': '6m0s' };
    expect(retryAfterMsOf(headers({ ...both, 'retry-after': '2' }), 0, ['tokens'])).toBe(2000);
    expect(retryAfterMsOf(headers(both), 0, ['tokens'])).toBe(360_000);
    expect(retryAfterMsOf(headers(both), 0, ['requests'])).toBe(120);
    expect(
      retryAfterMsOf(headers({ 'x-ratelimit-reset-requests': '20s', 'x-ratelimit-reset-tokens': '1.2s' }), 0, ['requests', 'tokens']),
    ).toBe(20_000);
    expect(retryAfterMsOf(headers({}), 0, ['tokens'])).toBe(1000);
    expect(exhaustedLimitsOf({ type: 'tokens' })).toEqual(['tokens']);
    expect(
      exhaustedLimitsOf({
        message: 'Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29937, Requested 385.',
      }),
    ).toEqual(['tokens']);
    expect(exhaustedLimitsOf({ headers: headers({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-remaining-tokens': '0' }) })).toEqual(
      ['requests', 'tokens'],
    );
    expect(exhaustedLimitsOf({})).toEqual(['requests']);
  });

  it('a request larger than the whole limit fails for good: no wait makes it fit', async () => {
    await control('POST', '/__limits', { openai: { keys: { [KEY]: { tokens_per_minute: 500 } } } });
    const threadId = await createAiThread(KEY, {}, ai);
    const error = await failureOf(generateTurn(turnOn(threadId, { max_output_tokens: 1000 }), ai));
    expect(error).toMatchObject({ kind: 'permanent', code: AI_PERMANENT, message: expect.stringContaining('tokens-per-minute limit') });
    expect(classifyOpenAiError(error)).toBe(error);
  });
});

describe('a reply cut at max_output_tokens', () => {
  it('is taken once more with double the budget; cut again, it fails for good as AI_INCOMPLETE', async () => {
    const threadId = await createAiThread(KEY, {}, ai);
    await control('POST', '/__faults', { provider: 'openai', route: 'responses', outcome: 'incomplete', count: 2, match: threadId });
    const error = await failureOf(generateTurn(turnOn(threadId, { max_output_tokens: 100 }), ai));
    expect(error).toMatchObject({
      kind: 'permanent',
      code: AI_INCOMPLETE,
      message: expect.stringMatching(/^AI_INCOMPLETE: .*max_output_tokens \(200\), also on one retry/),
    });
    expect((await turnsOn(threadId)).map((r) => r.body.max_output_tokens)).toEqual([100, 200]);
    // OpenAI keeps both partial replies on the thread, as the local one does.
    const items = (await new OpenAI({ apiKey: KEY, maxRetries: 0 }).conversations.items.list(threadId, { order: 'asc' })).data as {
      role?: string;
      status?: string;
    }[];
    expect(items.map((i) => [i.role, i.status])).toEqual([
      ['user', 'completed'],
      ['assistant', 'incomplete'],
      ['user', 'completed'],
      ['assistant', 'incomplete'],
    ]);
  });

  it('the retry that fits is the turn: the whole reply, in the schema', async () => {
    const threadId = await createAiThread(KEY, {}, ai);
    await control('POST', '/__faults', { provider: 'openai', route: 'responses', outcome: 'incomplete', count: 1, match: threadId });
    const result = await generateTurn(turnOn(threadId, { max_output_tokens: 300 }), ai);
    expect(result.json).toEqual({ subject: expect.any(String), body: expect.any(String) });
    expect((await turnsOn(threadId)).map((r) => r.body.max_output_tokens)).toEqual([300, 600]);
  });

  it('naturally: a budget too small for the reply, doubled, still too small: AI_INCOMPLETE', async () => {
    const threadId = await createAiThread(KEY, {}, ai);
    const error = await failureOf(generateTurn(turnOn(threadId, { max_output_tokens: 16 }), ai));
    expect(error).toMatchObject({ kind: 'permanent', code: AI_INCOMPLETE });
    expect((await turnsOn(threadId)).map((r) => r.body.max_output_tokens)).toEqual([16, 32]);
  });

  it('the retry budget: double, at most 16,384; none past that', () => {
    expect(retryOutputBudget(100, 100)).toBe(200);
    expect(retryOutputBudget(undefined, 700)).toBe(1400);
    expect(retryOutputBudget(10_000, 10_000)).toBe(16_384);
    expect(retryOutputBudget(16_384, 16_384)).toBeUndefined();
  });
});

describe('a refusal', () => {
  it("fails for good as AI_REFUSED, without retrying, and without the model's words in the error", async () => {
    const threadId = await createAiThread(KEY, {}, ai);
    await control('POST', '/__faults', { provider: 'openai', route: 'responses', outcome: 'refusal', match: threadId });
    const error = await failureOf(generateTurn(turnOn(threadId), ai));
    expect(error).toMatchObject({ kind: 'permanent', code: AI_REFUSED });
    expect(error!.message).not.toContain("can't help");
    expect(await turnsOn(threadId)).toHaveLength(1);
  });
});

describe('the compose step', () => {
  /** The threads table in memory (the DynamoDB one is exercised by the e2e tests): one attempt, the lease always held. */
  const memoryThreads = () => {
    const items = new Map<string, ThreadItem>();
    const at = (key: string) => items.get(key)!;
    const repository: ThreadRepository = {
      get: async (key) => items.get(key),
      claim: async (initial, now) => {
        const item: ThreadItem = {
          ...initial,
          status: 'composing',
          attempts: 1,
          lease_owner: 'lease',
          created_at: now.toISOString(),
          updated_at: now.toISOString(),
        };
        items.set(initial.thread_key, item);
        return { outcome: 'claimed', item: { ...item }, leaseToken: 'lease', attempt: 1 };
      },
      extendLease: async () => undefined,
      recordThreadId: async (key, _token, threadId) => void (at(key).thread_id = threadId),
      recordPart: async (key, _token, channel, part) => void ((at(key).composed ??= {})[channel] = part),
      markPublished: async (key) => void (at(key).status = 'published'),
      recordFailure: async (key, _token, failure) =>
        void Object.assign(at(key), { status: 'failed', failure_reason: failure.reason, failure_class: failure.failureClass }),
    };
    return { repository, items };
  };

  it.each([
    ['incomplete', AI_INCOMPLETE, 2],
    ['refusal', AI_REFUSED, 1],
  ])(
    'a reply that comes back %s: the thread item is failed for good with %s in its reason, nothing published',
    async (outcome, code, count) => {
      const company = companyItem((c) => {
        for (const channel of ['whatsapp', 'sms', 'email'] as const)
          c.ai_config.openai_config[channel] = {
            api_key_reference: 'ai-multi-comms/openai-api-key/test',
            model: 'gpt-4o-mini',
            instructions: 'x',
            max_output_tokens: 500,
          };
      });
      const contextObject = routerContextObjectFor(company, (b) => (b.request_data.channel_method = ['email']));
      const requestId = contextObject.frontend_payload.request_data.request_id;
      await control('POST', '/__faults', { provider: 'openai', route: 'responses', outcome, count, match: requestId });
      const threads = memoryThreads();
      const published: ComposedMessage[] = [];
      const deps: ComposeDeps = {
        threads: threads.repository,
        companies: { get: async () => company },
        secrets: { getJson: async () => ({ ai_api_key: KEY }) as never, evict: () => undefined },
        governor: createGovernor({ buckets: inMemoryBucketStore(), clock: { now: () => new Date() }, config: { enabled: true } }),
        ai: { createThread: (apiKey, metadata) => createAiThread(apiKey, metadata, ai), turn: (turn) => generateTurn(turn, ai) },
        publish: async (message) => void published.push(message),
        extendVisibility: async () => undefined,
        clock: { now: () => new Date() },
        logger: createLogger('compose'),
        metrics: { count: () => undefined },
        config: {
          visibilityTimeoutSeconds: 30,
          heartbeatIntervalMs: 600_000,
          retryBackoffBaseSeconds: 1,
          retryBackoffMaxSeconds: 5,
          recordDeadlineMs: 30_000,
        },
      };

      const outcomeOf = await composeRecord(
        { messageId: randomUUID(), receiptHandle: 'rh', body: toSqsSafeJson(contextObject), receiveCount: 1 },
        deps,
      );

      // Acknowledged: a retry would ask the same of the same model.
      expect(outcomeOf).toEqual({ outcome: 'acknowledge', reason: expect.stringMatching(new RegExp(`^${code}: `)) });
      expect(published).toEqual([]);
      const item = [...threads.items.values()][0]!;
      expect(item).toMatchObject({
        status: 'failed',
        failure_class: 'permanent',
        failure_reason: expect.stringMatching(new RegExp(`^${code}: `)),
      });
      expect(item.failure_reason).not.toContain("can't help");
      expect((await turnsOn(item.thread_id!)).map((r) => r.body.max_output_tokens)).toEqual(outcome === 'incomplete' ? [500, 1000] : [500]);
    },
  );
});

describe('the reply step', () => {
  it('a refusal hands the conversation to a human: the hand-off is published, nothing is sent, the message is held with AI_REFUSED', async () => {
    const company = companyItem(
      (c) =>
        (c.ai_config.openai_config.whatsapp = {
          api_key_reference: 'ai-multi-comms/openai-api-key/test',
          model: 'gpt-4o-mini',
          instructions: 'x',
        }),
    );
    const threadId = await createAiThread(KEY, {}, ai);
    await control('POST', '/__faults', { provider: 'openai', route: 'responses', outcome: 'refusal', match: threadId });
    const now = new Date();
    const conversation: ConversationItem = {
      primary_channel: '+447700900123',
      conversation_id: `ci-aaa-001#pi-aaa-001#${randomUUID()}#447700900001`,
      conversation_status: 'initial_message_sent',
      channel_method: 'whatsapp',
      company_id: company.company_id,
      project_id: company.project_id,
      request_id: randomUUID(),
      recipient_tel: '+447700900123',
      comms_consent: true,
      initial_request_timestamp: now.toISOString(),
      thread_id: threadId,
      ai_config: { openai_config: { whatsapp: company.ai_config.openai_config.whatsapp } },
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    };
    const inbound: InboundMessage = {
      inbound_id: `twilio#SM${randomUUID().replace(/-/g, '')}`,
      provider: 'twilio',
      channel: 'whatsapp',
      from_address: '+447700900123',
      to_address: '+447700900001',
      text: 'Something the model will not answer',
      intent: 'reply',
      inbound_status: 'linked',
      conversation: { primary_channel: conversation.primary_channel, conversation_id: conversation.conversation_id },
      thread_id: threadId,
      received_at: now.toISOString(),
      updated_at: now.toISOString(),
      expires_at: 0,
    };
    const seen = {
      finished: [] as [string, string | undefined][],
      outcomes: [] as unknown[],
      handOffs: [] as { reason: string }[],
      published: 0,
      statuses: [] as string[],
    };
    const deps: ReplyDeps = {
      inbound: {
        receive: async () => ({ created: true }),
        get: async () => inbound,
        link: async () => undefined,
        markEnqueued: async () => undefined,
        markThreadNoted: async () => undefined,
        storeAnswer: async (_id, answer) => answer,
        finish: async (_id, status, _now, reason) => void seen.finished.push([status, reason]),
      },
      conversations: { get: async () => conversation },
      updates: {
        appendInbound: async () => true,
        setStatus: async (_key, status) => void seen.statuses.push(status),
        recordOutcome: async (_key, outcome) => void seen.outcomes.push(outcome),
        handOffThread: async () => 0,
        takeAnswer: async () => true,
        holdForLater: async () => undefined,
        clearWaiting: async () => undefined,
      },
      companies: { get: async () => company },
      optOuts: { isOptedOut: async () => false, record: async () => true },
      secrets: { getJson: async () => ({ ai_api_key: KEY }) as never, evict: () => undefined },
      ai: { note: async () => undefined, turn: (turn) => generateTurn(turn, ai) },
      governor: createGovernor({ buckets: inMemoryBucketStore(), clock: { now: () => new Date() }, config: { enabled: true } }),
      publishAnswer: async () => void (seen.published += 1),
      publishHandOff: async (event) => void seen.handOffs.push(event),
      clock: { now: () => new Date() },
      logger: createLogger('reply'),
      metrics: { count: () => undefined },
      config: { retryBackoffBaseSeconds: 1, retryBackoffMaxSeconds: 10, maxReceiveCount: 3 },
    };

    const outcome = await answerReply(
      { messageId: 'm1', receiptHandle: 'rh', body: JSON.stringify({ inbound_id: inbound.inbound_id }), receiveCount: 1 },
      deps,
    );

    expect(outcome).toEqual({ outcome: 'acknowledge', reason: 'the AI declined to answer: handed to a human' });
    expect(seen.outcomes).toEqual([{ handOffReason: REFUSAL_HAND_OFF_REASON, taskComplete: false }]);
    expect(seen.handOffs).toEqual([
      expect.objectContaining({ event: 'hand_off_to_human', thread_id: threadId, reason: REFUSAL_HAND_OFF_REASON }),
    ]);
    expect(seen.published).toBe(0);
    expect(seen.finished).toEqual([['held', `${AI_REFUSED}: ${REFUSAL_HAND_OFF_REASON}`]]);
    expect(seen.statuses).toEqual([]);
    expect(await turnsOn(threadId)).toHaveLength(1);
  });
});
