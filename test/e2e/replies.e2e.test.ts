import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoOptOutStore, processRecord, toSqsSafeJson } from '@ai-multi-comms/core';
import { whatsappChannel } from '../../services/whatsapp-processor/src/whatsapp-channel';
import { demoContextObject } from '@ai-multi-comms/testing/stack';
import { inProcessDeps, realDeliveries } from '@ai-multi-comms/testing/stack';
import { COMPANY_WHATSAPP, replyKit, uniqueEmail } from '@ai-multi-comms/testing/stack';
import {
  eventually,
  postInitiate,
  providerRequests,
  queueEvents,
  sleep,
  uniqueTel,
  useLocalStack,
  validBody,
} from '@ai-multi-comms/testing/stack';

/**
 * Replies through the whole local stack: the person writes back through the local Twilio and
 * SendGrid (signed webhooks, as the providers send them) → the router's webhooks → the FIFO reply
 * queue → the reply step (the real openai SDK against the local OpenAI, one turn on the request's
 * thread) → the fan-out topic → the channel's sender (the real twilio and SendGrid SDKs).
 */
const { state, clients } = useLocalStack();
const kit = replyKit(state, clients);
const optOuts = () => dynamoOptOutStore(clients.documents, state.resources.optOutsTable!);
const replyQueueUrl = () => state.outputs['ai-multi-comms-reply']!.QueueUrl!;

