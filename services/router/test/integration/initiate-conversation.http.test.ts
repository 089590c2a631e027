import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import {
  GOVERNOR_SLOT_ATTRIBUTE,
  canonicalJson,
  dynamoCompanyRepository,
  ErrorCodes,
  onboardCompany,
  OnboardingFile,
  parseContextObject,
  sha256Hex,
  validateInitiateRequest,
} from '@ai-multi-comms/core';
import { postInitiate, queueEvents, useLocalStack, validBody, waitForQueueEvents } from '@ai-multi-comms/testing/stack';
import { contractViolation } from '../api-contract';

/**
 * POST /initiate-conversation over HTTP, through serverless-offline running the router exactly
 * as serverless.yml declares it, against DynamoDB Local and fauxqs. Every assertion is on an
 * outcome: the response, the message on the channel queue, the items in the tables.
 */
const { state, clients } = useLocalStack();

const testProject = (projectId: string, patch: (file: OnboardingFile) => void = () => undefined): OnboardingFile => {
  const file: OnboardingFile = {
    company_id: 'ci-test-001',
    project_id: projectId,
    company_name: 'Test Co',
    project_name: projectId,
    project_status: 'active',
    allowed_channels: ['whatsapp'],
    api_keys: [state.demoApiKeys.companyA],
    rate_limits: { requests_per_minute: 1000, requests_per_day: 100000 },
    ai_config: {
      openai_config: {
        whatsapp: { api_key_reference: 'ai-multi-comms/openai-api-key/ci-aaa-001-dev', model: 'gpt-4o-mini', instructions: 'Hi' },
      },
    },
    channel_config: {
      whatsapp: {
        company_whatsapp_number: '+447700900555',
        whatsapp_credentials_id: 'ai-multi-comms/whatsapp-credentials/ci-test-001/x/twilio-dev',
      },
    },
  };
  patch(file);
  return file;
};

const forProject = (projectId: string) => validBody((b) => (b.company_data = { company_id: 'ci-test-001', project_id: projectId }));

/** The router's sends of one conversation to the compose queue (the compose step may already have consumed them); copies the compose step put back for its slot on the OpenAI key's rate left out. */
const published = async (conversationId: string) =>
  (await queueEvents(state, { queueUrl: state.resources.composeQueueUrl, status: 'published', conversationId })).filter(
    (event) => !event.messageAttributes[GOVERNOR_SLOT_ATTRIBUTE],
  );
/** The idempotency record of a first attempt at `body` that is (or was, if leaseEndsAt is past) still running. */
const putInProgressRecord = (body: ReturnType<typeof validBody>, leaseEndsAt: number) =>
  clients.documents.send(
    new PutCommand({
      TableName: state.resources.idempotencyTable,
      Item: {
        idempotency_key: `ci-aaa-001#pi-aaa-001#${body.request_data.request_id}`,
        status: 'IN_PROGRESS',
        body_sha256: sha256Hex(canonicalJson(validateInitiateRequest(body))),
        in_progress_expires_at: leaseEndsAt,
        expires_at: Math.floor(leaseEndsAt / 1000) + 86400,
      },
    }),
  );

const waitForPublished = async (conversationId: string) =>
  (await waitForQueueEvents(state, { queueUrl: state.resources.composeQueueUrl, status: 'published', conversationId }))[0];

beforeAll(async () => {
  const repository = dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!);
  await onboardCompany(
    testProject('pi-inactive', (f) => (f.project_status = 'inactive')),
    { repository },
  );
  await onboardCompany(
    testProject('pi-minute-limit', (f) => (f.rate_limits = { requests_per_minute: 3, requests_per_day: 1000 })),
    { repository },
  );
  await onboardCompany(
    testProject('pi-day-limit', (f) => (f.rate_limits = { requests_per_minute: 1000, requests_per_day: 2 })),
    { repository },
  );
  // An item edited by hand past onboarding's checks: email allowed, no email sender configured.
  await clients.documents.send(
    new PutCommand({
      TableName: state.resources.companyDataTable,
      Item: {
        ...testProject('pi-misconfigured'),
        api_keys: undefined,
        allowed_channels: ['whatsapp', 'email'],
        api_key_sha256: [sha256Hex(state.demoApiKeys.companyA)],
      },
    }),
  );
});

