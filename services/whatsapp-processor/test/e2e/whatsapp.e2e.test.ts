import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CompanyProject, ComposedMessage, dynamoCompanyRepository, onboardCompany, toSqsSafeJson } from '@ai-multi-comms/core';
import { contextObjectFor as composedFor } from '@ai-multi-comms/testing/stack';
import { conversationReader } from '@ai-multi-comms/testing/stack';
import { demoSecrets } from '@ai-multi-comms/local-stack';
import {
  addFault,
  eventually,
  postInitiate,
  providerRequests,
  queueEvents,
  sleep,
  uniqueTel,
  useLocalStack,
  validBody,
  waitForQueueEvents,
} from '@ai-multi-comms/testing/stack';

/**
 * The WhatsApp channel end to end through the real stack: router over HTTP → fauxqs → the
 * Lambda-like poller → the real handler → DynamoDB Local, with the real `openai` and `twilio`
 * SDKs talking to the local provider servers. Each test uses its own recipient number, so the
 * provider requests (and scripted faults) of concurrent tests never mix.
 */
const { state, clients } = useLocalStack();
let demoCompany: CompanyProject;
const COMPANY_NUMBER = '+447700900001';
const TEMPLATE_SID = 'HX00000000000000000000000000000a01';

beforeAll(async () => {
  demoCompany = (await dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!).get('ci-aaa-001', 'pi-aaa-001'))!;
});

const whatsappQueue = () => state.outputs['ai-multi-comms-whatsapp-processor']!.QueueUrl!;
const whatsappDlq = () => state.outputs['ai-multi-comms-whatsapp-processor']!.DeadLetterQueueUrl!;
const conversationIdFor = (requestId: string) => `ci-aaa-001#pi-aaa-001#${requestId}#447700900001`;

const { item, parts, waitForStatus } = conversationReader(state, clients);

const twilioCreates = (tel: string) => providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel });
const successfulCreates = async (tel: string) => (await twilioCreates(tel)).filter((r) => r.status === 201);

const start = async (tel: string) => {
  const body = validBody((b) => (b.recipient_data.recipient_tel = tel));
  const response = await postInitiate(state, body);
  expect(response.status).toBe(200);
  return { body, requestId: body.request_data.request_id as string, conversationId: String(response.json.conversation_id) };
};

/** A composed message as the compose step would publish it, for putting on the WhatsApp queue directly. */
const contextObjectFor = (tel: string): ComposedMessage => composedFor(demoCompany, (b) => (b.recipient_data.recipient_tel = tel));

