import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import {
  createGovernor,
  inMemoryBucketStore,
  answerMessageFor,
  ChannelAdapter,
  CompanyProject,
  ConversationItem,
  InboundMessage,
  ComposedMessage,
  composeRecord,
  ComposeDeps,
  ContextObject,
  dynamoThreadRepository,
  dynamoConversationEntries,
  parseComposedMessage,
  createLogger,
  dynamoDeliveryRepository,
  dynamoOptOutStore,
  parseContextObject,
  primaryChannelFor,
  processRecord,
  ProcessingDeps,
  sha256Hex,
  toSqsSafeJson,
} from '@ai-multi-comms/core';
import { createHandler } from '../../services/router/src/handler';
import { whatsappChannel } from '../../services/whatsapp-processor/src/whatsapp-channel';
import { smsChannel } from '../../services/sms-processor/src/sms-channel';
import { emailChannel } from '../../services/email-processor/src/email-channel';
import { fakeDeps } from '../../services/router/test/fakes';
import { useLocalStack } from '@ai-multi-comms/testing/stack';

/**
 * Accepted means delivered, across the boundary: every request the router answers 200 yields a
 * Context Object that crosses SQS, that the compose step validates and composes (its thread item
 * in DynamoDB Local), whose composed message crosses SQS again and that every channel's sender
 * validates, claims, sends and records in DynamoDB Local, with nothing of the request lost. Bodies and headers are
 * generated (fast-check): free-form project_data with hostile keys ("constructor", "__proto__",
 * "") and numbers DynamoDB cannot hold, names in any Unicode, trace headers of any length, any
 * Content-Type. The router's own dependencies are the in-memory fakes (its guards are tested
 * elsewhere); the processor's are the real conversations table, the real channel adapters'
 * schemas and content rules, and fakes only for the provider call, the AI and the secrets.
 */
const { state, clients } = useLocalStack();

const API_KEY = 'boundary-test-key-000000000000000001';
const company: CompanyProject = {
  company_id: 'ci-boundary',
  project_id: 'pi-boundary',
  company_name: 'Boundary Ltd',
  project_name: 'Everything',
  project_status: 'active',
  allowed_channels: ['whatsapp', 'sms', 'email'],
  api_key_sha256: [sha256Hex(API_KEY)],
  rate_limits: { requests_per_minute: 1_000_000, max_message_length: 320 },
  company_rep: { company_rep_1: 'Sam' },
  ai_config: {
    openai_config: {
      whatsapp: { api_key_reference: 'ai-multi-comms/openai-api-key/whatsapp-dev', model: 'm', instructions: 'i' },
      sms: { api_key_reference: 'ai-multi-comms/openai-api-key/whatsapp-dev', model: 'm', instructions: 'i' },
      email: { api_key_reference: 'ai-multi-comms/openai-api-key/whatsapp-dev', model: 'm', instructions: 'i' },
    },
  },
  channel_config: {
    whatsapp: {
      company_whatsapp_number: '+447700900501',
      whatsapp_credentials_id: 'ai-multi-comms/whatsapp-credentials/ci-boundary/pi-boundary/twilio-dev',
    },
    sms: { company_sms_number: '+447700900502', sms_credentials_id: 'ai-multi-comms/sms-credentials/ci-boundary/pi-boundary/twilio-dev' },
    email: {
      company_email: 'jobs@boundary.example',
      email_credentials_id: 'ai-multi-comms/email-credentials/ci-boundary/pi-boundary/sendgrid-dev',
    },
  },
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:00.000Z',
};

