import middy from '@middy/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTracing, tracingEnabled } from '../src/observability/tracing';

const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 } as never;

describe('createTracing', () => {
  it('reads POWERTOOLS_TRACE_ENABLED as Powertools does: on unless false or 0', () => {
    expect(tracingEnabled({})).toBe(true);
    expect(tracingEnabled({ POWERTOOLS_TRACE_ENABLED: 'true' })).toBe(true);
    expect(tracingEnabled({ POWERTOOLS_TRACE_ENABLED: 'false' })).toBe(false);
    expect(tracingEnabled({ POWERTOOLS_TRACE_ENABLED: 'FALSE' })).toBe(false);
    expect(tracingEnabled({ POWERTOOLS_TRACE_ENABLED: '0' })).toBe(false);
  });

  it('off: clients are returned untouched, the middleware is accepted by middy and changes nothing', async () => {
    const tracing = createTracing('svc', { POWERTOOLS_TRACE_ENABLED: 'false' });
    const client = new DynamoDBClient({ region: 'us-east-1' });
    expect(tracing.instrument(client)).toBe(client);
    const handler = middy(async (event: { n: number }) => event.n * 2).use(tracing.middleware());
    await expect(handler({ n: 21 }, context)).resolves.toBe(42);
  });

  it('on: the handler runs through Powertools captureLambdaHandler and its result is unchanged', async () => {
    // Outside Lambda, Tracer itself does not emit segments, but the middleware and the client wrapper are the real ones.
    const tracing = createTracing('svc', { POWERTOOLS_TRACE_ENABLED: 'true' });
    const client = new DynamoDBClient({ region: 'us-east-1' });
    expect(tracing.instrument(client)).toBe(client); // captureAWSv3Client adds middleware to the same client
    const middleware = tracing.middleware();
    expect(typeof middleware.before).toBe('function');
    const handler = middy(async (event: { n: number }) => event.n + 1).use(middleware);
    await expect(handler({ n: 1 }, context)).resolves.toBe(2);
  });
});
