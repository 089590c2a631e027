import { AwaitingProvider, prepareCompanyItem } from '@ai-multi-comms/core';
import { demoCompanies, ProviderServers, startProviderServers } from '@ai-multi-comms/local-stack';
import { freePort } from '../../../../packages/local-stack/src/processes/free-port';
import { contextObjectFor } from '@ai-multi-comms/testing/stack';
import { emailChannelFor } from '../../src/email-channel';

/**
 * The e-mail adapter's reconciliation against the local SendGrid alone (stack-free, the real
 * @sendgrid/mail and @sendgrid/client): Email Activity only where the account has it, its msg_id
 * with SendGrid's `.filter…` suffix, and without it a wait for SendGrid's own event instead of a
 * second mail.
 */
const ENTITLED = 'SG.twin-test.with-email-activity';
const PLAIN = 'SG.twin-test.without-email-activity';
const WAIT_MS = 60_000;
const channel = emailChannelFor({ confirmationWaitMs: WAIT_MS });
let providers: ProviderServers;

beforeAll(async () => {
  providers = await startProviderServers(await freePort(), { sendgrid_keys: [ENTITLED, PLAIN], sendgrid_email_activity_keys: [ENTITLED] });
  process.env.SENDGRID_API_BASE_URL = providers.url;
});
afterAll(async () => {
  delete process.env.SENDGRID_API_BASE_URL;
  await providers.stop();
});

const requests = async () =>
  (
    (await (await fetch(`${providers.url}/__requests?provider=sendgrid&route=messages.list`)).json()) as {
      requests: { status: number; query: Record<string, string> }[];
    }
  ).requests;
const message = (email: string) =>
  contextObjectFor(
    prepareCompanyItem(demoCompanies('test')[0]!, new Date()),
    (b) => ((b.recipient_data.recipient_email = email), (b.request_data.channel_method = ['email'])),
    'email',
  );
const credentials = (key: string) => ({
  sendgrid_api_key: key,
  sendgrid_from_email: 'jobs@acme-care.example.com',
  sendgrid_from_name: 'Acme',
});

it("with Email Activity: the mail is found by its custom args, and the id stored is the X-Message-Id events start with, not Activity's suffixed msg_id", async () => {
  const contextObject = message('ana@example.com');
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  const now = new Date();
  const sent = await channel.send({
    contextObject,
    credentials: credentials(ENTITLED),
    ai: { threadId: 't', ...contextObject.composed.email! },
    conversationId,
    now,
  });
  const found = await channel.reconcile({
    contextObject,
    credentials: credentials(ENTITLED),
    intents: [{ at: now.toISOString() }],
    conversationId,
    now,
  });
  expect(found?.messageId).toBe(sent.messageId);
  // Activity itself holds the suffixed id, and filters by it with LIKE, as SendGrid documents.
  const activity = (await (
    await fetch(`${providers.url}/v3/messages?${new URLSearchParams({ query: `msg_id LIKE '${sent.messageId}%'`, limit: '10' })}`, {
      headers: { Authorization: `Bearer ${ENTITLED}` },
    })
  ).json()) as { messages: { msg_id: string }[] };
  expect(activity.messages).toHaveLength(1);
  expect(activity.messages[0]!.msg_id).toMatch(new RegExp(`^${sent.messageId}\\.filter`));
});

it("without Email Activity SendGrid refuses the query (403); a recent lost send then waits for SendGrid's event rather than sending again", async () => {
  const contextObject = message('ben@example.com');
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  const now = new Date();
  const intentAt = new Date(now.getTime() - 20_000).toISOString();
  const waiting = channel.reconcile({ contextObject, credentials: credentials(PLAIN), intents: [{ at: intentAt }], conversationId, now });
  await expect(waiting).rejects.toBeInstanceOf(AwaitingProvider);
  await expect(waiting).rejects.toMatchObject({ retryAfterMs: WAIT_MS - 20_000, kind: 'transient' });
  expect((await requests()).at(-1)).toMatchObject({ status: 403 });
});

it('without Email Activity and no event after the quiet period: nothing was taken, so the mail may go', async () => {
  const contextObject = message('cy@example.com');
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  const now = new Date();
  expect(
    await channel.reconcile({
      contextObject,
      credentials: credentials(PLAIN),
      intents: [{ at: new Date(now.getTime() - WAIT_MS - 1).toISOString() }],
      conversationId,
      now,
    }),
  ).toBeUndefined();
});

it("SendGrid's own event on the item answers it without asking anyone", async () => {
  const contextObject = message('di@example.com');
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  const before = (await requests()).length;
  const found = await channel.reconcile({
    contextObject,
    credentials: credentials(PLAIN),
    intents: [{ at: new Date().toISOString() }],
    conversationId,
    now: new Date(),
    providerSeen: { provider_message_id: 'abcDEF123.filterdrecv-1-2-3.0', event: 'processed', at: new Date().toISOString() },
  });
  expect(found).toMatchObject({ messageId: 'abcDEF123' });
  expect((await requests()).length).toBe(before);
});

it('a 429 from mail/send is a refusal: transient, and marked as not sent (no reconciliation needed)', async () => {
  await fetch(`${providers.url}/__faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'sendgrid', route: 'mail.send', status: 429 }),
  });
  const contextObject = message('ed@example.com');
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  await expect(
    channel.send({
      contextObject,
      credentials: credentials(PLAIN),
      ai: { threadId: 't', ...contextObject.composed.email! },
      conversationId,
      now: new Date(),
    }),
  ).rejects.toMatchObject({ kind: 'transient', notSent: true });
});
