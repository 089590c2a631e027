import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import twilio from 'twilio';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  classifyOpenAiError,
  classifyTwilioError,
  createGovernor,
  inMemoryBucketStore,
  processRecord,
  toSqsSafeJson,
} from '@ai-multi-comms/core';
import { smsChannel } from '../../services/sms-processor/src/sms-channel';
import { demoContextObject } from '@ai-multi-comms/testing/stack';
import { inProcessDeps, realDeliveries } from '@ai-multi-comms/testing/stack';
import { addFault, providerRequests, uniqueTel, useLocalStack } from '@ai-multi-comms/testing/stack';

/**
 * The providers' limits (docs/throughput.md): the local OpenAI and Twilio enforce them as the real
 * ones do, the real SDKs see what they would see, and the engine waits a rate limit out instead of
 * failing the message. Limits are set per key and per sender, so the rest of the suite is unaffected.
 */
const { state, clients } = useLocalStack();
const ACCOUNT = 'AC00000000000000000000000000000a01';
const TOKEN = 'local-demo-twilio-token-a';

const setLimits = async (limits: Record<string, unknown>) => {
  const response = await fetch(`${state.providersUrl}/__limits`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(limits),
  });
  expect(response.status).toBe(200);
};
const addCredentials = (credentials: Record<string, unknown>) =>
  fetch(`${state.providersUrl}/__credentials`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });

/** Status callbacks as Twilio posts them, to a server of the test's own. */
const statusCallbacks = async () => {
  const received: Record<string, string>[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push(Object.fromEntries(new URLSearchParams(body)));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
};

const twilioClient = () => {
  const client = twilio(ACCOUNT, TOKEN, { autoRetry: false });
  client.api.baseUrl = state.providersUrl;
  return client;
};

describe('the local OpenAI', () => {
  it("refuses past a key's requests per minute with 429 rate_limit_exceeded, retry-after and OpenAI's x-ratelimit headers; the engine reads it as a rate limit", async () => {
    const key = `sk-limit-${randomUUID()}`;
    await addCredentials({ openai_keys: [key] });
    await setLimits({ openai: { keys: { [key]: 60 } } }); // one a second, a bucket of one
    const openai = new OpenAI({ apiKey: key, baseURL: `${state.providersUrl}/v1`, maxRetries: 0 });
    const first = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hello' }).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('60');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const refused = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hello' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const error = refused as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.headers?.get('retry-after')).toBe('1');
    expect(error.headers?.get('x-ratelimit-reset-requests')).toMatch(/^\d+ms$/);
    expect(error.message).toContain('Limit 60');
    const classified = classifyOpenAiError(error);
    expect(classified.kind).toBe('rate-limited');
    expect(classified.retryAfterSeconds).toBe(1);
    // Another key is not limited by this one's bucket.
    await expect(
      new OpenAI({ apiKey: 'sk-local-demo-project-a', baseURL: `${state.providersUrl}/v1`, maxRetries: 0 }).responses.create({
        model: 'gpt-4o-mini',
        input: 'x',
      }),
    ).resolves.toBeDefined();
  });
});

