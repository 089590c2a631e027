import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { holdUntil, Pace, Reservation, reserve, takeNow } from './pacing';

/**
 * The governor's buckets, shared by every Lambda: one item per bucket in the rate-limits table
 * (`counter_key` = `governor#<kind>#<name>`, beside the router's per-project counters), holding
 * the bucket's TAT (pacing.ts). Each change is a compare-and-set: a conditional write on the TAT
 * this container last saw. A write that loses the race gets the current item back in the same
 * round trip (ReturnValuesOnConditionCheckFailure), recomputes and tries again, so an
 * uncontended reservation is one call and a contended one a few, never a read followed by a write.
 * Transactions would do no better: they fail with TransactionConflict under the same contention.
 */
export interface BucketStore {
  reserve(bucket: string, count: number, pace: Pace, nowMs: number): Promise<Reservation>;
  /** Nobody gets a slot before `untilMs` (the provider's Retry-After). */
  holdUntil(bucket: string, untilMs: number, pace: Pace): Promise<void>;
  /** `count` units taken now, ahead of the booked slots, pushing them back at most `borrowLimitMs` past now (pacing.ts `takeNow`). */
  takeNow(bucket: string, count: number, pace: Pace, nowMs: number, borrowLimitMs?: number): Promise<void>;
}

/** What a bucket costs at most: its item lives a day past its last use (DynamoDB TTL). */
const TTL_SECONDS = 86_400;
const MAX_ATTEMPTS = 40;

const databaseError = (error: unknown) => transient(ErrorCodes.DATABASE_ERROR, 'The send rate could not be read or booked.', error);

export const dynamoBucketStore = (
  client: DynamoDBDocumentClient,
  tableName: string,
  options: { sleep?: (ms: number) => Promise<void> } = {},
): BucketStore => {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  /** The TAT each bucket had when this container last wrote or saw it: the first guess of the next compare-and-set. */
  const seen = new Map<string, number | undefined>();

  /** Set the bucket's TAT to next(current) if it is still `current`; on a lost race, again with what it became. */
  const update = async <T>(bucket: string, next: (tatMs: number | undefined) => { tatMs?: number; result: T }): Promise<T> => {
    let current = seen.get(bucket);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const decided = next(current);
      if (decided.tatMs === undefined || decided.tatMs === current) return decided.result;
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { counter_key: bucket },
            UpdateExpression: 'SET tat_ms = :next, expires_at = :expires',
            ConditionExpression: current === undefined ? 'attribute_not_exists(tat_ms)' : 'tat_ms = :current',
            ExpressionAttributeValues: {
              ':next': decided.tatMs,
              ':expires': Math.ceil(decided.tatMs / 1000) + TTL_SECONDS,
              ...(current === undefined ? {} : { ':current': current }),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        seen.set(bucket, decided.tatMs);
        return decided.result;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error);
        const item = error.Item as { tat_ms?: { N?: string } } | undefined;
        current = item?.tat_ms?.N === undefined ? undefined : Number(item.tat_ms.N);
        seen.set(bucket, current);
        // Containers that lost the same race would collide again: spread their next tries.
        await sleep(Math.random() * Math.min(50, 2 ** attempt));
      }
    }
    throw databaseError(new Error(`${MAX_ATTEMPTS} conflicting writes on ${bucket}`));
  };

  /**
   * The records of a batch run in parallel in one container: their bookings on one bucket wait
   * for the write in flight and then go together, in arrival order, as one compare-and-set. So a
   * bucket sees as many writers at once as there are containers, not records.
   */
  interface Pending {
    count: number;
    pace: Pace;
    nowMs: number;
    resolve: (reservation: Reservation) => void;
    reject: (error: unknown) => void;
  }
  const queues = new Map<string, Pending[]>();
  const flush = async (bucket: string): Promise<void> => {
    const batch = queues.get(bucket) ?? [];
    queues.set(bucket, []);
    try {
      const results = await update<Reservation[]>(bucket, (tatMs) => {
        let tat = tatMs;
        const reservations = batch.map((p) => {
          const reservation = reserve(tat, p.nowMs, p.count, p.pace);
          if (reservation.booked) tat = reservation.tatMs;
          return reservation;
        });
        return { tatMs: tat, result: reservations };
      });
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      batch.forEach((p) => p.reject(error));
    }
    if ((queues.get(bucket) ?? []).length > 0) return flush(bucket);
    queues.delete(bucket);
  };

  return {
    reserve: (bucket, count, pace, nowMs) =>
      new Promise<Reservation>((resolve, reject) => {
        const queue = queues.get(bucket);
        if (queue) return void queue.push({ count, pace, nowMs, resolve, reject });
        queues.set(bucket, [{ count, pace, nowMs, resolve, reject }]);
        void flush(bucket);
      }),
    holdUntil: (bucket, untilMs, pace) => update<void>(bucket, (tatMs) => ({ tatMs: holdUntil(tatMs, untilMs, pace), result: undefined })),
    takeNow: (bucket, count, pace, nowMs, borrowLimitMs) =>
      update<void>(bucket, (tatMs) => ({ tatMs: takeNow(tatMs, nowMs, count, pace, borrowLimitMs), result: undefined })),
  };
};

/** The same buckets in memory, for tests and in-process benches (one process, no contention). */
export const inMemoryBucketStore = (): BucketStore & { tat(bucket: string): number | undefined } => {
  const tats = new Map<string, number>();
  return {
    async reserve(bucket, count, pace, nowMs) {
      const reservation = reserve(tats.get(bucket), nowMs, count, pace);
      if (reservation.booked) tats.set(bucket, reservation.tatMs);
      return reservation;
    },
    async holdUntil(bucket, untilMs, pace) {
      tats.set(bucket, holdUntil(tats.get(bucket), untilMs, pace));
    },
    async takeNow(bucket, count, pace, nowMs, borrowLimitMs) {
      tats.set(bucket, takeNow(tats.get(bucket), nowMs, count, pace, borrowLimitMs));
    },
    tat: (bucket) => tats.get(bucket),
  };
};
