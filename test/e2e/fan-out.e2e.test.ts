import { randomUUID } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  createGovernor,
  dynamoBucketStore,
  cachedSecretReader,
  composedMessageAttributes,
  composeRecord,
  ComposeDeps,
  createAiThread,
  createLogger,
  createSecretsManagerClient,
  dynamoCompanyRepository,
  dynamoThreadRepository,
  generateTurn,
  toSqsSafeJson,
} from '@ai-multi-comms/core';
import { routerContextObjectFor } from '@ai-multi-comms/testing/stack';
import { conversationReader } from '@ai-multi-comms/testing/stack';
import { addFault, eventually, postInitiate, providerRequests, uniqueTel, useLocalStack, validBody } from '@ai-multi-comms/testing/stack';

/**
 * One request, several channels, one AI thread, through the whole local stack: the router over
 * HTTP → the compose queue → the compose step (the real openai SDK against the local OpenAI,
 * which keeps conversation items and refuses a second response in flight with
 * conversation_locked) → one SNS message → each channel's queue by its filter → its sender → the
 * local Twilio and SendGrid; and GET /conversations to read it back.
 */
const { state, clients } = useLocalStack();
const uniqueEmail = () => `fan-out-${randomUUID().slice(0, 8)}@example.com`;

const getConversations = async (query: Record<string, string>, apiKey = state.demoApiKeys.companyA) => {
  const response = await fetch(`${state.apiBaseUrl}/conversations?${new URLSearchParams(query)}`, {
    headers: { 'x-api-key': apiKey },
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, json: (await response.json()) as any };
};

const { item } = conversationReader(state, clients);

const waitForAll = (
  conversations: { channel: string; conversation_id: string }[],
  addresses: Record<string, string>,
  status = 'initial_message_sent',
) =>
  eventually(
    `every channel ${status}`,
    async () => {
      const items = await Promise.all(conversations.map(({ channel, conversation_id }) => item(addresses[channel]!, conversation_id)));
      return items.every((found) => found?.conversation_status === status && !found.lease_owner) ? items : undefined;
    },
    30_000,
  );

const twilioMessagesTo = async (address: string) =>
  (
    (await (await fetch(`${state.providersUrl}/__messages?provider=twilio`)).json()) as { twilio: { to: string; body: string }[] }
  ).twilio.filter((m) => m.to === address);
const mailsTo = async (email: string) =>
  (
    (await (await fetch(`${state.providersUrl}/__messages?provider=sendgrid`)).json()) as {
      sendgrid: { personalizations?: { to: { email: string }[] }[] }[];
    }
  ).sendgrid.filter((m) => JSON.stringify(m).includes(email));

describe('a three-channel request', () => {
  it("one OpenAI conversation, every channel's first message written on it in one call, and GET /conversations shows them", async () => {
    // Prepare
    const tel = uniqueTel();
    const email = uniqueEmail();
    const body = validBody((b) => {
      b.recipient_data.recipient_tel = tel;
      b.recipient_data.recipient_email = email;
      b.request_data.channel_method = ['whatsapp', 'sms', 'email'];
    });

    // Act
    const response = await postInitiate(state, body);

    // Assess: the answer, then the providers, then the items, then the read-back.
    expect(response.status).toBe(200);
    const conversations = response.json.conversations as { channel: string; conversation_id: string }[];
    expect(conversations.map((c) => c.channel)).toEqual(['whatsapp', 'sms', 'email']);
    expect(response.json.conversation_id).toBe(conversations[0]!.conversation_id);
    const items = await waitForAll(conversations, { whatsapp: tel, sms: tel, email });
    const threadId = items[0]!.thread_id as string;
    expect(threadId).toMatch(/^conv_/);
    expect(items.map((found) => found!.thread_id)).toEqual([threadId, threadId, threadId]);

    const requestId = body.request_data.request_id;
    const openAi = await providerRequests(state, { provider: 'openai', mentioning: requestId });
    expect(openAi.filter((r) => r.route === 'conversations')).toHaveLength(1);
    const turns = openAi.filter((r) => r.route === 'responses');
    // One model call writes the three first messages (the demo project's channels share a model).
    expect(turns.map((r) => r.status)).toEqual([200]);
    expect(turns.map((r) => r.body.conversation)).toEqual([threadId]);
    expect(turns.map((r) => r.body.metadata.channels)).toEqual(['whatsapp,sms,email']);
    expect(turns[0]!.body.text.format).toMatchObject({ type: 'json_schema', name: 'first_messages', strict: true });
    expect(await twilioMessagesTo(`whatsapp:${tel}`)).toHaveLength(1);
    expect(await twilioMessagesTo(tel)).toHaveLength(1);
    expect(await mailsTo(email)).toHaveLength(1);

    // The thread holds the request and one assistant turn naming what goes on each channel.
    const listed = await fetch(`${state.providersUrl}/v1/conversations/${threadId}/items?order=asc&limit=100`, {
      headers: { authorization: 'Bearer sk-local-demo-project-a' },
    });
    const threadItems = ((await listed.json()) as { data: { role: string; content: { text: string }[] }[] }).data;
    expect(threadItems.map((i) => i.role)).toEqual(['user', 'assistant']);
    const written = JSON.parse(threadItems[1]!.content[0]!.text) as Record<string, Record<string, string>>;
    expect(Object.keys(written)).toEqual(['whatsapp', 'sms', 'email']);
    expect(JSON.stringify(await mailsTo(email))).toContain(JSON.stringify(written.email!.subject));

    const read = await getConversations({ company_id: 'ci-aaa-001', project_id: 'pi-aaa-001', request_id: requestId });
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ status: 'success', request_id: requestId, thread_id: threadId });
    expect(read.json.conversations.map((c: any) => [c.channel, c.conversation_id, c.conversation_status])).toEqual(
      conversations.map((c) => [c.channel, c.conversation_id, 'initial_message_sent']),
    );
    for (const conversation of read.json.conversations) {
      expect(conversation.hand_off_to_human).toBe(false);
      expect(conversation.messages).toEqual([
        expect.objectContaining({
          role: 'assistant',
          channel: conversation.channel,
          content: expect.any(String),
          delivery_status: expect.stringMatching(/^(queued|sent|delivered|read)$/),
        }),
      ]); // the callbacks may have come already
    }

    // The same request again: the same answer, nothing composed or sent again.
    const again = await postInitiate(state, body);
    expect(again.json).toEqual(response.json);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await providerRequests(state, { provider: 'openai', mentioning: requestId })).length).toBe(openAi.length);
    expect(await twilioMessagesTo(tel)).toHaveLength(1);
  });

  it('"all" is every channel the project allows, in the project\'s order', async () => {
    const tel = uniqueTel();
    const email = uniqueEmail();
    const response = await postInitiate(
      state,
      validBody(
        (b) => (
          (b.recipient_data.recipient_tel = tel), (b.recipient_data.recipient_email = email), (b.request_data.channel_method = 'ALL')
        ),
      ),
    );
    expect(response.status).toBe(200);
    const conversations = response.json.conversations as { channel: string; conversation_id: string }[];
    expect(conversations.map((c) => c.channel)).toEqual(['whatsapp', 'sms', 'email']);
    await waitForAll(conversations, { whatsapp: tel, sms: tel, email });
  });

  it('a permanent failure on one channel does not stop the others', async () => {
    const tel = uniqueTel();
    const email = uniqueEmail();
    await addFault(state, {
      provider: 'twilio',
      route: 'messages.create',
      status: 400,
      code: 21211,
      message: "The 'To' number is not a valid phone number.",
      match: `"To":"${tel}"`,
    });
    const response = await postInitiate(
      state,
      validBody(
        (b) => (
          (b.recipient_data.recipient_tel = tel),
          (b.recipient_data.recipient_email = email),
          (b.request_data.channel_method = ['sms', 'whatsapp', 'email'])
        ),
      ),
    );
    const [sms, whatsapp, mail] = response.json.conversations as { conversation_id: string }[];
    const failed = await eventually('the SMS failed', async () => {
      const found = await item(tel, sms!.conversation_id);
      return found?.conversation_status === 'failed_to_send_message' ? found : undefined;
    });
    expect(failed).toMatchObject({ failure_class: 'permanent', failure_reason: expect.stringContaining('21211') });
    await waitForAll(
      [
        { channel: 'whatsapp', conversation_id: whatsapp!.conversation_id },
        { channel: 'email', conversation_id: mail!.conversation_id },
      ],
      { whatsapp: tel, email },
    );
    const read = await getConversations({
      company_id: 'ci-aaa-001',
      project_id: 'pi-aaa-001',
      request_id: String(response.json.request_id),
    });
    expect(read.json.conversations.map((c: any) => c.conversation_status)).toEqual([
      'failed_to_send_message',
      'initial_message_sent',
      'initial_message_sent',
    ]);
  });
});