describe('the cross-channel story', () => {
  it('a WhatsApp reply, then an e-mail reply: each answered on its own channel, both on the one thread, the AI input holding both', async () => {
    const { byChannel, threadId, person, requestId } = await kit.start(['whatsapp', 'sms', 'email']);
    const whatsapp = byChannel.whatsapp!;
    const email = byChannel.email!;

    // The person answers on WhatsApp.
    const first = await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Yes, I am interested! When can we talk?' });
    expect(first.json).toMatchObject({ webhook_status: 200, webhook_body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' });
    const afterWhatsApp = await kit.waitForMessages(person.tel, whatsapp.conversation_id, 3);
    expect(afterWhatsApp.conversation_status).toBe('reply_sent');
    expect(afterWhatsApp.messages.map((m: any) => [m.role, m.channel])).toEqual([
      ['assistant', 'whatsapp'],
      ['user', 'whatsapp'],
      ['assistant', 'whatsapp'],
    ]);
    expect(afterWhatsApp.messages[1]).toMatchObject({
      message_id: `twilio#${first.json.message_sid}`,
      content: 'Yes, I am interested! When can we talk?',
    });
    // Answered as free text (the window is open), not as a template.
    const toPerson = await kit.twilioMessagesTo(`whatsapp:${person.tel}`);
    expect(toPerson).toHaveLength(2);
    expect(toPerson[1]).toMatchObject({ content_sid: null, body: afterWhatsApp.messages[2].content });
    expect(toPerson[1]!.body).toContain('When can we talk?');

    // Then by e-mail ("Reply" on our mail: to our Reply-To, In-Reply-To our Message-ID).
    const second = await kit.emailInbound({
      from: person.email,
      text: 'Also: is the role full time?\n\nOn Monday, Acme wrote:\n> Hi John',
    });
    expect(second.json).toMatchObject({ webhook_status: 200 });
    expect(second.json.to).toMatch(/^reply\+[0-9a-f]{32}@/);
    const afterEmail = await kit.waitForMessages(person.email, email.conversation_id, 3);
    expect(afterEmail.conversation_status).toBe('reply_sent');
    expect(afterEmail.messages[1]).toMatchObject({ role: 'user', channel: 'email', content: 'Also: is the role full time?' });
    const mails = await kit.mailsTo(person.email);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toMatch(/^Re: /);
    expect(mails[1]!.body.headers).toMatchObject({
      'In-Reply-To': second.json.message_id,
      References: expect.stringContaining(second.json.message_id),
    });
    expect(mails[1]!.body.reply_to.email).toBe(second.json.to);
    expect(await kit.inbound(afterEmail.messages[1].message_id)).toMatchObject({ inbound_status: 'answered', linked_by: 'reply_to_token' });

    // Both answers were written on the request's one OpenAI conversation, the e-mail turn after the WhatsApp one.
    const items = await kit.threadItems(threadId);
    const userTexts = items.filter((i) => i.role === 'user').map((i) => i.text);
    const whatsappTurn = userTexts.findIndex((t) => t.includes('When can we talk?'));
    const emailTurn = userTexts.findIndex((t) => t.includes('is the role full time?'));
    expect(whatsappTurn).toBe(1); // after the one turn that wrote the three first messages
    expect(emailTurn).toBe(whatsappTurn + 1);
    expect(items.filter((i) => i.role === 'assistant')).toHaveLength(3);

    // GET /conversations shows the person's and our messages on each channel.
    const read = await kit.json(
      `${state.apiBaseUrl}/conversations?${new URLSearchParams({ company_id: 'ci-aaa-001', project_id: 'pi-aaa-001', request_id: requestId })}`,
      { headers: { 'x-api-key': state.demoApiKeys.companyA } },
    );
    expect(read.status).toBe(200);
    const byName = Object.fromEntries(read.json.conversations.map((c: any) => [c.channel, c]));
    expect(byName.whatsapp.messages.map((m: any) => m.role)).toEqual(['assistant', 'user', 'assistant']);
    expect(byName.whatsapp.messages[1].delivery_status).toBe('received');
    expect(byName.email.messages.map((m: any) => m.role)).toEqual(['assistant', 'user', 'assistant']);
    expect(byName.sms.messages.map((m: any) => m.role)).toEqual(['assistant']);
  });

  it('an e-mail linked by In-Reply-To alone (sent to the company address), and one from someone else with the token is an orphan', async () => {
    const { byChannel, person } = await kit.start(['email']);
    const [ours] = await kit.mailsTo(person.email);
    const messageId = ours!.body.headers['Message-ID'];
    const linked = await kit.emailInbound({
      from: person.email,
      to: 'jobs@acme-care.example.com',
      subject: 'Re: hello',
      in_reply_to: messageId,
      text: 'Thanks, sounds good.',
    });
    expect(linked.json.webhook_status).toBe(200);
    const conversation = await kit.waitForMessages(person.email, byChannel.email!.conversation_id, 3);
    expect(await kit.inbound(conversation.messages[1].message_id)).toMatchObject({ linked_by: 'in_reply_to', inbound_status: 'answered' });

    const stranger = uniqueEmail();
    const forwarded = await kit.emailInbound({
      from: stranger,
      to: ours!.body.reply_to.email,
      subject: 'Fwd',
      in_reply_to: messageId,
      text: 'Who is this?',
    });
    expect(forwarded.json.webhook_status).toBe(200);
    await sleep(2000);
    expect(await kit.mailsTo(stranger)).toHaveLength(0);
    expect((await kit.reader.parts(person.email, byChannel.email!.conversation_id)).conversation!.messages).toHaveLength(3);
  });
});

describe('one turn at a time per thread', () => {
  it('two replies at once on two channels: two answers, the later written with the earlier and its answer in the thread, no conversation_locked', async () => {
    const { byChannel, threadId, person } = await kit.start(['whatsapp', 'sms']);
    const locksBefore = (await kit.json(`${state.providersUrl}/__openai/locks`)).json.conversation_locked;
    const [a, b] = await Promise.all([
      kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'First, on WhatsApp' }),
      kit.twilioInbound({ channel: 'sms', from: person.tel, body: 'Second, by SMS' }),
    ]);
    expect([a.json.webhook_status, b.json.webhook_status]).toEqual([200, 200]);
    const [wa, sms] = await Promise.all([
      kit.waitForMessages(person.tel, byChannel.whatsapp!.conversation_id, 3),
      kit.waitForMessages(person.tel, byChannel.sms!.conversation_id, 3),
    ]);
    expect(wa.messages.map((m: any) => m.role)).toEqual(['assistant', 'user', 'assistant']);
    expect(sms.messages.map((m: any) => m.role)).toEqual(['assistant', 'user', 'assistant']);
    expect([wa.conversation_status, sms.conversation_status]).toEqual(['reply_sent', 'reply_sent']);
    // On the thread: reply, its answer, the next reply, its answer; never two turns interleaved.
    // (after the request and the one turn that wrote both first messages)
    const items = (await kit.threadItems(threadId)).slice(2);
    expect(items.map((i) => i.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect((await kit.json(`${state.providersUrl}/__openai/locks`)).json.conversation_locked).toBe(locksBefore);
    expect(await kit.twilioMessagesTo(person.tel)).toHaveLength(2); // the SMS first message and its answer
  });

  it('Twilio retrying the same MessageSid gets one answer', async () => {
    const { byChannel, person } = await kit.start(['whatsapp']);
    const messageSid = `SM${randomUUID().replace(/-/g, '')}`;
    const sends = await Promise.all(
      [1, 2, 3].map(() => kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Is it still open?', message_sid: messageSid })),
    );
    expect(sends.map((s) => s.json.webhook_status)).toEqual([200, 200, 200]);
    await kit.waitForMessages(person.tel, byChannel.whatsapp!.conversation_id, 3);
    await sleep(2500);
    expect(await kit.twilioMessagesTo(`whatsapp:${person.tel}`)).toHaveLength(2);
    expect((await kit.reader.parts(person.tel, byChannel.whatsapp!.conversation_id)).conversation!.messages).toHaveLength(3);
  });
});

describe("the OpenAI key's rate (docs/throughput.md)", () => {
  it("the answer's AI call is counted on the key's bucket the compose step paces to, at the time of the reply", async () => {
    const { byChannel, person } = await kit.start(['whatsapp']);
    await sleep(1000); // the compose step's booking for the first message is in the past by now
    const repliedAt = Date.now();
    await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Is it remote?' });
    await kit.waitForMessages(person.tel, byChannel.whatsapp!.conversation_id, 3);
    const buckets = (
      await clients.documents.send(new ScanCommand({ TableName: state.resources.rateLimitsTable!, ConsistentRead: true }))
    ).Items!.filter((item) => String(item.counter_key).startsWith('openai#'));
    // The reply step took a unit now (the TAT moved past the reply), on the same key the compose step books.
    expect(Math.max(...buckets.map((item) => Number(item.tat_ms)))).toBeGreaterThan(repliedAt);
  });
});

describe('opt-out and consent by keyword', () => {
  it('STOP records the opt-out, sets opted_out, is not answered; a new request is refused 403; START lifts it', async () => {
    const { byChannel, person, threadId } = await kit.start(['whatsapp']);
    const turnsBefore = (await kit.threadItems(threadId)).length;
    const stop = await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: ' Stop ' });
    expect(stop.json.webhook_status).toBe(200);
    expect(await optOuts().isOptedOut('ci-aaa-001', 'whatsapp', person.tel)).toBe(true); // recorded by the webhook itself
    const conversation = await eventually('opted_out', async () => {
      const { conversation: found } = await kit.reader.parts(person.tel, byChannel.whatsapp!.conversation_id);
      return found?.conversation_status === 'opted_out' ? found : undefined;
    });
    expect(conversation.messages.map((m: any) => m.role)).toEqual(['assistant', 'user']);
    await sleep(1500);
    expect(await kit.twilioMessagesTo(`whatsapp:${person.tel}`)).toHaveLength(1);
    expect(await kit.threadItems(threadId)).toHaveLength(turnsBefore);

    const refused = await postInitiate(
      state,
      validBody((b) => (b.recipient_data.recipient_tel = person.tel)),
    );
    expect(refused.status).toBe(403);
    expect(refused.json.error_code).toBe('RECIPIENT_OPTED_OUT');

    // A message queued before the STOP is not sent either.
    const queued = await demoContextObject(state, clients, (b) => (b.recipient_data.recipient_tel = person.tel));
    const outcome = await processRecord(
      { messageId: randomUUID(), receiptHandle: 'rh', body: toSqsSafeJson(queued), receiveCount: 1 },
      inProcessDeps(state, whatsappChannel, realDeliveries(state, clients.documents)),
    );
    expect(outcome).toMatchObject({ outcome: 'acknowledge' });
    expect(
      await providerRequests(state, {
        provider: 'twilio',
        route: 'messages.create',
        mentioning: queued.conversation_data.conversations[0]!.conversation_id,
      }),
    ).toHaveLength(0);
    expect(await kit.twilioMessagesTo(`whatsapp:${person.tel}`)).toHaveLength(1);

    const start = await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'START' });
    expect(start.json.webhook_status).toBe(200);
    expect(await optOuts().isOptedOut('ci-aaa-001', 'whatsapp', person.tel)).toBe(false);
    expect(
      (
        await postInitiate(
          state,
          validBody((b) => (b.recipient_data.recipient_tel = person.tel)),
        )
      ).status,
    ).toBe(200);
  });

  it("Twilio's OptOutType=STOP counts as an opt-out whatever the words", async () => {
    const { person } = await kit.start(['sms']);
    await kit.twilioInbound({ channel: 'sms', from: person.tel, body: 'please no more', opt_out_type: 'STOP' });
    expect(await optOuts().isOptedOut('ci-aaa-001', 'sms', person.tel)).toBe(true);
  });
});

