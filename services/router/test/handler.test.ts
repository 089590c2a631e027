import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { AppError, ErrorCodes, isRegisteredSecret } from '@ai-multi-comms/core';
import { createHandler } from '../src/handler';
import { API_KEY, fakeDeps } from './fakes';

const context = { functionName: 'router', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

const event = (body: unknown, headers: Record<string, string> = { 'X-Api-Key': API_KEY }, method = 'POST'): APIGatewayProxyEvent =>
  ({
    httpMethod: method,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'apigw-1' },
  }) as unknown as APIGatewayProxyEvent;

const validBody = () => ({
  company_data: { company_id: 'ci-aaa-001', project_id: 'pi-aaa-001' },
  recipient_data: { recipient_tel: '+447700900123', comms_consent: true },
  request_data: { request_id: randomUUID(), channel_method: 'whatsapp', initial_request_timestamp: '2025-09-15T11:45:32Z' },
});

describe('router handler', () => {
  it('answers 200 with the docs/api.md success body and the CORS headers', async () => {
    const { deps } = fakeDeps();
    const handler = createHandler(() => deps);
    const response = await handler(event(validBody()), context);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': 'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token',
      'Access-Control-Allow-Methods': 'OPTIONS,POST',
    });
    const body = JSON.parse(response.body);
    expect(Object.keys(body).sort()).toEqual(['conversation_id', 'conversations', 'message', 'queue_timestamp', 'request_id', 'status']);
    expect(body.conversations).toEqual([{ channel: 'whatsapp', conversation_id: body.conversation_id }]);
    expect(body.message).toBe('Request accepted and queued for processing');
  });

  it('reads the x-api-key header whatever its case', async () => {
    const { deps } = fakeDeps();
    const response = await createHandler(() => deps)(event(validBody(), { 'x-api-key': API_KEY }), context);
    expect(response.statusCode).toBe(200);
  });

  it('answers refusals with the error body and CORS headers', async () => {
    const { deps } = fakeDeps();
    const response = await createHandler(() => deps)(event('not json'), context);
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['Access-Control-Allow-Origin']).toBe('*');
    expect(JSON.parse(response.body)).toEqual({
      status: 'error',
      error_code: ErrorCodes.INVALID_REQUEST,
      message: 'The request body is not valid JSON.',
      request_id: 'unknown',
    });
  });

  it('turns an unexpected exception into 500 INTERNAL_ERROR with no stack trace or detail', async () => {
    const { deps } = fakeDeps();
    deps.companies.get = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x') at /var/task/src/secret.ts:12 sk-test-fake-0000-key-value");
    };
    const body = validBody();
    const response = await createHandler(() => deps)(event(body), context);
    expect(response.statusCode).toBe(500);
    const parsed = JSON.parse(response.body);
    expect(parsed).toEqual({
      status: 'error',
      error_code: ErrorCodes.INTERNAL_ERROR,
      message: 'An internal error occurred. Please retry later.',
      request_id: body.request_data.request_id,
    });
    expect(response.body).not.toMatch(/TypeError|var\/task|sk-/);
  });

  it('turns invalid configuration into 500 CONFIGURATION_ERROR, not a crashed container', async () => {
    const handler = createHandler(() => {
      throw new AppError('permanent', ErrorCodes.CONFIGURATION_ERROR, 'Invalid configuration: COMPANY_DATA_TABLE is not set');
    });
    const response = await handler(event(validBody()), context);
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body).error_code).toBe(ErrorCodes.CONFIGURATION_ERROR);
  });

  it('answers 429 with Retry-After and 409 in-progress with Retry-After: 1', async () => {
    const { deps } = fakeDeps();
    deps.idempotency.begin = async () => {
      throw new AppError('conflict', ErrorCodes.IDEMPOTENCY_IN_PROGRESS, 'still working', { retryAfterSeconds: 1 });
    };
    const response = await createHandler(() => deps)(event(validBody()), context);
    expect(response.statusCode).toBe(409);
    expect(response.headers?.['Retry-After']).toBe('1');
  });
});

describe('what the handler passes on (accepted means delivered)', () => {
  it('a trace header longer than the Context Object allows is not carried on: the request is accepted with a usable trace id', async () => {
    const { deps, queue } = fakeDeps();
    const response = await createHandler(() => deps)(
      event(validBody(), { 'x-api-key': API_KEY, 'X-Amzn-Trace-Id': `Root=1-${'a'.repeat(300)}` }),
      context,
    );
    expect(response.statusCode).toBe(200);
    expect(queue.sent[0]!.contextObject.metadata.trace_id).toBe('apigw-1');
  });

  it('a well-formed trace header is carried on as it is', async () => {
    const { deps, queue } = fakeDeps();
    const traceId = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    await createHandler(() => deps)(event(validBody(), { 'x-api-key': API_KEY, 'x-amzn-trace-id': traceId }), context);
    expect(queue.sent[0]!.contextObject.metadata.trace_id).toBe(traceId);
  });

  it('registers a key with the log redactor only once it is authenticated', async () => {
    const { deps } = fakeDeps();
    const stranger = `stranger-key-${randomUUID()}`;
    await createHandler(() => deps)(event(validBody(), { 'x-api-key': stranger }), context);
    expect(isRegisteredSecret(stranger)).toBe(false);
    await createHandler(() => deps)(event(validBody(), { 'x-api-key': API_KEY }), context);
    expect(isRegisteredSecret(API_KEY)).toBe(true);
  });

  it('an oversized body is refused with 413 without being parsed (its request id is not echoed)', async () => {
    const { deps } = fakeDeps();
    const body = { ...validBody(), project_data: { notes: 'x'.repeat(70 * 1024) } };
    const response = await createHandler(() => deps)(event(body), context);
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ error_code: 'PAYLOAD_TOO_LARGE', request_id: 'unknown' });
  });

  it("an unknown company/project answers 403 API_KEY_NOT_AUTHORIZED, as another project's would", async () => {
    const { deps } = fakeDeps();
    const unknown = await createHandler(() => deps)(
      event({ ...validBody(), company_data: { company_id: 'ci-nope', project_id: 'pi-nope' } }),
      context,
    );
    const bound = await createHandler(() => deps)(event(validBody(), { 'x-api-key': 'a-key-bound-to-another-project-0001' }), context);
    expect(unknown.statusCode).toBe(403);
    expect(JSON.parse(unknown.body).error_code).toBe('API_KEY_NOT_AUTHORIZED');
    expect(JSON.parse(unknown.body).message).toBe(JSON.parse(bound.body).message);
  });

  it('a declared charset other than UTF-8 is 400 INVALID_REQUEST', async () => {
    const { deps, queue } = fakeDeps();
    const response = await createHandler(() => deps)(
      event(validBody(), { 'x-api-key': API_KEY, 'Content-Type': 'application/json; charset=iso-8859-1' }),
      context,
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error_code).toBe('INVALID_REQUEST');
    expect(queue.sent).toHaveLength(0);
  });
});
