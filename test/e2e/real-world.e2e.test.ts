import { createHash, randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CompanyProject, dynamoConversationUpdates, dynamoDeliveryStatusStore, dynamoOptOutStore, sha256Hex } from '@ai-multi-comms/core';
import { twilioSignature } from '@ai-multi-comms/local-stack';
import { throwawayProject } from '@ai-multi-comms/testing/stack';
import { COMPANY_SMS, replyKit, uniqueEmail } from '@ai-multi-comms/testing/stack';
import { eventually, postInitiate, sleep, useLocalStack, validBody } from '@ai-multi-comms/testing/stack';

/**
 * Conversations that survive what real people send (issue 26), through the whole local stack:
 * opt-outs however they are written, and a hand-off that holds the whole thread.
 */
const { state, clients } = useLocalStack();
const kit = replyKit(state, clients);
const optOuts = () => dynamoOptOutStore(clients.documents, state.resources.optOutsTable!);
const statuses = () => dynamoDeliveryStatusStore(clients.documents, state.resources.deliveryEventsTable!);

describe('opt-out as the person says it', () => {
  it.each([
    ['full-width', 'ＳＴＯＰ'],
    ['a zero-width space after it', 'STOP\u200b'],
    ['an emoji after it', 'stop 🛑'],
    ['two words', 'opt out'],
  ])('a keyword written with %s opts the person out, unanswered', async (_how, text) => {
    const { byChannel, person } = await kit.start(['whatsapp']);
    expect((await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: text })).json.webhook_status).toBe(200);
    expect(await optOuts().isOptedOut('ci-aaa-001', 'whatsapp', person.tel)).toBe(true); // by the webhook itself
    await eventually('opted_out', async () =>
      (await kit.reader.parts(person.tel, byChannel.whatsapp!.conversation_id)).conversation?.conversation_status === 'opted_out'
        ? true
        : undefined,
    );
    await sleep(1000);
    expect(await kit.twilioMessagesTo(`whatsapp:${person.tel}`)).toHaveLength(1);
  });

  it.each([
    ['English', 'Please stop messaging me.'],
    ['a keyword with a courtesy', 'STOP please'],
    ['Spanish', 'Por favor, no me escriban más, quiero darme de baja'],
  ])(
    "a request in plain words (%s) is the AI's to recognise: opt-out recorded, nothing sent, the next request refused",
    async (_how, text) => {
      const { byChannel, person } = await kit.start(['sms']);
      expect((await kit.twilioInbound({ channel: 'sms', from: person.tel, body: text })).json.webhook_status).toBe(200);
      await eventually('opted out by the reply step', async () =>
        (await optOuts().isOptedOut('ci-aaa-001', 'sms', person.tel)) ? true : undefined,
      );
      const { conversation } = await eventually('the conversation opted_out', async () => {
        const parts = await kit.reader.parts(person.tel, byChannel.sms!.conversation_id);
        return parts.conversation?.conversation_status === 'opted_out' ? parts : undefined;
      });
      expect(conversation!.messages.map((m: { role: string }) => m.role)).toEqual(['assistant', 'user']);
      await sleep(1000);
      expect(await kit.twilioMessagesTo(person.tel)).toHaveLength(1);
      const refused = await postInitiate(
        state,
        validBody((b) => ((b.recipient_data.recipient_tel = person.tel), (b.request_data.channel_method = ['sms']))),
      );
      expect(refused.status).toBe(403);
      expect(refused.json.error_code).toBe('RECIPIENT_OPTED_OUT');
    },
  );
});

describe('a hand-off holds the whole thread', () => {
  it('after a WhatsApp hand-off, an SMS reply on the same request is stored and not answered; every conversation of the request says handed off', async () => {
    const { byChannel, person } = await kit.start(['whatsapp', 'sms']);
    await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Can I speak to a human please?' });
    await kit.waitForMessages(person.tel, byChannel.whatsapp!.conversation_id, 3);
    const sms = await eventually('the SMS conversation handed off too', async () => {
      const { conversation } = await kit.reader.parts(person.tel, byChannel.sms!.conversation_id);
      return conversation?.hand_off_to_human === true ? conversation : undefined;
    });
    expect(sms.hand_off_reason).toEqual(expect.any(String));

    const later = await kit.twilioInbound({ channel: 'sms', from: person.tel, to: COMPANY_SMS, body: 'Hello? Is the role still open?' });
    await eventually('the SMS reply held', async () =>
      (await kit.inbound(`twilio#${later.json.message_sid}`))?.inbound_status === 'held' ? true : undefined,
    );
    await sleep(1000);
    expect(await kit.twilioMessagesTo(person.tel)).toHaveLength(1); // the first SMS only
  });
});

