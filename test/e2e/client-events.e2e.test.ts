import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DEMO_CLIENT_SIGNING_SECRETS } from '@ai-multi-comms/local-stack';
import { eventually, replyKit, sleep, useLocalStack } from '@ai-multi-comms/testing/stack';

/**
 * Signed events to the client's system, through the whole local stack: the demo project A sends
 * its events to the local demo client (GET :4010/__client-events keeps each delivery's raw body
 * and headers). Every event verifies as a client verifies it (the `standardwebhooks` package, as
 * the README shows), arrives once after deduplication by webhook-id, in order per conversation,
 * also through a client that is down for a while.
 */
const { state, clients } = useLocalStack();
const kit = replyKit(state, clients);
const webhook = new Webhook(DEMO_CLIENT_SIGNING_SECRETS.companyA);

interface Delivery {
  webhook_id: string;
  webhook_timestamp: string;
  webhook_signature: string;
  body: string;
  status: number;
}
type Verified = { id: string; type: string; timestamp: string; data: Record<string, string> };

const deliveries = async (conversationId: string): Promise<Delivery[]> =>
  (
    (await (await fetch(`${state.providersUrl}/__client-events?conversation_id=${encodeURIComponent(conversationId)}`)).json()) as {
      deliveries: Delivery[];
    }
  ).deliveries;

/** What the client keeps: each accepted delivery verified, then deduplicated by its webhook-id, in arrival order. */
const verifiedEvents = async (conversationId: string): Promise<Verified[]> => {
  const seen = new Map<string, Verified>();
  for (const delivery of await deliveries(conversationId)) {
    if (delivery.status >= 300) continue;
    const payload = webhook.verify(delivery.body, {
      'webhook-id': delivery.webhook_id,
      'webhook-timestamp': delivery.webhook_timestamp,
      'webhook-signature': delivery.webhook_signature,
    }) as Omit<Verified, 'id'>;
    if (!seen.has(delivery.webhook_id)) seen.set(delivery.webhook_id, { id: delivery.webhook_id, ...payload });
  }
  return [...seen.values()];
};

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${state.apiBaseUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'x-api-key': state.demoApiKeys.companyA },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as any };
};

const typesOf = (events: Verified[]) => events.map((event) => event.type);
const waitForTypes = (conversationId: string, types: string[], timeoutMs = 30_000) =>
  eventually(
    `events ${types.join(', ')}`,
    async () => {
      const events = await verifiedEvents(conversationId);
      return types.every((type) => typesOf(events).includes(type)) ? events : undefined;
    },
    timeoutMs,
  );

