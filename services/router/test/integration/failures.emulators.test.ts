import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { AppError, createSqsClient, dynamoCompanyRepository, dynamoIdempotencyStore, dynamoRateLimiter, ErrorCodes, systemClock } from '@ai-multi-comms/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createHandler } from '../../src/handler';
import { initiateConversation, InitiateConversationDeps } from '../../src/initiate-conversation';
import { sqsContextObjectQueue } from '../../src/ports/context-object-queue';
import { queueEvents, useLocalStack, validBody, waitForQueueEvents } from '../../../../test/support/stack';

/**
 * The 5xx paths with real emulators behind the use case: a queue that does not exist and a table
 * that does not exist. A failed request must leave nothing a retry of the same request cannot repair.
 */
const { state, clients } = useLocalStack();

const depsWith = (overrides: { queueUrl?: string; companyTable?: string } = {}): InitiateConversationDeps => ({
  companies: dynamoCompanyRepository(clients.documents, overrides.companyTable ?? state.resources.companyDataTable!),
  idempotency: dynamoIdempotencyStore(clients.documents, state.resources.idempotencyTable!, { ttlSeconds: 86400, inProgressSeconds: 15 }),
  rateLimiter: dynamoRateLimiter(clients.documents, state.resources.rateLimitsTable!),
  queue: sqsContextObjectQueue(createSqsClient({ maxAttempts: 1 }), { whatsapp: overrides.queueUrl ?? state.resources.whatsappQueueUrl }),
  clock: systemClock,
  routerVersion: 'test',
  logger: { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as InitiateConversationDeps['logger'],
});

const run = (deps: InitiateConversationDeps, body: unknown) =>
  initiateConversation({ rawBody: JSON.stringify(body), apiKey: state.demoApiKeys.companyA, traceId: 't' }, deps);

it('a queue failure is 500 QUEUE_ERROR without detail, leaves no idempotency record, and the retry queues exactly once', async () => {
  const body = validBody();
  const missingQueue = state.resources.whatsappQueueUrl!.replace(/[^/]+$/, `no-such-queue-${randomUUID()}`);
  const error = await run(depsWith({ queueUrl: missingQueue }), body).catch((e: AppError) => e);
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(ErrorCodes.QUEUE_ERROR);
  expect((error as AppError).message).toBe('The request could not be queued. Please retry; retrying is safe.');
  const record = await clients.documents.send(
    new GetCommand({ TableName: state.resources.idempotencyTable, Key: { idempotency_key: `ci-aaa-001#pi-aaa-001#${body.request_data.request_id}` } }),
  );
  expect(record.Item).toBeUndefined();

  const retried = await run(depsWith(), body);
  expect(retried.replayed).toBe(false);
  const filter = { queueUrl: state.resources.whatsappQueueUrl, status: 'published' as const, conversationId: retried.conversation_id };
  expect(await waitForQueueEvents(state, filter)).toHaveLength(1);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await queueEvents(state, filter)).toHaveLength(1);
});

/** The same failures through the real handler: the HTTP status and the exact body a client gets. */
const respond = async (deps: InitiateConversationDeps, body: Record<string, any>) => {
  const event = { httpMethod: 'POST', headers: { 'x-api-key': state.demoApiKeys.companyA }, body: JSON.stringify(body), isBase64Encoded: false, requestContext: { requestId: 'r' } };
  const context = { functionName: 'router', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
  const response = await createHandler(() => deps)(event as unknown as APIGatewayProxyEvent, context);
  return { status: response.statusCode, body: JSON.parse(response.body) };
};

it('a database failure is 500 DATABASE_ERROR with a sentence and no detail', async () => {
  const body = validBody();
  const response = await respond(depsWith({ companyTable: `missing-table-${randomUUID()}` }), body);
  expect(response).toEqual({
    status: 500,
    body: { status: 'error', error_code: ErrorCodes.DATABASE_ERROR, message: 'The company configuration could not be read. Please retry.', request_id: body.request_data.request_id },
  });
});

it('a queue failure through the handler is 500 QUEUE_ERROR with the api.md body', async () => {
  const body = validBody();
  const missingQueue = state.resources.whatsappQueueUrl!.replace(/[^/]+$/, `no-such-queue-${randomUUID()}`);
  const response = await respond(depsWith({ queueUrl: missingQueue }), body);
  expect(response).toEqual({
    status: 500,
    body: { status: 'error', error_code: ErrorCodes.QUEUE_ERROR, message: 'The request could not be queued. Please retry; retrying is safe.', request_id: body.request_data.request_id },
  });
});
