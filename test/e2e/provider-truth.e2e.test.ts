import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDeliveryStatusStore, dynamoOptOutStore, sendGridEventsPathFor } from '@ai-multi-comms/core';
import {
  DEMO_SENDGRID_EVENT_PRIVATE_KEY,
  DEMO_WHATSAPP_TEMPLATE_BODY,
  sendGridEventSignature,
  TWILIO_STOP_CONFIRMATION,
} from '@ai-multi-comms/local-stack';
import { COMPANY_SMS, COMPANY_WHATSAPP, replyKit, uniqueEmail } from '@ai-multi-comms/testing/stack';
import {
  addFault,
  eventually,
  postInitiate,
  providerRequests,
  sleep,
  uniqueTel,
  useLocalStack,
  validBody,
} from '@ai-multi-comms/testing/stack';

/**
 * The engine against what the real providers do (issue 25), through the whole local stack with
 * the real SDKs: templates rendered by Twilio, no `queued` callback, 63016 in a callback, Twilio's
 * own STOP handling and 21610, SendGrid's Event Webhook per project with batches that carry none
 * of our custom args, and a lost send answer on SendGrid without Email Activity.
 */
const { state, clients } = useLocalStack();
const kit = replyKit(state, clients);
const store = () => dynamoDeliveryStatusStore(clients.documents, state.resources.deliveryEventsTable!);
const optOuts = () => dynamoOptOutStore(clients.documents, state.resources.optOutsTable!);
const control = (path: string, body: unknown) =>
  fetch(`${state.providersUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const conversationsOf = async (requestId: string) =>
  (
    await kit.json(
      `${state.apiBaseUrl}/conversations?${new URLSearchParams({ company_id: 'ci-aaa-001', project_id: 'pi-aaa-001', request_id: requestId })}`,
      { headers: { 'x-api-key': state.demoApiKeys.companyA } },
    )
  ).json.conversations as {
    channel: string;
    messages: { content: string; message_id: string; delivery_status?: string; delivery_error_code?: string; delivery_error?: string }[];
  }[];
const messageItem = async (conversationId: string, messageKey = 'initial') =>
  (
    await clients.documents.send(
      new GetCommand({
        TableName: state.resources.messagesTable,
        Key: { conversation_id: conversationId, message_key: messageKey },
        ConsistentRead: true,
      }),
    )
  ).Item;

describe('Twilio', () => {
  it("a WhatsApp template goes out rendered: Twilio's body is the template's text with our variables, and GET /conversations shows that text", async () => {
    const { byChannel, requestId } = await kit.start(['whatsapp']);
    const [sent] = await kit.twilioMessagesTo(`whatsapp:${byChannel.whatsapp!.address}`);
    expect(sent!.content_sid).toMatch(/^HX/);
    const prefix = DEMO_WHATSAPP_TEMPLATE_BODY.split('{{1}}')[0]!;
    expect(sent!.body.startsWith(prefix)).toBe(true);
    expect(sent!.body).not.toMatch(/\{\{|\[template/);
    const [conversation] = await conversationsOf(requestId);
    expect(conversation!.messages[0]!.content).toBe(sent!.body);
  });

  it('a lost answer to a template send: the next attempt renders the template from the Content API, recognises the message and sends nothing twice', async () => {
    const tel = uniqueTel();
    await addFault(state, { provider: 'twilio', route: 'messages.create', drop_after: true, count: 1, match: tel });
    const response = await postInitiate(
      state,
      validBody((b) => ((b.recipient_data.recipient_tel = tel), (b.request_data.channel_method = ['whatsapp']))),
    );
    expect(response.status).toBe(200);
    const conversationId = (response.json.conversations as { conversation_id: string }[])[0]!.conversation_id;
    const done = await eventually(
      'sent after a reconciliation',
      async () =>
        (await kit.reader.item(tel, conversationId))?.conversation_status === 'initial_message_sent'
          ? kit.reader.item(tel, conversationId)
          : undefined,
      60_000,
    );
    const created = (await kit.twilioMessagesTo(`whatsapp:${tel}`)).filter((m) => m.content_sid);
    expect(created).toHaveLength(1);
    expect(done!.provider_message_id).toBe(created[0]!.sid);
    expect(done!.messages[0]).toMatchObject({ reconciled: true, content: created[0]!.body });
    expect((await providerRequests(state, { provider: 'twilio', route: 'content.fetch' })).length).toBeGreaterThanOrEqual(1);
  });

  it('sends no status callback for `queued`, as Twilio does not', async () => {
    const { byChannel } = await kit.start(['sms']);
    const sid = byChannel.sms!.item.provider_message_id as string;
    await eventually('delivered', async () =>
      (await store().current([sid])).get(sid)?.delivery_status === 'delivered' ? true : undefined,
    );
    expect((await store().history(sid)).map((e) => e.provider_event).sort()).toEqual(['delivered', 'sent']);
  });

  it('status callbacks in no particular order (as Twilio promises none): each message still ends at its last step', async () => {
    // Shuffled for this person only: other test files running now keep their order.
    const person = { tel: uniqueTel(), email: uniqueEmail() };
    expect((await control('/__callbacks', { order: 'shuffled', recipients: [person.tel] })).status).toBe(200);
    try {
      const { byChannel, requestId } = await kit.start(['whatsapp', 'sms'], person);
      const ids = [byChannel.whatsapp!.item.provider_message_id as string, byChannel.sms!.item.provider_message_id as string];
      await eventually('both at their last step', async () => {
        const current = await store().current(ids);
        return current.get(ids[0]!)?.delivery_status === 'read' && current.get(ids[1]!)?.delivery_status === 'delivered' ? true : undefined;
      });
      await sleep(500); // any straggler of the shuffled callbacks has come by now, and changed nothing
      const byChannelNow = Object.fromEntries((await conversationsOf(requestId)).map((c) => [c.channel, c.messages[0]!.delivery_status]));
      expect(byChannelNow).toEqual({ whatsapp: 'read', sms: 'delivered' });
    } finally {
      await control('/__callbacks', { order: 'in-order', recipients: [person.tel] });
    }
  });

  it('a free-form WhatsApp answer outside the 24-hour window is created, then fails with 63016 in its callback: the message shows failed and why', async () => {
    const { byChannel, person } = await kit.start(['whatsapp']);
    const conversationId = byChannel.whatsapp!.conversation_id;
    // The person writes, then (for Twilio) a day passes before the answer goes out: the answer
    // is held back by a Twilio queue delay, and Twilio's clock is moved past the window meanwhile.
    await addFault(state, { provider: 'twilio', route: 'messages.create', queued_ms: 1500, count: 1, match: `whatsapp:${person.tel}` });
    expect((await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Is the role still open?' })).json.webhook_status).toBe(
      200,
    );
    await control('/__clock', { advance_ms: 25 * 3_600_000, sender: `whatsapp:${COMPANY_WHATSAPP}`, person: `whatsapp:${person.tel}` });
    const answered = await kit.waitForMessages(person.tel, conversationId, 3);
    const answer = answered.messages[2];
    expect(answer).toMatchObject({ role: 'assistant' });
    const status = await eventually('63016 recorded', async () => {
      const current = (await store().current([answer.message_id])).get(answer.message_id);
      return current?.delivery_status === 'failed' ? current : undefined;
    });
    expect(status).toMatchObject({ delivery_error_code: '63016', delivery_error: 'outside the WhatsApp 24-hour window; send a template' });
  });

  it('STOP on SMS: Twilio blocks the number for the person and answers itself; the engine records the opt-out', async () => {
    const { person } = await kit.start(['sms']);
    expect((await kit.twilioInbound({ channel: 'sms', from: person.tel, body: 'stop' })).json.webhook_status).toBe(200);
    const confirmation = await eventually("Twilio's confirmation", async () =>
      (await kit.twilioMessagesTo(person.tel)).find((m) => m.body === TWILIO_STOP_CONFIRMATION),
    );
    expect(confirmation).toBeDefined();
    await eventually('opt-out recorded', async () => ((await optOuts().isOptedOut('ci-aaa-001', 'sms', person.tel)) ? true : undefined));
  });

  it('a person blocked at Twilio by an earlier STOP the engine never saw: 21610 fails the message once, visibly, and records the opt-out', async () => {
    const tel = uniqueTel();
    expect((await control('/__twilio/opt-outs', { from: COMPANY_SMS, to: tel, blocked: true })).status).toBe(204);
    const response = await postInitiate(
      state,
      validBody((b) => ((b.recipient_data.recipient_tel = tel), (b.request_data.channel_method = ['sms']))),
    );
    expect(response.status).toBe(200);
    const conversationId = (response.json.conversations as { conversation_id: string }[])[0]!.conversation_id;
    const failed = await eventually('opted_out', async () => {
      const item = await kit.reader.item(tel, conversationId);
      return item?.conversation_status === 'opted_out' ? item : undefined;
    });
    expect(failed).toMatchObject({ failure_class: 'permanent', failure_reason: expect.stringContaining('21610') });
    // Recorded right after the failure (the same attempt).
    await eventually("the provider's opt-out recorded", async () =>
      (await optOuts().isOptedOut('ci-aaa-001', 'sms', tel)) ? true : undefined,
    );
    await sleep(2500); // a retry would have come by now (local backoff 1 s)
    const creates = await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel });
    expect(creates.map((r) => [r.status, (r as { error_code?: unknown }).error_code])).toEqual([[400, 21610]]);
    // The next request to that person is refused up front.
    const again = await postInitiate(
      state,
      validBody((b) => ((b.recipient_data.recipient_tel = tel), (b.request_data.channel_method = ['sms']))),
    );
    expect(again.status).toBe(403);
    expect(again.json.error_code).toBe('RECIPIENT_OPTED_OUT');
  });
});

describe('SendGrid', () => {
  const eventsUrl = `${state.apiBaseUrl}${sendGridEventsPathFor('ci-aaa-001', 'pi-aaa-001')}`;
  const signed = (events: unknown[]) => {
    const payload = JSON.stringify(events);
    const timestamp = String(Math.floor(Date.now() / 1000));
    return {
      payload,
      headers: {
        'Content-Type': 'application/json',
        'X-Twilio-Email-Event-Webhook-Signature': sendGridEventSignature(DEMO_SENDGRID_EVENT_PRIVATE_KEY, timestamp, payload),
        'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
      },
    };
  };

  it("a verified batch without our custom args (other mail of the account, an account event) is acknowledged on the project's URL and its message events kept", async () => {
    const otherMail = `${randomUUID().replace(/-/g, '').slice(0, 22)}`;
    const email = uniqueEmail();
    const batch = [
      {
        email,
        timestamp: Math.floor(Date.now() / 1000),
        event: 'processed',
        sg_event_id: randomUUID(),
        sg_message_id: `${otherMail}.filterdrecv-p3mdgs-1-A-1.0`,
      },
      {
        email,
        timestamp: Math.floor(Date.now() / 1000),
        event: 'unsubscribe',
        sg_event_id: randomUUID(),
        sg_message_id: `${otherMail}.filterdrecv-p3mdgs-1-A-1.0`,
      },
      { event: 'account_status_change', sg_event_id: randomUUID(), timestamp: Math.floor(Date.now() / 1000), type: 'compliance_suspend' },
    ];
    const { payload, headers } = signed(batch);
    const answer = await fetch(eventsUrl, { method: 'POST', headers, body: payload });
    expect(answer.status).toBe(200);
    expect((await store().current([otherMail])).get(otherMail)).toMatchObject({ delivery_status: 'queued' });
    // An unsubscribe is the person's "no more", whichever mail it came from.
    expect(await optOuts().isOptedOut('ci-aaa-001', 'email', email)).toBe(true);
    // The same batch on the deprecated account-wide path cannot be placed (no conversation named): refused.
    expect((await fetch(`${state.apiBaseUrl}/webhooks/sendgrid/events`, { method: 'POST', headers, body: payload })).status).toBe(403);
    // And on the project's URL, a forged signature changes nothing.
    const forged = await fetch(eventsUrl, {
      method: 'POST',
      headers: {
        ...headers,
        'X-Twilio-Email-Event-Webhook-Signature': signed([{ x: 1 }]).headers['X-Twilio-Email-Event-Webhook-Signature'],
      },
      body: payload,
    });
    expect(forged.status).toBe(403);
  });

  it("an event naming a conversation that is not the project's changes nothing, even signed by the project's account", async () => {
    const { byChannel } = await kit.start(['email']);
    const msgId = byChannel.email!.item.provider_message_id as string;
    await eventually('delivered', async () =>
      (await store().current([msgId])).get(msgId)?.delivery_status === 'delivered' ? true : undefined,
    );
    // Project A's URL and key, a bounce for A's real mail, but naming another project's conversation.
    const foreign = `ci-bbb-001#pi-bbb-001#${randomUUID()}#447700900003`;
    const { payload, headers } = signed([
      {
        event: 'bounce',
        sg_event_id: randomUUID(),
        sg_message_id: `${msgId}.filterdrecv-x-1.0`,
        timestamp: Math.floor(Date.now() / 1000),
        conversation_id: foreign,
        message_key: 'initial',
        reason: 'forged',
        status: '5.1.1',
      },
    ]);
    expect((await fetch(eventsUrl, { method: 'POST', headers, body: payload })).status).toBe(200);
    expect((await store().current([msgId])).get(msgId)).toMatchObject({ delivery_status: 'delivered' });
    // A project without an e-mail sender has no key to verify with: 403.
    expect(
      (await fetch(`${state.apiBaseUrl}${sendGridEventsPathFor('ci-bbb-001', 'pi-bbb-001')}`, { method: 'POST', headers, body: payload }))
        .status,
    ).toBe(403);
  });

  it("a lost answer to mail/send without Email Activity: the next attempt waits for SendGrid's own event and records that mail; one e-mail", async () => {
    const email = uniqueEmail();
    await addFault(state, { provider: 'sendgrid', route: 'mail.send', drop_after: true, count: 1, match: email });
    const response = await postInitiate(
      state,
      validBody((b) => ((b.recipient_data.recipient_email = email), (b.request_data.channel_method = ['email']))),
    );
    expect(response.status).toBe(200);
    const conversationId = (response.json.conversations as { conversation_id: string }[])[0]!.conversation_id;
    const done = await eventually(
      'sent after SendGrid confirmed it',
      async () => {
        const item = await kit.reader.item(email, conversationId);
        return item?.conversation_status === 'initial_message_sent' ? item : undefined;
      },
      60_000,
    );
    const mails = await kit.mailsTo(email);
    expect(mails).toHaveLength(1);
    const sent = (
      (await (await fetch(`${state.providersUrl}/__messages?provider=sendgrid`)).json()) as {
        sendgrid: { to_emails: string[]; msg_id: string }[];
      }
    ).sendgrid.find((m) => m.to_emails.includes(email))!;
    expect(done.provider_message_id).toBe(sent.msg_id);
    expect(done.messages[0]).toMatchObject({ reconciled: true });
    expect(await messageItem(conversationId)).toMatchObject({
      provider_seen: { provider_message_id: sent.msg_id, event: expect.any(String) },
    });
    // Where the engine asked Email Activity, SendGrid refused it: this account has no such add-on.
    for (const asked of await providerRequests(state, { provider: 'sendgrid', route: 'messages.list', mentioning: conversationId }))
      expect(asked.status).toBe(403);
    expect((await providerRequests(state, { provider: 'sendgrid', route: 'mail.send', mentioning: email })).length).toBe(1);
  });
});