describe('the local Twilio', () => {
  it("sends a sender's queue at its rate in order, and refuses with 21611 once the queue holds its length", async () => {
    const from = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    await setLimits({ twilio: { senders: { [from]: 2 }, queue_seconds: 1 } }); // 2/s, a queue of two
    const client = twilioClient();
    const created = [];
    for (let i = 0; i < 3; i += 1) created.push(await client.messages.create({ from, to: uniqueTel(), body: `m${i}` }));
    expect(created.map((m) => m.status)).toEqual(['queued', 'queued', 'queued']);
    // The first has left the queue for the handset; two wait: the queue is full.
    const refused = await client.messages.create({ from, to: uniqueTel(), body: 'm3' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 400, code: 21611 });
    const classified = classifyTwilioError(refused);
    expect(classified.kind).toBe('rate-limited');
    expect(classified.retryAfterSeconds).toBe(60);
    // They go out one after another, oldest first, at most two a second.
    const sent = [];
    for (const message of created) {
      for (;;) {
        const fetched = await client.messages(message.sid).fetch();
        if (fetched.dateSent) {
          sent.push(fetched.dateSent.getTime());
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    // date_sent has whole seconds (RFC 2822): three messages at 2/s span at least one second.
    expect(sent[2]! - sent[0]!).toBeGreaterThanOrEqual(1000);
    expect([...sent].sort((a, b) => a - b)).toEqual(sent);
  });

  it('fails a queued message with 30036 when its ValidityPeriod passes, and says so in its status callback', async () => {
    const from = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    await setLimits({ twilio: { senders: { [from]: 0.2 } } }); // one every five seconds
    const callbacks = await statusCallbacks();
    try {
      const client = twilioClient();
      await client.messages.create({ from, to: uniqueTel(), body: 'first', statusCallback: callbacks.url });
      const late = await client.messages.create({
        from,
        to: uniqueTel(),
        body: 'second',
        validityPeriod: 1,
        statusCallback: callbacks.url,
      });
      const deadline = Date.now() + 10_000;
      while (!callbacks.received.some((c) => c.MessageSid === late.sid && c.MessageStatus === 'failed') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(callbacks.received.filter((c) => c.MessageSid === late.sid).map((c) => [c.MessageStatus, c.ErrorCode])).toEqual([
        // No callback for the initial `queued` (Twilio sends none).
        ['failed', '30036'],
      ]);
      expect(await client.messages(late.sid).fetch()).toMatchObject({ status: 'failed', errorCode: 30036, dateSent: null });
    } finally {
      await callbacks.close();
    }
  });

  it('refuses a request past the concurrency limit with 429 / 20429', async () => {
    // An account of its own, so no other test meets the limit.
    const account = `AC${randomUUID().replace(/-/g, '')}`;
    await addCredentials({ twilio_accounts: { [account]: 'token-concurrency' } });
    await setLimits({ twilio: { accounts: { [account]: { concurrency: 1, api_latency_ms: 300 } } } });
    try {
      const client = twilio(account, 'token-concurrency', { autoRetry: false });
      client.api.baseUrl = state.providersUrl;
      const results = await Promise.allSettled(
        [0, 1].map((i) => client.messages.create({ from: '+447700900002', to: uniqueTel(), body: `c${i}` })),
      );
      const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(refused).toEqual([expect.objectContaining({ status: 429, code: 20429 })]);
      expect(classifyTwilioError(refused[0]).kind).toBe('rate-limited');
    } finally {
      await setLimits({ twilio: {} });
    }
  });
});

describe('the SMS sender under rate limits', () => {
  it.each([
    [21611, 400, 60],
    [20429, 429, 5],
  ])(
    'Twilio %i is waited out: the message goes back for a delayed copy, recorded transient, the sender held back for everyone',
    async (code, status, waitSeconds) => {
      const tel = uniqueTel();
      // 20429 four times: the SDK's own three retries are spent too.
      await addFault(state, { provider: 'twilio', route: 'messages.create', status, code, count: 4, match: tel });
      const contextObject = await demoContextObject(state, clients, (b) => (b.recipient_data.recipient_tel = tel), 'sms');
      const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
      // The governor's buckets in memory: holding the demo number back in DynamoDB would hold back every other test's SMS.
      const buckets = inMemoryBucketStore();
      const deps = inProcessDeps(state, smsChannel, realDeliveries(state), {
        governor: createGovernor({ buckets, clock: { now: () => new Date() }, config: { enabled: true } }),
      });
      const outcome = await processRecord(
        { messageId: 'm', receiptHandle: 'r', body: toSqsSafeJson(contextObject), receiveCount: 3 },
        deps,
      );
      // Even on the queue's last receive: a copy, never the DLQ.
      expect(outcome).toEqual({ outcome: 'requeue', reason: expect.stringContaining(String(code)), delaySeconds: waitSeconds });
      const { Item } = await clients.documents.send(
        new GetCommand({ TableName: state.resources.conversationsTable!, Key: { primary_channel: tel, conversation_id: conversationId } }),
      );
      // Recorded as any retryable failure is (the next attempt overwrites it), never as exhausted.
      expect(Item).toMatchObject({ failure_class: 'transient', failure_reason: expect.stringContaining(String(code)) });
      expect(Item?.retries_exhausted_at).toBeUndefined();
      expect(buckets.tat('sms#+447700900002')).toBeGreaterThanOrEqual(Date.now() + (waitSeconds - 2) * 1000);
      expect(
        (await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel })).every(
          (r) => r.status === status,
        ),
      ).toBe(true);
    },
  );
});
