import { randomUUID } from 'node:crypto';
import { AppError, ErrorCodes, transient } from '@ai-multi-comms/core';
import { initiateConversation } from '../src/initiate-conversation';
import { API_KEY, company, fakeDeps } from './fakes';

const body = (patch?: (b: Record<string, any>) => void) => {
  const b: Record<string, any> = {
    company_data: { company_id: 'ci-aaa-001', project_id: 'pi-aaa-001' },
    recipient_data: {
      recipient_first_name: 'John',
      recipient_tel: '+447700900123',
      recipient_email: 'john@example.com',
      comms_consent: true,
    },
    request_data: { request_id: randomUUID(), channel_method: 'whatsapp', initial_request_timestamp: '2025-09-15T11:45:32.789Z' },
  };
  patch?.(b);
  return b;
};

/** `apiKey: null` sends no key at all. */
const run = (deps: ReturnType<typeof fakeDeps>['deps'], requestBody: unknown, apiKey: string | null = API_KEY) =>
  initiateConversation({ rawBody: JSON.stringify(requestBody), apiKey: apiKey ?? undefined, traceId: 'trace-1' }, deps);

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'accepted';
};

describe('initiateConversation', () => {
  it('queues one Context Object on the channel queue and records the outcome', async () => {
    const { deps, queue, idempotency, rate } = fakeDeps();
    const request = body();
    const result = await run(deps, request);
    expect(result).toMatchObject({ status: 'success', request_id: request.request_data.request_id, replayed: false });
    expect(result.conversation_id).toBe(`ci-aaa-001#pi-aaa-001#${request.request_data.request_id}#447700900001`);
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]!.contextObject.conversation_data.conversations).toEqual([
      { channel: 'whatsapp', conversation_id: result.conversation_id },
    ]);
    expect(result.conversations).toEqual([{ channel: 'whatsapp', conversation_id: result.conversation_id }]);
    expect(queue.sent[0]!.contextObject.metadata.trace_id).toBe('trace-1');
    expect([...idempotency.records.values()][0]).toMatchObject({
      status: 'COMPLETED',
      response: { conversation_id: result.conversation_id },
    });
    expect(rate.counts.get('ci-aaa-001#pi-aaa-001')).toBe(1);
  });

  it('answers a repeated request with the first outcome and queues nothing new', async () => {
    const { deps, queue, rate } = fakeDeps();
    const request = body();
    const first = await run(deps, request);
    const second = await run(deps, JSON.parse(JSON.stringify(request)));
    expect(second).toMatchObject({ conversation_id: first.conversation_id, queue_timestamp: first.queue_timestamp, replayed: true });
    expect(queue.sent).toHaveLength(1);
    expect(rate.counts.get('ci-aaa-001#pi-aaa-001')).toBe(1);
  });

  it('treats the same body with keys in another order and the id in upper case as the same request', async () => {
    const { deps, queue } = fakeDeps();
    const request = body();
    await run(deps, request);
    const reordered = {
      request_data: { ...request.request_data, request_id: request.request_data.request_id.toUpperCase() },
      recipient_data: request.recipient_data,
      company_data: request.company_data,
    };
    expect((await run(deps, reordered)).replayed).toBe(true);
    expect(queue.sent).toHaveLength(1);
  });

  it('refuses a reused request_id with another body', async () => {
    const { deps, queue } = fakeDeps();
    const request = body();
    await run(deps, request);
    const changed = body((b) => {
      b.request_data.request_id = request.request_data.request_id;
      b.recipient_data.recipient_first_name = 'Jane';
    });
    expect(await codeOf(run(deps, changed))).toBe(ErrorCodes.IDEMPOTENCY_CONFLICT);
    expect(queue.sent).toHaveLength(1);
  });

  it.each([
    ['consent false', () => body((b) => (b.recipient_data.comms_consent = false)), API_KEY, ErrorCodes.COMMS_CONSENT_REQUIRED],
    // A key holder cannot tell an unknown pair from one bound to another key.
    ['unknown company', () => body((b) => (b.company_data.company_id = 'ci-zzz')), API_KEY, ErrorCodes.API_KEY_NOT_AUTHORIZED],
    ['another key', () => body(), 'some-other-key-00000000000000000', ErrorCodes.API_KEY_NOT_AUTHORIZED],
    ['no key at all', () => body(), null, ErrorCodes.API_KEY_NOT_AUTHORIZED],
    [
      'a channel the project does not allow',
      () => body((b) => (b.request_data.channel_method = 'sms')),
      API_KEY,
      ErrorCodes.CHANNEL_NOT_ALLOWED,
    ],
  ])('refuses %s and leaves nothing behind', async (_name, makeBody, apiKey, code) => {
    const { deps, queue, idempotency, rate } = fakeDeps();
    expect(await codeOf(run(deps, makeBody(), apiKey))).toBe(code);
    expect(queue.sent).toHaveLength(0);
    expect(idempotency.records.size).toBe(0);
    expect(rate.counts.size).toBe(0);
  });

  it('reads the opt-outs, begins the idempotency record and counts the request in one round trip', async () => {
    const { deps } = fakeDeps();
    // Each dependency answers only once all three have been asked: sequential calls would hang.
    let asked = 0;
    let release: () => void = () => undefined;
    const allAsked = new Promise<void>((resolve) => (release = resolve));
    const together =
      <T>(call: () => Promise<T>) =>
      async () => {
        asked += 1;
        if (asked === 3) release();
        await allAsked;
        return call();
      };
    const { begin } = deps.idempotency;
    const { consume } = deps.rateLimiter;
    deps.optOuts = { optedOutChannels: together(async () => []) };
    deps.idempotency = { ...deps.idempotency, begin: (...args) => together(() => begin(...args))() };
    deps.rateLimiter = { ...deps.rateLimiter, consume: (...args) => together(() => consume(...args))() };
    const timeout = new Promise((_resolve, reject) =>
      setTimeout(() => reject(new Error('the three calls were not made at once')), 1000).unref(),
    );
    await expect(Promise.race([run(deps, body()), timeout])).resolves.toMatchObject({ status: 'success' });
  });

  it('refuses an opted-out recipient and leaves nothing behind: the record released, the count given back', async () => {
    const { deps, queue, idempotency, rate } = fakeDeps();
    deps.optOuts = { optedOutChannels: async () => ['whatsapp'] };
    expect(await codeOf(run(deps, body()))).toBe(ErrorCodes.RECIPIENT_OPTED_OUT);
    expect(queue.sent).toHaveLength(0);
    expect(idempotency.records.size).toBe(0);
    expect(rate.counts.get('ci-aaa-001#pi-aaa-001')).toBe(0);
  });

  it('does not count a repeat against the rate limit, and answers it even when the limit is reached', async () => {
    const { deps, queue, rate } = fakeDeps([company((c) => (c.rate_limits = { requests_per_minute: 1 }))]);
    const request = body();
    await run(deps, request);
    expect(rate.counts.get('ci-aaa-001#pi-aaa-001')).toBe(1);
    await expect(run(deps, request)).resolves.toMatchObject({ replayed: true });
    expect(rate.counts.get('ci-aaa-001#pi-aaa-001')).toBe(1);
    expect(await codeOf(run(deps, body()))).toBe(ErrorCodes.RATE_LIMIT_EXCEEDED);
    expect(queue.sent).toHaveLength(1);
  });

  it('refused for rate, releases its idempotency record so that the retry runs afresh', async () => {
    const { deps, idempotency } = fakeDeps([company((c) => (c.rate_limits = { requests_per_minute: 0 }))]);
    expect(await codeOf(run(deps, body()))).toBe(ErrorCodes.RATE_LIMIT_EXCEEDED);
    expect(idempotency.records.size).toBe(0);
  });

  it('checks consent before reading the company (no I/O for a request it must refuse)', async () => {
    const { deps, reads } = fakeDeps();
    await codeOf(
      run(
        deps,
        body((b) => (b.recipient_data.comms_consent = false)),
      ),
    );
    expect(reads).toHaveLength(0);
  });

  it('refuses an inactive project', async () => {
    const { deps } = fakeDeps([company((c) => (c.project_status = 'inactive'))]);
    expect(await codeOf(run(deps, body()))).toBe(ErrorCodes.PROJECT_INACTIVE);
  });

  it('reports a project allowed a channel it has no sender for as CONFIGURATION_ERROR, leaving no record', async () => {
    const { deps, idempotency } = fakeDeps([company((c) => (c.allowed_channels = ['whatsapp', 'email']))]);
    expect(
      await codeOf(
        run(
          deps,
          body((b) => (b.request_data.channel_method = 'email')),
        ),
      ),
    ).toBe(ErrorCodes.CONFIGURATION_ERROR);
    expect(idempotency.records.size).toBe(0);
  });

  it('on a queue failure answers QUEUE_ERROR, releases the record and the count, and the retry succeeds once', async () => {
    const { deps, queue, idempotency, rate } = fakeDeps();
    const request = body();
    queue.failNext();
    expect(await codeOf(run(deps, request))).toBe(ErrorCodes.QUEUE_ERROR);
    expect(idempotency.records.size).toBe(0);
    expect(rate.counts.get('ci-aaa-001#pi-aaa-001')).toBe(0);
    const retried = await run(deps, request);
    expect(retried.replayed).toBe(false);
    expect(queue.sent).toHaveLength(1);
  });

  it('on a database failure reading the company answers DATABASE_ERROR', async () => {
    const { deps } = fakeDeps();
    deps.companies.get = async () => {
      throw transient(ErrorCodes.DATABASE_ERROR, 'The company configuration could not be read. Please retry.');
    };
    expect(await codeOf(run(deps, body()))).toBe(ErrorCodes.DATABASE_ERROR);
  });

  it('when recording the outcome fails after queueing, answers DATABASE_ERROR and a retry queues the same conversation id again (the processor dedupes it)', async () => {
    const { deps, queue } = fakeDeps();
    const complete = deps.idempotency.complete;
    deps.idempotency.complete = async () => {
      throw transient(ErrorCodes.DATABASE_ERROR, 'x');
    };
    const request = body();
    expect(await codeOf(run(deps, request))).toBe(ErrorCodes.DATABASE_ERROR);
    deps.idempotency.complete = complete;
    await run(deps, request);
    expect(queue.sent).toHaveLength(2);
    expect(queue.sent[0]!.contextObject.conversation_data.conversations[0]!.conversation_id).toBe(
      queue.sent[1]!.contextObject.conversation_data.conversations[0]!.conversation_id,
    );
  });

  it('passes the rate limiter the project limits and answers RATE_LIMIT_EXCEEDED past them', async () => {
    const { deps, queue } = fakeDeps([company((c) => (c.rate_limits = { requests_per_minute: 2 }))]);
    await run(deps, body());
    await run(deps, body());
    expect(await codeOf(run(deps, body()))).toBe(ErrorCodes.RATE_LIMIT_EXCEEDED);
    expect(queue.sent).toHaveLength(2);
  });
});
