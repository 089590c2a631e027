import { randomUUID } from 'node:crypto';
import { dynamoOptOutStore, processRecord, toSqsSafeJson } from '@ai-multi-comms/core';
import { whatsappChannel } from '../../services/whatsapp-processor/src/whatsapp-channel';
import { demoContextObject } from '@ai-multi-comms/testing/stack';
import { conversationReader } from '@ai-multi-comms/testing/stack';
import { inProcessDeps, realDeliveries } from '@ai-multi-comms/testing/stack';
import { postInitiate, providerRequests, uniqueTel, useLocalStack, validBody } from '@ai-multi-comms/testing/stack';

/**
 * Opt-outs honoured everywhere: the router refuses a request to an opted-out address on that
 * channel (403 RECIPIENT_OPTED_OUT), and a sender never sends to it, even a message queued before
 * the opt-out. The real router over HTTP, DynamoDB Local, the real twilio SDK against the local Twilio.
 */
const { state, clients } = useLocalStack();
const optOuts = () => dynamoOptOutStore(clients.documents, state.resources.optOutsTable!);
const reader = conversationReader(state, clients);
const record = (channel: 'whatsapp' | 'sms' | 'email', address: string, optedOut: boolean, eventAt: Date) =>
  optOuts().record(
    {
      company_id: 'ci-aaa-001',
      channel,
      address,
      opted_out: optedOut,
      source: optedOut ? 'keyword:STOP' : 'keyword:START',
      event_at: eventAt.toISOString(),
    },
    new Date(),
  );

it('an opted-out address is refused on that channel with 403 RECIPIENT_OPTED_OUT, and accepted on another', async () => {
  const tel = uniqueTel();
  await record('whatsapp', tel, true, new Date());
  const refused = await postInitiate(
    state,
    validBody((b) => (b.recipient_data.recipient_tel = tel)),
  );
  expect(refused.status).toBe(403);
  expect(refused.json).toMatchObject({ status: 'error', error_code: 'RECIPIENT_OPTED_OUT', message: expect.stringContaining('whatsapp') });
  // "all" resolves to the project's channels first, and is refused for the same reason.
  const all = await postInitiate(
    state,
    validBody(
      (b) => (
        (b.recipient_data.recipient_tel = tel),
        (b.recipient_data.recipient_email = `p-${randomUUID().slice(0, 8)}@example.com`),
        (b.request_data.channel_method = 'all')
      ),
    ),
  );
  expect(all.status).toBe(403);
  expect(all.json.error_code).toBe('RECIPIENT_OPTED_OUT');
  // The same person on SMS has not opted out there.
  const sms = await postInitiate(
    state,
    validBody((b) => ((b.recipient_data.recipient_tel = tel), (b.request_data.channel_method = 'sms'))),
  );
  expect(sms.status).toBe(200);
});

it('an e-mail opt-out matches the address whatever its case', async () => {
  const email = `Opt.Out-${randomUUID().slice(0, 8)}@Example.com`;
  await record('email', email.toLowerCase(), true, new Date());
  const refused = await postInitiate(
    state,
    validBody((b) => ((b.recipient_data.recipient_email = email), (b.request_data.channel_method = 'email'))),
  );
  expect(refused.status).toBe(403);
  expect(refused.json.error_code).toBe('RECIPIENT_OPTED_OUT');
});

it('an opt-in lifts it; an older opt-out arriving after it changes nothing', async () => {
  const tel = uniqueTel();
  const t0 = new Date(Date.now() - 60_000);
  expect(await record('whatsapp', tel, true, t0)).toBe(true);
  expect(await record('whatsapp', tel, false, new Date(t0.getTime() + 30_000))).toBe(true);
  expect(await record('whatsapp', tel, true, new Date(t0.getTime() + 10_000))).toBe(false); // late, older
  expect(await optOuts().isOptedOut('ci-aaa-001', 'whatsapp', tel)).toBe(false);
  expect(
    (
      await postInitiate(
        state,
        validBody((b) => (b.recipient_data.recipient_tel = tel)),
      )
    ).status,
  ).toBe(200);
});

it('a message queued before the opt-out is not sent: the sender records opted_out and acknowledges', async () => {
  const tel = uniqueTel();
  const contextObject = await demoContextObject(state, clients, (b) => (b.recipient_data.recipient_tel = tel));
  await record('whatsapp', tel, true, new Date()); // after it was accepted and composed
  const outcome = await processRecord(
    { messageId: randomUUID(), receiptHandle: 'rh', body: toSqsSafeJson(contextObject), receiveCount: 1 },
    inProcessDeps(state, whatsappChannel, realDeliveries(state, clients.documents)),
  );
  expect(outcome).toMatchObject({ outcome: 'acknowledge' });
  expect(await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel })).toHaveLength(0);
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  expect(await reader.item(tel, conversationId)).toMatchObject({
    conversation_status: 'opted_out',
    failure_class: 'permanent',
    message_status: 'opted_out',
    messages: [],
  });
});
