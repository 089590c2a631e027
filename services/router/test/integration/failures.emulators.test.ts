import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { AppError, createSqsClient, dynamoCompanyRepository, dynamoIdempotencyStore, dynamoRateLimiter, ErrorCodes, systemClock } from '@ai-multi-comms/core';
import { initiateConversation, InitiateConversationDeps } from '../../src/initiate-conversation';
import { sqsContextObjectQueue } from '../../src/ports/context-object-queue';
import { stackClients, StackState, takeQueueMessage, useStackEnvironment, validBody } from '../../../../test/support/stack';

/**
 * The 5xx paths with real emulators behind the use case: a queue that does not exist and a table
 * that does not exist. A failed request must leave nothing a retry of the same request cannot repair.
 */
let state: StackState;
let clients: ReturnType<typeof stackClients>;
beforeAll(() => {
  state = useStackEnvironment();
  clients = stackClients(state);
});
afterAll(() => clients.destroy());

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
  expect(await takeQueueMessage(clients.sqs, state.resources.whatsappQueueUrl!, retried.conversation_id)).toBeDefined();
  expect(await takeQueueMessage(clients.sqs, state.resources.whatsappQueueUrl!, retried.conversation_id, 800)).toBeUndefined();
});

it('a database failure is 500 DATABASE_ERROR without detail', async () => {
  const error = await run(depsWith({ companyTable: `missing-table-${randomUUID()}` }), validBody()).catch((e: AppError) => e);
  expect((error as AppError).code).toBe(ErrorCodes.DATABASE_ERROR);
  expect((error as AppError).message).not.toMatch(/missing-table|ResourceNotFound/);
});