describe('callbacks bound to their tenant', () => {
  /** A Twilio status callback as Twilio would sign it for the account that owns `from`. */
  const statusCallback = (
    account: { sid: string; token: string },
    from: string,
    messageSid: string,
    status: string,
    errorCode?: string,
  ) => {
    const url = `${state.apiBaseUrl}/webhooks/twilio/status`;
    const params: Record<string, string> = {
      AccountSid: account.sid,
      ApiVersion: '2010-04-01',
      From: from,
      MessageSid: messageSid,
      MessageStatus: status,
      SmsSid: messageSid,
      SmsStatus: status,
      To: '+447700900999',
      ...(errorCode ? { ErrorCode: errorCode } : {}),
    };
    return fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(account.token, url, params) },
      body: new URLSearchParams(params).toString(),
    });
  };
  const companyB = { sid: 'AC00000000000000000000000000000b01', token: 'local-demo-twilio-token-b' };
  const companyA = { sid: 'AC00000000000000000000000000000a01', token: 'local-demo-twilio-token-a' };

  it("a status callback verified by company B's account, naming company A's message, changes nothing of it", async () => {
    const { byChannel } = await kit.start(['sms']);
    const sid = byChannel.sms!.item.provider_message_id as string;
    await eventually('delivered', async () =>
      (await statuses().current([sid])).get(sid)?.delivery_status === 'delivered' ? true : undefined,
    );
    const answer = await statusCallback(companyB, 'whatsapp:+447700900101', sid, 'undelivered', '30008');
    expect(answer.status).toBe(200); // verified, acknowledged: Twilio must not retry it
    expect((await statuses().current([sid])).get(sid)).toMatchObject({ delivery_status: 'delivered' });
    expect((await statuses().history(sid)).map((e) => e.provider_event)).not.toContain('undelivered');
  });

  it("an id that matches no message of the tenant is acknowledged and kept only briefly (a day), not for the project's retention", async () => {
    const sid = `SM${randomBytes(16).toString('hex')}`;
    expect((await statusCallback(companyA, COMPANY_SMS, sid, 'delivered')).status).toBe(200);
    const item = (
      await clients.documents.send(
        new GetCommand({
          TableName: state.resources.deliveryEventsTable,
          Key: { provider_message_id: sid, event_key: 'status' },
          ConsistentRead: true,
        }),
      )
    ).Item!;
    expect(item.expires_at as number).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 86_400 + 5);
  });
});

