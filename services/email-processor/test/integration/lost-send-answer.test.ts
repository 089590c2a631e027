import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { processRecord, toSqsSafeJson } from '@ai-multi-comms/core';
import { demoContextObject } from '@ai-multi-comms/testing/stack';
import { conversationReader } from '@ai-multi-comms/testing/stack';
import { inProcessDeps, realDeliveries } from '@ai-multi-comms/testing/stack';
import { addFault, eventually, providerRequests, useLocalStack } from '@ai-multi-comms/testing/stack';
import { emailChannelFor } from '../../src/email-channel';

/**
 * A send whose answer never came, without Email Activity (the demo SendGrid account has none), in
 * process with the real SDKs, DynamoDB Local and the local SendGrid: the next attempt must not mail
 * again while SendGrid may hold the first; it waits (a requeue, no receive spent) for SendGrid's own
 * event, and sends only once the quiet period has passed with no event.
 */
const { state, clients } = useLocalStack();
const kit = conversationReader(state, clients);
const uniqueEmail = () => `lost-${randomUUID().slice(0, 8)}@example.com`;
const messageItem = async (conversationId: string) =>
  (
    await clients.documents.send(
      new GetCommand({
        TableName: state.resources.messagesTable,
        Key: { conversation_id: conversationId, message_key: 'initial' },
        ConsistentRead: true,
      }),
    )
  ).Item!;
const mailsTo = async (email: string) =>
  (
    (await (await fetch(`${state.providersUrl}/__messages?provider=sendgrid`)).json()) as {
      sendgrid: { to_emails: string[]; msg_id: string }[];
    }
  ).sendgrid.filter((m) => m.to_emails.includes(email));

it("the connection drops before SendGrid took the mail: the next attempt waits for SendGrid's word, then sends once", async () => {
  const email = uniqueEmail();
  const contextObject = await demoContextObject(
    state,
    clients,
    (b) => ((b.recipient_data.recipient_email = email), (b.request_data.channel_method = ['email'])),
    'email',
  );
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  const record = { messageId: randomUUID(), receiptHandle: 'rh', body: toSqsSafeJson(contextObject), receiveCount: 1 };
  const deliveries = realDeliveries(state, clients.documents);
  await addFault(state, { provider: 'sendgrid', route: 'mail.send', drop: true, count: 1, match: email });

  // Attempt 1: the call's answer never comes (no HTTP answer: it may or may not have been taken).
  expect(await processRecord(record, inProcessDeps(state, emailChannelFor({ confirmationWaitMs: 60_000 }), deliveries))).toMatchObject({
    outcome: 'retry',
  });
  expect((await messageItem(conversationId)).send_intents).toHaveLength(1);

  // Attempt 2: SendGrid cannot say (Email Activity refused, no event): wait, do not send.
  const waiting = await processRecord(
    { ...record, receiveCount: 2 },
    inProcessDeps(state, emailChannelFor({ confirmationWaitMs: 60_000 }), deliveries),
  );
  expect(waiting).toMatchObject({ outcome: 'requeue', delaySeconds: expect.any(Number) });
  expect((waiting as { delaySeconds: number }).delaySeconds).toBeGreaterThan(50);
  expect(await messageItem(conversationId)).toMatchObject({
    message_status: 'failed_to_send_message',
    failure_class: 'transient',
    failure_reason: expect.stringContaining('waiting for SendGrid'),
  });
  expect(
    (await providerRequests(state, { provider: 'sendgrid', route: 'messages.list', mentioning: conversationId })).map((r) => r.status),
  ).toEqual([403]);
  expect(await mailsTo(email)).toHaveLength(0);

  // The quiet period over and no event came: SendGrid never took it, so it goes now, once.
  const sent = await processRecord(
    { ...record, receiveCount: 1 },
    inProcessDeps(state, emailChannelFor({ confirmationWaitMs: 0 }), deliveries),
  );
  expect(sent).toEqual({ outcome: 'acknowledge', reason: 'sent' });
  const mails = await mailsTo(email);
  expect(mails).toHaveLength(1);
  expect(await messageItem(conversationId)).toMatchObject({ message_status: 'sent', provider_message_id: mails[0]!.msg_id });
});

it('SendGrid took the mail but the answer was lost: its `processed` event reaches the message item, and the next attempt records that mail without sending', async () => {
  const email = uniqueEmail();
  const contextObject = await demoContextObject(
    state,
    clients,
    (b) => ((b.recipient_data.recipient_email = email), (b.request_data.channel_method = ['email'])),
    'email',
  );
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  const record = { messageId: randomUUID(), receiptHandle: 'rh', body: toSqsSafeJson(contextObject), receiveCount: 1 };
  const deliveries = realDeliveries(state, clients.documents);
  await addFault(state, { provider: 'sendgrid', route: 'mail.send', drop_after: true, count: 1, match: email });

  expect(await processRecord(record, inProcessDeps(state, emailChannelFor({ confirmationWaitMs: 60_000 }), deliveries))).toMatchObject({
    outcome: 'retry',
  });
  const [mail] = await mailsTo(email);
  // The local SendGrid's signed Event Webhook, to the project's own URL, with our custom_args.
  const seen = await eventually(
    "SendGrid's event on the message item",
    async () => (await messageItem(conversationId)).provider_seen as { provider_message_id: string } | undefined,
  );
  expect(seen.provider_message_id).toBe(mail!.msg_id);

  expect(
    await processRecord({ ...record, receiveCount: 2 }, inProcessDeps(state, emailChannelFor({ confirmationWaitMs: 60_000 }), deliveries)),
  ).toEqual({ outcome: 'acknowledge', reason: 'sent' });
  expect(await mailsTo(email)).toHaveLength(1);
  const conversation = await eventually('the conversation', async () => (await kit.item(email, conversationId)) ?? undefined);
  expect(conversation.messages[0]).toMatchObject({ reconciled: true, message_id: mail!.msg_id });
  expect(await messageItem(conversationId)).toMatchObject({ message_status: 'sent', provider_message_id: mail!.msg_id });
  expect(await providerRequests(state, { provider: 'sendgrid', route: 'messages.list', mentioning: conversationId })).toHaveLength(0);
});
