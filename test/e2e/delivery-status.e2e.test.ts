import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDeliveryStatusStore, dynamoOptOutStore } from '@ai-multi-comms/core';
import { generateKeyPairSync } from 'node:crypto';
import { DEMO_SENDGRID_EVENT_PRIVATE_KEY, sendGridEventSignature, twilioSignature } from '@ai-multi-comms/local-stack';
import { replyKit } from '@ai-multi-comms/testing/stack';
import { eventually, useLocalStack } from '@ai-multi-comms/testing/stack';

/**
 * Delivery status from the providers' own callbacks, through the whole local stack: the senders
 * ask for status callbacks, the local Twilio and SendGrid send them signed (and any callback on
 * demand, in any order), the router's webhooks verify and record them, GET /conversations shows
 * them.
 */
const { state, clients } = useLocalStack();
const kit = replyKit(state, clients);
const store = () => dynamoDeliveryStatusStore(clients.documents, state.resources.deliveryEventsTable!);

const read = async (requestId: string) => {
  const response = await kit.json(
    `${state.apiBaseUrl}/conversations?${new URLSearchParams({ company_id: 'ci-aaa-001', project_id: 'pi-aaa-001', request_id: requestId })}`,
    { headers: { 'x-api-key': state.demoApiKeys.companyA } },
  );
  return Object.fromEntries((response.json.conversations as any[]).map((c) => [c.channel, c.messages[0]]));
};
const twilioStatus = (messageSid: string, status: string, errorCode?: number) =>
  kit.json(`${state.providersUrl}/__simulate/twilio/status`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message_sid: messageSid, status, ...(errorCode ? { error_code: errorCode } : {}) }),
  });