describe('automatic answers that stop', () => {
  /** An e-mail conversation of a project of its own (its answer budget), started with demo company A's key. */
  const startEmail = async (patch?: (item: CompanyProject) => void) => {
    const { item } = await throwawayProject(state, clients, (project) => {
      project.api_key_sha256 = [sha256Hex(state.demoApiKeys.companyA)];
      patch?.(project);
    });
    const email = uniqueEmail();
    const response = await postInitiate(
      state,
      validBody((b) => {
        b.company_data = { company_id: item.company_id, project_id: item.project_id };
        b.recipient_data.recipient_email = email;
        b.request_data.channel_method = ['email'];
      }),
    );
    expect(response.status).toBe(200);
    const conversationId = (response.json.conversations as { conversation_id: string }[])[0]!.conversation_id;
    await kit.reader.waitForStatus(email, conversationId, 'initial_message_sent', 30_000);
    return { email, conversationId };
  };
  const inboundOf = async (messageId: string) =>
    eventually(`inbound ${messageId} finished`, async () => {
      const found = await kit.inbound(`sendgrid#${createHash('sha256').update(messageId).digest('hex').slice(0, 40)}`);
      return found && ['answered', 'held', 'orphan', 'opted_out'].includes(found.inbound_status as string) ? found : undefined;
    });
  const reply = async (
    email: string,
    text: string,
    extra: Parameters<typeof kit.emailInbound>[0] extends infer T ? Partial<T> : never = {},
  ) => {
    const messageId = `<${randomBytes(8).toString('hex')}@mail.person.example>`;
    expect((await kit.emailInbound({ from: email, text, message_id: messageId, ...extra })).json.webhook_status).toBe(200);
    return inboundOf(messageId);
  };

  it.each([
    ['an out-of-office answer', { 'Auto-Submitted': 'auto-replied', 'X-Autoreply': 'yes' }],
    ['a bulk mail', { Precedence: 'bulk' }],
    ['a delivery report', { 'Content-Type': 'multipart/report; report-type=delivery-status', 'Return-Path': '<>' }],
  ])('%s is stored on the conversation and never answered', async (_what, headers) => {
    const { email, conversationId } = await startEmail();
    const stored = await reply(email, 'I am out of the office until Monday.', { headers });
    expect(stored).toMatchObject({ inbound_status: 'held', intent: 'automatic', automatic_reason: expect.any(String) });
    await sleep(1000);
    expect(await kit.mailsTo(email)).toHaveLength(1);
    const { conversation } = await kit.reader.parts(email, conversationId);
    expect(conversation!.messages.map((m: { role: string }) => m.role)).toEqual(['assistant', 'user']);
  });

  it('each conversation has an answer budget: past it (here 2 a day) the conversation is handed to a person', async () => {
    const { email, conversationId } = await startEmail(
      (project) => (project.rate_limits = { ...project.rate_limits, automatic_answers_per_day: 2 }),
    );
    expect(await reply(email, 'Is the role still open?')).toMatchObject({ inbound_status: 'answered' });
    expect(await reply(email, 'And is it full time?')).toMatchObject({ inbound_status: 'answered' });
    expect(await reply(email, 'What about weekends?')).toMatchObject({
      inbound_status: 'held',
      failure_reason: expect.stringContaining('automatic answers for the day'),
    });
    const { conversation } = await kit.reader.parts(email, conversationId);
    expect(conversation).toMatchObject({ hand_off_to_human: true, hand_off_reason: expect.stringContaining('automatic answers') });
    await sleep(1000);
    expect(await kit.mailsTo(email)).toHaveLength(3); // the first message and two answers
  });

  it('a mail that failed SPF and has no passing DKIM signature is handed to a person, not answered; one with DKIM passing is answered', async () => {
    const { email, conversationId } = await startEmail();
    expect(await reply(email, 'Please send my application to this other address.', { spf: 'fail', dkim: 'none' })).toMatchObject({
      inbound_status: 'held',
      sender_unverified: true,
    });
    expect((await kit.reader.parts(email, conversationId)).conversation).toMatchObject({ hand_off_to_human: true });
    expect(await kit.mailsTo(email)).toHaveLength(1);

    const other = await startEmail();
    expect(await reply(other.email, 'Is it remote?', { spf: 'softfail', dkim: '{@person.example : pass}' })).toMatchObject({
      inbound_status: 'answered',
    });
  });

  it("a From naming two people continues nobody's conversation (stored as an orphan, not answered)", async () => {
    const { email } = await startEmail();
    const stored = await reply(email, 'We both want the job.', { from_field: `Someone Else <else@example.com>, Person <${email}>` });
    expect(stored).toMatchObject({ inbound_status: 'orphan' });
    await sleep(1000);
    expect(await kit.mailsTo(email)).toHaveLength(1);
  });

  it("line breaks in the person's subject never reach our answer's headers", async () => {
    const { email } = await startEmail();
    expect(await reply(email, 'Is it paid weekly?', { subject: 'Re: the role\r\nBcc: victim@example.com' })).toMatchObject({
      inbound_status: 'answered',
    });
    const answer = await eventually('the answer mail', async () => (await kit.mailsTo(email))[1]);
    expect(answer.subject).toBe('Re: the role Bcc: victim@example.com');
    expect(JSON.stringify(answer.body)).not.toContain('\\r\\nBcc');
  });
});

