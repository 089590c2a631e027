import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { emailThreadToken, toSqsSafeJson } from '@ai-multi-comms/core';
import { emailChannel, messageIdFor } from '../../src/email-channel';
import { conversationReader } from '@ai-multi-comms/testing/stack';
import { crashAfterSendThenRedeliver } from '@ai-multi-comms/testing/stack';
import {
  addFault,
  eventually,
  postInitiate,
  providerRequests,
  queueEvents,
  sleep,
  useLocalStack,
  validBody,
  waitForQueueEvents,
} from '@ai-multi-comms/testing/stack';
import { demoContextObject } from '@ai-multi-comms/testing/stack';

/** The e-mail channel through the real stack (router → queue → poller → handler → @sendgrid/mail → local SendGrid). */
const { state, clients } = useLocalStack();
const conversations = conversationReader(state, clients);
const COMPANY_EMAIL = 'jobs@acme-care.example.com';
const emailQueue = () => state.outputs['ai-multi-comms-email-processor']!.QueueUrl!;
const uniqueEmail = () => `e2e.${randomUUID()}@example.com`;
const sends = (email: string) => providerRequests(state, { provider: 'sendgrid', route: 'mail.send', mentioning: email });
const start = async (email: string) => {
  const response = await postInitiate(
    state,
    validBody((b) => {
      b.recipient_data.recipient_email = email;
      delete b.recipient_data.recipient_tel;
    }, 'email'),
  );
  expect(response.status).toBe(200);
  return String(response.json.conversation_id);
};

