import { ComposedMessage, prepareCompanyItem, WHATSAPP_WINDOW_CLOSED } from '@ai-multi-comms/core';
import { demoCompanies, ProviderServers, startProviderServers } from '@ai-multi-comms/local-stack';
import { freePort } from '../../../../packages/local-stack/src/processes/free-port';
import { contextObjectFor } from '@ai-multi-comms/testing/stack';
import { uniqueTel } from '@ai-multi-comms/testing/stack';
import { whatsappChannel } from '../../src/whatsapp-channel';

/**
 * The WhatsApp adapter against the local Twilio alone (stack-free, the real twilio SDK): templates
 * rendered by Twilio and recognised by our own rendering of the Content API's text; answers inside
 * the 24-hour window as free text, after it as the re-engagement template or not at all.
 */
const ACCOUNT = 'AC0000000000000000000000000000ff01';
const TOKEN = 'twin-test-token';
const TEMPLATE = 'HX000000000000000000000000000000f1';
const REENGAGE = 'HX000000000000000000000000000000f2';
const credentials = { twilio_account_sid: ACCOUNT, twilio_auth_token: TOKEN, twilio_template_sid: TEMPLATE };
let providers: ProviderServers;

const requests = async (route: string) =>
  (
    (await (await fetch(`${providers.url}/__requests?provider=twilio&route=${route}`)).json()) as {
      requests: { body: Record<string, string>; status: number; query: Record<string, string> }[];
    }
  ).requests;

beforeAll(async () => {
  providers = await startProviderServers(await freePort(), {
    twilio_accounts: { [ACCOUNT]: TOKEN },
    twilio_contents: {
      [TEMPLATE]: { account_sid: ACCOUNT, body: 'Hi {{1}}, {{2}} here about {{3}}. {{4}}' },
      [REENGAGE]: { account_sid: ACCOUNT, body: 'Hi {{1}}, picking up: {{2}}' },
    },
  });
  process.env.TWILIO_API_BASE_URL = providers.url;
});
afterAll(async () => {
  delete process.env.TWILIO_API_BASE_URL;
  await providers.stop();
});
beforeEach(async () => void (await fetch(`${providers.url}/__requests`, { method: 'DELETE' })));

const company = (reengagement?: string) => {
  const file = structuredClone(demoCompanies('test')[0]!);
  if (reengagement) file.channel_config.whatsapp!.reengagement_template_sid = reengagement;
  else delete file.channel_config.whatsapp!.reengagement_template_sid;
  return prepareCompanyItem(file, new Date());
};

/** The answer to a person's WhatsApp message that arrived at `receivedAt`. */
const answerTo = (tel: string, receivedAt: Date, reengagement?: string): ComposedMessage => {
  const message = contextObjectFor(
    company(reengagement),
    (b) => ((b.recipient_data.recipient_tel = tel), (b.recipient_data.recipient_first_name = 'Ana')),
    'whatsapp',
  );
  return {
    ...message,
    metadata: { ...message.metadata, received_at: receivedAt.toISOString() },
    reply: { message_key: 'reply#in-1', inbound_id: 'in-1' },
  };
};
const ai = {
  threadId: 'conv_1',
  text: 'Yes, it is still open.\nShall we talk on Monday?',
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};

it('a first message goes as the template; Twilio answers with the rendered text, which the conversation records', async () => {
  const tel = uniqueTel();
  const contextObject = contextObjectFor(company(), (b) => (b.recipient_data.recipient_tel = tel), 'whatsapp');
  const part = contextObject.composed.whatsapp!;
  const sent = await whatsappChannel.send({
    contextObject,
    credentials,
    ai: { threadId: 't', ...part },
    conversationId: 'c1',
    now: new Date(),
  });
  const variables = part.json as Record<string, string>;
  expect(sent.content).toBe(`Hi ${variables['1']}, ${variables['2']} here about ${variables['3']}. ${variables['4']}`);
  const [create] = await requests('messages.create');
  expect(create!.body).toMatchObject({ ContentSid: TEMPLATE, ContentVariables: JSON.stringify(variables) });
});