describe('a burst from one person', () => {
  it("40 WhatsApp messages in a few seconds: every one stored, answered together in far fewer turns, never more answers than the day's budget", async () => {
    const { byChannel, person, threadId } = await kit.start(['whatsapp']);
    const conversationId = byChannel.whatsapp!.conversation_id;
    const sids: string[] = [];
    for (let i = 0; i < 40; i += 1)
      sids.push(
        (await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: `Message ${i + 1} of my burst` })).json
          .message_sid as string,
      );
    const finished = await eventually(
      'every message of the burst finished',
      async () => {
        const all = await Promise.all(sids.map((sid) => kit.inbound(`twilio#${sid}`)));
        return all.every((m) => m && ['answered', 'held'].includes(m.inbound_status as string)) ? all : undefined;
      },
      90_000,
    );
    const answered = finished.filter((m) => m!.inbound_status === 'answered').length;
    expect(answered).toBeGreaterThanOrEqual(1);
    expect(answered).toBeLessThanOrEqual(20); // the default answer budget
    expect(answered).toBeLessThan(40);
    expect(finished.filter((m) => m!.failure_reason === 'answered together with a later message').length).toBeGreaterThan(0);
    // One AI turn per answer (held messages cost none): the thread holds the first message's turn and one per answer.
    const turns = (await kit.threadItems(threadId)).filter((item) => item.role === 'assistant').length;
    await eventually(
      'every answer sent',
      async () => ((await kit.twilioMessagesTo(`whatsapp:${person.tel}`)).length === 1 + answered ? true : undefined),
      30_000,
    );
    expect(turns).toBe(1 + answered);
    const { conversation } = await kit.reader.parts(person.tel, conversationId);
    expect(conversation!.messages.filter((m: { role: string }) => m.role === 'user')).toHaveLength(40);
  });
});

describe('no item grows with the conversation', () => {
  it('a thread of 1,000 messages of 4 KB keeps working: the conversation item stays small, every message reads page by page in order, the next reply is answered', async () => {
    const { byChannel, person, requestId } = await kit.start(['whatsapp']);
    const key = { primary_channel: person.tel, conversation_id: byChannel.whatsapp!.conversation_id };
    const updates = dynamoConversationUpdates(clients.documents, state.resources.conversationsTable!, state.resources.messagesTable!);
    const text = 'x'.repeat(4000);
    const start = Date.now();
    for (let i = 0; i < 1000; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, j) => {
          const n = i + j;
          const at = new Date(start + n).toISOString();
          return updates.appendInbound(
            key,
            `twilio#SMlong${String(n).padStart(28, '0')}`,
            {
              message_id: `twilio#SMlong${String(n).padStart(28, '0')}`,
              timestamp: at,
              role: 'user',
              channel: 'whatsapp',
              content: `${n} ${text}`,
            },
            'reply_received',
            new Date(),
          );
        }),
      );
    }
    // 4 MB written; the conversation item is its summary alone.
    const item = (
      await clients.documents.send(new GetCommand({ TableName: state.resources.conversationsTable, Key: key, ConsistentRead: true }))
    ).Item!;
    expect(JSON.stringify(item).length).toBeLessThan(10_000);
    expect(item.message_count).toBe(1001);
    expect(item.messages).toBeUndefined(); // no list: the messages are items of their own

    // GET /conversations pages through all of them, newest page first, each message once, in order.
    const url = (query: Record<string, string>) =>
      `${state.apiBaseUrl}/conversations?${new URLSearchParams({ company_id: 'ci-aaa-001', project_id: 'pi-aaa-001', request_id: requestId, ...query })}`;
    const headers = { 'x-api-key': state.demoApiKeys.companyA };
    let page = await kit.json(url({ messages_limit: '300' }), { headers });
    expect(page.status).toBe(200);
    const seen: string[] = [];
    for (let pages = 0; pages < 10; pages += 1) {
      const conversation = page.json.conversations[0];
      expect(conversation.message_count).toBe(1001);
      seen.unshift(...conversation.messages.map((m: { content: string }) => m.content.split(' ')[0]));
      if (!conversation.messages_before) break;
      page = await kit.json(
        url({ messages_limit: '300', conversation_id: conversation.conversation_id, before: conversation.messages_before }),
        { headers },
      );
    }
    expect(seen).toHaveLength(1001);
    expect(seen.slice(1)).toEqual(Array.from({ length: 1000 }, (_, n) => String(n)));
    expect((await kit.json(url({ messages_limit: '501' }), { headers })).status).toBe(400);

    // And the person's next message is answered as ever.
    const sid = (await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Still there?' })).json.message_sid as string;
    await eventually(
      'the next reply answered',
      async () => ((await kit.inbound(`twilio#${sid}`))?.inbound_status === 'answered' ? true : undefined),
      30_000,
    );
  });
});
