import {
  AppError,
  composeRecord,
  ComposeDeps,
  ComposedMessage,
  createGovernor,
  CREDENTIALS_REJECTED,
  inMemoryBucketStore,
  openAiLimit,
  rateLimited,
  threadKeyOf,
  transient,
} from '../src';
import {
  companyItem,
  contextObjectFixture,
  countingMetrics,
  fixedClock,
  inMemoryThreads,
  memorySecrets,
  recordingLogger,
} from '@ai-multi-comms/testing';

/**
 * The compose step with in-memory fakes (threads, secrets, clock, logger, metrics, governor):
 * each step's rule, the way out of each, and the retries that continue where an attempt stopped.
 * The same step runs against DynamoDB Local and the local OpenAI in the end-to-end tests.
 */
const KEY_NAME = 'ai-multi-comms/openai-api-key/whatsapp-dev';

const build = (overrides: Partial<ComposeDeps> = {}) => {
  const threads = inMemoryThreads();
  const secrets = memorySecrets({ [KEY_NAME]: { ai_api_key: 'sk-one' } });
  const clock = fixedClock();
  const metrics = countingMetrics();
  const { logger, lines } = recordingLogger();
  const calls = { threads: 0, turns: [] as { channel: string; apiKey: string; threadId: string }[], published: [] as ComposedMessage[] };
  const deps: ComposeDeps = {
    threads,
    companies: { get: async () => companyItem() },
    secrets,
    ai: {
      createThread: async () => `conv_${++calls.threads}`,
      turn: async (turn) => {
        calls.turns.push({ channel: turn.metadata.channel!, apiKey: turn.apiKey, threadId: turn.threadId });
        return {
          threadId: turn.threadId,
          text: `Hello on ${turn.metadata.channel}`,
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        };
      },
    },
    publish: async (message) => void calls.published.push(message),
    governor: createGovernor({ buckets: inMemoryBucketStore(), clock, config: { enabled: false } }),
    extendVisibility: async () => undefined,
    clock,
    logger,
    metrics,
    config: {
      visibilityTimeoutSeconds: 605,
      heartbeatIntervalMs: 600_000,
      retryBackoffBaseSeconds: 1,
      retryBackoffMaxSeconds: 10,
      maxReceiveCount: 3,
      recordDeadlineMs: 60_000,
    },
    ...overrides,
  };
  return { deps, threads, secrets, clock, metrics, lines, calls };
};

const recordOf = (body: string, receiveCount = 1) => ({ messageId: `m-${receiveCount}`, receiptHandle: 'rh', body, receiveCount });
const threeChannels = () => contextObjectFixture((body) => (body.request_data.channel_method = ['whatsapp', 'sms', 'email']));
const threadKeyFor = (contextObject: ReturnType<typeof contextObjectFixture>) => {
  const { company_data, request_data } = contextObject.frontend_payload;
  return threadKeyOf(company_data.company_id, company_data.project_id, request_data.request_id);
};

