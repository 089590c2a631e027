import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { spawnStack, SpawnedStack } from '@ai-multi-comms/testing/stack';
import { sleep, stackClients, validBody } from '@ai-multi-comms/testing/stack';
import { conversationReader } from '@ai-multi-comms/testing/stack';

const ROOT = join(__dirname, '..', '..');

/**
 * Nothing lost, nothing sent twice, while things die. A stack of its own (so the crashes do not
 * disturb other test files), with the channel queues' visibility timeout cut to 6 s and the
 * heartbeat to 2 s so that crashed work comes back within the test, and DynamoDB Local keeping
 * its data in files so it can be restarted. Clients retry a 5xx or a dropped connection with the
 * same request (the API's idempotency makes that safe), as docs/api.md tells them to.
 */
let stack: SpawnedStack;
let clients: ReturnType<typeof stackClients>;
let reader: ReturnType<typeof conversationReader>;
const dynamoDbData = mkdtempSync(join(tmpdir(), 'chaos-dynamodb-'));

beforeAll(async () => {
  stack = await spawnStack(['--chaos-dynamodb-path', dynamoDbData, '--chaos-visibility-seconds', '6', '--chaos-heartbeat-seconds', '2']);
  Object.assign(process.env, stack.state.env);
  clients = stackClients(stack.state);
  reader = conversationReader(stack.state, clients);
}, 180_000);
afterAll(async () => {
  clients?.destroy();
  await stack?.stop();
  rmSync(dynamoDbData, { recursive: true, force: true });
});

const chaos = (action: 'crash-pollers' | 'restart-dynamodb') =>
  fetch(`${stack.state.providersUrl}/__chaos/${action}`, { method: 'POST' }).then((r) => r.json());

/** POST until accepted: retry 5xx and network errors with the same body. */
const initiate = async (body: Record<string, unknown>): Promise<string> => (await accept(body)).conversation_id;