describe('the compose step', () => {
  it('crashing after the OpenAI conversation was created: the retry reuses it, composes and fans out once', async () => {
    // Prepare: the compose step as the function wires it, with the real SDK and the stack's SNS.
    const company = (await dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!).get('ci-aaa-001', 'pi-aaa-001'))!;
    const tel = uniqueTel();
    const contextObject = routerContextObjectFor(
      company,
      (b) => ((b.recipient_data.recipient_tel = tel), (b.request_data.channel_method = ['whatsapp', 'sms'])),
    );
    const sns = new SNSClient({
      region: state.env.AWS_REGION,
      endpoint: state.env.AWS_ENDPOINT_URL_SNS,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const ai = { maxRetries: 0, timeoutMs: 10_000 };
    const deps = (crashInTurn: boolean): ComposeDeps => ({
      threads: dynamoThreadRepository(clients.documents, state.resources.threadsTable!),
      companies: dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!),
      secrets: cachedSecretReader(createSecretsManagerClient(), 0),
      governor: createGovernor({
        buckets: dynamoBucketStore(clients.documents, state.resources.rateLimitsTable!),
        clock: { now: () => new Date() },
        config: { enabled: true },
      }),
      ai: {
        createThread: (apiKey, metadata) => createAiThread(apiKey, metadata, ai),
        // The first attempt dies in its first turn: the call never returns, as a killed process's would not.
        turn: crashInTurn ? () => new Promise(() => undefined) : (turn) => generateTurn(turn, ai),
      },
      publish: async (message) =>
        void (await sns.send(
          new PublishCommand({
            TopicArn: state.outputs['ai-multi-comms-compose']!.FanOutTopicArn!,
            Message: toSqsSafeJson(message),
            MessageAttributes: composedMessageAttributes(message),
          }),
        )),
      extendVisibility: async () => undefined,
      clock: { now: () => new Date() },
      logger: createLogger('compose'),
      metrics: { count: () => undefined },
      config: {
        visibilityTimeoutSeconds: 2,
        heartbeatIntervalMs: 600_000,
        retryBackoffBaseSeconds: 1,
        retryBackoffMaxSeconds: 5,
        recordDeadlineMs: 60_000,
      },
    });
    const record = { messageId: randomUUID(), receiptHandle: 'rh', body: toSqsSafeJson(contextObject), receiveCount: 1 };
    const requestId = contextObject.frontend_payload.request_data.request_id;

    // Act: attempt 1 creates the thread and dies; once its lease is over, attempt 2 runs.
    void composeRecord(record, deps(true));
    await eventually('the thread created', async () =>
      (await providerRequests(state, { provider: 'openai', route: 'conversations', mentioning: requestId })).length === 1
        ? true
        : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const outcome = await composeRecord({ ...record, receiveCount: 2 }, deps(false));

    // Assess: one conversation, reused; both channels sent on it.
    expect(outcome).toEqual({ outcome: 'acknowledge', reason: 'published' });
    const thread = (
      await clients.documents.send(
        new GetCommand({
          TableName: state.resources.threadsTable,
          Key: { thread_key: `ci-aaa-001#pi-aaa-001#${requestId}` },
          ConsistentRead: true,
        }),
      )
    ).Item!;
    expect(thread).toMatchObject({ status: 'published', attempts: 2 });
    expect(await providerRequests(state, { provider: 'openai', route: 'conversations', mentioning: requestId })).toHaveLength(1);
    const turns = await providerRequests(state, { provider: 'openai', route: 'responses', mentioning: requestId });
    expect(turns.map((r) => r.body.conversation)).toEqual([thread.thread_id]);
    const items = await waitForAll(contextObject.conversation_data.conversations, { whatsapp: tel, sms: tel });
    expect(items.map((found) => found!.thread_id)).toEqual([thread.thread_id, thread.thread_id]);
    sns.destroy();
  });
});

describe('the request and the read-back refuse what they must', () => {
  it('a repeated channel and a missing address are all listed, 400', async () => {
    const response = await postInitiate(
      state,
      validBody((b) => ((b.request_data.channel_method = ['sms', 'SMS', 'email']), delete b.recipient_data.recipient_email)),
    );
    expect(response.status).toBe(400);
    expect(response.json.validation_errors!.map((e) => e.field)).toEqual(['request_data.channel_method', 'recipient_data.recipient_email']);
  });

  it('a channel the project does not allow is 403 CHANNEL_NOT_ALLOWED, naming it', async () => {
    const body = validBody(
      (b) => (
        (b.company_data = { company_id: 'ci-bbb-001', project_id: 'pi-bbb-001' }),
        (b.request_data.channel_method = ['whatsapp', 'sms', 'email'])
      ),
    );
    const response = await postInitiate(state, body, { apiKey: state.demoApiKeys.companyB });
    expect(response.status).toBe(403);
    expect(response.json).toMatchObject({ error_code: 'CHANNEL_NOT_ALLOWED', message: expect.stringContaining('sms and email') });
  });

  it("GET /conversations: 404 for a request the project does not have, 403 with another project's key, 400 without a request id", async () => {
    expect(await getConversations({ company_id: 'ci-aaa-001', project_id: 'pi-aaa-001', request_id: randomUUID() })).toMatchObject({
      status: 404,
      json: { error_code: 'CONVERSATION_NOT_FOUND' },
    });
    const accepted = await postInitiate(state, validBody());
    expect(
      (
        await getConversations(
          { company_id: 'ci-aaa-001', project_id: 'pi-aaa-001', request_id: String(accepted.json.request_id) },
          state.demoApiKeys.companyB,
        )
      ).status,
    ).toBe(403);
    // Without a request_id it is the project's list (the agent API), still bound to the key.
    const list = await getConversations({ company_id: 'ci-aaa-001', project_id: 'pi-aaa-001' });
    expect([list.status, list.json.status, list.json.conversations.length > 0]).toEqual([200, 'success', true]);
    expect(await getConversations({ company_id: 'ci-aaa-001', project_id: 'pi-aaa-001', request_id: 'not-a-uuid' })).toMatchObject({
      status: 400,
      json: { error_code: 'INVALID_REQUEST_ID' },
    });
  });
});

afterAll(async () => {
  // No design here ever took two turns on one thread at once.
  const { conversation_locked } = (await (await fetch(`${state.providersUrl}/__openai/locks`)).json()) as { conversation_locked: number };
  expect(conversation_locked).toBe(0);
});
