import { Webhook } from 'standardwebhooks';
import { clientEvent, clientWebhookSecretName, deliverClientEvent, DeliverClientEventDeps } from '../src';
import { companyItem, countingMetrics, fixedClock, memorySecrets, recordingLogger } from '@ai-multi-comms/testing';

/**
 * Delivering one event to a project's endpoint (the local stack runs the whole path in
 * test/e2e/client-events.e2e.test.ts): signed by Standard Webhooks, a 2xx delivered, anything else
 * again later with backoff, the last receive's failure logged as going to the DLQ (the queue's
 * redrive policy parks it: a client that never recovers leaves its events there).
 */
const SECRET = `whsec_${Buffer.from('unit-test-signing-key-0001').toString('base64')}`;
// Now, in whole seconds: a client's verification checks the timestamp against its own clock (5 minutes' tolerance).
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const event = clientEvent(
  'message.sent',
  'conv#initial',
  { company_id: 'ci-aaa-001', project_id: 'pi-aaa-001', conversation_id: 'conv', channel: 'sms', text: 'Hi' },
  NOW,
);
const record = (receiveCount = 1, body = JSON.stringify(event)) => ({ messageId: 'm1', receiptHandle: 'r1', body, receiveCount });

const setup = (answer: number | Error, endpoint: string | null = 'https://client.example/hooks') => {
  const posts: { url: string; headers: Record<string, string>; body: string }[] = [];
  const { logger, lines } = recordingLogger();
  const metrics = countingMetrics();
  const deps: DeliverClientEventDeps = {
    companies: { get: async () => companyItem((p) => (endpoint ? (p.client_events = { url: endpoint }) : undefined)) },
    secrets: memorySecrets({ [clientWebhookSecretName('ci-aaa-001', 'pi-aaa-001', 'dev')]: { signing_secret: SECRET } }),
    post: async (url, init) => {
      posts.push({ url, headers: init.headers, body: init.body });
      if (answer instanceof Error) throw answer;
      return { status: answer };
    },
    stage: 'dev',
    clock: fixedClock(NOW),
    logger,
    metrics,
    config: { retryBackoffBaseSeconds: 30, retryBackoffMaxSeconds: 900, maxReceiveCount: 12, timeoutSeconds: 10 },
  };
  return { deps, posts, lines, metrics };
};

it('signs the event by Standard Webhooks and counts a 2xx as delivered', async () => {
  const { deps, posts, metrics } = setup(204);
  expect(await deliverClientEvent(record(), deps)).toEqual({ outcome: 'acknowledge', reason: 'delivered (204)' });
  expect(posts).toHaveLength(1);
  const [post] = posts;
  expect(post!.headers['webhook-id']).toBe(event.id);
  expect(post!.headers['webhook-timestamp']).toBe(String(NOW.getTime() / 1000));
  const payload = new Webhook(SECRET).verify(post!.body, post!.headers) as unknown;
  expect(payload).toEqual({ type: 'message.sent', timestamp: NOW.toISOString(), data: event.data });
  expect(metrics.counts.get('ClientEventsDelivered')).toBe(1);
});

it('an endpoint that fails or does not answer gets the event again later, with backoff; on the last receive it goes to the DLQ', async () => {
  for (const answer of [503, 400, new Error('connect ECONNREFUSED')]) {
    const { deps } = setup(answer);
    expect(await deliverClientEvent(record(3), deps)).toMatchObject({ outcome: 'retry', delaySeconds: 120 });
  }
  const { deps, lines } = setup(500);
  expect(await deliverClientEvent(record(12), deps)).toMatchObject({ outcome: 'retry' });
  expect(lines.some((line) => line.level === 'error' && /dead-letter queue/.test(line.message))).toBe(true);
});

it('a project without an endpoint: nothing to deliver; a message that is not an event: malformed', async () => {
  const { deps, posts } = setup(204, null);
  expect(await deliverClientEvent(record(), deps)).toEqual({ outcome: 'acknowledge', reason: 'the project has no events endpoint' });
  expect(posts).toHaveLength(0);
  expect(await deliverClientEvent(record(1, '{"type":"nope"}'), setup(204).deps)).toMatchObject({ outcome: 'retry' });
});

it("an event's id is the same however often it is made, and differs by type and subject", () => {
  const again = clientEvent('message.sent', 'conv#initial', event.data, new Date(NOW.getTime() + 60_000));
  expect(again.id).toBe(event.id);
  expect(clientEvent('message.delivered', 'conv#initial', event.data, NOW).id).not.toBe(event.id);
  expect(clientEvent('message.sent', 'conv#reply#x', event.data, NOW).id).not.toBe(event.id);
});