describe('events to the client (Standard Webhooks)', () => {
  it("the whole story reaches the client, each event verified, once, in order, never another project's data", async () => {
    const { byChannel, person, threadId, requestId } = await kit.start(['whatsapp']);
    const conversationId = byChannel.whatsapp!.conversation_id;
    await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'I want to speak to a human' });
    await waitForTypes(conversationId, ['message.sent', 'message.delivered', 'reply.received', 'conversation.handed_off', 'reply.sent']);
    const sent = await api('POST', `/conversations/${encodeURIComponent(conversationId)}/messages`, {
      text: 'Hi, Alex here from the team.',
      agent_name: 'Alex',
      idempotency_key: randomUUID(),
    });
    expect(sent.status).toBe(202);
    await waitForTypes(conversationId, ['agent_message.sent']);
    expect((await api('POST', `/conversations/${encodeURIComponent(conversationId)}/hand-back`, { agent_name: 'Alex' })).status).toBe(200);
    await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'STOP' });
    const events = await waitForTypes(conversationId, ['conversation.handed_back', 'recipient.opted_out']);

    // Once each (by webhook-id), and in the order things happened on the conversation.
    const types = typesOf(events);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const first = (type: string) => types.indexOf(type);
    expect(first('message.sent')).toBe(0);
    expect(first('reply.received')).toBeLessThan(first('conversation.handed_off'));
    expect(first('conversation.handed_off')).toBeLessThan(first('agent_message.sent'));
    expect(first('agent_message.sent')).toBeLessThan(first('conversation.handed_back'));
    expect(first('conversation.handed_back')).toBeLessThan(first('recipient.opted_out'));
    // What a client needs, of this project only.
    for (const event of events) {
      expect(event.data).toMatchObject({
        company_id: 'ci-aaa-001',
        project_id: 'pi-aaa-001',
        conversation_id: conversationId,
        request_id: requestId,
      });
      expect(event.id).toMatch(/^evt_[0-9a-f]{32}$/);
      expect(JSON.stringify(event)).not.toMatch(/whsec_|sk-local|local-demo-twilio-token/);
    }
    expect(events.find((e) => e.type === 'agent_message.sent')!.data).toMatchObject({
      agent_name: 'Alex',
      text: 'Hi, Alex here from the team.',
      channel: 'whatsapp',
    });
    expect(events.find((e) => e.type === 'reply.received')!.data).toMatchObject({
      text: 'I want to speak to a human',
      thread_id: threadId,
    });
  });

  it('a failed delivery is a message.failed with the provider code', async () => {
    const { byChannel } = await kit.start(['sms']);
    const conversationId = byChannel.sms!.conversation_id;
    const providerId = (byChannel.sms!.item.messages as { message_id: string }[] | undefined)?.[0]?.message_id;
    const sid = providerId ?? (await kit.reader.parts(byChannel.sms!.address, conversationId)).conversation!.messages[0].message_id;
    await fetch(`${state.providersUrl}/__simulate/twilio/status`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message_sid: sid, status: 'undelivered', error_code: '30003' }),
    });
    const events = await eventually('message.failed', async () => {
      const found = await verifiedEvents(conversationId);
      return found.some((e) => e.type === 'message.failed') ? found : undefined;
    });
    expect(events.find((e) => e.type === 'message.failed')!.data).toMatchObject({
      delivery_status: 'undelivered',
      error_code: '30003',
      message_id: sid,
    });
  });

  it('a client down for a while gets every event afterwards, in order', async () => {
    const { byChannel, person } = await kit.start(['whatsapp'], undefined);
    const conversationId = byChannel.whatsapp!.conversation_id;
    // The client's endpoint is down for the next 3 deliveries of this conversation.
    await fetch(`${state.providersUrl}/__faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'client-events', route: 'receive', status: 503, count: 3, match: conversationId }),
    });
    await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Sounds good, tell me more' });
    const events = await waitForTypes(conversationId, ['message.sent', 'reply.received', 'reply.sent'], 45_000);
    expect((await deliveries(conversationId)).filter((d) => d.status === 503)).toHaveLength(3);
    const types = typesOf(events);
    expect(types.indexOf('message.sent')).toBe(0);
    expect(types.indexOf('reply.received')).toBeLessThan(types.indexOf('reply.sent'));
  });

  it('a tampered or replayed event fails the verification the README shows', async () => {
    const { byChannel } = await kit.start(['whatsapp']);
    const conversationId = byChannel.whatsapp!.conversation_id;
    await waitForTypes(conversationId, ['message.sent']);
    const delivery = (await deliveries(conversationId)).find((d) => d.status < 300)!;
    const headers = {
      'webhook-id': delivery.webhook_id,
      'webhook-timestamp': delivery.webhook_timestamp,
      'webhook-signature': delivery.webhook_signature,
    };
    expect(() => webhook.verify(delivery.body, headers)).not.toThrow();
    expect(() => webhook.verify(delivery.body.replace('whatsapp', 'sms'), headers)).toThrow();
    expect(() => webhook.verify(delivery.body, { ...headers, 'webhook-id': 'evt_someone_else' })).toThrow();
    expect(() => new Webhook(DEMO_CLIENT_SIGNING_SECRETS.companyB).verify(delivery.body, headers)).toThrow();
    // A replay: the same bytes and signature, presented 10 minutes later (beyond the 5-minute tolerance).
    const old = new Date(Date.now() - 10 * 60_000);
    const replayed = {
      ...headers,
      'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
      'webhook-signature': webhook.sign(delivery.webhook_id, old, delivery.body),
    };
    expect(() => webhook.verify(delivery.body, replayed)).toThrow(/timestamp/i);
    await sleep(1);
  });
});