describe('the compose step, with in-memory fakes', () => {
  it('writes every channel on one thread, in request order, publishes once and marks the thread published', async () => {
    const { deps, threads, calls, metrics } = build();
    const contextObject = threeChannels();
    expect(await composeRecord(recordOf(JSON.stringify(contextObject)), deps)).toEqual({ outcome: 'acknowledge', reason: 'published' });
    expect(calls.threads).toBe(1);
    expect(calls.turns.map((turn) => turn.channel)).toEqual(['whatsapp', 'sms', 'email']);
    expect(new Set(calls.turns.map((turn) => turn.threadId))).toEqual(new Set(['conv_1']));
    expect(calls.published).toHaveLength(1);
    expect(calls.published[0]!.conversation_data.thread_id).toBe('conv_1');
    expect(Object.keys(calls.published[0]!.composed)).toEqual(['whatsapp', 'sms', 'email']);
    expect(threads.items.get(threadKeyFor(contextObject))).toMatchObject({ status: 'published', thread_id: 'conv_1', attempts: 1 });
    expect(metrics.counts.get('RequestsComposed')).toBe(1);
    expect(metrics.counts.get('ThreadsCreated')).toBe(1);
  });

  it('a retry after a failed publish reuses the thread and every written part: no second thread, no second turn', async () => {
    let failPublish = true;
    const { deps, calls } = build();
    deps.publish = async (message) => {
      if (failPublish) throw transient('QUEUE_ERROR', 'The composed message could not be published.');
      calls.published.push(message);
    };
    const body = JSON.stringify(threeChannels());
    expect(await composeRecord(recordOf(body), deps)).toMatchObject({ outcome: 'retry', delaySeconds: 1 });
    failPublish = false;
    expect(await composeRecord(recordOf(body, 2), deps)).toEqual({ outcome: 'acknowledge', reason: 'published' });
    expect(calls.threads).toBe(1);
    expect(calls.turns).toHaveLength(3);
    expect(calls.published).toHaveLength(1);
  });

  it('a published request delivered again is a duplicate, and nothing is called', async () => {
    const { deps, calls, metrics } = build();
    const body = JSON.stringify(contextObjectFixture());
    await composeRecord(recordOf(body), deps);
    expect(await composeRecord(recordOf(body, 2), deps)).toEqual({ outcome: 'acknowledge', reason: 'already published' });
    expect(calls.turns).toHaveLength(1);
    expect(metrics.counts.get('DuplicateDeliveries')).toBe(1);
  });

  it('a malformed message is retried, counted and, on its last receive, said to be going to the DLQ', async () => {
    const { deps, metrics, lines } = build();
    expect(await composeRecord(recordOf('{"not":"a context object"}', 3), deps)).toMatchObject({ outcome: 'retry' });
    expect(metrics.counts.get('FailuresMalformed')).toBe(1);
    expect(metrics.counts.get('RetriesExhausted')).toBe(1);
    expect(lines.some((line) => line.level === 'error' && line.message.startsWith('Retries exhausted'))).toBe(true);
  });

  it('an inactive project is refused for good: the failure is recorded permanent and the message acknowledged', async () => {
    const { deps, threads, calls } = build({ companies: { get: async () => companyItem((item) => (item.project_status = 'inactive')) } });
    const contextObject = contextObjectFixture();
    expect(await composeRecord(recordOf(JSON.stringify(contextObject)), deps)).toMatchObject({
      outcome: 'acknowledge',
      reason: expect.stringContaining('is not active'),
    });
    expect(threads.items.get(threadKeyFor(contextObject))).toMatchObject({ status: 'failed', failure_class: 'permanent' });
    expect(calls.turns).toHaveLength(0);
  });

  it('a missing OpenAI secret is transient (an operator can add it and redrive), even though nothing else would change', async () => {
    const { deps, threads } = build({ secrets: memorySecrets({}) });
    const contextObject = contextObjectFixture();
    expect(await composeRecord(recordOf(JSON.stringify(contextObject)), deps)).toMatchObject({ outcome: 'retry' });
    expect(threads.items.get(threadKeyFor(contextObject))).toMatchObject({ status: 'failed', failure_class: 'transient' });
  });

  it('a key rotated since it was cached: OpenAI refuses it, the secret is read again once and the turn repeated', async () => {
    const { deps, secrets, calls } = build();
    await secrets.getJson(KEY_NAME, ['ai_api_key']); // cached
    secrets.rotate(KEY_NAME, { ai_api_key: 'sk-two' });
    const turn = deps.ai.turn;
    deps.ai.turn = async (request) => {
      if (request.apiKey !== 'sk-two') throw new AppError('permanent', CREDENTIALS_REJECTED, 'OpenAI refused the key.');
      return turn(request);
    };
    expect(await composeRecord(recordOf(JSON.stringify(contextObjectFixture())), deps)).toEqual({
      outcome: 'acknowledge',
      reason: 'published',
    });
    expect(secrets.evictions).toEqual([KEY_NAME]);
    expect(calls.turns.map((call) => call.apiKey)).toEqual(['sk-two']);
  });

  it('OpenAI refusing for rate puts the request back for as long as it says, and holds the key back for every container', async () => {
    const buckets = inMemoryBucketStore();
    const { deps, clock } = build();
    deps.governor = createGovernor({ buckets, clock, config: { enabled: true } });
    deps.ai.turn = async () => {
      throw rateLimited('AI_RATE_LIMITED', 'OpenAI: requests per minute.', 7);
    };
    expect(await composeRecord(recordOf(JSON.stringify(contextObjectFixture())), deps)).toMatchObject({
      outcome: 'requeue',
      delaySeconds: 7,
    });
    expect(buckets.tat(openAiLimit(KEY_NAME, [companyItem().ai_config.openai_config.whatsapp]).bucket)).toBeGreaterThanOrEqual(
      clock.now().getTime() + 7000,
    );
  });

  it("a request whose slot on the key's rate is later goes back with its slot, before any claim or call", async () => {
    const { deps, threads, calls, clock } = build();
    deps.governor = {
      enabled: true,
      pace: async () => ({ go: false, delaySeconds: 4, slotAtMs: clock.now().getTime() + 4200 }),
      refused: async () => undefined,
      takeNow: async () => undefined,
    };
    expect(await composeRecord(recordOf(JSON.stringify(contextObjectFixture())), deps)).toEqual({
      outcome: 'requeue',
      reason: expect.stringContaining('waiting for a slot'),
      delaySeconds: 4,
      slotAtMs: clock.now().getTime() + 4200,
    });
    expect(threads.items.size).toBe(0);
    expect(calls.turns).toHaveLength(0);
  });

  it('another attempt holding the lease: busy, offered again once that lease is over', async () => {
    const { deps, clock } = build();
    const body = JSON.stringify(contextObjectFixture());
    deps.publish = () => new Promise(() => undefined); // the first attempt hangs after writing
    void composeRecord(recordOf(body), { ...deps, config: { ...deps.config, recordDeadlineMs: 60_000 } });
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(1000);
    expect(await composeRecord(recordOf(body, 2), deps)).toMatchObject({ outcome: 'retry', reason: 'busy' });
  });

  it('past its deadline an attempt gives up: the failure is recorded (ending the lease), counted, and the message retried', async () => {
    const { deps, threads, metrics } = build({ publish: () => new Promise(() => undefined) });
    deps.config = { ...deps.config, recordDeadlineMs: 50 };
    const contextObject = contextObjectFixture();
    expect(await composeRecord(recordOf(JSON.stringify(contextObject)), deps)).toMatchObject({
      outcome: 'retry',
      reason: expect.stringContaining('at the publish step'),
    });
    expect(metrics.counts.get('RecordDeadlineExceeded')).toBe(1);
    expect(threads.items.get(threadKeyFor(contextObject))).toMatchObject({ status: 'failed', failure_class: 'transient' });
  });

  it('an attempt whose lease was taken over stops without recording anything more', async () => {
    const { deps, threads } = build();
    const contextObject = contextObjectFixture();
    deps.ai.turn = async (turn) => {
      threads.items.get(threadKeyFor(contextObject))!.lease_owner = 'someone-else';
      return { threadId: turn.threadId, text: 'x', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
    };
    expect(await composeRecord(recordOf(JSON.stringify(contextObject)), deps)).toMatchObject({ outcome: 'retry', reason: 'lease lost' });
    expect(threads.items.get(threadKeyFor(contextObject))!.composed).toEqual({});
  });
});
