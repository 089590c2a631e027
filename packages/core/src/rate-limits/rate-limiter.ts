import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { rateLimited, transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { epochSeconds } from '../util/clock';

/**
 * Per-project request limits (docs/api.md: requests_per_minute, requests_per_day), counted in
 * DynamoDB so that every concurrent Lambda sees the same count. Each window is one counter item
 * updated with a single conditional ADD: atomic per window without transactions (which would
 * fail with TransactionConflict under exactly the concurrency they guard against). Windows are
 * counted in parallel; if one refuses, what the others counted is given back.
 */
export interface WindowLimits {
  perMinute?: number;
  perDay?: number;
}

export interface RateLimiter {
  /** Count one request against every configured window, or throw RATE_LIMIT_EXCEEDED with Retry-After. */
  consume(scope: string, limits: WindowLimits, now: Date): Promise<void>;
  /** Give back what `consume` counted (the request failed before anything was queued). */
  refund(scope: string, limits: WindowLimits, now: Date): Promise<void>;
}

interface Window {
  name: 'minute' | 'day';
  limit: number;
  key: string;
  endsAt: Date;
}

const windowsFor = (scope: string, limits: WindowLimits, now: Date): Window[] => {
  const windows: Window[] = [];
  if (limits.perMinute !== undefined) {
    const start = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    windows.push({
      name: 'minute',
      limit: limits.perMinute,
      key: `${scope}#minute#${start.toISOString().slice(0, 16)}`,
      endsAt: new Date(start.getTime() + 60_000),
    });
  }
  if (limits.perDay !== undefined) {
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    windows.push({
      name: 'day',
      limit: limits.perDay,
      key: `${scope}#day#${start.toISOString().slice(0, 10)}`,
      endsAt: new Date(start.getTime() + 86_400_000),
    });
  }
  return windows;
};

const databaseError = (error: unknown) =>
  transient(ErrorCodes.DATABASE_ERROR, 'The request could not be counted against the rate limit. Please retry.', error);

export const dynamoRateLimiter = (client: DynamoDBDocumentClient, tableName: string): RateLimiter => {
  const add = async (window: Window, delta: number, conditional: boolean): Promise<boolean> => {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { counter_key: window.key },
          UpdateExpression: 'ADD #count :delta SET expires_at = if_not_exists(expires_at, :expiresAt)',
          ConditionExpression: conditional ? 'attribute_not_exists(#count) OR #count < :limit' : undefined,
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: {
            ':delta': delta,
            // Kept a minute past the window so a late refund still finds it; TTL cleans up.
            ':expiresAt': epochSeconds(window.endsAt) + 60,
            ...(conditional ? { ':limit': window.limit } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (conditional && error instanceof ConditionalCheckFailedException) return false;
      throw databaseError(error);
    }
  };

  return {
    async consume(scope, limits, now) {
      // Both windows in one round trip; a window that refused gives back what the other counted.
      const windows = windowsFor(scope, limits, now);
      const admitted = await Promise.all(windows.map((window) => add(window, 1, true)));
      const refused = windows.filter((_window, index) => !admitted[index]);
      if (refused.length === 0) return;
      await Promise.all(
        windows.filter((_window, index) => admitted[index]).map((counted) => add(counted, -1, false).catch(() => undefined)),
      );
      const window = refused.reduce((latest, candidate) => (candidate.endsAt > latest.endsAt ? candidate : latest));
      const retryAfter = Math.max(1, Math.ceil((window.endsAt.getTime() - now.getTime()) / 1000));
      throw rateLimited(
        ErrorCodes.RATE_LIMIT_EXCEEDED,
        `This project's limit of ${window.limit} requests per ${window.name} is reached; retry after ${retryAfter} seconds.`,
        retryAfter,
      );
    },
    async refund(scope, limits, now) {
      await Promise.all(windowsFor(scope, limits, now).map((window) => add(window, -1, false)));
    },
  };
};