describe('accepted requests', () => {
  it('answers 200 and puts the Context Object, with its attributes, on the compose queue', async () => {
    const body = validBody((b) => (b.company_data.api_key = 'legacy-key-sent-in-body-000000'));
    const response = await postInitiate(state, body);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const conversationId = `ci-aaa-001#pi-aaa-001#${body.request_data.request_id}#447700900001`;
    expect(response.json).toEqual({
      status: 'success',
      request_id: body.request_data.request_id,
      conversation_id: conversationId,
      conversations: [{ channel: 'whatsapp', conversation_id: conversationId }],
      message: 'Request accepted and queued for processing',
      queue_timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });

    const message = await waitForPublished(conversationId);
    expect(message).toBeDefined();
    expect(message!.messageAttributes).toEqual({
      requestId: { DataType: 'String', StringValue: body.request_data.request_id },
      channels: { DataType: 'String', StringValue: 'whatsapp' },
      conversationId: { DataType: 'String', StringValue: conversationId },
      routerTimestamp: { DataType: 'String', StringValue: response.json.queue_timestamp },
    });
    const contextObject = parseContextObject(message!.body); // the compose step's own strict check
    expect(contextObject.frontend_payload).toEqual(validateInitiateRequest(body));
    expect(contextObject.conversation_data).toEqual({
      conversations: [{ channel: 'whatsapp', conversation_id: conversationId }],
      conversation_status: 'initiated',
      thread_id: null,
    });
    expect(contextObject.company_data_payload.company_name).toBe('Acme Care Recruitment');
    expect(message!.body).not.toContain('legacy-key-sent-in-body');
    expect(message!.body).not.toContain('api_key_sha256');
    expect(message!.body).not.toContain(state.demoApiKeys.companyA);

    const record = await clients.documents.send(
      new GetCommand({
        TableName: state.resources.idempotencyTable,
        Key: { idempotency_key: `ci-aaa-001#pi-aaa-001#${body.request_data.request_id}` },
      }),
    );
    expect(record.Item).toMatchObject({
      status: 'COMPLETED',
      body_sha256: sha256Hex(canonicalJson(validateInitiateRequest(body))),
      response: {
        conversation_id: conversationId,
        conversations: [{ channel: 'whatsapp', conversation_id: conversationId }],
        queue_timestamp: response.json.queue_timestamp,
      },
    });
    expect(record.Item!.expires_at).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 24 * 3600 - 60);
  });

  it('answers a repeated request with the same conversation and queues nothing new', async () => {
    const body = validBody();
    const first = await postInitiate(state, body);
    expect(first.status).toBe(200);
    expect(await waitForPublished(String(first.json.conversation_id))).toBeDefined();

    const again = await postInitiate(state, {
      ...body,
      request_data: { ...body.request_data, request_id: body.request_data.request_id.toUpperCase() },
    });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await published(String(first.json.conversation_id))).toHaveLength(1);
  });
});

describe('idempotency conflicts', () => {
  it('refuses a request_id reused with another body: 409 IDEMPOTENCY_CONFLICT', async () => {
    const body = validBody();
    expect((await postInitiate(state, body)).status).toBe(200);
    const response = await postInitiate(state, { ...body, recipient_data: { ...body.recipient_data, recipient_first_name: 'Jane' } });
    expect(response.status).toBe(409);
    expect(response.json).toMatchObject({
      status: 'error',
      error_code: ErrorCodes.IDEMPOTENCY_CONFLICT,
      request_id: body.request_data.request_id,
    });
    expect(contractViolation(response.status, response.json)).toBeUndefined();
  });

  it('answers 409 IDEMPOTENCY_IN_PROGRESS with Retry-After: 1 while the first request is being handled', async () => {
    const body = validBody();
    await putInProgressRecord(body, Date.now() + 60_000);
    const response = await postInitiate(state, body);
    expect(response.status).toBe(409);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.json).toMatchObject({ error_code: ErrorCodes.IDEMPOTENCY_IN_PROGRESS, request_id: body.request_data.request_id });
    expect(contractViolation(response.status, response.json)).toBeUndefined();
  });

  it('lets a retry take over an attempt that died in progress (its lease expired)', async () => {
    const body = validBody();
    await putInProgressRecord(body, Date.now() - 120_000);
    const response = await postInitiate(state, body);
    expect(response.status).toBe(200);
    expect(await waitForPublished(String(response.json.conversation_id))).toBeDefined();
  });
});

