import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { AppError, dynamoIdempotencyStore, dynamoRateLimiter, ErrorCodes } from '../../src';
import { useLocalStack } from '@ai-multi-comms/testing/stack';

/** The router's guards against DynamoDB Local: what concurrent Lambdas would see. */
const { state, clients } = useLocalStack();

const settle = async <T>(promises: Promise<T>[]) => {
  const results = await Promise.allSettled(promises);
  return {
    ok: results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<T>).value),
    codes: results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as AppError).code),
  };
};

describe('idempotency store (DynamoDB)', () => {
  const store = () =>
    dynamoIdempotencyStore(clients.documents, state.resources.idempotencyTable!, { ttlSeconds: 86400, inProgressSeconds: 15 });

  it('lets exactly one of ten concurrent first attempts start; the others see it in progress', async () => {
    const key = `c#p#${randomUUID()}`;
    const now = new Date();
    const { ok, codes } = await settle(Array.from({ length: 10 }, () => store().begin(key, 'hash-a', now)));
    expect(ok).toEqual([{ state: 'started' }]);
    expect(codes).toEqual(Array(9).fill(ErrorCodes.IDEMPOTENCY_IN_PROGRESS));
  });

  it('returns the stored response once completed, and refuses another body', async () => {
    const key = `c#p#${randomUUID()}`;
    const now = new Date();
    await store().begin(key, 'hash-a', now);
    await store().complete(key, { conversation_id: 'conv-1', queue_timestamp: 't' }, now);
    expect(await store().begin(key, 'hash-a', now)).toEqual({
      state: 'completed',
      response: { conversation_id: 'conv-1', queue_timestamp: 't' },
    });
    const { codes } = await settle([store().begin(key, 'hash-b', now)]);
    expect(codes).toEqual([ErrorCodes.IDEMPOTENCY_CONFLICT]);
  });

  it('lets a retry start after release, after the in-progress lease lapses, and after the record expires', async () => {
    const key = `c#p#${randomUUID()}`;
    const t0 = new Date('2026-01-01T00:00:00.000Z');
    await store().begin(key, 'h', t0);
    await store().release(key);
    expect(
      (await clients.documents.send(new GetCommand({ TableName: state.resources.idempotencyTable, Key: { idempotency_key: key } }))).Item,
    ).toBeUndefined();
    expect(await store().begin(key, 'h', t0)).toEqual({ state: 'started' });
    expect(await store().begin(key, 'h', new Date(t0.getTime() + 16_000))).toEqual({ state: 'started' });
    await store().complete(key, { conversation_id: 'c', queue_timestamp: 't' }, t0);
    // The takeover at t0+16 s wrote a new 24 h expiry; past it, the key is free for any body.
    expect(await store().begin(key, 'other', new Date(t0.getTime() + 16_000 + 86_401_000))).toEqual({ state: 'started' });
  });

  it('never releases a completed record', async () => {
    const key = `c#p#${randomUUID()}`;
    const now = new Date();
    await store().begin(key, 'h', now);
    await store().complete(key, { conversation_id: 'c', queue_timestamp: 't' }, now);
    await store().release(key);
    expect(await store().begin(key, 'h', now)).toMatchObject({ state: 'completed' });
  });
});

describe('rate limiter (DynamoDB)', () => {
  const limiter = () => dynamoRateLimiter(clients.documents, state.resources.rateLimitsTable!);
  // In the future: DynamoDB Local's TTL sweeper deletes items whose expires_at has passed (a past date made this flaky).
  const at = new Date('2099-05-05T10:20:30.000Z');

  it('admits exactly the limit out of 25 concurrent requests, and tells when to retry', async () => {
    const scope = `c#${randomUUID()}`;
    const { ok, codes } = await settle(Array.from({ length: 25 }, () => limiter().consume(scope, { perMinute: 7 }, at)));
    expect(ok).toHaveLength(7);
    expect(codes).toEqual(Array(18).fill(ErrorCodes.RATE_LIMIT_EXCEEDED));
    const item = await clients.documents.send(
      new GetCommand({ TableName: state.resources.rateLimitsTable, Key: { counter_key: `${scope}#minute#2099-05-05T10:20` } }),
    );
    expect(item.Item).toMatchObject({ count: 7 });
    expect(item.Item!.expires_at).toBe(Date.parse('2099-05-05T10:21:00Z') / 1000 + 60);
    try {
      await limiter().consume(scope, { perMinute: 7 }, at);
    } catch (error) {
      expect((error as AppError).retryAfterSeconds).toBe(30);
    }
  });

  it('gives the minute count back when the day window refuses, and refunds on request', async () => {
    const scope = `c#${randomUUID()}`;
    await limiter().consume(scope, { perMinute: 10, perDay: 1 }, at);
    await expect(limiter().consume(scope, { perMinute: 10, perDay: 1 }, at)).rejects.toMatchObject({
      code: ErrorCodes.RATE_LIMIT_EXCEEDED,
    });
    const minute = await clients.documents.send(
      new GetCommand({ TableName: state.resources.rateLimitsTable, Key: { counter_key: `${scope}#minute#2099-05-05T10:20` } }),
    );
    expect(minute.Item!.count).toBe(1);
    await limiter().refund(scope, { perMinute: 10, perDay: 1 }, at);
    await limiter().consume(scope, { perMinute: 10, perDay: 1 }, at);
  });

  it('counts nothing when the project has no limits', async () => {
    await limiter().consume(`c#${randomUUID()}`, {}, at);
  });
});
