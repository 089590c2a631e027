/**
 * SendGrid's own Signed Event Webhook test vectors (vendor/sendgrid/sendgrid-nodejs, from
 * packages/eventwebhook/src/eventwebhook.spec.js; see PROVENANCE.md), run through the engine's
 * verification code path: `@sendgrid/eventwebhook` as packages/core resolves it, called as
 * packages/core/src/delivery-status/sendgrid-events-webhook.ts calls it
 * (`verifySignature(convertPublicKeyToECDSA(key), raw body, signature header, timestamp header)`,
 * anything thrown being a refusal); and each signed batch through `receiveSendGridEvents` itself,
 * on a project's URL (the batches carry none of our custom args, as SendGrid's own samples do not).
 *
 * Then the twin: `sendGridEventSignature` (packages/local-stack/src/provider-servers/webhook-signing.ts)
 * with the demo Event Webhook key must verify with the matching public key, and the twin's real
 * event batch (POST /__simulate/sendgrid/events) must carry SendGrid's header names (the vectors'
 * EventWebhookHeader values) and verify through the same path.
 */
import { EventWebhook } from '../../packages/core/node_modules/@sendgrid/eventwebhook';
import { AppError, DeliveryEvent, receiveSendGridEvents, SendGridEventsDeps } from '@ai-multi-comms/core';
import { DEMO_SENDGRID_EVENT_PRIVATE_KEY, DEMO_SENDGRID_EVENT_PUBLIC_KEY } from '../../packages/local-stack/src/demo/demo-data';
import { ProviderServers } from '../../packages/local-stack/src/provider-servers/provider-server';
import { sendGridEventSignature } from '../../packages/local-stack/src/provider-servers/webhook-signing';
import { startCallbackReceiver, startTwin } from './support/provider-twin';
import vendored from './vendor/sendgrid/sendgrid-nodejs/eventwebhook.vectors.json';

interface Vector {
  test: string;
  call: string;
  args: unknown[];
  expected: unknown;
}

/** As the engine verifies (sendgrid-events-webhook.ts): one EventWebhook, a throw is a refusal; headers are strings. */
const verifier = new EventWebhook();
const engineVerifies = (publicKey: string, payload: string, signature: string, timestamp: string): boolean => {
  try {
    return verifier.verifySignature(verifier.convertPublicKeyToECDSA(publicKey), payload, signature, timestamp);
  } catch {
    return false;
  }
};

const vectors = vendored.vectors as Vector[];
const verifyVectors = vectors.filter((vector) => vector.call === 'verify');
const asArgs = (vector: Vector) => {
  const [key, payload, signature, timestamp] = vector.args as [string, string, string, string | number];
  return { key, payload, signature, timestamp: String(timestamp) };
};
const valid = verifyVectors.filter((vector) => vector.expected === true);
const header = (name: string) => vectors.find((vector) => vector.call === `EventWebhookHeader.${name}`)!.expected as string;

describe('the vendored vectors', () => {
  it('are the ones of sendgrid-nodejs’s spec: two valid signatures, four rejections, two header names', () => {
    expect(verifyVectors.map((vector) => vector.expected)).toEqual([true, true, false, false, false, false]);
    expect([header('SIGNATURE'), header('TIMESTAMP')]).toEqual([
      'X-Twilio-Email-Event-Webhook-Signature',
      'X-Twilio-Email-Event-Webhook-Timestamp',
    ]);
    // The payloads end as SendGrid's do (CRLF), which the signature covers.
    expect(valid.every((vector) => asArgs(vector).payload.endsWith('\r\n'))).toBe(true);
  });
});

describe('the engine’s verification path gives each vector’s expected answer', () => {
  it.each(verifyVectors.map((vector) => [vector.test, vector] as const))('%s', (_name, vector) => {
    const { key, payload, signature, timestamp } = asArgs(vector);
    expect(engineVerifies(key, payload, signature, timestamp)).toBe(vector.expected);
  });

  it.each(valid.map((vector) => [vector.test, vector] as const))('tampered, it fails: %s', (_name, vector) => {
    const { key, payload, signature, timestamp } = asArgs(vector);
    expect(engineVerifies(key, payload.replace('"event":"', '"event":"x'), signature, timestamp)).toBe(false);
    expect(engineVerifies(key, payload.trimEnd(), signature, timestamp)).toBe(false); // the trailing CRLF is signed
    expect(engineVerifies(key, payload, signature, String(Number(timestamp) + 1))).toBe(false);
    expect(
      engineVerifies(key, payload, `${signature.slice(0, 20)}${signature[20] === 'A' ? 'B' : 'A'}${signature.slice(21)}`, timestamp),
    ).toBe(false);
    expect(engineVerifies(DEMO_SENDGRID_EVENT_PUBLIC_KEY, payload, signature, timestamp)).toBe(false);
  });
});