describe('authentication and authorisation', () => {
  it('answers 403 {"message":"Forbidden"} without a key, or with a key API Gateway does not know, before the function runs', async () => {
    for (const apiKey of [null, 'not-a-key-api-gateway-knows-00000']) {
      const response = await postInitiate(state, validBody(), { apiKey });
      expect(response.status).toBe(403);
      expect(response.json).toEqual({ message: 'Forbidden' });
    }
  });

  it("refuses company B's key on company A's ids: 403 API_KEY_NOT_AUTHORIZED, nothing queued", async () => {
    const body = validBody();
    const response = await postInitiate(state, body, { apiKey: state.demoApiKeys.companyB });
    expect(response.status).toBe(403);
    expect(response.json).toEqual({
      status: 'error',
      error_code: ErrorCodes.API_KEY_NOT_AUTHORIZED,
      message: 'This API key is not authorised for this company and project.',
      request_id: body.request_data.request_id,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await published(`ci-aaa-001#pi-aaa-001#${body.request_data.request_id}#447700900001`)).toHaveLength(0);
  });

  it.each([
    ['COMMS_CONSENT_REQUIRED', 403, () => validBody((b) => (b.recipient_data.comms_consent = false))],
    // An unknown pair answers as a pair bound to another key does: ids are not discoverable.
    ['API_KEY_NOT_AUTHORIZED', 403, () => validBody((b) => (b.company_data.project_id = 'pi-does-not-exist'))],
    ['PROJECT_INACTIVE', 403, () => forProject('pi-inactive')],
    ['CHANNEL_NOT_ALLOWED', 403, () => validBody((b) => (b.request_data.channel_method = 'sms'))],
  ])('%s → %d', async (code, status, makeBody) => {
    const apiKey = code === 'CHANNEL_NOT_ALLOWED' ? state.demoApiKeys.companyB : undefined;
    const body = makeBody();
    if (code === 'CHANNEL_NOT_ALLOWED') body.company_data = { company_id: 'ci-bbb-001', project_id: 'pi-bbb-001' };
    const response = await postInitiate(state, body, { apiKey });
    expect(response.status).toBe(status);
    expect(response.json.error_code).toBe(code);
    expect(contractViolation(response.status, response.json)).toBeUndefined();
  });

  it('answers a hand-broken configuration with 500 CONFIGURATION_ERROR and no detail', async () => {
    const body = forProject('pi-misconfigured');
    body.request_data.channel_method = 'email';
    const response = await postInitiate(state, body);
    expect(response.status).toBe(500);
    expect(response.json).toEqual({
      status: 'error',
      error_code: ErrorCodes.CONFIGURATION_ERROR,
      message: 'The project has no email sender configured; contact support.',
      request_id: body.request_data.request_id,
    });
  });
});

describe('validation over HTTP', () => {
  it.each([
    ['INVALID_REQUEST', () => 'this is not json'],
    ['INVALID_REQUEST', () => '[]'],
    ['MISSING_COMPANY_DATA', () => validBody((b) => delete b.company_data)],
    ['MISSING_RECIPIENT_DATA', () => validBody((b) => delete b.recipient_data)],
    ['MISSING_REQUEST_DATA', () => validBody((b) => delete b.request_data)],
    ['MISSING_IDENTIFIERS', () => validBody((b) => delete b.company_data.project_id)],
    ['MISSING_REQUEST_ID', () => validBody((b) => delete b.request_data.request_id)],
    ['MISSING_CHANNEL_METHOD', () => validBody((b) => delete b.request_data.channel_method)],
    ['MISSING_INITIAL_REQUEST_TIMESTAMP', () => validBody((b) => delete b.request_data.initial_request_timestamp)],
    ['INVALID_REQUEST_ID', () => validBody((b) => (b.request_data.request_id = 'req-1'))],
    ['UNSUPPORTED_CHANNEL', () => validBody((b) => (b.request_data.channel_method = 'fax'))],
    ['INVALID_TIMESTAMP', () => validBody((b) => (b.request_data.initial_request_timestamp = 'yesterday'))],
    ['MISSING_RECIPIENT_TEL', () => validBody((b) => delete b.recipient_data.recipient_tel)],
    ['INVALID_RECIPIENT_TEL', () => validBody((b) => (b.recipient_data.recipient_tel = '07700 900123'))],
    ['MISSING_RECIPIENT_EMAIL', () => validBody((b) => delete b.recipient_data.recipient_email, 'email')],
    ['INVALID_RECIPIENT_EMAIL', () => validBody((b) => (b.recipient_data.recipient_email = 'john.doe'), 'email')],
    ['MISSING_COMMS_CONSENT', () => validBody((b) => delete b.recipient_data.comms_consent)],
    ['INVALID_COMMS_CONSENT_TYPE', () => validBody((b) => (b.recipient_data.comms_consent = 'yes'))],
    ['VALIDATION_ERROR', () => validBody((b) => (b.recipient_data.recipient_mobile = '+447700900123'))],
  ])('%s → 400 with every problem listed', async (code, makeBody) => {
    const body = makeBody();
    const response = await postInitiate(state, body, typeof body === 'string' ? { rawBody: body } : {});
    expect(response.status).toBe(400);
    expect(response.json.error_code).toBe(code);
    expect(contractViolation(response.status, response.json)).toBeUndefined();
    if (code !== 'INVALID_REQUEST') {
      expect(response.json.validation_errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: expect.any(String), message: expect.any(String) })]),
      );
    }
  });

  it('accepts 64 KiB and answers 413 PAYLOAD_TOO_LARGE one byte over', async () => {
    const sized = (bytes: number) => {
      const body = validBody();
      body.project_data.notes = '';
      const base = Buffer.byteLength(JSON.stringify(body));
      body.project_data.notes = 'x'.repeat(bytes - base);
      return JSON.stringify(body);
    };
    const atLimit = await postInitiate(state, undefined, { rawBody: sized(64 * 1024) });
    expect(atLimit.status).toBe(200);
    const over = await postInitiate(state, undefined, { rawBody: sized(64 * 1024 + 1) });
    expect(over.status).toBe(413);
    expect(over.json).toMatchObject({ status: 'error', error_code: ErrorCodes.PAYLOAD_TOO_LARGE });
    expect(contractViolation(over.status, over.json)).toBeUndefined();
  });

  it('answers a few hundred random mutated bodies over HTTP without a 5xx or an unlisted code', async () => {
    const mutate = fc.record({
      section: fc.constantFrom('company_data', 'recipient_data', 'request_data', 'project_data'),
      key: fc.constantFrom(
        'company_id',
        'project_id',
        'recipient_tel',
        'recipient_email',
        'comms_consent',
        'request_id',
        'channel_method',
        'initial_request_timestamp',
        '__proto__',
        'x',
      ),
      value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 40 })),
    });
    await fc.assert(
      fc.asyncProperty(mutate, async ({ section, key, value }) => {
        const body = validBody((b) => {
          if (b[section] && typeof b[section] === 'object') b[section][key] = value;
        });
        const response = await postInitiate(state, body);
        expect(response.status).toBeLessThan(500);
        expect(contractViolation(response.status, response.json)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });
});