it('sends one e-mail with the AI subject and body, text and HTML, the conversation id and our Message-ID', async () => {
  const email = uniqueEmail();
  const conversationId = await start(email);
  expect(conversationId).toMatch(/#jobs@acme-care\.example\.com$/);
  const done = await conversations.waitForStatus(email, conversationId, 'initial_message_sent');
  const sent = await sends(email);
  expect(sent).toHaveLength(1);
  expect(sent[0]!.auth).toBe('bearer');
  const body = sent[0]!.body;
  const messageId = messageIdFor(conversationId, COMPANY_EMAIL);
  expect(body).toMatchObject({
    personalizations: [{ to: [{ email, name: 'John Doe' }] }],
    from: { email: COMPANY_EMAIL, name: 'Acme Care Recruitment' },
    subject: expect.stringContaining('Healthcare Assistant'),
    custom_args: { conversation_id: conversationId },
    headers: { 'Message-ID': messageId },
  });
  expect(body.content.map((part: { type: string }) => part.type)).toEqual(['text/plain', 'text/html']);
  expect(body.content[1].value).toMatch(/^<!doctype html><html><body><p>.*John/);
  expect(done).toMatchObject({
    attempts: 1,
    channel_method: 'email',
    primary_channel: email,
    inbound_key: `email#${emailThreadToken(conversationId)}`,
    provider_message_id: expect.any(String),
  });
  expect(done.messages).toEqual([
    expect.objectContaining({
      channel: 'email',
      message_id: done.provider_message_id,
      subject: body.subject,
      email_message_id: messageId,
      content: body.content[0].value,
      total_tokens: expect.any(Number),
    }),
  ]);
  const responses = await providerRequests(state, { provider: 'openai', route: 'responses', mentioning: conversationId.split('#')[2]! });
  expect(responses[0]!.body.text.format).toMatchObject({ type: 'json_schema', name: 'email_content', strict: true });
});

it('acknowledges a duplicate delivery without a second e-mail', async () => {
  const email = uniqueEmail();
  const conversationId = await start(email);
  await conversations.waitForStatus(email, conversationId, 'initial_message_sent');
  const published = (await queueEvents(state, { queueUrl: emailQueue(), status: 'published', conversationId }))[0]!;
  await clients.sqs.send(new SendMessageCommand({ QueueUrl: emailQueue(), MessageBody: published.body }));
  expect(await waitForQueueEvents(state, { queueUrl: emailQueue(), status: 'consumed', conversationId }, 2)).toHaveLength(2);
  expect((await sends(email)).filter((r) => r.status === 202)).toHaveLength(1);
});

it('SendGrid 429 then success: one e-mail, attempts = 2, without asking SendGrid (its 429 says it took nothing)', async () => {
  const email = uniqueEmail();
  await addFault(state, { provider: 'sendgrid', route: 'mail.send', status: 429, count: 1, match: email });
  const conversationId = await start(email);
  const done = await conversations.waitForStatus(email, conversationId, 'initial_message_sent');
  expect(done.attempts).toBe(2);
  expect((await sends(email)).map((r) => r.status)).toEqual([429, 202]);
  expect((await providerRequests(state, { provider: 'sendgrid', route: 'messages.list', mentioning: conversationId })).length).toBe(0);
});

it.each([400, 403])('SendGrid %i is permanent: acknowledged as failed_to_send_message with the code, not retried', async (status) => {
  const email = uniqueEmail();
  await addFault(state, { provider: 'sendgrid', route: 'mail.send', status, message: 'refused', match: email });
  const conversationId = await start(email);
  const failed = await conversations.waitForStatus(email, conversationId, 'failed_to_send_message');
  expect(failed).toMatchObject({ failure_class: 'permanent', failure_reason: expect.stringContaining(`SendGrid ${status}`) });
  await sleep(2500);
  expect(await sends(email)).toHaveLength(1);
});

it('SendGrid 401 (the key refused): the secret is read again once; refused again, it is permanent and not retried', async () => {
  const email = uniqueEmail();
  await addFault(state, {
    provider: 'sendgrid',
    route: 'mail.send',
    status: 401,
    count: 2,
    message: 'The provided authorization grant is invalid, expired, or revoked',
    match: email,
  });
  const conversationId = await start(email);
  const failed = await conversations.waitForStatus(email, conversationId, 'failed_to_send_message');
  expect(failed).toMatchObject({ failure_class: 'permanent', failure_reason: expect.stringContaining('SendGrid 401') });
  await sleep(2500);
  expect((await sends(email)).map((r) => r.status)).toEqual([401, 401]);
});

it('SendGrid 401 once (a key rotated while the old one was cached): sent after one fresh read of the secret', async () => {
  const email = uniqueEmail();
  await addFault(state, {
    provider: 'sendgrid',
    route: 'mail.send',
    status: 401,
    message: 'The provided authorization grant is invalid, expired, or revoked',
    match: email,
  });
  const conversationId = await start(email);
  const done = await conversations.waitForStatus(email, conversationId, 'initial_message_sent');
  expect(done.attempts).toBe(1);
  expect((await sends(email)).map((r) => r.status)).toEqual([401, 202]);
});

it('a crash after the send: the redelivery finds the e-mail by its conversation id and sends nothing twice', async () => {
  const email = uniqueEmail();
  const contextObject = await demoContextObject(
    state,
    clients,
    (b) => {
      b.recipient_data.recipient_email = email;
      delete b.recipient_data.recipient_tel;
    },
    'email',
  );
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  const record = { messageId: 'm', receiptHandle: 'r', body: toSqsSafeJson(contextObject), receiveCount: 1 };
  const redelivery = await crashAfterSendThenRedeliver(
    state,
    clients.documents,
    emailChannel,
    record,
    async () => (await sends(email)).length === 1,
  );
  expect(redelivery).toEqual({ outcome: 'acknowledge', reason: 'sent' });
  expect(await sends(email)).toHaveLength(1);
  const done = await conversations.item(email, conversationId);
  expect(done).toMatchObject({
    conversation_status: 'initial_message_sent',
    attempts: 2,
    inbound_key: `email#${emailThreadToken(conversationId)}`,
  });
  expect(done!.messages[0]).toMatchObject({ reconciled: true, channel: 'email' });
});