describe('happy path', () => {
  it('sends one Twilio template message and records the conversation', async () => {
    const tel = uniqueTel();
    const { requestId, conversationId } = await start(tel);
    const done = await waitForStatus(tel, conversationId, 'initial_message_sent');

    const creates = await twilioCreates(tel);
    expect(creates).toHaveLength(1);
    const sent = creates[0]!;
    expect(sent.status).toBe(201);
    expect(sent.auth).toBe('AC00000000000000000000000000000a01');
    expect(sent.body).toEqual({
      From: `whatsapp:${COMPANY_NUMBER}`,
      To: `whatsapp:${tel}`,
      ContentSid: TEMPLATE_SID,
      ContentVariables: expect.any(String),
      StatusCallback: `${state.apiBaseUrl}/webhooks/twilio/status`,
      ValidityPeriod: '3600',
    });
    const variables = JSON.parse(sent.body.ContentVariables);
    expect(Object.keys(variables).sort()).toEqual(['1', '2', '3', '4']);
    expect(variables['1']).toBe('John');

    const openAi = await providerRequests(state, { provider: 'openai', mentioning: requestId });
    expect(openAi.map((r) => r.route)).toEqual(['conversations', 'responses']);
    const response = openAi[1]!;
    expect(response.body).toMatchObject({
      conversation: done.thread_id,
      model: 'gpt-4o-mini',
      instructions: expect.stringContaining('WhatsApp'),
      text: { format: { type: 'json_schema', name: 'whatsapp_template_variables', strict: true } },
    });
    expect(JSON.stringify(response.body.input)).not.toContain(tel); // the AI never sees contact details

    expect(done).toMatchObject({
      conversation_status: 'initial_message_sent',
      attempts: 1,
      thread_id: expect.stringMatching(/^conv_/),
      provider_message_id: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      channel_method: 'whatsapp',
      company_project: 'ci-aaa-001#pi-aaa-001',
      inbound_key: `whatsapp#${COMPANY_NUMBER}#${tel}`,
      recipient_tel: tel,
      processing_time_ms: expect.any(Number),
    });
    expect(done.lease_owner).toBeUndefined();
    expect(done.lease_expires_at).toBeUndefined();
    // The message is its own unit: its delivery state lives on its item, the conversation lists it.
    const { conversation, message } = await parts(tel, conversationId);
    expect(message).toMatchObject({
      conversation_id: conversationId,
      message_key: 'initial',
      primary_channel: tel,
      channel: 'whatsapp',
      message_status: 'sent',
      attempts: 1,
      provider_message_id: done.provider_message_id,
      send_intents: [expect.objectContaining({ at: expect.any(String) })],
    });
    for (const deliveryField of ['attempts', 'lease_owner', 'send_started_at', 'send_intents', 'provider_message_id', 'message_status'])
      expect(conversation).not.toHaveProperty(deliveryField);
    expect(done.messages).toEqual([
      {
        message_id: done.provider_message_id,
        timestamp: expect.any(String),
        role: 'assistant',
        channel: 'whatsapp',
        content: expect.stringContaining('John'),
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        total_tokens: expect.any(Number),
      },
    ]);
    expect(done.messages[0].total_tokens).toBe(done.messages[0].prompt_tokens + done.messages[0].completion_tokens);
    expect(JSON.stringify(done)).not.toMatch(/twilio_auth_token|ai_api_key|api_key_sha256/);
    // The message was consumed (deleted), not left for a retry.
    expect(await waitForQueueEvents(state, { queueUrl: whatsappQueue(), status: 'consumed', conversationId })).toHaveLength(1);
  });
});

describe('exactly once', () => {
  it('acknowledges the same queue message delivered again, sending nothing', async () => {
    const tel = uniqueTel();
    const { conversationId } = await start(tel);
    await waitForStatus(tel, conversationId, 'initial_message_sent');
    const published = (await queueEvents(state, { queueUrl: whatsappQueue(), status: 'published', conversationId }))[0]!;
    for (let i = 0; i < 2; i += 1) {
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: whatsappQueue(), MessageBody: published.body }));
    }
    expect(await waitForQueueEvents(state, { queueUrl: whatsappQueue(), status: 'consumed', conversationId }, 3)).toHaveLength(3);
    expect(await successfulCreates(tel)).toHaveLength(1);
    expect((await item(tel, conversationId))!.attempts).toBe(1);
  });

  it('sends one message when two deliveries of it arrive at once', async () => {
    const tel = uniqueTel();
    const contextObject = contextObjectFor(tel);
    const body = toSqsSafeJson(contextObject);
    await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: whatsappQueue(),
        Entries: [
          { Id: 'a', MessageBody: body },
          { Id: 'b', MessageBody: body },
        ],
      }),
    );
    const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
    await waitForStatus(tel, conversationId, 'initial_message_sent');
    await sleep(1500);
    expect(await successfulCreates(tel)).toHaveLength(1);
    expect((await item(tel, conversationId))!.attempts).toBe(1);
  });
});

