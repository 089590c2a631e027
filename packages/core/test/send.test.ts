import {
  AppError,
  ChannelAdapter,
  ComposedMessage,
  createGovernor,
  CREDENTIALS_REJECTED,
  inMemoryBucketStore,
  processRecord,
  ProcessingDeps,
  transient,
} from '../src';
import {
  companyItem,
  contextObjectFixture,
  countingMetrics,
  fixedClock,
  inMemoryDeliveries,
  memorySecrets,
  recordingLogger,
} from '@ai-multi-comms/testing';

/**
 * A channel sender's pipeline (processRecord) with in-memory fakes and a scripted adapter: the
 * rules of docs/processing.md step by step, in milliseconds. The same pipeline runs against
 * DynamoDB Local and the local Twilio and SendGrid in the integration and end-to-end tests.
 */
const CREDENTIALS = 'ai-multi-comms/whatsapp-credentials/ci-aaa-001/pi-aaa-001/twilio-dev';
type Credentials = { twilio_auth_token: string };

const composed = (): ComposedMessage => {
  const contextObject = contextObjectFixture();
  return {
    ...contextObject,
    conversation_data: { ...contextObject.conversation_data, thread_id: 'conv_1' },
    composed: {
      whatsapp: {
        text: 'Hello John',
        json: { '1': 'John', '2': 'Sarah', '3': 'Healthcare Assistant', '4': 'Would you like to talk?' },
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      },
    },
  };
};

const build = () => {
  const deliveries = inMemoryDeliveries();
  const secrets = memorySecrets({ [CREDENTIALS]: { twilio_auth_token: 'token-one' } });
  const optedOut = new Set<string>();
  const clock = fixedClock();
  const metrics = countingMetrics();
  const { logger } = recordingLogger();
  const sends: { token: string; conversationId: string }[] = [];
  const channel: ChannelAdapter<Credentials> = {
    channel: 'whatsapp',
    credentialsSecret: () => ({ name: CREDENTIALS, requiredKeys: ['twilio_auth_token'] }),
    contentToSend: ({ ai }) => ai.text,
    send: async ({ credentials, conversationId }) => {
      sends.push({ token: credentials.twilio_auth_token, conversationId });
      return { messageId: `SM${sends.length}`, content: 'Hello John' };
    },
    reconcile: async () => undefined,
    inboundKey: () => undefined,
  };
  const deps: ProcessingDeps<Credentials> = {
    channel,
    deliveries,
    companies: { get: async () => companyItem() },
    optOuts: { isOptedOut: async (_company, _channel, address) => optedOut.has(address), record: async () => true },
    secrets,
    governor: createGovernor({ buckets: inMemoryBucketStore(), clock, config: { enabled: false } }),
    extendVisibility: async () => undefined,
    clock,
    logger,
    metrics,
    config: {
      visibilityTimeoutSeconds: 905,
      heartbeatIntervalMs: 600_000,
      retryBackoffBaseSeconds: 1,
      retryBackoffMaxSeconds: 10,
      finalUpdateAttempts: 3,
      processorVersion: 'test',
      conversationsTable: 'conversations',
      messagesTable: 'messages',
      maxReceiveCount: 3,
      recordDeadlineMs: 60_000,
    },
    sleep: async () => undefined,
  };
  return { deps, channel, deliveries, secrets, optedOut, clock, metrics, sends };
};

const recordOf = (message: ComposedMessage, receiveCount = 1) => ({
  messageId: `m${receiveCount}`,
  receiptHandle: 'rh',
  body: JSON.stringify(message),
  receiveCount,
});
const itemOf = (deliveries: ReturnType<typeof inMemoryDeliveries>) => [...deliveries.items.values()][0]!;