const sendGridEvents = (events: Record<string, unknown>[]) =>
  kit.json(`${state.providersUrl}/__simulate/sendgrid/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(events),
  });
const statusOf = async (providerMessageId: string) => (await store().current([providerMessageId])).get(providerMessageId);

it("the normal progression: WhatsApp read, SMS and e-mail delivered, from the providers' own callbacks", async () => {
  const { requestId } = await kit.start(['whatsapp', 'sms', 'email']);
  const messages = await eventually('every channel at its last step', async () => {
    const found = await read(requestId);
    return found.whatsapp?.delivery_status === 'read' &&
      found.sms?.delivery_status === 'delivered' &&
      found.email?.delivery_status === 'delivered'
      ? found
      : undefined;
  });
  const history = (await store().history(messages.whatsapp.message_id)).map((e) => e.provider_event).sort();
  // Twilio sends no callback for the initial `queued` status.
  expect(history).toEqual(['delivered', 'read', 'sent']);
  expect((await store().history(messages.email.message_id)).map((e) => e.provider_event).sort()).toEqual(['delivered', 'processed']);
});

it("a message's delivery events expire with its project's retention, as its conversation does (Twilio and SendGrid)", async () => {
  const { requestId, byChannel } = await kit.start(['whatsapp', 'email']);
  const messages = await eventually('both delivered', async () => {
    const found = await read(requestId);
    return ['delivered', 'read'].includes(found.whatsapp?.delivery_status) && found.email?.delivery_status === 'delivered'
      ? found
      : undefined;
  });
  for (const channel of ['whatsapp', 'email']) {
    const conversationExpires = byChannel[channel]!.item.expires_at as number;
    expect(conversationExpires).toBeGreaterThan(Date.now() / 1000 + 86_400);
    const id = messages[channel].message_id as string;
    const items = [
      ...(await store().history(id)),
      (
        await clients.documents.send(
          new GetCommand({ TableName: state.resources.deliveryEventsTable!, Key: { provider_message_id: id, event_key: 'status' } }),
        )
      ).Item!,
    ];
    for (const item of items) expect(Math.abs((item.expires_at as number) - conversationExpires)).toBeLessThan(300); // written seconds apart, with the same retention
  }
});

it('reordered and repeated callbacks change nothing: the status only moves forward, each event kept once', async () => {
  const { byChannel } = await kit.start(['sms']);
  const sid = byChannel.sms!.item.provider_message_id as string;
  await eventually('delivered', async () => ((await statusOf(sid))?.delivery_status === 'delivered' ? true : undefined));
  for (const status of ['sent', 'queued', 'delivered', 'sending', 'sent'])
    expect((await twilioStatus(sid, status)).json.webhook_status).toBe(200);
  expect(await statusOf(sid)).toMatchObject({ delivery_status: 'delivered' });
  expect((await store().history(sid)).map((e) => e.provider_event).sort()).toEqual(['delivered', 'queued', 'sending', 'sent']);
});

it('undelivered with an error code is final, shows its code and what it means, and a late "delivered" changes nothing', async () => {
  const { byChannel, requestId } = await kit.start(['whatsapp']);
  const sid = byChannel.whatsapp!.item.provider_message_id as string;
  await twilioStatus(sid, 'undelivered', 63016);
  await eventually('undelivered', async () => ((await statusOf(sid))?.delivery_status === 'undelivered' ? true : undefined));
  await twilioStatus(sid, 'delivered');
  await twilioStatus(sid, 'read');
  await new Promise((resolve) => setTimeout(resolve, 800)); // the local Twilio's own callbacks for it are over by now too
  const message = (await read(requestId)).whatsapp;
  expect(message).toMatchObject({
    delivery_status: 'undelivered',
    delivery_error_code: '63016',
    delivery_error: 'outside the WhatsApp 24-hour window; send a template',
  });
});

it('a bounce is final with its reason; an unsubscribe records an e-mail opt-out', async () => {
  const { byChannel, requestId, person } = await kit.start(['email']);
  const msgId = byChannel.email!.item.provider_message_id as string;
  await eventually('delivered first', async () => ((await statusOf(msgId))?.delivery_status === 'delivered' ? true : undefined));
  // Not realistic after "delivered", but a bounce is final whenever it comes; then a late "open" changes nothing.
  expect(
    (
      await sendGridEvents([
        { event: 'bounce', msg_id: msgId, reason: '550 5.1.1 mailbox does not exist', status: '5.1.1', type: 'bounce' },
        { event: 'open', msg_id: msgId },
      ])
    ).json.webhook_status,
  ).toBe(200);
  expect((await read(requestId)).email).toMatchObject({
    delivery_status: 'bounce',
    delivery_error_code: '5.1.1',
    delivery_error: '550 5.1.1 mailbox does not exist',
  });
  await sendGridEvents([{ event: 'unsubscribe', msg_id: msgId }]);
  expect(await dynamoOptOutStore(clients.documents, state.resources.optOutsTable!).isOptedOut('ci-aaa-001', 'email', person.email)).toBe(
    true,
  );
});

it('a burst of 300 callbacks for one message, 15 at a time in parallel, in mixed order: the highest status wins, each event is kept once', async () => {
  const { byChannel } = await kit.start(['whatsapp']);
  const sid = byChannel.whatsapp!.item.provider_message_id as string;
  const statuses = ['queued', 'sending', 'sent', 'delivered', 'read'];
  // 300 callbacks, 15 in flight at any moment (serverless-offline runs the function in a few
  // worker threads: more at once only queue up inside it, past Twilio's 15 s wait).
  const answers: { json: { webhook_status: number } }[] = [];
  let next = 0;
  const sender = async () => {
    while (next < 300) {
      const i = next++;
      // A callback that failed or timed out is sent again, as a provider retries a webhook.
      let answer = await twilioStatus(sid, statuses[(i * 7) % statuses.length]!);
      for (let retry = 0; retry < 3 && answer.json.webhook_status !== 200; retry += 1)
        answer = await twilioStatus(sid, statuses[(i * 7) % statuses.length]!);
      answers.push(answer);
    }
  };
  await Promise.all(Array.from({ length: 15 }, sender));
  expect([...new Set(answers.map((a) => a.json.webhook_status))]).toEqual([200]);
  expect(await statusOf(sid)).toMatchObject({ delivery_status: 'read' });
  expect((await store().history(sid)).map((e) => e.provider_event).sort()).toEqual(['delivered', 'queued', 'read', 'sending', 'sent']);
}, 120_000);

describe('forged and unsigned callbacks change nothing', () => {
  it('Twilio: unsigned, another token, tampered: 403', async () => {
    const { byChannel } = await kit.start(['sms']);
    const sid = byChannel.sms!.item.provider_message_id as string;
    await eventually('delivered', async () => ((await statusOf(sid))?.delivery_status === 'delivered' ? true : undefined));
    const url = `${state.apiBaseUrl}/webhooks/twilio/status`;
    const params = {
      AccountSid: 'AC00000000000000000000000000000a01',
      From: '+447700900002',
      To: byChannel.sms!.address,
      MessageSid: sid,
      MessageStatus: 'failed',
      ErrorCode: '30003',
      ApiVersion: '2010-04-01',
    };
    const post = (signature: string | undefined, body = params) =>
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(signature ? { 'X-Twilio-Signature': signature } : {}) },
        body: new URLSearchParams(body).toString(),
      }).then((r) => r.status);
    expect(await post(undefined)).toBe(403);
    expect(await post(twilioSignature('not-the-token', url, params))).toBe(403);
    expect(await post(twilioSignature('local-demo-twilio-token-a', url, { ...params, MessageStatus: 'delivered' }))).toBe(403);
    expect(await statusOf(sid)).toMatchObject({ delivery_status: 'delivered' });
    // Signed as Twilio signs it, the same call counts.
    expect(await post(twilioSignature('local-demo-twilio-token-a', url, params))).toBe(200);
    expect(await statusOf(sid)).toMatchObject({ delivery_status: 'failed', delivery_error_code: '30003' });
  });

  it('SendGrid: unsigned, signed over another body, signed with another key: 403', async () => {
    const { byChannel } = await kit.start(['email']);
    const msgId = byChannel.email!.item.provider_message_id as string;
    await eventually('delivered', async () => ((await statusOf(msgId))?.delivery_status === 'delivered' ? true : undefined));
    const body = JSON.stringify([
      {
        event: 'dropped',
        sg_event_id: randomUUID(),
        sg_message_id: `${msgId}.filter`,
        conversation_id: byChannel.email!.conversation_id,
        reason: 'forged',
        timestamp: 1,
      },
    ]);
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ type: 'pkcs8', format: 'der' })
      .toString('base64');
    const post = (headers: Record<string, string>, payload = body) =>
      fetch(`${state.apiBaseUrl}/webhooks/sendgrid/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: payload,
      }).then((r) => r.status);
    const ts = String(Math.floor(Date.now() / 1000));
    expect(await post({})).toBe(403);
    expect(
      await post({
        'X-Twilio-Email-Event-Webhook-Signature': sendGridEventSignature(DEMO_SENDGRID_EVENT_PRIVATE_KEY, ts, '[]'),
        'X-Twilio-Email-Event-Webhook-Timestamp': ts,
      }),
    ).toBe(403);
    expect(
      await post({
        'X-Twilio-Email-Event-Webhook-Signature': sendGridEventSignature(otherKey, ts, body),
        'X-Twilio-Email-Event-Webhook-Timestamp': ts,
      }),
    ).toBe(403);
    expect(
      await post({
        'X-Twilio-Email-Event-Webhook-Signature': sendGridEventSignature(DEMO_SENDGRID_EVENT_PRIVATE_KEY, ts, body),
        'X-Twilio-Email-Event-Webhook-Timestamp': String(Number(ts) + 1),
      }),
    ).toBe(403);
    expect(await statusOf(msgId)).toMatchObject({ delivery_status: 'delivered' });
    // Signed with the account's key, it counts (dropped is final even after delivered).
    expect(
      await post({
        'X-Twilio-Email-Event-Webhook-Signature': sendGridEventSignature(DEMO_SENDGRID_EVENT_PRIVATE_KEY, ts, body),
        'X-Twilio-Email-Event-Webhook-Timestamp': ts,
      }),
    ).toBe(200);
    expect(await statusOf(msgId)).toMatchObject({ delivery_status: 'dropped' });
  });
});
