import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  AppError,
  createSqsClient,
  dynamoCompanyRepository,
  dynamoIdempotencyStore,
  dynamoOptOutStore,
  dynamoRateLimiter,
  ErrorCodes,
  GOVERNOR_SLOT_ATTRIBUTE,
  systemClock,
} from '@ai-multi-comms/core';
import type { QueueEvent } from '@ai-multi-comms/local-stack';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createHandler } from '../../src/handler';
import { initiateConversation, InitiateConversationDeps } from '../../src/initiate-conversation';
import { sqsContextObjectQueue } from '../../src/ports/context-object-queue';
import { queueEvents, useLocalStack, validBody, waitForQueueEvents } from '@ai-multi-comms/testing/stack';

/**
 * The 5xx paths with real emulators behind the use case: a queue that does not exist and a table
 * that does not exist. A failed request must leave nothing a retry of the same request cannot repair.
 */
const { state, clients } = useLocalStack();

const depsWith = (overrides: { queueUrl?: string; companyTable?: string } = {}): InitiateConversationDeps => ({
  companies: dynamoCompanyRepository(clients.documents, overrides.companyTable ?? state.resources.companyDataTable!),
  idempotency: dynamoIdempotencyStore(clients.documents, state.resources.idempotencyTable!, { ttlSeconds: 86400, inProgressSeconds: 15 }),
  rateLimiter: dynamoRateLimiter(clients.documents, state.resources.rateLimitsTable!),
  optOuts: dynamoOptOutStore(clients.documents, state.resources.optOutsTable!),
  queue: sqsContextObjectQueue(createSqsClient({ maxAttempts: 1 }), overrides.queueUrl ?? state.resources.composeQueueUrl!),
  clock: systemClock,
  routerVersion: 'test',
  logger: { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as InitiateConversationDeps['logger'],
});

const run = (deps: InitiateConversationDeps, body: unknown) =>
  initiateConversation({ rawBody: JSON.stringify(body), apiKey: state.demoApiKeys.companyA, traceId: 't' }, deps);

it('a queue failure is 500 QUEUE_ERROR without detail, leaves no idempotency record, and the retry queues exactly once', async () => {
  const body = validBody();
  const missingQueue = state.resources.composeQueueUrl!.replace(/[^/]+$/, `no-such-queue-${randomUUID()}`);
  const error = await run(depsWith({ queueUrl: missingQueue }), body).catch((e: AppError) => e);
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(ErrorCodes.QUEUE_ERROR);
  expect((error as AppError).message).toBe('The request could not be queued. Please retry; retrying is safe.');
  const record = await clients.documents.send(
    new GetCommand({
      TableName: state.resources.idempotencyTable,
      Key: { idempotency_key: `ci-aaa-001#pi-aaa-001#${body.request_data.request_id}` },
    }),
  );
  expect(record.Item).toBeUndefined();

  const retried = await run(depsWith(), body);
  expect(retried.replayed).toBe(false);
  const filter = { queueUrl: state.resources.composeQueueUrl, status: 'published' as const, conversationId: retried.conversation_id };
  // The router's own sends: the compose step may put the message back for its slot on the OpenAI
  // key's rate (shared by the tests running beside this one), a copy carrying that slot (CI saw one).
  const routerSends = (events: QueueEvent[]) => events.filter((event) => !event.messageAttributes[GOVERNOR_SLOT_ATTRIBUTE]);
  expect(routerSends(await waitForQueueEvents(state, filter))).toHaveLength(1);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(routerSends(await queueEvents(state, filter))).toHaveLength(1);
});

/** The same failures through the real handler: the HTTP status and the exact body a client gets. */
const respond = async (deps: InitiateConversationDeps, body: Record<string, any>) => {
  const event = {
    httpMethod: 'POST',
    headers: { 'x-api-key': state.demoApiKeys.companyA },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'r' },
  };
  const context = { functionName: 'router', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
  const response = await createHandler(() => deps)(event as unknown as APIGatewayProxyEvent, context);
  return { status: response.statusCode, body: JSON.parse(response.body) };
};

it('a database failure is 500 DATABASE_ERROR with a sentence and no detail', async () => {
  const body = validBody();
  const response = await respond(depsWith({ companyTable: `missing-table-${randomUUID()}` }), body);
  expect(response).toEqual({
    status: 500,
    body: {
      status: 'error',
      error_code: ErrorCodes.DATABASE_ERROR,
      message: 'The company configuration could not be read. Please retry.',
      request_id: body.request_data.request_id,
    },
  });
});

it('a queue failure through the handler is 500 QUEUE_ERROR with the docs/api.md body', async () => {
  const body = validBody();
  const missingQueue = state.resources.composeQueueUrl!.replace(/[^/]+$/, `no-such-queue-${randomUUID()}`);
  const response = await respond(depsWith({ queueUrl: missingQueue }), body);
  expect(response).toEqual({
    status: 500,
    body: {
      status: 'error',
      error_code: ErrorCodes.QUEUE_ERROR,
      message: 'The request could not be queued. Please retry; retrying is safe.',
      request_id: body.request_data.request_id,
    },
  });
});

describe('a dependency that hangs (accepts the connection, never answers)', () => {
  /** A TCP server that accepts every connection and says nothing, as a stuck endpoint does. */
  const blackHole = async () => {
    const { createServer } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          sockets.forEach((socket) => socket.destroy());
          server.close(() => resolve());
        }),
    };
  };

  /**
   * The router's production wiring (createDefaultDeps) with one endpoint pointed at the black
   * hole, for the duration of `run` (the SDK resolves its endpoint at the first call).
   */
  const withProductionDeps = async <T>(
    variable: 'AWS_ENDPOINT_URL_SQS' | 'AWS_ENDPOINT_URL_DYNAMODB',
    url: string,
    run: (deps: InitiateConversationDeps) => Promise<T>,
  ): Promise<T> => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      COMPANY_DATA_TABLE: state.resources.companyDataTable,
      IDEMPOTENCY_TABLE: state.resources.idempotencyTable,
      RATE_LIMITS_TABLE: state.resources.rateLimitsTable,
      OPT_OUTS_TABLE: state.resources.optOutsTable,
      COMPOSE_QUEUE_URL: state.resources.composeQueueUrl,
      [variable]: url,
    });
    try {
      const { createDefaultDeps } = await import('../../src/dependencies');
      return await run(createDefaultDeps());
    } finally {
      process.env = saved;
    }
  };

  it('SQS hangs: 500 QUEUE_ERROR (not a Lambda timeout), the rate-limit count refunded and the idempotency record released', async () => {
    // Prepare: a project of its own, so its rate-limit counter is this test's alone.
    const { throwawayProject } = await import('@ai-multi-comms/testing/stack');
    const { item, apiKey } = await throwawayProject(state, clients);
    const hole = await blackHole();
    try {
      const body = validBody((b) => (b.company_data = { company_id: item.company_id, project_id: item.project_id }));
      const event = {
        httpMethod: 'POST',
        headers: { 'x-api-key': apiKey },
        body: JSON.stringify(body),
        isBase64Encoded: false,
        requestContext: { requestId: 'r' },
      };
      const context = { functionName: 'router', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

      // Act
      const response = await withProductionDeps('AWS_ENDPOINT_URL_SQS', hole.url, (deps) =>
        createHandler(() => deps)(event as unknown as APIGatewayProxyEvent, context),
      );

      // Assess
      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body)).toMatchObject({ error_code: ErrorCodes.QUEUE_ERROR });
      const minute = new Date().toISOString().slice(0, 16);
      const counter = await clients.documents.send(
        new GetCommand({
          TableName: state.resources.rateLimitsTable,
          Key: { counter_key: `${item.company_id}#${item.project_id}#minute#${minute}` },
        }),
      );
      expect(counter.Item?.count ?? 0).toBe(0);
      const record = await clients.documents.send(
        new GetCommand({
          TableName: state.resources.idempotencyTable,
          Key: { idempotency_key: `${item.company_id}#${item.project_id}#${body.request_data.request_id}` },
        }),
      );
      expect(record.Item).toBeUndefined();
    } finally {
      await hole.close();
    }
  }, 30_000);

  it("DynamoDB hangs: 500 DATABASE_ERROR with the contract's sentence", async () => {
    const hole = await blackHole();
    try {
      const body = validBody();
      const response = await withProductionDeps('AWS_ENDPOINT_URL_DYNAMODB', hole.url, (deps) => respond(deps, body));
      expect(response).toEqual({
        status: 500,
        body: {
          status: 'error',
          error_code: ErrorCodes.DATABASE_ERROR,
          message: 'The company configuration could not be read. Please retry.',
          request_id: body.request_data.request_id,
        },
      });
    } finally {
      await hole.close();
    }
  }, 30_000);
});