const router = (() => {
  const { deps, queue } = fakeDeps([company]);
  return { handler: createHandler(() => deps), sent: queue.sent };
})();
const context = { functionName: 'router', awsRequestId: 'boundary', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** The real adapter, except that the provider call is not made: it answers with a message id. */
const withoutProvider = <C extends Record<string, string>>(adapter: ChannelAdapter<C>): ChannelAdapter<C> => ({
  ...adapter,
  send: async ({ contextObject, ai, reply, now }) => ({
    messageId: `SM${randomUUID().replace(/-/g, '')}`,
    content: adapter.contentToSend({ contextObject, ai, reply, now }),
  }),
  reconcile: async () => undefined,
});
const ADAPTERS = {
  whatsapp: withoutProvider(whatsappChannel),
  sms: withoutProvider(smsChannel),
  email: withoutProvider(emailChannel),
} as const;

const silentLogger = createLogger('boundary');
silentLogger.setLogLevel('SILENT');

const processorDeps = (channel: keyof typeof ADAPTERS): ProcessingDeps<Record<string, string>> => ({
  channel: ADAPTERS[channel] as ChannelAdapter<Record<string, string>>,
  deliveries: dynamoDeliveryRepository(clients.documents, {
    conversationsTable: state.resources.conversationsTable!,
    messagesTable: state.resources.messagesTable!,
  }),
  companies: { get: async (c, p) => (c === company.company_id && p === company.project_id ? company : undefined) },
  optOuts: dynamoOptOutStore(clients.documents, state.resources.optOutsTable!),
  governor: createGovernor({
    buckets: inMemoryBucketStore(),
    clock: { now: () => new Date() },
    sleep: async () => undefined,
    config: { enabled: true, maxInlineWaitMs: Number.POSITIVE_INFINITY },
  }),
  secrets: {
    getJson: async () =>
      ({
        ai_api_key: 'k',
        twilio_account_sid: 'AC1',
        twilio_auth_token: 't',
        twilio_template_sid: 'HX1',
        sendgrid_api_key: 'SG.k',
        sendgrid_from_email: 'jobs@boundary.example',
      }) as never,
    evict: () => undefined,
  },
  extendVisibility: async () => undefined,
  clock: { now: () => new Date() },
  logger: silentLogger,
  metrics: { count: () => undefined },
  config: {
    visibilityTimeoutSeconds: 905,
    heartbeatIntervalMs: 600_000,
    retryBackoffBaseSeconds: 1,
    retryBackoffMaxSeconds: 10,
    finalUpdateAttempts: 3,
    processorVersion: 'boundary',
    conversationsTable: state.resources.conversationsTable!,
    messagesTable: state.resources.messagesTable!,
    recordDeadlineMs: 30_000,
  },
  sleep: async () => undefined,
});

/** The compose step with its real thread repository on DynamoDB Local; the AI answers at once, in each channel's schema. */
const published: ComposedMessage[] = [];
const composeDeps: ComposeDeps = {
  threads: dynamoThreadRepository(clients.documents, state.resources.threadsTable!),
  companies: { get: async (c, p) => (c === company.company_id && p === company.project_id ? company : undefined) },
  secrets: { getJson: async () => ({ ai_api_key: 'k' }) as never, evict: () => undefined },
  governor: createGovernor({
    buckets: inMemoryBucketStore(),
    clock: { now: () => new Date() },
    sleep: async () => undefined,
    config: { enabled: true, maxInlineWaitMs: Number.POSITIVE_INFINITY },
  }),
  ai: {
    createThread: async () => `conv_${randomUUID().replace(/-/g, '')}`,
    turn: async (turn) => {
      const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
      const parts: Record<string, Record<string, string>> = {
        whatsapp: { 1: 'a', 2: 'b', 3: 'c', 4: 'd' },
        sms: { text: 'Hello there' },
        email: { subject: 'Hello', body: 'Dear you' },
      };
      if (turn.outputSchema?.name === 'first_messages') {
        const channels = Object.keys((turn.outputSchema.schema as { properties: object }).properties);
        const json = Object.fromEntries(channels.map((channel) => [channel, parts[channel]]));
        return { threadId: turn.threadId, text: JSON.stringify(json), json, usage };
      }
      if (turn.outputSchema?.name === 'email_content')
        return { threadId: turn.threadId, text: '{}', json: { subject: 'Hello', body: 'Dear you' }, usage };
      if (turn.outputSchema) return { threadId: turn.threadId, text: '{}', json: { 1: 'a', 2: 'b', 3: 'c', 4: 'd' }, usage };
      return { threadId: turn.threadId, text: 'Hello there', usage };
    },
  },
  publish: async (message) => void published.push(message),
  extendVisibility: async () => undefined,
  clock: { now: () => new Date() },
  logger: silentLogger,
  metrics: { count: () => undefined },
  config: {
    visibilityTimeoutSeconds: 605,
    heartbeatIntervalMs: 600_000,
    retryBackoffBaseSeconds: 1,
    retryBackoffMaxSeconds: 10,
    recordDeadlineMs: 30_000,
  },
};

const hostileKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('constructor', '__proto__', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '', 'M', 'NULL', 'then'),
);
const hostileNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(1e300, 12345678901234567890, 5e-324, -0, 9007199254740993, 1e-200),
);
const { value: freeValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
}));
const text = (maxLength: number) => fc.oneof(fc.string({ unit: 'grapheme', maxLength }), fc.string({ unit: 'binary', maxLength }));

