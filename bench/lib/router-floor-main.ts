/**
 * The router's floor: the AWS calls one accepted request costs the router, issued directly with
 * the SDK in a tight loop against the same emulators, in the router's own order (opt-outs,
 * idempotency record and both rate windows at once; SendMessage; the idempotency completion),
 * with the same items and the same message body. No validation, no Context Object build, no
 * middleware, no logging: what is left is the I/O that any router doing this job must do. Prints
 * its throughput as one JSON line, like router-container-main.ts, with the same environment.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  buildContextObject,
  CompanyProject,
  contextObjectMessageAttributes,
  optOutKey,
  toSqsSafeJson,
  validateInitiateRequest,
} from '@ai-multi-comms/core';
import { percentile } from './report';
import { countRoundTrips } from './round-trips';
import { BENCH_COMPANY, requestBody } from './requests';

const requests = Number(process.env.BENCH_REQUESTS ?? 1000);
const env = (name: string) => process.env[name]!;

const main = async () => {
  const roundTrips = countRoundTrips();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false }); // fauxqs names its queues by a host of its own; the endpoint is the stack's
  const { Item } = await documents.send(
    new GetCommand({
      TableName: env('COMPANY_DATA_TABLE'),
      Key: { company_id: BENCH_COMPANY.company_id, project_id: BENCH_COMPANY.project_id },
    }),
  );
  const company = Item as CompanyProject;
  // The same message the router sends, built once (its cost is the router's, not the floor's).
  const request = validateInitiateRequest(
    JSON.parse(requestBody({ companyId: BENCH_COMPANY.company_id, projectId: BENCH_COMPANY.project_id })) as Record<string, unknown>,
  );
  const contextObject = buildContextObject({
    request: { ...request, request_data: { ...request.request_data, channel_method: ['whatsapp'] } },
    company,
    receivedAt: new Date(),
    routerVersion: 'floor',
    traceId: 'floor',
  });
  const body = toSqsSafeJson(contextObject);
  const attributes = contextObjectMessageAttributes(contextObject, new Date().toISOString());
  const optOutKeys = [{ opt_out_key: optOutKey(BENCH_COMPANY.company_id, 'whatsapp', request.recipient_data.recipient_tel!) }];
  roundTrips.take();

  const latencies: number[] = [];
  const perRequest: number[] = [];
  const startedAt = performance.now();
  for (let i = 0; i < requests; i += 1) {
    const t0 = performance.now();
    const now = new Date();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const key = `${BENCH_COMPANY.company_id}#${BENCH_COMPANY.project_id}#${randomUUID()}`;
    const window = (name: string) =>
      documents.send(
        new UpdateCommand({
          TableName: env('RATE_LIMITS_TABLE'),
          Key: { counter_key: `${BENCH_COMPANY.company_id}#${BENCH_COMPANY.project_id}#${name}#floor` },
          UpdateExpression: 'ADD #count :delta SET expires_at = if_not_exists(expires_at, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':delta': 1, ':expiresAt': nowSeconds + 120, ':limit': 100_000_000 },
        }),
      );
    await Promise.all([
      documents.send(
        new BatchGetCommand({
          RequestItems: {
            [env('OPT_OUTS_TABLE')]: { Keys: optOutKeys, ConsistentRead: true, ProjectionExpression: 'opt_out_key, opted_out' },
          },
        }),
      ),
      documents.send(
        new PutCommand({
          TableName: env('IDEMPOTENCY_TABLE'),
          Item: {
            idempotency_key: key,
            status: 'IN_PROGRESS',
            body_sha256: 'x'.repeat(64),
            in_progress_expires_at: now.getTime() + 30_000,
            expires_at: nowSeconds + 86_400,
          },
          ConditionExpression:
            'attribute_not_exists(idempotency_key) OR expires_at < :nowSeconds OR (#status = :inProgress AND in_progress_expires_at < :nowMs)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':nowSeconds': nowSeconds, ':nowMs': now.getTime(), ':inProgress': 'IN_PROGRESS' },
        }),
      ),
      window('minute'),
      window('day'),
    ]);
    await sqs.send(new SendMessageCommand({ QueueUrl: env('COMPOSE_QUEUE_URL'), MessageBody: body, MessageAttributes: attributes }));
    await documents.send(
      new UpdateCommand({
        TableName: env('IDEMPOTENCY_TABLE'),
        Key: { idempotency_key: key },
        UpdateExpression: 'SET #status = :completed, #response = :response, completed_at = :at REMOVE in_progress_expires_at',
        ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
        ExpressionAttributeValues: {
          ':completed': 'COMPLETED',
          ':response': {
            conversation_id: key,
            conversations: [{ channel: 'whatsapp', conversation_id: key }],
            queue_timestamp: now.toISOString(),
          },
          ':at': now.toISOString(),
        },
      }),
    );
    latencies.push(performance.now() - t0);
    perRequest.push(roundTrips.take().roundTrips);
  }
  const seconds = (performance.now() - startedAt) / 1000;
  process.stdout.write(
    `BENCH_RESULT ${JSON.stringify({ requests, per_second: requests / seconds, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99), round_trips_p50: percentile(perRequest, 50), round_trips_max: Math.max(...perRequest) })}\n`,
  );
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