describe('rate limits (counted in DynamoDB)', () => {
  const awayFromMinuteEdge = async () => {
    const secondInMinute = new Date().getUTCSeconds();
    if (secondInMinute >= 54) await new Promise((resolve) => setTimeout(resolve, (61 - secondInMinute) * 1000));
  };

  it('lets exactly requests_per_minute concurrent requests through and answers the rest 429 with Retry-After', async () => {
    await awayFromMinuteEdge();
    const responses = await Promise.all(Array.from({ length: 8 }, () => postInitiate(state, forProject('pi-minute-limit'))));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    for (const refused of responses.filter((r) => r.status === 429)) {
      expect(refused.json.error_code).toBe(ErrorCodes.RATE_LIMIT_EXCEEDED);
      expect(contractViolation(refused.status, refused.json)).toBeUndefined();
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
  });

  it('enforces requests_per_day, with Retry-After up to the next UTC day', async () => {
    expect((await postInitiate(state, forProject('pi-day-limit'))).status).toBe(200);
    expect((await postInitiate(state, forProject('pi-day-limit'))).status).toBe(200);
    const refused = await postInitiate(state, forProject('pi-day-limit'));
    expect(refused.status).toBe(429);
    expect(refused.json.message).toMatch(/2 requests per day/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(86400);
  });
});

describe('CORS', () => {
  it('answers the browser preflight and carries the CORS headers on responses', async () => {
    const preflight = await fetch(`${state.apiBaseUrl}/initiate-conversation`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-api-key',
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Api-Key/i);

    const response = await postInitiate(state, 'nope', { rawBody: 'nope', headers: { Origin: 'https://app.example.com' } });
    expect(response.headers.get('access-control-allow-origin')).toBeTruthy();
    expect(response.headers.get('access-control-allow-methods')).toBe('OPTIONS,POST');
  });
});

describe('GET /health', () => {
  it('answers 200 {"status":"ok"} with a key API Gateway knows, 403 without one', async () => {
    const withKey = await fetch(`${state.apiBaseUrl}/health`, { headers: { 'x-api-key': state.demoApiKeys.companyB } });
    expect(withKey.status).toBe(200);
    expect(await withKey.json()).toEqual({ status: 'ok' });
    const withoutKey = await fetch(`${state.apiBaseUrl}/health`);
    expect(withoutKey.status).toBe(403);
    expect(await withoutKey.json()).toEqual({ message: 'Forbidden' });
  });
});