const requestArbitrary = fc.record({
  channel: fc.oneof(
    fc.constantFrom('whatsapp', 'sms', 'email', 'WhatsApp', 'SMS', 'Email', 'all', 'ALL'),
    fc.uniqueArray(fc.constantFrom('whatsapp', 'sms', 'email'), { minLength: 1, maxLength: 3 }),
  ),
  firstName: fc.option(text(100), { nil: undefined }),
  lastName: fc.option(text(100), { nil: undefined }),
  email: fc.oneof(fc.emailAddress(), fc.constantFrom('a@b.co', "o'brien+jobs@example.co.uk")),
  projectData: fc.option(fc.dictionary(hostileKey, freeValue, { maxKeys: 6 }), { nil: undefined }),
  traceHeader: fc.option(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.string({ minLength: 250, maxLength: 400 }),
      fc.constant(`Root=1-${'a'.repeat(300)}`),
    ),
    { nil: undefined },
  ),
  contentType: fc.constantFrom(
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'text/plain',
  ),
  // What the person writes back, and what the AI answers: any text at all.
  replyText: text(500),
  answerText: fc.oneof(text(2000), fc.constant('')),
});

let queueUrl: string;
// The router prints its EMF metrics on every invocation; thousands of lines say nothing here.
beforeEach(() => void jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
afterEach(() => jest.restoreAllMocks());
beforeAll(async () => {
  queueUrl = (await clients.sqs.send(new CreateQueueCommand({ QueueName: `boundary-${randomUUID()}` }))).QueueUrl!;
});

/** The router's queue message, through a real SQS queue: what the processor receives. */
const throughSqs = async (contextObject: ContextObject): Promise<string> => {
  await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: toSqsSafeJson(contextObject) }));
  const { Messages } = await clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 2 }),
  );
  const message = Messages![0]!;
  await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
  return message.Body!;
};

it('every request the router accepts crosses SQS, validates in the processor, and is claimed, sent and recorded in DynamoDB Local', async () => {
  let accepted = 0;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(requestArbitrary, async (generated) => {
      runs += 1;
      // Prepare
      const body = {
        company_data: { company_id: company.company_id, project_id: company.project_id },
        recipient_data: {
          ...(generated.firstName !== undefined ? { recipient_first_name: generated.firstName } : {}),
          ...(generated.lastName !== undefined ? { recipient_last_name: generated.lastName } : {}),
          recipient_tel: `+4479${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
          recipient_email: generated.email,
          comms_consent: true,
        },
        ...(generated.projectData !== undefined ? { project_data: generated.projectData } : {}),
        request_data: {
          request_id: randomUUID(),
          channel_method: generated.channel,
          initial_request_timestamp: '2025-09-15T11:45:32.789Z',
        },
      };
      const headers: Record<string, string> = { 'x-api-key': API_KEY };
      if (generated.traceHeader !== undefined) headers['X-Amzn-Trace-Id'] = generated.traceHeader;
      if (generated.contentType !== undefined) headers['Content-Type'] = generated.contentType;
      const before = router.sent.length;

      // Act: the router
      const response = await router.handler(
        {
          httpMethod: 'POST',
          headers,
          body: JSON.stringify(body),
          isBase64Encoded: false,
          requestContext: { requestId: randomUUID() },
        } as unknown as APIGatewayProxyEvent,
        context,
      );
      if (response.statusCode !== 200) {
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
        return;
      }
      accepted += 1;
      const { contextObject } = router.sent[before]!;

      // Act: the compose queue and the compose step, then the fan-out (SNS's raw delivery is the
      // message itself, through a queue) and each channel's sender.
      const composeOutcome = await composeRecord(
        { messageId: randomUUID(), receiptHandle: 'rh', body: await throughSqs(contextObject), receiveCount: 1 },
        composeDeps,
      );
      expect(composeOutcome).toEqual({ outcome: 'acknowledge', reason: 'published' });
      const fannedOut = await throughSqs(published.at(-1)!);
      for (const { channel, conversation_id } of contextObject.conversation_data.conversations) {
        const parsed = parseComposedMessage(fannedOut, channel);
        const outcome = await processRecord(
          { messageId: randomUUID(), receiptHandle: 'rh', body: fannedOut, receiveCount: 1 },
          processorDeps(channel),
        );

        // Assess: sent and recorded, with the client's data intact
        expect(outcome).toEqual({ outcome: 'acknowledge', reason: 'sent' });
        const { Item } = await clients.documents.send(
          new GetCommand({
            TableName: state.resources.conversationsTable,
            Key: { primary_channel: primaryChannelFor(parsed.frontend_payload, channel), conversation_id },
            ConsistentRead: true,
          }),
        );
        expect(Item?.conversation_status).toBe('initial_message_sent');
        expect(Item?.thread_id).toBe(published.at(-1)!.conversation_data.thread_id);
        expect(Item?.recipient_first_name).toBe(contextObject.frontend_payload.recipient_data.recipient_first_name);
        if (generated.projectData === undefined) expect(Item?.project_data_json).toBeUndefined();
        else expect(JSON.parse(Item!.project_data_json as string)).toEqual(JSON.parse(JSON.stringify(generated.projectData)));

        // Act: the person replies; the reply step's answer (built from this very item) crosses
        // SNS/SQS and the same sender delivers it as message reply#…
        const inboundId = `twilio#SM${randomUUID().replace(/-/g, '')}`;
        const now = new Date().toISOString();
        const inbound: InboundMessage = {
          inbound_id: inboundId,
          provider: channel === 'email' ? 'sendgrid' : 'twilio',
          channel,
          from_address: String(Item!.primary_channel),
          to_address: 'x',
          text: generated.replyText,
          intent: 'reply',
          inbound_status: 'linked',
          received_at: now,
          updated_at: now,
          expires_at: 0,
          ...(channel === 'email' ? { subject: generated.replyText.slice(0, 50), email_message_id: '<m@person.example>' } : {}),
        };
        const answer = answerMessageFor(inbound, Item as ConversationItem, company, {
          reply: generated.answerText || '.',
          hand_off_to_human: false,
          hand_off_reason: null,
          task_complete: false,
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        });
        const answerOutcome = await processRecord(
          { messageId: randomUUID(), receiptHandle: 'rh', body: await throughSqs(answer as unknown as ContextObject), receiveCount: 1 },
          processorDeps(channel),
        );
        expect(answerOutcome).toEqual({ outcome: 'acknowledge', reason: 'sent' });
        const { Item: afterReply } = await clients.documents.send(
          new GetCommand({
            TableName: state.resources.conversationsTable,
            Key: { primary_channel: Item!.primary_channel, conversation_id },
            ConsistentRead: true,
          }),
        );
        expect(afterReply?.conversation_status).toBe('reply_sent');
        expect(afterReply?.message_count).toBe(2);
        expect(await dynamoConversationEntries(clients.documents, state.resources.messagesTable!).all(conversation_id)).toHaveLength(2);
      }
    }),
    {
      numRuns: 150,
      examples: [
        // The reported cases, always run first.
        [
          {
            channel: 'whatsapp',
            firstName: 'Bob',
            lastName: undefined,
            email: 'a@b.co',
            projectData: { constructor: 'Bob the Builder Ltd' },
            traceHeader: undefined,
            contentType: 'application/json',
            replyText: 'STOP',
            answerText: '',
          },
        ],
        [
          {
            channel: 'sms',
            firstName: undefined,
            lastName: undefined,
            email: 'a@b.co',
            projectData: JSON.parse('{"__proto__":{"polluted":true},"n":12345678901234567890}'),
            traceHeader: undefined,
            contentType: undefined,
            replyText: '',
            answerText: 'x'.repeat(2000),
          },
        ],
        [
          {
            channel: 'email',
            firstName: 'José',
            lastName: 'Ñúñez 👋',
            email: 'a@b.co',
            projectData: { '': 'empty key', big: 1e300 },
            traceHeader: `Root=1-${'a'.repeat(300)}`,
            contentType: undefined,
            replyText: 'Sí 👋',
            answerText: '\u0000\ud800 odd',
          },
        ],
      ],
    },
  );
  // The property is not vacuous: most generated requests are accepted.
  expect(accepted).toBeGreaterThan(runs / 2);
}, 120_000);