describe('a channel sender, with in-memory fakes', () => {
  it('sends once and records it; the same queue message again is a duplicate, never a second send', async () => {
    const { deps, deliveries, sends, metrics } = build();
    const message = composed();
    expect(await processRecord(recordOf(message), deps)).toEqual({ outcome: 'acknowledge', reason: 'sent' });
    expect(await processRecord(recordOf(message, 2), deps)).toEqual({ outcome: 'acknowledge', reason: 'already sent' });
    expect(sends).toHaveLength(1);
    expect(itemOf(deliveries)).toMatchObject({ message_status: 'sent', provider_message_id: 'SM1', attempts: 1 });
    expect(itemOf(deliveries).send_intents).toEqual([{ at: expect.any(String), content: 'Hello John' }]);
    expect(metrics.counts.get('MessagesSent')).toBe(1);
    expect(metrics.counts.get('DuplicateDeliveries')).toBe(1);
  });

  it('a person who opted out after the request was accepted gets nothing: recorded, acknowledged', async () => {
    const { deps, deliveries, sends, optedOut } = build();
    optedOut.add('+447700900123');
    expect(await processRecord(recordOf(composed()), deps)).toMatchObject({ outcome: 'acknowledge' });
    expect(sends).toHaveLength(0);
    expect(itemOf(deliveries)).toMatchObject({ message_status: 'opted_out', failure_class: 'permanent' });
  });

  it('a transient provider failure is recorded and retried; the next receive takes over and sends', async () => {
    const { deps, channel, deliveries, sends } = build();
    const send = channel.send;
    let fail = true;
    channel.send = async (input) => {
      if (fail) throw transient('PROVIDER_TRANSIENT', 'Twilio 503');
      return send(input);
    };
    const message = composed();
    expect(await processRecord(recordOf(message), deps)).toMatchObject({ outcome: 'retry', delaySeconds: 1 });
    expect(itemOf(deliveries)).toMatchObject({
      message_status: 'failed_to_send_message',
      failure_class: 'transient',
      failure_reason: 'Twilio 503',
    });
    fail = false;
    expect(await processRecord(recordOf(message, 2), deps)).toEqual({ outcome: 'acknowledge', reason: 'sent' });
    expect(itemOf(deliveries)).toMatchObject({ message_status: 'sent', attempts: 2 });
    expect(sends).toHaveLength(1);
  });

  it('a permanent provider failure is recorded and acknowledged; a redelivery sends nothing', async () => {
    const { deps, channel, deliveries, sends } = build();
    channel.send = async () => {
      throw new AppError('permanent', 'PROVIDER_PERMANENT', 'Twilio 21211: invalid number');
    };
    const message = composed();
    expect(await processRecord(recordOf(message), deps)).toMatchObject({ outcome: 'acknowledge' });
    expect(itemOf(deliveries)).toMatchObject({ failure_class: 'permanent', failure_reason: 'Twilio 21211: invalid number' });
    expect(await processRecord(recordOf(message, 2), deps)).toMatchObject({
      outcome: 'acknowledge',
      reason: expect.stringMatching(/^already/),
    });
    expect(sends).toHaveLength(0);
  });

  it('after a crash between send and record, the takeover finds the earlier message at the provider and sends no second one', async () => {
    const { deps, channel, deliveries, sends, clock, metrics } = build();
    const message = composed();
    channel.send = () => new Promise(() => undefined); // the provider has it; the answer never comes back (the crash)
    void processRecord(recordOf(message), { ...deps, config: { ...deps.config, recordDeadlineMs: 3_600_000 } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(itemOf(deliveries).send_intents).toHaveLength(1);
    clock.advance(905_000); // the lease is over: the queue offers the message again
    channel.reconcile = async ({ intents }) => (intents.length === 1 ? { messageId: 'SM-earlier', content: 'Hello John' } : undefined);
    expect(await processRecord(recordOf(message, 2), deps)).toEqual({ outcome: 'acknowledge', reason: 'sent' });
    expect(sends).toHaveLength(0);
    expect(itemOf(deliveries)).toMatchObject({ message_status: 'sent', provider_message_id: 'SM-earlier' });
    expect(metrics.counts.get('Reconciled')).toBe(1);
  });

  it('credentials rotated since they were cached: the provider refuses them, the secret is read again once and the send repeated', async () => {
    const { deps, channel, secrets, sends } = build();
    await secrets.getJson(CREDENTIALS, ['twilio_auth_token']);
    secrets.rotate(CREDENTIALS, { twilio_auth_token: 'token-two' });
    const send = channel.send;
    channel.send = async (input) => {
      if (input.credentials.twilio_auth_token !== 'token-two') throw new AppError('permanent', CREDENTIALS_REJECTED, 'Twilio 20003');
      return send(input);
    };
    expect(await processRecord(recordOf(composed()), deps)).toEqual({ outcome: 'acknowledge', reason: 'sent' });
    expect(secrets.evictions).toEqual([CREDENTIALS]);
    expect(sends.map((call) => call.token)).toEqual(['token-two']);
  });
});