describe('hand-off and orphans', () => {
  it('a request for a human hands the thread off: the answer says so, an event is published, and nothing automatic follows', async () => {
    // An operator's queue on the hand-offs topic.
    const queueName = `hand-offs-test-${randomUUID().slice(0, 8)}`;
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const sns = new SNSClient({
      region: state.env.AWS_REGION,
      endpoint: state.env.AWS_ENDPOINT_URL_SNS,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sns.send(
      new SubscribeCommand({
        TopicArn: state.outputs['ai-multi-comms-reply']!.HandOffTopicArn,
        Protocol: 'sqs',
        Endpoint: Attributes!.QueueArn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    sns.destroy();

    const { byChannel, person } = await kit.start(['whatsapp']);
    const conversationId = byChannel.whatsapp!.conversation_id;
    await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Can I speak to a human please?' });
    const handedOff = await kit.waitForMessages(person.tel, conversationId, 3);
    expect(handedOff).toMatchObject({ hand_off_to_human: true, hand_off_reason: expect.any(String), conversation_status: 'reply_sent' });
    const event = await eventually('the hand-off event', async () => {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      return Messages.map((m) => JSON.parse(m.Body!)).find((e) => e.conversation_id === conversationId);
    });
    expect(event).toMatchObject({ event: 'hand_off_to_human', company_id: 'ci-aaa-001', channel: 'whatsapp', reason: expect.any(String) });

    const later = await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Hello? Anyone there?' });
    const stored = await eventually('the later reply held', async () => {
      const found = await kit.inbound(`twilio#${later.json.message_sid}`);
      return found?.inbound_status === 'held' ? found : undefined;
    });
    expect(stored.text).toBe('Hello? Anyone there?');
    expect((await kit.reader.parts(person.tel, conversationId)).conversation!.messages.map((m: any) => m.role)).toEqual([
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(await kit.twilioMessagesTo(`whatsapp:${person.tel}`)).toHaveLength(2);
  });

  it('a reply that matches no conversation is stored and counted, not answered', async () => {
    const stranger = uniqueTel();
    const sent = await kit.twilioInbound({ channel: 'whatsapp', from: stranger, body: 'Who are you?' });
    expect(sent.json.webhook_status).toBe(200);
    expect(await kit.inbound(`twilio#${sent.json.message_sid}`)).toMatchObject({
      inbound_status: 'orphan',
      from_address: stranger,
      to_address: COMPANY_WHATSAPP,
      text: 'Who are you?',
    });
    await sleep(1500);
    expect(await kit.twilioMessagesTo(`whatsapp:${stranger}`)).toHaveLength(0);
    expect(
      await queueEvents(state, { queueUrl: replyQueueUrl(), status: 'published' }).then((events) =>
        events.filter((e) => e.body.includes(sent.json.message_sid)),
      ),
    ).toHaveLength(0);
  });
});