describe('the twin signs as SendGrid does', () => {
  it('sendGridEventSignature with the demo private key verifies with the demo public key, over timestamp + raw body, and only so', () => {
    for (const vector of valid) {
      const { payload, timestamp } = asArgs(vector);
      const signature = sendGridEventSignature(DEMO_SENDGRID_EVENT_PRIVATE_KEY, timestamp, payload);
      expect(engineVerifies(DEMO_SENDGRID_EVENT_PUBLIC_KEY, payload, signature, timestamp)).toBe(true);
      expect(engineVerifies(DEMO_SENDGRID_EVENT_PUBLIC_KEY, `${payload} `, signature, timestamp)).toBe(false);
      expect(engineVerifies(DEMO_SENDGRID_EVENT_PUBLIC_KEY, payload, signature, `${timestamp}0`)).toBe(false);
      // SendGrid's key for this vector is not the demo key: the twin's signature must not verify with it.
      expect(engineVerifies(asArgs(vector).key, payload, signature, timestamp)).toBe(false);
    }
  });

  describe('its event batch, end to end', () => {
    let twin: ProviderServers;
    let receiver: Awaited<ReturnType<typeof startCallbackReceiver>>;

    beforeAll(async () => {
      receiver = await startCallbackReceiver(200);
      twin = await startTwin({});
      twin.configureWebhooks({ baseUrl: receiver.baseUrl, sendGridEventKey: DEMO_SENDGRID_EVENT_PRIVATE_KEY, automaticCallbacks: false });
    });
    afterAll(async () => {
      await twin?.stop();
      await receiver?.stop();
    });

    it('carries SendGrid’s header names and verifies with the account’s public key through the engine’s path', async () => {
      const simulated = await fetch(`${twin.url}/__simulate/sendgrid/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify([
          { event: 'delivered', msg_id: 'conformance-msg-1' },
          { event: 'open', msg_id: 'conformance-msg-1' },
        ]),
      });
      expect(simulated.status).toBe(200);
      expect(receiver.received).toHaveLength(1);
      const [batch] = receiver.received;
      const signature = batch!.headers[header('SIGNATURE').toLowerCase()];
      const timestamp = batch!.headers[header('TIMESTAMP').toLowerCase()];
      expect(typeof signature).toBe('string');
      expect(timestamp).toMatch(/^\d{10}$/);
      expect(JSON.parse(batch!.body)).toEqual([
        expect.objectContaining({ event: 'delivered' }),
        expect.objectContaining({ event: 'open' }),
      ]);
      expect(engineVerifies(DEMO_SENDGRID_EVENT_PUBLIC_KEY, batch!.body, signature as string, timestamp as string)).toBe(true);
      expect(
        engineVerifies(
          DEMO_SENDGRID_EVENT_PUBLIC_KEY,
          batch!.body.replace('delivered', 'bounce'),
          signature as string,
          timestamp as string,
        ),
      ).toBe(false);
    });
  });
});

describe("the engine's Event Webhook (receiveSendGridEvents) on a project's URL, with SendGrid's own signed batches", () => {
  const signedBatches = verifyVectors.filter((vector) => vector.expected === true);
  const depsFor = (publicKey: string, owners: Record<string, string> = {}) => {
    const recorded: DeliveryEvent[] = [];
    const deps: SendGridEventsDeps = {
      projects: {
        get: async (companyId: string, projectId: string) =>
          companyId === 'c1' && projectId === 'p1'
            ? ({ channel_config: { email: { email_credentials_id: 'creds' } } } as never)
            : undefined,
      },
      secrets: {
        getJson: async <T extends Record<string, string>>() => ({ sendgrid_webhook_public_key: publicKey }) as unknown as T,
        evict: () => undefined,
      },
      store: {
        record: async (event: DeliveryEvent) => (recorded.push(event), { newEvent: true, statusChanged: true }),
        current: async () => new Map(),
        history: async () => [],
      },
      owners: { conversationOf: async (id: string) => owners[id] },
      conversations: { byConversationId: async () => undefined },
      optOuts: { record: async () => true },
      sightings: { record: async () => 'recorded' as const },
      clock: { now: () => new Date() },
      metrics: { count: () => undefined, failure: () => undefined },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    };
    return { deps, recorded };
  };

  it.each(signedBatches.map((vector) => [vector.test, vector] as const))(
    'acknowledges the verified batch and keeps its events by their message id: %s',
    async (_name, vector) => {
      const [publicKey, payload, signature, timestamp] = vector.args as [string, string, string, string];
      const { deps, recorded } = depsFor(publicKey);
      const answer = await receiveSendGridEvents(
        { rawBody: payload, isBase64Encoded: false, signature, timestamp, project: { companyId: 'c1', projectId: 'p1' } },
        deps,
      );
      expect(answer.statusCode).toBe(200);
      const events = JSON.parse(payload) as { sg_message_id: string; event: string }[];
      expect(recorded.map((e) => [e.providerMessageId, e.providerEvent])).toEqual(
        events.map((e) => [e.sg_message_id.split('.')[0], e.event]),
      );
    },
  );

  it('a batch tampered with, or on a project without an e-mail sender, changes nothing (403)', async () => {
    const [publicKey, payload, signature, timestamp] = signedBatches[0]!.args as [string, string, string, string];
    const { deps, recorded } = depsFor(publicKey);
    await expect(
      receiveSendGridEvents(
        {
          rawBody: payload.replace('dropped', 'delivered'),
          isBase64Encoded: false,
          signature,
          timestamp,
          project: { companyId: 'c1', projectId: 'p1' },
        },
        deps,
      ),
    ).rejects.toBeInstanceOf(AppError);
    await expect(
      receiveSendGridEvents(
        { rawBody: payload, isBase64Encoded: false, signature, timestamp, project: { companyId: 'c2', projectId: 'p1' } },
        deps,
      ),
    ).rejects.toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    expect(recorded).toHaveLength(0);
  });

  it('a batch of any size is taken whole: 2,500 events (the old limit refused anything over 1,000, unsubscribes included)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const events = Array.from({ length: 2500 }, (_, i) => ({
      email: `p${i}@example.com`,
      event: i % 500 === 0 ? 'unsubscribe' : 'delivered',
      sg_event_id: `ev-${i}`,
      sg_message_id: `msg${i}.filterdrecv-1-2-3-1.0`,
      timestamp: now,
    }));
    const payload = JSON.stringify(events);
    const timestamp = String(now);
    const { deps, recorded } = depsFor(DEMO_SENDGRID_EVENT_PUBLIC_KEY);
    const optedOut: string[] = [];
    deps.optOuts = { record: async (input) => (optedOut.push(input.address), true) };
    const answer = await receiveSendGridEvents(
      {
        rawBody: payload,
        isBase64Encoded: false,
        signature: sendGridEventSignature(DEMO_SENDGRID_EVENT_PRIVATE_KEY, timestamp, payload),
        timestamp,
        project: { companyId: 'c1', projectId: 'p1' },
      },
      deps,
    );
    expect(answer.statusCode).toBe(200);
    expect(recorded).toHaveLength(2500);
    expect(new Set(recorded.map((e) => e.eventId)).size).toBe(2500);
    expect(optedOut.sort()).toEqual(['p0@example.com', 'p1000@example.com', 'p1500@example.com', 'p2000@example.com', 'p500@example.com']);
  });

  it("an event about another tenant's message is acknowledged and not recorded", async () => {
    const [publicKey, payload, signature, timestamp] = signedBatches[0]!.args as [string, string, string, string];
    const id = (JSON.parse(payload) as { sg_message_id: string }[])[0]!.sg_message_id.split('.')[0]!;
    const { deps, recorded } = depsFor(publicKey, { [id]: 'c9#p9#request#jobs@example.com' });
    expect(
      (
        await receiveSendGridEvents(
          { rawBody: payload, isBase64Encoded: false, signature, timestamp, project: { companyId: 'c1', projectId: 'p1' } },
          deps,
        )
      ).statusCode,
    ).toBe(200);
    expect(recorded).toHaveLength(0);
  });
});