describe('transient failures are retried', () => {
  it('OpenAI 500 past the SDK retry, then success: the compose step retries on the same thread; one message', async () => {
    const tel = uniqueTel();
    const requestId = randomUUID();
    await addFault(state, { provider: 'openai', route: 'responses', status: 500, count: 2, match: requestId }); // 1 call + 1 SDK retry
    const response = await postInitiate(
      state,
      validBody((b) => ((b.recipient_data.recipient_tel = tel), (b.request_data.request_id = requestId))),
    );
    const conversationId = String(response.json.conversation_id);
    const done = await waitForStatus(tel, conversationId, 'initial_message_sent');
    expect(done.attempts).toBe(1); // the sender's: it got its message once, composed
    const thread = (
      await clients.documents.send(
        new GetCommand({
          TableName: state.resources.threadsTable,
          Key: { thread_key: `ci-aaa-001#pi-aaa-001#${requestId}` },
          ConsistentRead: true,
        }),
      )
    ).Item!;
    expect(thread).toMatchObject({ status: 'published', attempts: 2, thread_id: done.thread_id });
    expect(await successfulCreates(tel)).toHaveLength(1);
    const openAi = await providerRequests(state, { provider: 'openai', mentioning: requestId });
    expect(openAi.filter((r) => r.route === 'conversations')).toHaveLength(1);
    expect(openAi.filter((r) => r.route === 'responses').map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('Twilio 429 past the SDK retries, then success: one message, attempts = 2', async () => {
    const tel = uniqueTel();
    await addFault(state, { provider: 'twilio', route: 'messages.create', status: 429, code: 20429, count: 4, match: tel }); // 1 call + 3 SDK retries
    const { conversationId } = await start(tel);
    const done = await waitForStatus(tel, conversationId, 'initial_message_sent');
    expect(done.attempts).toBe(2);
    expect((await twilioCreates(tel)).map((r) => r.status)).toEqual([429, 429, 429, 429, 201]);
    // Twilio answered the first attempt with a refusal (a 4xx): it created nothing, so the second attempt need not ask.
    expect(await providerRequests(state, { provider: 'twilio', route: 'messages.list', mentioning: tel })).toHaveLength(0);
  });

  it('a single Twilio 429 is absorbed by the SDK: one message, attempts = 1', async () => {
    const tel = uniqueTel();
    await addFault(state, { provider: 'twilio', route: 'messages.create', status: 429, count: 1, match: tel });
    const { conversationId } = await start(tel);
    const done = await waitForStatus(tel, conversationId, 'initial_message_sent');
    expect(done.attempts).toBe(1);
    expect((await twilioCreates(tel)).map((r) => r.status)).toEqual([429, 201]);
  });
});

describe('permanent provider errors are acknowledged', () => {
  // (63016, outside the 24-hour window, is no synchronous answer: Twilio creates the message and fails it in its status callback; test/e2e/provider-truth.e2e.test.ts.)
  it.each([[21211, "Invalid 'To' Phone Number"]])('Twilio %i → failed_to_send_message with the code, no retry', async (code, message) => {
    const tel = uniqueTel();
    await addFault(state, { provider: 'twilio', route: 'messages.create', status: 400, code, message, count: 1, match: tel });
    const { conversationId } = await start(tel);
    const failed = await waitForStatus(tel, conversationId, 'failed_to_send_message');
    expect(failed.failure_reason).toContain(String(code));
    expect(failed.failure_class).toBe('permanent');
    expect(await waitForQueueEvents(state, { queueUrl: whatsappQueue(), status: 'consumed', conversationId })).toHaveLength(1);
    await sleep(2500); // a retry would have come back by now (local backoff 1 s)
    expect(await twilioCreates(tel)).toHaveLength(1);
    expect(await queueEvents(state, { queueUrl: whatsappDlq(), conversationId })).toHaveLength(0);
  });
});

describe('failures that a retry may fix go to the DLQ after three receives, nothing sent', () => {
  it('a malformed Context Object: failed_unknown on the item, then the DLQ', async () => {
    const tel = uniqueTel();
    const contextObject: any = contextObjectFor(tel);
    delete contextObject.company_data_payload.channel_config;
    const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: whatsappQueue(), MessageBody: JSON.stringify(contextObject) }));
    await eventually(
      'the malformed message in the DLQ',
      async () => ((await queueEvents(state, { status: 'dlq', conversationId })).length > 0 ? true : undefined),
      30_000,
    );
    const failed = await item(tel, conversationId);
    // The last receive marked the item: parked in the DLQ, not a retry still to come.
    expect(failed).toMatchObject({
      conversation_status: 'failed_unknown',
      failure_reason: expect.stringContaining('channel_config'),
      retries_exhausted_at: expect.any(String),
    });
    expect(await twilioCreates(tel)).toHaveLength(0);
  });

  it('a body that is not JSON at all goes to the DLQ too', async () => {
    const marker = `not-json-${randomUUID()}`;
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: whatsappQueue(), MessageBody: `{${marker}` }));
    await eventually(
      'the garbage message in the DLQ',
      async () => {
        const events = await queueEvents(state, { status: 'dlq' });
        return events.some((event) => event.body.includes(marker)) ? true : undefined;
      },
      30_000,
    );
  });

  it('a missing credentials secret: failed_secrets_fetch, then the DLQ', async () => {
    const repository = dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!);
    await onboardCompany(
      {
        company_id: 'ci-nosecret-001',
        project_id: 'pi-nosecret-001',
        company_name: 'No Secret Ltd',
        project_name: 'Missing credentials',
        project_status: 'active',
        allowed_channels: ['whatsapp'],
        api_keys: [state.demoApiKeys.companyA],
        ai_config: {
          openai_config: {
            whatsapp: { api_key_reference: 'ai-multi-comms/openai-api-key/ci-aaa-001-dev', model: 'gpt-4o-mini', instructions: 'x' },
          },
        },
        channel_config: {
          whatsapp: {
            company_whatsapp_number: '+447700900777',
            whatsapp_credentials_id: 'ai-multi-comms/whatsapp-credentials/ci-nosecret-001/pi-nosecret-001/twilio-dev',
          },
        },
      },
      { repository },
    );
    const tel = uniqueTel();
    const response = await postInitiate(
      state,
      validBody(
        (b) => (
          (b.recipient_data.recipient_tel = tel), (b.company_data = { company_id: 'ci-nosecret-001', project_id: 'pi-nosecret-001' })
        ),
      ),
    );
    const conversationId = String(response.json.conversation_id);
    await eventually(
      'the message in the DLQ',
      async () => ((await queueEvents(state, { status: 'dlq', conversationId })).length > 0 ? true : undefined),
      30_000,
    );
    const failed = await item(tel, conversationId);
    expect(failed).toMatchObject({
      conversation_status: 'failed_secrets_fetch',
      failure_reason: expect.stringContaining('does not exist'),
      retries_exhausted_at: expect.any(String),
    });
    // Three receives before the DLQ (more if an operator test's "redrive all" sent it round again).
    expect(failed!.attempts).toBeGreaterThanOrEqual(3);
    expect(await twilioCreates(tel)).toHaveLength(0);
  });
});

describe('logs', () => {
  it('no log line of the run so far holds a secret value', async () => {
    const logs = readFileSync(process.env.LOCAL_STACK_LOG!, 'utf8');
    // The functions' logs really are captured: router and processor lines are both there.
    expect(logs).toContain('"service":"router"');
    expect(logs).toContain('"service":"whatsapp-processor"');
    const secretValues = Object.values(demoSecrets(state.stage)).flatMap((secret) =>
      [secret.ai_api_key, secret.twilio_auth_token, secret.sendgrid_api_key].filter(Boolean),
    );
    for (const value of [...secretValues, state.demoApiKeys.companyA, state.demoApiKeys.companyB]) {
      expect(logs).not.toContain(value);
    }
  });
});
