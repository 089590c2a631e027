import {
  AiTurn,
  AppError,
  COMBINED_INSTRUCTIONS,
  combinedInstructions,
  composeCalls,
  composePlan,
  composeRecord,
  ComposeDeps,
  ComposedMessage,
  createGovernor,
  CREDENTIALS_REJECTED,
  EMAIL_CONTENT_SCHEMA,
  SMS_PART_SCHEMA,
  WHATSAPP_TEMPLATE_VARIABLES_SCHEMA,
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

/** What the fake model writes for each channel's part of a combined first message. */
const FAKE_PARTS: Record<string, Record<string, string>> = {
  whatsapp: { '1': 'Ann', '2': 'Sarah', '3': 'Carer', '4': 'Could we talk this week?' },
  sms: { text: 'Hi Ann, Sarah from Acme here about the carer role.' },
  email: { subject: 'The carer role at Acme', body: 'Hi Ann,\n\nCould we talk this week?\n\nSarah' },
};

const build = (overrides: Partial<ComposeDeps> = {}, company = companyItem()) => {
  const threads = inMemoryThreads();
  const secrets = memorySecrets({ [KEY_NAME]: { ai_api_key: 'sk-one' } });
  const clock = fixedClock();
  const metrics = countingMetrics();
  const { logger, lines } = recordingLogger();
  const calls = {
    threads: 0,
    turns: [] as { channel: string; apiKey: string; threadId: string; turn: AiTurn }[],
    published: [] as ComposedMessage[],
  };
  const deps: ComposeDeps = {
    threads,
    companies: { get: async () => company },
    secrets,
    ai: {
      createThread: async () => `conv_${++calls.threads}`,
      turn: async (turn) => {
        calls.turns.push({ channel: turn.metadata.channel ?? turn.metadata.channels!, apiKey: turn.apiKey, threadId: turn.threadId, turn });
        if (turn.outputSchema?.name === 'first_messages') {
          const channels = Object.keys((turn.outputSchema.schema as { properties: object }).properties);
          const json = Object.fromEntries(channels.map((channel) => [channel, FAKE_PARTS[channel]]));
          return {
            threadId: turn.threadId,
            text: JSON.stringify(json),
            json,
            usage: { prompt_tokens: 31, completion_tokens: 14, total_tokens: 45 },
          };
        }
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
  it("writes every channel on one thread (here a call each: the fixture's e-mail runs a stored prompt), publishes once and marks the thread published", async () => {
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

/** The fixture project with every channel on one model (the fixture's e-mail runs a stored prompt). */
const sharedModel = () =>
  companyItem((item) => {
    item.ai_config.openai_config.email = {
      api_key_reference: KEY_NAME,
      model: 'gpt-4o-mini',
      instructions: 'Sign with the representative’s name.',
    };
    item.rate_limits = { ...item.rate_limits, max_message_length: 480 };
  });
const threeSharing = (channels = ['whatsapp', 'sms', 'email']) =>
  contextObjectFixture((body) => (body.request_data.channel_method = channels), sharedModel());

describe('the combined compose: one model call for every channel', () => {
  it('channels on one model: one call writes all three, and each sender gets its part as a call of its own would have given it', async () => {
    const { deps, calls, threads } = build({}, sharedModel());
    const contextObject = threeSharing();
    expect(await composeRecord(recordOf(JSON.stringify(contextObject)), deps)).toEqual({ outcome: 'acknowledge', reason: 'published' });
    expect(calls.turns.map((turn) => turn.channel)).toEqual(['whatsapp,sms,email']);
    const { composed } = calls.published[0]!;
    expect(composed.whatsapp).toMatchObject({ json: FAKE_PARTS.whatsapp, text: JSON.stringify(FAKE_PARTS.whatsapp) });
    expect(composed.sms).toEqual({ text: FAKE_PARTS.sms!.text, usage: expect.any(Object) });
    expect(composed.email).toMatchObject({ json: FAKE_PARTS.email, text: JSON.stringify(FAKE_PARTS.email) });
    // The call's usage shared out over the parts: their sum is the call's, never counted three times.
    const sum = (field: 'prompt_tokens' | 'completion_tokens' | 'total_tokens') =>
      Object.values(composed).reduce((total, part) => total + part!.usage[field], 0);
    expect([sum('prompt_tokens'), sum('completion_tokens'), sum('total_tokens')]).toEqual([31, 14, 45]);
    expect(Object.keys(threads.items.get(threadKeyFor(contextObject))!.composed!)).toEqual(['whatsapp', 'sms', 'email']);
  });

  it("the call: a strict schema with each channel's own part, the channels' instructions after the fixed text, the request's fields once and no contact details", async () => {
    const { deps, calls } = build({}, sharedModel());
    const contextObject = threeSharing();
    await composeRecord(recordOf(JSON.stringify(contextObject)), deps);
    const { turn } = calls.turns[0]!;
    expect(turn.outputSchema).toEqual({
      name: 'first_messages',
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['whatsapp', 'sms', 'email'],
        properties: { whatsapp: WHATSAPP_TEMPLATE_VARIABLES_SCHEMA.schema, sms: SMS_PART_SCHEMA, email: EMAIL_CONTENT_SCHEMA.schema },
      },
    });
    expect(turn.config.instructions).toBe(
      [COMBINED_INSTRUCTIONS, 'For whatsapp: Be kind.', 'For sms: Be brief.', 'For email: Sign with the representative’s name.'].join(
        '\n\n',
      ),
    );
    expect(turn.config).toMatchObject({ model: 'gpt-4o-mini', api_key_reference: KEY_NAME });
    expect(turn.input).toMatchObject({
      task: 'first_messages',
      channels: ['whatsapp', 'sms', 'email'],
      company_name: 'Acme',
      max_message_length: { sms: 480 },
    });
    const { recipient_data: recipient } = contextObject.frontend_payload;
    for (const contact of [recipient.recipient_tel, recipient.recipient_email].filter(Boolean))
      expect(JSON.stringify(turn.input)).not.toContain(contact);
  });

  it("sentences every channel's instructions share are said once, first; identical instructions once; each channel's own under its name", () => {
    const config = (instructions: string) => ({ api_key_reference: KEY_NAME, model: 'gpt-4o-mini', instructions });
    expect(
      combinedInstructions([
        ['whatsapp', config('We hire carers. Fill the template. Never promise pay.')],
        ['sms', config('We hire carers. At most 300 characters. Never promise pay.')],
        ['email', config('We hire carers. Write a subject and a body.')],
      ]),
    ).toBe(
      [
        COMBINED_INSTRUCTIONS,
        'We hire carers.',
        'For whatsapp: Fill the template. Never promise pay.',
        'For sms: At most 300 characters. Never promise pay.',
        'For email: Write a subject and a body.',
      ].join('\n\n'),
    );
    expect(
      combinedInstructions([
        ['whatsapp', config('Be kind.')],
        ['sms', config('Be kind.')],
      ]),
    ).toBe(`${COMBINED_INSTRUCTIONS}\n\nBe kind.`);
  });

  it('the same channels in another order make the same call text (a fixed order, so prompt caching can read it)', async () => {
    const first = build({}, sharedModel());
    const second = build({}, sharedModel());
    await composeRecord(recordOf(JSON.stringify(threeSharing(['whatsapp', 'sms', 'email']))), first.deps);
    await composeRecord(recordOf(JSON.stringify(threeSharing(['email', 'sms', 'whatsapp']))), second.deps);
    const shape = (turn: AiTurn) =>
      JSON.stringify([turn.config.instructions, turn.outputSchema, (turn.input as { channels: string[] }).channels]);
    expect(shape(second.calls.turns[0]!.turn)).toBe(shape(first.calls.turns[0]!.turn));
  });

  it('channels on different models or prompts fall back to a call per channel, each with its own schema, and say so in the logs', async () => {
    const { deps, calls, lines } = build();
    await composeRecord(recordOf(JSON.stringify(threeChannels())), deps);
    expect(calls.turns.map((turn) => [turn.channel, turn.turn.outputSchema?.name])).toEqual([
      ['whatsapp', 'whatsapp_template_variables'],
      ['sms', undefined],
      ['email', 'email_content'],
    ]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'Composing with one model call per channel',
        attributes: expect.objectContaining({
          channels: ['whatsapp', 'sms', 'email'],
          reason: expect.stringContaining('different models'),
        }),
      }),
    );
  });

  it('the governor books one unit per model call: one for a combined compose, one per channel when they cannot share (different models, a stored prompt)', () => {
    expect(composeCalls(threeSharing(), ['whatsapp', 'sms', 'email'])).toBe(1);
    expect(composeCalls(threeChannels(), ['whatsapp', 'sms', 'email'])).toBe(3);
    expect(composeCalls(threeSharing(), ['sms'])).toBe(1);
    const storedPrompt = companyItem((item) => {
      for (const channel of ['whatsapp', 'sms', 'email'] as const)
        item.ai_config.openai_config[channel] = { api_key_reference: KEY_NAME, prompt_id: 'pmpt_123' };
    });
    const onPrompt = contextObjectFixture((body) => (body.request_data.channel_method = ['whatsapp', 'sms']), storedPrompt);
    expect(composePlan(onPrompt, ['whatsapp', 'sms'])).toMatchObject({
      calls: 'one-per-channel',
      reason: expect.stringContaining('stored prompt'),
    });
  });

  it('an empty SMS part fails for good in compose, recorded on the thread item, instead of at the provider', async () => {
    const { deps, threads } = build({}, sharedModel());
    const turn = deps.ai.turn;
    deps.ai.turn = async (request) => {
      const result = await turn(request);
      const json = { ...result.json!, sms: { text: '  ' } };
      return { ...result, text: JSON.stringify(json), json };
    };
    const contextObject = threeSharing();
    expect(await composeRecord(recordOf(JSON.stringify(contextObject)), deps)).toEqual({
      outcome: 'acknowledge',
      reason: expect.any(String),
    });
    expect(threads.items.get(threadKeyFor(contextObject))).toMatchObject({
      status: 'failed',
      failure_class: 'permanent',
      failure_reason: 'OpenAI wrote no text for the sms message.',
    });
  });

  it('a retry after a failed publish reuses the combined parts: one call in all', async () => {
    let failPublish = true;
    const { deps, calls } = build({}, sharedModel());
    deps.publish = async (message) => {
      if (failPublish) throw transient('QUEUE_ERROR', 'The composed message could not be published.');
      calls.published.push(message);
    };
    const body = JSON.stringify(threeSharing());
    expect(await composeRecord(recordOf(body), deps)).toMatchObject({ outcome: 'retry' });
    failPublish = false;
    expect(await composeRecord(recordOf(body, 2), deps)).toEqual({ outcome: 'acknowledge', reason: 'published' });
    expect(calls.turns).toHaveLength(1);
  });
});