const accept = async (
  body: Record<string, unknown>,
): Promise<{ conversation_id: string; conversations: { channel: string; conversation_id: string }[] }> => {
  for (let tryNumber = 1; tryNumber <= 60; tryNumber += 1) {
    try {
      const response = await fetch(`${stack.state.apiBaseUrl}/initiate-conversation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': stack.state.demoApiKeys.companyA },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as { conversation_id: string; conversations: { channel: string; conversation_id: string }[] };
      if (response.status === 200) return json;
      if (response.status < 500 && response.status !== 409) throw new Error(`refused: ${response.status} ${JSON.stringify(json)}`);
    } catch (error) {
      if (String(error).includes('refused:')) throw error;
    }
    await sleep(250);
  }
  throw new Error('never accepted');
};

/** The items, read again after a moment if DynamoDB Local drops a connection (it is restarted, and loaded, in this file). */
const readItems = async (conversations: { tel: string; conversationId: string }[]) => {
  for (let tryNumber = 1; ; tryNumber += 1) {
    try {
      return await Promise.all(conversations.map(({ tel, conversationId }) => reader.item(tel, conversationId)));
    } catch (error) {
      if (tryNumber >= 5) throw error;
      await sleep(1000);
    }
  }
};

/** Done for good: sent, or failed with no retry coming (permanent, or retries exhausted → DLQ). */
const isTerminal = (item: Record<string, any> | undefined) =>
  item !== undefined &&
  (item.conversation_status === 'initial_message_sent' ||
    (String(item.conversation_status).startsWith('failed_') &&
      !item.lease_owner &&
      (item.failure_class === 'permanent' || Boolean(item.retries_exhausted_at))));

/** Until every conversation is terminal, or nothing has changed for 20 s (then the DLQ may hold the rest). */
const settle = async (conversations: { tel: string; conversationId: string }[]) => {
  let items = await readItems(conversations);
  let last = '';
  let lastChangeAt = Date.now();
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline && !items.every(isTerminal)) {
    const snapshot = JSON.stringify(items.map((item) => [item?.conversation_status, item?.attempts]));
    if (snapshot !== last) [last, lastChangeAt] = [snapshot, Date.now()];
    else if (Date.now() - lastChangeAt > 20_000) break;
    await sleep(1000);
    items = await readItems(conversations);
  }
  return items;
};

/** `pnpm dlq redrive <queue>` against this stack, for each queue; returns how many messages it moved back. */
const redriveDeadLetters = async (queues: string[] = ['whatsapp']): Promise<number> => {
  let moved = 0;
  for (const queue of queues) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts', 'dlq.ts'), 'redrive', queue, '--state-file', stack.stateFile],
      { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
    );
    moved += stdout.split('\n').filter((line) => line.startsWith('redriven\t')).length;
  }
  process.stdout.write(`chaos: ${moved} message(s) redriven from the DLQs (${queues.join(', ')})\n`);
  return moved;
};

const runConversations = async (count: number, telPrefix: string, disturb: () => Promise<void>) => {
  const tels = Array.from({ length: count }, (_v, i) => `${telPrefix}${String(i).padStart(4, '0')}`);
  const conversations: { tel: string; conversationId: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tels.length) {
      const tel = tels[next++]!;
      conversations.push({ tel, conversationId: await initiate(validBody((b) => (b.recipient_data.recipient_tel = tel))) });
    }
  };
  await Promise.all([...Array.from({ length: 8 }, worker), disturb()]);

  let items = await settle(conversations);
  // A DynamoDB outage can use up a message's receives while nothing can be recorded: it is then
  // parked in the DLQ with its item still `processing` (or absent), and the DLQ alarm fires. The
  // runbook's answer is a redrive once the database is back (a compose message killed on each of
  // its three receives lands in the compose DLQ the same way); do exactly that, with the operator
  // command, and require the same end state as if nothing had been parked.
  const redriven = await redriveDeadLetters(['compose', 'whatsapp']);
  if (redriven > 0) items = await settle(conversations);
  const { twilio } = (await (await fetch(`${stack.state.providersUrl}/__messages?provider=twilio`)).json()) as {
    twilio: { sid: string; to: string }[];
  };
  const sentTo = new Map<string, string[]>();
  for (const message of twilio.filter((m) => m.to.startsWith(`whatsapp:${telPrefix}`)))
    sentTo.set(message.to, [...(sentTo.get(message.to) ?? []), message.sid]);
  return { conversations, items, sentTo };
};

const assertExactlyOnce = async ({ conversations, items, sentTo }: Awaited<ReturnType<typeof runConversations>>) => {
  const retried = items.filter((item) => (item?.attempts ?? 0) > 1).length;
  const reconciled = items.filter((item) => item?.messages?.[0]?.reconciled).length;
  process.stdout.write(`chaos: ${conversations.length} conversations, ${retried} taken over after a crash, ${reconciled} reconciled\n`);
  const problems: string[] = [];
  conversations.forEach(({ tel, conversationId }, index) => {
    const item = items[index];
    const sids = sentTo.get(`whatsapp:${tel}`) ?? [];
    if (sids.length > 1) problems.push(`${conversationId}: sent ${sids.length} times`);
    if (!item) problems.push(`${conversationId}: no conversation item`);
    else if (item.conversation_status === 'initial_message_sent') {
      if (sids.length !== 1 || item.provider_message_id !== sids[0])
        problems.push(`${conversationId}: recorded ${item.provider_message_id}, provider has ${sids.join(',')}`);
    } else if (!isTerminal(item)) problems.push(`${conversationId}: stuck in ${item.conversation_status} (attempts ${item.attempts})`);
    else if (sids.length !== 0) problems.push(`${conversationId}: failed but a message was sent`);
  });
  // Say where a conversation without an item went: the DLQ (parked, recoverable) or nowhere.
  const explained = await Promise.all(
    problems.map(async (problem) => {
      if (!problem.endsWith('no conversation item')) return problem;
      const conversationId = problem.split(':')[0]!;
      const events = (await (
        await fetch(`${stack.state.providersUrl}/__queue-events?conversationId=${encodeURIComponent(conversationId)}`)
      ).json()) as { events: { status: string; queueName: string }[] };
      return `${problem} (queue events: ${events.events.map((e) => `${e.queueName}:${e.status}`).join(', ') || 'none'})`;
    }),
  );
  expect(explained).toEqual([]);
};

/** Provider messages created so far for numbers starting with telPrefix. */
const sentSoFar = async (telPrefix: string) => {
  const { twilio } = (await (await fetch(`${stack.state.providersUrl}/__messages?provider=twilio`)).json()) as { twilio: { to: string }[] };
  return twilio.filter((m) => m.to.startsWith(`whatsapp:${telPrefix}`)).length;
};

/** Crash the pollers at a random moment while they are sending (after `sends` more messages), so that work is in flight. */
const crashWhileSending = async (telPrefix: string, sends: number) => {
  const before = await sentSoFar(telPrefix);
  const deadline = Date.now() + 60_000;
  while ((await sentSoFar(telPrefix)) < before + sends && Date.now() < deadline) await sleep(100);
  await sleep(Math.random() * 500);
  await chaos('crash-pollers');
};

/** Messages to these numbers that a redelivery took over after a crash (their items' attempts > 1). */
const takenOverSoFar = async (telPrefix: string) => {
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await clients.documents.send(
      new ScanCommand({
        TableName: stack.state.resources.messagesTable,
        FilterExpression: 'begins_with(primary_channel, :prefix) AND attempts > :one',
        ExpressionAttributeValues: { ':prefix': telPrefix, ':one': 1 },
        ExclusiveStartKey,
      }),
    );
    count += page.Items?.length ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
};

it('200 conversations while the pollers are SIGKILLed four times mid-work: each sent exactly once', async () => {
  const telPrefix = '+44790001';
  const result = await runConversations(200, telPrefix, async () => {
    for (let i = 0; i < 4; i += 1) await crashWhileSending(telPrefix, 10);
    // A crash can land between two messages, with nothing claimed (CI saw four in a row do so):
    // crash on, while sends remain, until one has hit a message in flight, so the run proves something.
    for (let extra = 0; extra < 6 && (await takenOverSoFar(telPrefix)) === 0 && (await sentSoFar(telPrefix)) < 170; extra += 1) {
      await sleep(7_000); // a crashed message comes back after the chaos visibility timeout (6 s)
      if ((await takenOverSoFar(telPrefix)) === 0) await crashWhileSending(telPrefix, 5);
    }
  });
  await assertExactlyOnce(result);
  expect(result.items.filter((item) => item?.conversation_status === 'initial_message_sent').length).toBe(200);
  // The crashes really hit work in flight: some conversations were taken over by a redelivery.
  expect(result.items.filter((item) => (item?.attempts ?? 0) > 1).length).toBeGreaterThan(0);
}, 300_000);

it('the same with DynamoDB Local restarted mid-run (and the pollers crashed too)', async () => {
  const telPrefix = '+44790002';
  const result = await runConversations(150, telPrefix, async () => {
    await crashWhileSending(telPrefix, 10);
    await sleep(500);
    await chaos('restart-dynamodb');
    await crashWhileSending(telPrefix, 10);
  });
  await assertExactlyOnce(result);
  expect(result.items.filter((item) => item?.conversation_status === 'initial_message_sent').length).toBe(150);
}, 300_000);

it('fan-out requests (WhatsApp, SMS and e-mail on one thread) while the compose and sender containers are SIGKILLed: per channel exactly one message or a recorded terminal failure', async () => {
  // Prepare: 60 requests, each to its own number and address, on all three channels.
  const telPrefix = '+44790003';
  const requests = Array.from({ length: 60 }, (_v, i) => ({
    tel: `${telPrefix}${String(i).padStart(4, '0')}`,
    email: `chaos-fan-out-${i}@example.com`,
  }));
  const accepted: { tel: string; email: string; requestId: string; conversations: { channel: string; conversation_id: string }[] }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const { tel, email } = requests[next++]!;
      const body = validBody(
        (b) => (
          (b.recipient_data.recipient_tel = tel),
          (b.recipient_data.recipient_email = email),
          (b.request_data.channel_method = ['whatsapp', 'sms', 'email'])
        ),
      );
      const { conversations } = await accept(body);
      accepted.push({ tel, email, requestId: body.request_data.request_id, conversations });
    }
  };
  const sentOnAnyChannel = async () => {
    const { twilio } = (await (await fetch(`${stack.state.providersUrl}/__messages?provider=twilio`)).json()) as {
      twilio: { to: string }[];
    };
    return twilio.filter((m) => m.to.replace('whatsapp:', '').startsWith(telPrefix)).length;
  };
  const crashMidWork = async () => {
    const before = await sentOnAnyChannel();
    const deadline = Date.now() + 60_000;
    while ((await sentOnAnyChannel()) < before + 8 && Date.now() < deadline) await sleep(100);
    await sleep(Math.random() * 300);
    await chaos('crash-pollers');
  };

  // Act: requests flow while every poller (compose and senders) is killed three times.
  await Promise.all([
    ...Array.from({ length: 6 }, worker),
    (async () => {
      for (let i = 0; i < 3; i += 1) await crashMidWork();
    })(),
  ]);
  const parts = accepted.flatMap(({ tel, email, conversations }) =>
    conversations.map(({ channel, conversation_id }) => ({
      channel,
      conversationId: conversation_id,
      tel: channel === 'email' ? email : tel,
    })),
  );
  let items = await settle(parts);
  if ((await redriveDeadLetters(['compose', 'whatsapp', 'sms', 'email'])) > 0) items = await settle(parts);

  // Assess: per channel, one provider message recorded with its id, or a terminal failure and none.
  const { twilio, sendgrid } = (await (await fetch(`${stack.state.providersUrl}/__messages`)).json()) as {
    twilio: { sid: string; to: string }[];
    sendgrid: { message_id?: string; x_message_id?: string; personalizations?: unknown }[];
  };
  const problems: string[] = [];
  parts.forEach(({ channel, conversationId, tel }, index) => {
    const item = items[index];
    const sent =
      channel === 'email'
        ? sendgrid.filter((mail) => JSON.stringify(mail).includes(`"${tel}"`)).length
        : twilio.filter((m) => m.to === (channel === 'whatsapp' ? `whatsapp:${tel}` : tel)).length;
    if (sent > 1) problems.push(`${conversationId}: sent ${sent} times`);
    if (!item) problems.push(`${conversationId}: no conversation item`);
    else if (item.conversation_status === 'initial_message_sent') {
      if (sent !== 1) problems.push(`${conversationId}: recorded sent, provider has ${sent}`);
    } else if (!isTerminal(item)) problems.push(`${conversationId}: stuck in ${item.conversation_status}`);
    else if (sent !== 0) problems.push(`${conversationId}: failed but a message was sent`);
  });
  expect(problems).toEqual([]);
  expect(items.filter((item) => item?.conversation_status === 'initial_message_sent').length).toBe(parts.length);
  // Every turn of a request was taken on one OpenAI conversation, the one its channels record (a
  // crashed compose step reused it). A crash between OpenAI creating a conversation and our
  // storing its id leaves that conversation empty and unused (README: known limits).
  const turns = (
    (await (await fetch(`${stack.state.providersUrl}/__requests?provider=openai&route=responses`)).json()) as {
      requests: { body: { conversation?: string; metadata?: { request_id?: string } }; status: number }[];
    }
  ).requests;
  accepted.forEach(({ requestId }) => {
    const used = new Set(turns.filter((r) => r.body.metadata?.request_id === requestId).map((r) => r.body.conversation));
    expect(used.size).toBe(1);
  });
  for (let index = 0; index < parts.length; index += 3) {
    const threads = new Set(items.slice(index, index + 3).map((item) => item?.thread_id));
    expect(threads.size).toBe(1);
    const requestId = items[index]!.request_id as string;
    expect([...threads][0]).toBe(
      [...new Set(turns.filter((r) => r.body.metadata?.request_id === requestId).map((r) => r.body.conversation))][0],
    );
  }
  // And no two turns were ever taken on one thread at once.
  expect(
    ((await (await fetch(`${stack.state.providersUrl}/__openai/locks`)).json()) as { conversation_locked: number }).conversation_locked,
  ).toBe(0);
  process.stdout.write(
    `chaos: ${accepted.length} fan-out requests, ${parts.length} channel messages, ${items.filter((item) => (item?.attempts ?? 0) > 1).length} taken over\n`,
  );
}, 300_000);

it('replies while the reply step and the senders are SIGKILLed: every reply answered exactly once, in order per thread', async () => {
  // Prepare: 30 WhatsApp conversations, their first messages sent.
  const telPrefix = '+44790004';
  const tels = Array.from({ length: 30 }, (_v, i) => `${telPrefix}${String(i).padStart(4, '0')}`);
  const conversations: { tel: string; conversationId: string }[] = [];
  for (const tel of tels)
    conversations.push({ tel, conversationId: await initiate(validBody((b) => (b.recipient_data.recipient_tel = tel))) });
  await settle(conversations);

  // Act: each person replies twice, one after the other as a person would (Twilio retries a
  // webhook that failed, with the same MessageSid), while every poller is killed three times.
  const reply = async (tel: string, body: string) => {
    const messageSid = `SM${(tel.replace(/\D/g, '') + body.length).padEnd(32, '0').slice(0, 32)}`;
    for (let tryNumber = 1; tryNumber <= 20; tryNumber += 1) {
      const response = await fetch(`${stack.state.providersUrl}/__simulate/twilio/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'whatsapp', from: tel, to: '+447700900001', body, message_sid: messageSid }),
      }).then((r) => r.json() as Promise<{ webhook_status: number }>);
      if (response.webhook_status === 200) return;
      await sleep(500);
    }
    throw new Error(`the webhook never accepted ${tel}'s reply`);
  };
  const answersSoFar = async () => {
    const { twilio } = (await (await fetch(`${stack.state.providersUrl}/__messages?provider=twilio`)).json()) as {
      twilio: { to: string; content_sid: string | null }[];
    };
    return twilio.filter((m) => m.to.startsWith(`whatsapp:${telPrefix}`) && m.content_sid === null).length;
  };
  const answersTo = async (tel: string) => {
    const { twilio } = (await (await fetch(`${stack.state.providersUrl}/__messages?provider=twilio`)).json()) as {
      twilio: { to: string; content_sid: string | null }[];
    };
    return twilio.filter((m) => m.to === `whatsapp:${tel}` && m.content_sid === null).length;
  };
  const crashWhileAnswering = async (answers: number) => {
    const before = await answersSoFar();
    const deadline = Date.now() + 60_000;
    while ((await answersSoFar()) < before + answers && Date.now() < deadline) await sleep(100);
    await sleep(Math.random() * 300);
    await chaos('crash-pollers');
  };
  await Promise.all([
    ...tels.map(async (tel) => {
      await reply(tel, 'First reply: yes, interested');
      // The second after the first's answer: one sent while the first still waits is answered
      // with it in one turn (replies are coalesced), and this test counts two turns.
      const answered = Date.now() + 60_000;
      while ((await answersTo(tel)) < 1 && Date.now() < answered) await sleep(200);
      await sleep(200 + Math.random() * 800);
      await reply(tel, 'Second reply: when is the interview?');
    }),
    (async () => {
      for (let i = 0; i < 3; i += 1) await crashWhileAnswering(6);
    })(),
  ]);

  // Assess: every conversation holds the first message, both replies in the order they were
  // written and two answers; the local Twilio sent each person exactly two answers; on the AI
  // thread the second reply was taken after the first. (The conversation's list is in the order
  // things were recorded: a reply that arrives before the previous answer was recorded, which a
  // crashed sender's takeover makes likely, is listed before it, as it happened.)
  const deadline = Date.now() + 120_000;
  let items = await readItems(conversations);
  while (Date.now() < deadline && !items.every((item) => item?.messages?.length === 5)) {
    await sleep(1000);
    items = await readItems(conversations);
  }
  if ((await redriveDeadLetters(['reply', 'whatsapp'])) > 0) {
    await sleep(10_000);
    items = await readItems(conversations);
  }
  const { twilio } = (await (await fetch(`${stack.state.providersUrl}/__messages?provider=twilio`)).json()) as {
    twilio: { to: string; content_sid: string | null; body: string }[];
  };
  const problems: string[] = [];
  conversations.forEach(({ tel, conversationId }, index) => {
    const messages = (items[index]?.messages ?? []) as { role: string; content: string }[];
    const roles = messages.map((m) => m.role);
    const userTexts = messages.filter((m) => m.role === 'user').map((m) => m.content.split(' ')[0]);
    if (roles.length !== 5 || roles[0] !== 'assistant' || roles.filter((r) => r === 'assistant').length !== 3)
      problems.push(`${conversationId}: messages ${roles.join(',')}`);
    else if (userTexts.join(',') !== 'First,Second') problems.push(`${conversationId}: replies recorded as ${userTexts.join(',')}`);
    const answers = twilio.filter((m) => m.to === `whatsapp:${tel}` && m.content_sid === null);
    if (answers.length !== 2) problems.push(`${conversationId}: ${answers.length} answers sent`);
  });
  // The thread: each person's replies reached the AI in order (a turn repeated after a crash between
  // the AI's answer and its being stored shows as the same reply twice in a row, never reordered).
  const turns = (
    (await (await fetch(`${stack.state.providersUrl}/__requests?provider=openai&route=responses`)).json()) as {
      requests: { body: { conversation?: string; input?: { content: string }[] } }[];
    }
  ).requests;
  items.forEach((item, index) => {
    const replies = turns
      .filter((r) => r.body.conversation === item?.thread_id)
      .map((r) => (JSON.parse(r.body.input?.[0]?.content ?? '{}') as { message?: string }).message)
      .filter((m): m is string => typeof m === 'string')
      .map((m) => m.split(' ')[0])
      .filter((m, i, all) => m !== all[i - 1]);
    if (replies.join(',') !== 'First,Second') problems.push(`${conversations[index]!.conversationId}: AI turns ${replies.join(',')}`);
  });
  expect(problems).toEqual([]);
  expect(
    ((await (await fetch(`${stack.state.providersUrl}/__openai/locks`)).json()) as { conversation_locked: number }).conversation_locked,
  ).toBe(0);
  process.stdout.write(`chaos: ${conversations.length * 2} replies answered once each while the pollers were killed 3 times\n`);
}, 300_000);

