import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { replyKit } from '@ai-multi-comms/testing/stack';
import { eventually, useLocalStack } from '@ai-multi-comms/testing/stack';

/**
 * `pnpm erase` (right to erasure) against the local stack: a person with a conversation on two
 * channels, a reply, an answer, delivery callbacks and an opt-out; after the erasure of both
 * their addresses no item of any table mentions them, and one audit entry per erasure says what
 * was erased without saying who.
 */
const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const erase = (...args: string[]) =>
  run(
    process.execPath,
    [
      join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
      join(ROOT, 'scripts', 'erase.ts'),
      ...args,
      '--state-file',
      process.env.LOCAL_STACK_STATE!,
    ],
    { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );

const { state, clients } = useLocalStack();
const kit = replyKit(state, clients);

/** Every item of every table of the stack, as text (a test-only scan). */
const everything = async () => {
  const tables = Object.entries(state.resources)
    .filter(([name, value]) => name.endsWith('Table') && typeof value === 'string')
    .map(([, value]) => value as string);
  const texts: string[] = [];
  for (const table of [...new Set(tables)]) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await clients.documents.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      texts.push(...(page.Items ?? []).map((item) => `${table}: ${JSON.stringify(item, (_k, v) => (v instanceof Set ? [...v] : v))}`));
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return texts;
};
const mentioning = async (needle: string) => (await everything()).filter((text) => text.toLowerCase().includes(needle.toLowerCase()));

it('erases a person from every table, dry run first, leaving an audit entry without their data', async () => {
  const { byChannel, person } = await kit.start(['whatsapp', 'email']);
  await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Sounds good, tell me more' });
  await kit.waitForMessages(person.tel, byChannel.whatsapp!.conversation_id, 3);
  await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'STOP' });
  const digits = person.tel.slice(1);
  const sid = (await kit.twilioMessagesTo(`whatsapp:${person.tel}`))[0]!.sid;
  // Wait for the message's last callback (WhatsApp's `read`), not its first: Twilio keeps calling back
  // after the send, and a callback that lands after the erasure records its status anew (CI saw
  // exactly that: `read` arriving between the erasure and the scan).
  await eventually('an opt-out and the final delivery status', async () => {
    const found = await everything();
    return found.some((t) => t.startsWith(`${state.resources.optOutsTable}:`) && t.includes(digits)) &&
      found.some(
        (t) =>
          t.startsWith(`${state.resources.deliveryEventsTable}:`) &&
          t.includes(sid) &&
          t.includes('"event_key":"status"') &&
          t.includes('"delivery_status":"read"'),
      )
      ? true
      : undefined;
  });
  const before = await mentioning(digits);
  expect(before.length).toBeGreaterThan(5);

  // By the number alone, the dry run already finds the request's e-mail conversation too (it holds the same person).
  const dry = await erase('--recipient', person.tel, '--reason', 'DSR-TEST-1', '--local');
  expect(dry.stdout).toMatch(/conversations\s+2\n/);
  expect(dry.stdout).toContain('Dry run: nothing was erased');
  expect(await mentioning(digits)).toEqual(before);

  // All of the person's identifiers in one run.
  const applied = await erase('--recipient', `${person.tel},${person.email}`, '--reason', 'DSR-TEST-1', '--local', '--apply');
  expect(applied.stdout).toMatch(/Erased \d+ item\(s\)\. Audit entry [0-9a-f-]{36}/);
  expect(applied.stderr).toContain('conversations: 2 erased');

  // No trace: neither the number (nor its digits, as in conversation ids) nor the e-mail address, in any table.
  expect(await mentioning(digits)).toEqual([]);
  expect(await mentioning(person.email)).toEqual([]);
  // Nor what leads back to them: the delivery events of the messages we sent them.
  expect(await mentioning(sid)).toEqual([]);
  const audits = (await clients.documents.send(new ScanCommand({ TableName: state.resources.erasureAuditTable }))).Items!.filter(
    (a) => a.reason === 'DSR-TEST-1',
  );
  expect(audits).toHaveLength(1);
  expect(audits[0]).toMatchObject({
    requested_by: expect.any(String),
    erased_at: expect.any(String),
    counts: expect.objectContaining({
      conversations: 2,
      messages: expect.any(Number),
      inboundMessages: 2,
      optOuts: 1,
      deliveryEvents: expect.any(Number),
    }),
  });

  // Run again: nothing left to erase.
  expect((await erase('--recipient', person.tel, '--reason', 'DSR-TEST-1', '--local')).stdout).toMatch(
    /conversations\s+0\n[\s\S]*optOuts\s+0/,
  );
});

it("erasing by the number alone also erases the same request's e-mail conversation: the request is gone, not half there", async () => {
  const { requestId, person, byChannel } = await kit.start(['sms', 'email']);
  const emailConversation = byChannel.email!.conversation_id;
  await erase('--recipient', person.tel, '--reason', 'DSR-TEST-2', '--local', '--apply');
  expect(await mentioning(person.tel.slice(1))).toEqual([]);
  expect(await mentioning(emailConversation)).toEqual([]);
  expect(await mentioning(person.email)).toEqual([]);
  const read = await kit.json(
    `${state.apiBaseUrl}/conversations?${new URLSearchParams({ company_id: 'ci-aaa-001', project_id: 'pi-aaa-001', request_id: requestId })}`,
    { headers: { 'x-api-key': state.demoApiKeys.companyA } },
  );
  expect(read.status).toBe(404);
});

it('refuses to run without a valid recipient or a reason (exit 2)', async () => {
  for (const args of [
    ['--recipient', '07700900123', '--reason', 'x'],
    ['--recipient', '+447700900123'],
  ]) {
    const result = await erase(...args, '--local').then(
      () => ({ code: 0 }),
      (error: { code: number }) => error,
    );
    expect(result.code).toBe(2);
  }
});

it("retention: a conversation, its message items and its AI thread item expire together after the project's retention (DynamoDB TTL)", async () => {
  const { byChannel, person } = await kit.start(['whatsapp']);
  const conversation = byChannel.whatsapp!.item as Record<string, any>;
  const day = 86_400;
  const created = Date.parse(conversation.created_at) / 1000;
  // The demo project sets no data_retention_days: the default, 365 days, from when the router received the request.
  expect(conversation.expires_at).toBeGreaterThan(created + 364 * day);
  expect(conversation.expires_at).toBeLessThan(created + 366 * day);
  const message = (
    await clients.documents.send(
      new QueryCommand({
        TableName: state.resources.messagesTable,
        KeyConditionExpression: 'conversation_id = :id',
        ExpressionAttributeValues: { ':id': conversation.conversation_id },
        ConsistentRead: true,
      }),
    )
  ).Items!;
  // The message's delivery item and its entry (the conversation's messages are items of their own).
  expect(message.map((m) => [m.kind ?? 'delivery', m.expires_at]).sort()).toEqual([
    ['delivery', conversation.expires_at],
    ['entry', conversation.expires_at],
  ]);
  const thread = (
    await clients.documents.send(
      new ScanCommand({
        TableName: state.resources.threadsTable,
        FilterExpression: 'request_id = :id',
        ExpressionAttributeValues: { ':id': conversation.request_id },
      }),
    )
  ).Items!;
  expect(thread).toHaveLength(1);
  expect(Math.abs(thread[0]!.expires_at - conversation.expires_at)).toBeLessThan(60);
  expect(person.tel).toBe(conversation.primary_channel);
});