it('the largest body the router accepts (64 KiB of emoji in project_data) still fits an SQS message', async () => {
  const body = {
    company_data: { company_id: company.company_id, project_id: company.project_id },
    recipient_data: { recipient_tel: '+447700900777', comms_consent: true },
    project_data: { notes: '' },
    request_data: { request_id: randomUUID(), channel_method: 'sms', initial_request_timestamp: '2025-09-15T11:45:32.789Z' },
  };
  const base = Buffer.byteLength(JSON.stringify(body));
  body.project_data.notes = '😀'.repeat(Math.floor((64 * 1024 - base) / 4));
  const before = router.sent.length;
  const response = await router.handler(
    {
      httpMethod: 'POST',
      headers: { 'x-api-key': API_KEY },
      body: JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: { requestId: 'r' },
    } as unknown as APIGatewayProxyEvent,
    context,
  );
  expect(response.statusCode).toBe(200);
  const queued = await throughSqs(router.sent[before]!.contextObject);
  expect(parseContextObject(queued).frontend_payload.project_data).toEqual(body.project_data);
  // …and so does the composed message the compose step publishes for it (SNS has the same limit).
  expect(await composeRecord({ messageId: randomUUID(), receiptHandle: 'rh', body: queued, receiveCount: 1 }, composeDeps)).toEqual({
    outcome: 'acknowledge',
    reason: 'published',
  });
  expect(parseComposedMessage(await throughSqs(published.at(-1)!), 'sms').frontend_payload.project_data).toEqual(body.project_data);
});