it('an auto-responder and a 200-message burst on one thread while the pollers are SIGKILLed: no loop, every message stored once, answers within the budget and each sent once', async () => {
  const { state } = stack;
  const post = (path: string, body: unknown) =>
    fetch(`${state.providersUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.json() as Promise<Record<string, any>>);
  const inboundItem = async (id: string) =>
    (
      await clients.documents.send(
        new GetCommand({ TableName: state.resources.inboundMessagesTable, Key: { inbound_id: id }, ConsistentRead: true }),
      )
    ).Item;
  // 200 reads at once overflowed DynamoDB Local on a loaded machine (CI saw "socket hang up"):
  // 20 at a time, and read again after a moment if a connection drops anyway.
  const inboundItems = async (ids: string[]) => {
    for (let tryNumber = 1; ; tryNumber += 1) {
      try {
        const items: (Record<string, any> | undefined)[] = [];
        for (let start = 0; start < ids.length; start += 20)
          items.push(...(await Promise.all(ids.slice(start, start + 20).map(inboundItem))));
        return items;
      } catch (error) {
        if (tryNumber >= 5) throw error;
        await sleep(1000);
      }
    }
  };

  // Prepare: an e-mail conversation whose recipient is an auto-responder, and a WhatsApp one.
  const email = `auto-${Date.now()}@out-of-office.example`;
  const tel = `+4479005${String(Date.now() % 100000).padStart(5, '0')}`;
  const emailConversation = await initiate(
    validBody((b) => ((b.recipient_data.recipient_email = email), (b.request_data.channel_method = ['email']))),
  );
  const whatsappConversation = await initiate(
    validBody((b) => ((b.recipient_data.recipient_tel = tel), (b.request_data.channel_method = ['whatsapp']))),
  );
  await settle([
    { tel: email, conversationId: emailConversation },
    { tel, conversationId: whatsappConversation },
  ]);

  // Act: the auto-responder answers our mail five times (as it would answer each of ours); the
  // person sends 200 WhatsApp messages as fast as the webhook takes them; the pollers die twice.
  const autoReplies = Array.from({ length: 5 }, (_v, i) =>
    post('/__simulate/sendgrid/inbound', {
      from: email,
      text: `I am out of the office (${i}).`,
      headers: { 'Auto-Submitted': 'auto-replied' },
      message_id: `<ooo-${i}-${Date.now()}@out-of-office.example>`,
    }),
  );
  const sids: string[] = [];
  const burst = (async () => {
    for (let i = 0; i < 200; i += 1) {
      const messageSid = `SM${String(Date.now()).padStart(13, '0')}${String(i).padStart(19, '0')}`.slice(0, 34);
      for (let tryNumber = 1; tryNumber <= 20; tryNumber += 1) {
        const answer = await post('/__simulate/twilio/inbound', {
          channel: 'whatsapp',
          from: tel,
          to: '+447700900001',
          body: `Burst ${i}`,
          message_sid: messageSid,
        });
        if (answer.webhook_status === 200) break;
        await sleep(300);
      }
      sids.push(messageSid);
    }
  })();
  await sleep(1500);
  await chaos('crash-pollers');
  await burst;
  await chaos('crash-pollers');
  await Promise.all(autoReplies);

  // Assess: every burst message finished (answered or held), never more answers than the budget,
  // each answer sent once; the auto-responder got nothing back.
  const deadline = Date.now() + 150_000;
  let finished: (Record<string, any> | undefined)[] = [];
  while (Date.now() < deadline) {
    finished = await inboundItems(sids.map((sid) => `twilio#${sid}`));
    if (finished.every((m) => m && ['answered', 'held'].includes(m.inbound_status))) break;
    await sleep(1000);
  }
  if ((await redriveDeadLetters(['reply', 'whatsapp'])) > 0) await sleep(10_000);
  finished = await inboundItems(sids.map((sid) => `twilio#${sid}`));
  expect(finished.filter((m) => !m || !['answered', 'held'].includes(m.inbound_status))).toEqual([]);
  const answered = finished.filter((m) => m!.inbound_status === 'answered').length;
  expect(answered).toBeLessThanOrEqual(20);
  const sent = async () =>
    (await (await fetch(`${state.providersUrl}/__messages`)).json()) as {
      twilio: { to: string; content_sid: string | null }[];
      sendgrid: { to_emails: string[] }[];
    };
  const answersSent = async () => (await sent()).twilio.filter((m) => m.to === `whatsapp:${tel}` && m.content_sid === null).length;
  for (const until = Date.now() + 60_000; (await answersSent()) < answered && Date.now() < until; ) await sleep(500);
  await sleep(3000); // and nothing more comes
  expect(await answersSent()).toBe(answered); // each answer exactly once
  const { sendgrid } = await sent();
  expect(sendgrid.filter((m) => m.to_emails.includes(email))).toHaveLength(1); // the first mail only: no loop
  const { conversation } = await reader.parts(tel, whatsappConversation);
  expect(conversation!.messages.filter((m: { role: string }) => m.role === 'user')).toHaveLength(200);
  process.stdout.write(`chaos: a 200-message burst answered in ${answered} turn(s); 5 automatic mails, 0 answers\n`);
}, 300_000);
