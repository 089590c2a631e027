import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoBucketStore, paceFor, Reservation } from '../../src';
import { useLocalStack } from '@ai-multi-comms/testing/stack';

/** The governor's buckets against DynamoDB Local, as concurrent Lambdas share them. */
const { state, clients } = useLocalStack();

describe('governor buckets (DynamoDB)', () => {
  const store = () => dynamoBucketStore(clients.documents, state.resources.rateLimitsTable!);

  it('gives 60 concurrent callers in 6 containers 60 distinct slots, one interval apart, at a fixed clock', async () => {
    const bucket = `governor#test#${randomUUID()}`;
    const pace = paceFor(20); // 50 ms apart
    const containers = Array.from({ length: 6 }, store);
    const nowMs = Date.parse('2026-12-03T09:00:00Z');
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => containers[i % 6]!.reserve(bucket, 1, pace, nowMs)));
    const slots = results.map((r: Reservation) => (r.booked ? r.atMs - nowMs : NaN)).sort((a, b) => a - b);
    expect(slots).toEqual(Array.from({ length: 60 }, (_, i) => i * 50));
    const { Item } = await clients.documents.send(
      new GetCommand({ TableName: state.resources.rateLimitsTable!, Key: { counter_key: bucket } }),
    );
    expect(Item?.tat_ms).toBe(nowMs + 3000);
    expect(Item?.expires_at).toBe(Math.ceil((nowMs + 3000) / 1000) + 86_400);
  });

  it("holds the bucket until a provider's Retry-After, for every container", async () => {
    const bucket = `governor#test#${randomUUID()}`;
    const pace = paceFor(10);
    const nowMs = Date.parse('2026-12-03T09:00:00Z');
    await store().reserve(bucket, 1, pace, nowMs);
    await store().holdUntil(bucket, nowMs + 30_000, pace);
    expect(await store().reserve(bucket, 1, pace, nowMs + 1000)).toEqual({ booked: true, atMs: nowMs + 30_000, tatMs: nowMs + 30_100 });
  });

  it('a unit taken now by one container moves the slots another books after it', async () => {
    const bucket = `governor#test#${randomUUID()}`;
    const pace = paceFor(10);
    const nowMs = Date.parse('2026-12-03T09:00:00Z');
    const [compose, reply] = [store(), store()];
    await compose.reserve(bucket, 20, pace, nowMs); // booked 2 s ahead
    await reply.takeNow(bucket, 1, pace, nowMs + 10);
    expect(await compose.reserve(bucket, 1, pace, nowMs + 20)).toEqual({ booked: true, atMs: nowMs + 2100, tatMs: nowMs + 2200 });
  });
});
