import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoOptOutStore } from '@ai-multi-comms/core';
import { eventually, replyKit, sleep, useLocalStack } from '@ai-multi-comms/testing/stack';

/**
 * The agent API through the whole local stack: a hand-off, the agent's message (queued on the
 * thread's turn, noted on the AI thread, sent once by the channel's sender with role `agent`),
 * the hand-back (the AI answers the next message), the agents' queue, and the refusals that keep
 * "accepted means delivered".
 */
const { state, clients } = useLocalStack();
const kit = replyKit(state, clients);

const api = async (method: string, path: string, body?: unknown, apiKey = state.demoApiKeys.companyA) => {
  const response = await fetch(`${state.apiBaseUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'x-api-key': apiKey },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, json: (await response.json()) as any };
};
const messagesPath = (conversationId: string) => `/conversations/${encodeURIComponent(conversationId)}/messages`;
const handBackPath = (conversationId: string) => `/conversations/${encodeURIComponent(conversationId)}/hand-back`;

const handOff = async (channels: string[]) => {
  const started = await kit.start(channels);
  const whatsapp = started.byChannel.whatsapp!;
  await kit.twilioInbound({ channel: 'whatsapp', from: started.person.tel, body: 'I want to speak to a human' });
  await eventually('handed off', async () => {
    const item = (await kit.reader.parts(started.person.tel, whatsapp.conversation_id)).conversation;
    return item?.hand_off_to_human === true && (item.messages?.length ?? 0) >= 3 ? item : undefined;
  });
  return { ...started, whatsapp };
};

describe('an agent takes over a handed-off conversation', () => {
  it('the agent answers on the channel once, as role agent, on the AI thread; hand-back makes the AI answer the next message', async () => {
    const { whatsapp, person, threadId, requestId } = await handOff(['whatsapp', 'sms']);

    // The agents' queue lists it (and its SMS sibling: the whole thread is with a person).
    const queue = await api('GET', `/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&status=handed_off&limit=100`);
    expect(queue.status).toBe(200);
    const ours = queue.json.conversations.filter((c: any) => c.request_id === requestId);
    expect(ours.map((c: any) => c.channel).sort()).toEqual(['sms', 'whatsapp']);
    expect(ours[0]).toMatchObject({ hand_off_to_human: true, hand_off_reason: expect.any(String), recipient: { address: person.tel } });

    const idempotencyKey = randomUUID();
    const body = { text: 'Hi, this is Sam from the team. I can call you at 3pm.', agent_name: 'Sam', idempotency_key: idempotencyKey };
    const sent = await api('POST', messagesPath(whatsapp.conversation_id), body);
    expect(sent.status).toBe(202);
    expect(sent.json).toMatchObject({ status: 'accepted', conversation_id: whatsapp.conversation_id, channel: 'whatsapp' });
    expect(sent.json.message_id).toMatch(/^reply#agent#[0-9a-f]{40}$/);
    // A repeat of the key: the first answer, nothing new.
    expect(await api('POST', messagesPath(whatsapp.conversation_id), body)).toEqual(sent);
    // The key with other words: a conflict, not a second message.
    expect(await api('POST', messagesPath(whatsapp.conversation_id), { ...body, text: 'Something else' })).toMatchObject({
      status: 409,
      json: { error_code: 'IDEMPOTENCY_CONFLICT' },
    });

    const withAgent = await kit.waitForMessages(person.tel, whatsapp.conversation_id, 4);
    expect(withAgent.messages.at(-1)).toMatchObject({ role: 'agent', agent_name: 'Sam', content: body.text, channel: 'whatsapp' });
    expect(withAgent.hand_off_to_human).toBe(true);
    await sleep(1000);
    expect((await kit.twilioMessagesTo(`whatsapp:${person.tel}`)).filter((m) => m.body === body.text)).toHaveLength(1);
    const thread = await kit.threadItems(threadId);
    expect(thread.filter((item) => item.role === 'assistant' && item.text.includes(body.text))).toEqual([
      { role: 'assistant', text: expect.stringMatching(/^\[Written by Sam, a person at the company, not by the AI; sent on whatsapp\]\n/) },
    ]);
    // GET /conversations shows who wrote it.
    const read = await api('GET', `/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&request_id=${requestId}`);
    const readBack = read.json.conversations.find((c: any) => c.channel === 'whatsapp');
    expect(readBack.messages.at(-1)).toMatchObject({ role: 'agent', agent_name: 'Sam', delivery_status: expect.any(String) });

    // Hand-back: the whole thread, and the AI answers the next message.
    const back = await api('POST', handBackPath(whatsapp.conversation_id), { agent_name: 'Sam' });
    expect(back.status).toBe(200);
    expect(back.json.handed_back.sort()).toEqual(ours.map((c: any) => c.conversation_id).sort());
    expect((await api('POST', handBackPath(whatsapp.conversation_id), {})).json.handed_back).toEqual([]);
    await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Great, 3pm works. What should I prepare?' });
    const answered = await kit.waitForMessages(person.tel, whatsapp.conversation_id, 6);
    expect(answered.messages.slice(-2).map((m: any) => m.role)).toEqual(['user', 'assistant']);
    expect(answered.hand_off_to_human).toBe(false);
  });

  it('after the WhatsApp window, the agent writes through the re-engagement template; refuses an opted-out person (403), bad input (400), another key (403), an unknown id (404)', async () => {
    const { whatsapp, person } = await handOff(['whatsapp']);
    const body = { text: 'Hello', agent_name: 'Sam', idempotency_key: randomUUID() };
    expect(await api('POST', messagesPath(whatsapp.conversation_id), body, state.demoApiKeys.companyB)).toMatchObject({
      status: 403,
      json: { error_code: 'API_KEY_NOT_AUTHORIZED' },
    });
    expect(await api('POST', messagesPath(`${whatsapp.conversation_id}x`), body)).toMatchObject({
      status: 404,
      json: { error_code: 'CONVERSATION_NOT_FOUND' },
    });
    expect(await api('POST', messagesPath(whatsapp.conversation_id), { ...body, text: '' })).toMatchObject({
      status: 400,
      json: { error_code: 'VALIDATION_ERROR', validation_errors: [expect.objectContaining({ field: 'text' })] },
    });
    // The window: the person last wrote 25 hours ago; the demo project has a re-engagement template (without one: 409, services/router/test/agent-api.test.ts).
    await clients.documents.send(
      new PutCommand({
        TableName: state.resources.conversationsTable!,
        Item: {
          ...(await kit.reader.parts(person.tel, whatsapp.conversation_id)).conversation,
          last_inbound_at: new Date(Date.now() - 25 * 3_600_000).toISOString(),
        },
      }),
    );
    expect(await api('POST', messagesPath(whatsapp.conversation_id), body)).toMatchObject({ status: 202 });
    const template = await eventually('the template send', async () =>
      (await kit.twilioMessagesTo(`whatsapp:${person.tel}`)).find((m) => m.content_sid === 'HX00000000000000000000000000000a03'),
    );
    expect(template.body).toContain('Hello');
    const again = { ...body, idempotency_key: randomUUID(), text: 'Hello again' };
    await dynamoOptOutStore(clients.documents, state.resources.optOutsTable!).record(
      {
        company_id: 'ci-aaa-001',
        channel: 'whatsapp',
        address: person.tel,
        opted_out: true,
        source: 'test',
        event_at: new Date().toISOString(),
      },
      new Date(),
    );
    expect(await api('POST', messagesPath(whatsapp.conversation_id), again)).toMatchObject({
      status: 403,
      json: { error_code: 'RECIPIENT_OPTED_OUT' },
    });
    await sleep(1000);
    expect((await kit.twilioMessagesTo(`whatsapp:${person.tel}`)).filter((m) => m.body.includes('Hello again'))).toHaveLength(0);
  });

  it("lists a project's conversations newest first, a page at a time, and by recipient", async () => {
    const first = await kit.start(['sms']);
    const second = await kit.start(['sms']);
    const page1 = await api('GET', '/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&limit=1');
    expect(page1.status).toBe(200);
    expect(page1.json.conversations).toHaveLength(1);
    expect(page1.json.next_cursor).toEqual(expect.any(String));
    const page2 = await api('GET', `/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&limit=1&cursor=${page1.json.next_cursor}`);
    expect(page2.json.conversations).toHaveLength(1);
    expect(page2.json.conversations[0].created_at <= page1.json.conversations[0].created_at).toBe(true);
    expect(page2.json.conversations[0].conversation_id).not.toBe(page1.json.conversations[0].conversation_id);
    const mine = await api(
      'GET',
      `/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&recipient=${encodeURIComponent(first.person.tel)}`,
    );
    expect(mine.json.conversations.map((c: any) => c.conversation_id)).toEqual([first.byChannel.sms!.conversation_id]);
    expect(second.byChannel.sms!.conversation_id).not.toBe(first.byChannel.sms!.conversation_id);
    expect(await api('GET', '/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&status=nope')).toMatchObject({
      status: 400,
      json: { error_code: 'VALIDATION_ERROR' },
    });
    expect(
      await api('GET', '/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001', undefined, state.demoApiKeys.companyB),
    ).toMatchObject({
      status: 403,
    });
  });
});