it('reconciliation recognises our template message by its rendering, and not another message to the same person', async () => {
  const tel = uniqueTel();
  const contextObject = contextObjectFor(company(), (b) => (b.recipient_data.recipient_tel = tel), 'whatsapp');
  const part = contextObject.composed.whatsapp!;
  const intentAt = new Date(Date.now() - 1000).toISOString();
  // Another conversation's template message to the same person, with the same first name and role, comes first.
  const other = { ...(part.json as Record<string, string>), 4: 'A different invitation.' };
  await whatsappChannel.send({
    contextObject,
    credentials,
    ai: { threadId: 't', text: JSON.stringify(other), json: other, usage: part.usage },
    conversationId: 'c0',
    now: new Date(),
  });
  const intents = [{ at: intentAt, content: JSON.stringify(part.json) }];
  expect(await whatsappChannel.reconcile({ contextObject, credentials, intents, conversationId: 'c2', now: new Date() })).toBeUndefined();
  const ours = await whatsappChannel.send({
    contextObject,
    credentials,
    ai: { threadId: 't', ...part },
    conversationId: 'c2',
    now: new Date(),
  });
  expect(await whatsappChannel.reconcile({ contextObject, credentials, intents, conversationId: 'c2', now: new Date() })).toEqual({
    messageId: ours.messageId,
    content: ours.content,
  });
  // The template's text came from the Content API.
  expect((await requests('content.fetch')).length).toBeGreaterThanOrEqual(1);
});

it('an answer inside the 24-hour window is free text', async () => {
  const tel = uniqueTel();
  const receivedAt = new Date();
  const sent = await whatsappChannel.send({
    contextObject: answerTo(tel, receivedAt, REENGAGE),
    credentials,
    ai,
    conversationId: 'c3',
    reply: { message_key: 'reply#in-1', inbound_id: 'in-1' },
    now: new Date(receivedAt.getTime() + 23 * 3_600_000),
  });
  expect(sent.content).toBe(ai.text);
  const [create] = await requests('messages.create');
  expect(create!.body.Body).toBe(ai.text);
  expect(create!.body.ContentSid).toBeUndefined();
});

it('an answer after the window goes as the re-engagement template: first name and the answer on one line', async () => {
  const tel = uniqueTel();
  const receivedAt = new Date(Date.now() - 25 * 3_600_000);
  const contextObject = answerTo(tel, receivedAt, REENGAGE);
  const now = new Date();
  expect(whatsappChannel.contentToSend({ contextObject, ai, reply: contextObject.reply, now })).toBe(
    JSON.stringify({ 1: 'Ana', 2: 'Yes, it is still open. Shall we talk on Monday?' }),
  );
  const sent = await whatsappChannel.send({ contextObject, credentials, ai, conversationId: 'c4', reply: contextObject.reply, now });
  expect(sent.content).toBe('Hi Ana, picking up: Yes, it is still open. Shall we talk on Monday?');
  const [create] = await requests('messages.create');
  expect(create!.body).toMatchObject({ ContentSid: REENGAGE });
  expect(create!.body.Body).toBeUndefined();
});

it(`an answer after the window with no re-engagement template is never attempted: ${WHATSAPP_WINDOW_CLOSED}, permanent`, async () => {
  const tel = uniqueTel();
  const contextObject = answerTo(tel, new Date(Date.now() - 25 * 3_600_000));
  await expect(
    whatsappChannel.send({ contextObject, credentials, ai, conversationId: 'c5', reply: contextObject.reply, now: new Date() }),
  ).rejects.toMatchObject({
    kind: 'permanent',
    code: WHATSAPP_WINDOW_CLOSED,
    notSent: true,
  });
  expect(await requests('messages.create')).toHaveLength(0);
});

it('an unknown ContentSid is refused by Twilio as the real one does (21655), and is no sent message', async () => {
  const tel = uniqueTel();
  const contextObject = contextObjectFor(company(), (b) => (b.recipient_data.recipient_tel = tel), 'whatsapp');
  await expect(
    whatsappChannel.send({
      contextObject,
      credentials: { ...credentials, twilio_template_sid: 'HX000000000000000000000000000000ee' },
      ai: { threadId: 't', ...contextObject.composed.whatsapp! },
      conversationId: 'c6',
      now: new Date(),
    }),
  ).rejects.toMatchObject({ kind: 'permanent', message: expect.stringContaining('21655'), notSent: true });
});

it('a Content sid is one template of one account: another account cannot take it over (409), and the first keeps rendering it', async () => {
  const answer = await fetch(`${providers.url}/__credentials`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ twilio_contents: { [TEMPLATE]: { account_sid: 'AC0000000000000000000000000000ff99', body: 'taken' } } }),
  });
  expect(answer.status).toBe(409);
  const tel = uniqueTel();
  const contextObject = contextObjectFor(company(), (b) => (b.recipient_data.recipient_tel = tel), 'whatsapp');
  const sent = await whatsappChannel.send({
    contextObject,
    credentials,
    ai: { threadId: 't', ...contextObject.composed.whatsapp! },
    conversationId: 'c7',
    now: new Date(),
  });
  expect(sent.content.startsWith('Hi ')).toBe(true);
});
