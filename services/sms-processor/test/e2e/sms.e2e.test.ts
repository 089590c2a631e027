import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { countSmsSegments, dynamoOptOutStore, toSqsSafeJson } from '@ai-multi-comms/core';
import { smsChannel } from '../../src/sms-channel';
import { conversationReader } from '@ai-multi-comms/testing/stack';
import { crashAfterSendThenRedeliver } from '@ai-multi-comms/testing/stack';
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
import { demoContextObject } from '@ai-multi-comms/testing/stack';

/** The SMS channel through the real stack (router → queue → poller → handler → Twilio SMS). */
const { state, clients } = useLocalStack();
const conversations = conversationReader(state, clients);
const COMPANY_SMS = '+447700900002';
const smsQueue = () => state.outputs['ai-multi-comms-sms-processor']!.QueueUrl!;
const creates = (tel: string) => providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel });
const start = async (tel: string, requestId = randomUUID()) => {
  const response = await postInitiate(
    state,
    validBody((b) => ((b.recipient_data.recipient_tel = tel), (b.request_data.request_id = requestId)), 'sms'),
  );
  expect(response.status).toBe(200);
  return String(response.json.conversation_id);
};

it('sends one SMS from the company number with the AI text, and records segments', async () => {
  const tel = uniqueTel();
  const conversationId = await start(tel);
  expect(conversationId).toMatch(/#447700900002$/);
  const done = await conversations.waitForStatus(tel, conversationId, 'initial_message_sent');
  const sent = await creates(tel);
  expect(sent).toHaveLength(1);
  expect(sent[0]!.body).toEqual({
    From: COMPANY_SMS,
    To: tel,
    Body: expect.stringContaining('John'),
    StatusCallback: `${state.apiBaseUrl}/webhooks/twilio/status`,
    ValidityPeriod: '3600',
  }); // a first message may wait an hour in the sender's queue (validity-period.ts)
  expect(sent[0]!.body.Body.length).toBeLessThanOrEqual(1600); // the demo project's max_message_length
  const segments = countSmsSegments(sent[0]!.body.Body);
  expect(done).toMatchObject({
    attempts: 1,
    channel_method: 'sms',
    inbound_key: `sms#${COMPANY_SMS}#${tel}`,
    thread_id: expect.stringMatching(/^conv_/),
  });
  expect(done.messages).toEqual([
    expect.objectContaining({
      channel: 'sms',
      message_id: done.provider_message_id,
      content: sent[0]!.body.Body,
      encoding: segments.encoding,
      segments: segments.segments,
      total_tokens: expect.any(Number),
    }),
  ]);
  const responses = await providerRequests(state, { provider: 'openai', route: 'responses', mentioning: conversationId.split('#')[2]! });
  expect(responses[0]!.body.text).toBeUndefined(); // plain text: no Structured Outputs schema
});

it('acknowledges a duplicate delivery without a second SMS', async () => {
  const tel = uniqueTel();
  const conversationId = await start(tel);
  await conversations.waitForStatus(tel, conversationId, 'initial_message_sent');
  const published = (await queueEvents(state, { queueUrl: smsQueue(), status: 'published', conversationId }))[0]!;
  await clients.sqs.send(new SendMessageCommand({ QueueUrl: smsQueue(), MessageBody: published.body }));
  expect(await waitForQueueEvents(state, { queueUrl: smsQueue(), status: 'consumed', conversationId }, 2)).toHaveLength(2);
  expect((await creates(tel)).filter((r) => r.status === 201)).toHaveLength(1);
});

it('Twilio 429 past the SDK retries, then success: one SMS, attempts = 2', async () => {
  const tel = uniqueTel();
  await addFault(state, { provider: 'twilio', route: 'messages.create', status: 429, code: 20429, count: 4, match: tel });
  const conversationId = await start(tel);
  const done = await conversations.waitForStatus(tel, conversationId, 'initial_message_sent');
  expect(done.attempts).toBe(2);
  expect((await creates(tel)).map((r) => r.status)).toEqual([429, 429, 429, 429, 201]);
});

it.each([
  [21211, 'failed_to_send_message'],
  [21610, 'opted_out'],
])('Twilio %i is acknowledged as %s, with the code, not retried', async (code, status) => {
  const tel = uniqueTel();
  await addFault(state, { provider: 'twilio', route: 'messages.create', status: 400, code, message: 'refused', match: tel });
  const conversationId = await start(tel);
  const failed = await conversations.waitForStatus(tel, conversationId, status);
  expect(failed).toMatchObject({ failure_class: 'permanent', failure_reason: expect.stringContaining(String(code)) });
  await sleep(2500);
  expect(await creates(tel)).toHaveLength(1);
  // Twilio's opt-out is the person's: the next request to them on SMS is refused up front.
  const optedOut = await dynamoOptOutStore(clients.documents, state.resources.optOutsTable!).isOptedOut('ci-aaa-001', 'sms', tel);
  expect(optedOut).toBe(status === 'opted_out');
});

it('a crash after the send: the redelivery reconciles with Twilio and sends nothing twice', async () => {
  // In process, with the real SDKs and emulators, so a crash can be injected into the final update.
  const tel = uniqueTel();
  const contextObject = await demoContextObject(state, clients, (b) => (b.recipient_data.recipient_tel = tel), 'sms');
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  const record = { messageId: 'm', receiptHandle: 'r', body: toSqsSafeJson(contextObject), receiveCount: 1 };
  const redelivery = await crashAfterSendThenRedeliver(
    state,
    clients.documents,
    smsChannel,
    record,
    async () => (await creates(tel)).length === 1,
  );
  expect(redelivery).toEqual({ outcome: 'acknowledge', reason: 'sent' });
  expect(await creates(tel)).toHaveLength(1);
  expect(await providerRequests(state, { provider: 'twilio', route: 'messages.list', mentioning: tel })).toHaveLength(1);
  const done = await conversations.item(tel, conversationId);
  expect(done).toMatchObject({
    conversation_status: 'initial_message_sent',
    attempts: 2,
    provider_message_id: expect.stringMatching(/^SM/),
  });
  expect(done!.messages[0]).toMatchObject({ reconciled: true, channel: 'sms', encoding: expect.any(String), segments: expect.any(Number) });
});

it("two conversations to the same person within a minute, the second's first send failing with a Twilio 500: each gets its own SMS", async () => {
  // Prepare: the first conversation sent; then a 500 on the next create to this number.
  const tel = uniqueTel();
  const firstId = await start(tel);
  const first = await conversations.waitForStatus(tel, firstId, 'initial_message_sent');
  await addFault(state, { provider: 'twilio', route: 'messages.create', status: 500, match: tel });

  // Act: a second conversation (another role) to the same person.
  const response = await postInitiate(
    state,
    validBody((b) => {
      b.recipient_data.recipient_tel = tel;
      b.project_data.jobRole = 'Senior Carer';
    }, 'sms'),
  );
  expect(response.status).toBe(200);
  const second = await conversations.waitForStatus(tel, String(response.json.conversation_id), 'initial_message_sent');

  // Assess: two SMS at Twilio, each conversation with its own id and its own text.
  const sent = (await creates(tel)).filter((r) => r.status === 201);
  expect(sent).toHaveLength(2);
  expect(second.provider_message_id).not.toBe(first.provider_message_id);
  expect(second.attempts).toBe(2);
  expect(second.messages[0].content).toContain('Senior Carer');
  expect(second.messages[0].reconciled).toBeUndefined();
});
