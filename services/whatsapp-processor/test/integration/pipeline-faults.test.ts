import { randomUUID } from 'node:crypto';
import {
  applyPostSendRepair,
  repairsInLog,
  createLogger,
  DeliveryRepository,
  processRecord,
  ProcessingDeps,
  toSqsSafeJson,
  transient,
} from '@ai-multi-comms/core';
import { WhatsAppCredentials, whatsappChannel } from '../../src/whatsapp-channel';
import { inProcessDeps, realDeliveries } from '@ai-multi-comms/testing/stack';
import { conversationReader } from '@ai-multi-comms/testing/stack';
import { useCapturedLogLines } from '@ai-multi-comms/testing/stack';
import { addFault, eventually, providerRequests, uniqueTel, useLocalStack, validBody } from '@ai-multi-comms/testing/stack';
import { demoContextObject } from '@ai-multi-comms/testing/stack';

/**
 * Faults injected into the handler's own dependencies, with everything else real: DynamoDB
 * Local, the Secrets Manager server, and the real openai/twilio SDKs against the provider servers.
 */
const { state, clients } = useLocalStack();

/** The JSON lines the real Powertools logger prints, per test. */
const capturedLines = useCapturedLogLines();
const logger = (() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  const created = createLogger('whatsapp-processor');
  return created;
})();

const depsWith = (deliveries: DeliveryRepository, leaseSeconds = 905): ProcessingDeps<WhatsAppCredentials> =>
  inProcessDeps(state, whatsappChannel, deliveries, { leaseSeconds, logger });

const queueRecordFor = async (tel: string) => {
  const contextObject = await demoContextObject(state, clients, (b) => (b.recipient_data.recipient_tel = tel));
  return { contextObject, record: { messageId: randomUUID(), receiptHandle: 'rh', body: toSqsSafeJson(contextObject), receiveCount: 1 } };
};

const { item } = conversationReader(state, clients);

it('a crash after the Twilio send and before the final update: the redelivery reconciles and sends nothing twice', async () => {
  const tel = uniqueTel();
  const { contextObject, record } = await queueRecordFor(tel);
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  const real = realDeliveries(state, clients.documents);

  // Attempt 1 "dies" inside the final update: the call never returns, as if the process was
  // killed there. Its promise is abandoned, as a dead process would be.
  const crashing: DeliveryRepository = { ...real, complete: () => new Promise<void>(() => undefined) };
  void processRecord(record, depsWith(crashing, 2)); // a 2 s lease, so the takeover comes quickly
  await eventually('the first attempt to send', async () =>
    (await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel })).length === 1 ? true : undefined,
  );
  const afterCrash = await item(tel, conversationId);
  expect(afterCrash).toMatchObject({ conversation_status: 'processing', send_started_at: expect.any(String) });
  expect(afterCrash!.provider_message_id).toBeUndefined();

  // The queue offers the message again once the visibility timeout (here: the lease) runs out.
  await new Promise((resolve) => setTimeout(resolve, 2200));
  const outcome = await processRecord({ ...record, receiveCount: 2 }, depsWith(real));
  expect(outcome).toEqual({ outcome: 'acknowledge', reason: 'sent' });

  const creates = await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel });
  expect(creates).toHaveLength(1);
  expect(await providerRequests(state, { provider: 'twilio', route: 'messages.list', mentioning: tel })).toHaveLength(1);
  const recorded = await item(tel, conversationId);
  const { twilio: messages } = (await (await fetch(`${state.providersUrl}/__messages?provider=twilio`)).json()) as {
    twilio: { sid: string; to: string }[];
  };
  const sentSid = messages.find((m) => m.to === `whatsapp:${tel}`)!.sid;
  expect(recorded).toMatchObject({ conversation_status: 'initial_message_sent', attempts: 2, provider_message_id: sentSid });
  expect(recorded!.messages).toEqual([expect.objectContaining({ message_id: sentSid, reconciled: true })]);
  expect(capturedLines.some((line) => line.includes('"Reconciled: the provider already has this message'))).toBe(true);
});

it('the final update failing after a send: one CRITICAL line with everything needed to repair, acknowledged, never re-sent', async () => {
  const tel = uniqueTel();
  const { contextObject, record } = await queueRecordFor(tel);
  const real = realDeliveries(state, clients.documents);
  let completeCalls = 0;
  const failing: DeliveryRepository = {
    ...real,
    complete: async () => {
      completeCalls += 1;
      throw transient(
        'DATABASE_ERROR',
        'The conversation could not be updated after the send.',
        new Error('ProvisionedThroughputExceededException'),
      );
    },
  };
  const outcome = await processRecord(record, depsWith(failing));
  expect(outcome.outcome).toBe('acknowledge');
  expect(completeCalls).toBe(3);
  expect(await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel })).toHaveLength(1);

  const critical = capturedLines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.level === 'CRITICAL');
  expect(critical).toHaveLength(1);
  expect(critical[0]).toMatchObject({
    message: expect.stringMatching(/^POST_SEND_UPDATE_FAILED/),
    service: 'whatsapp-processor',
    conversation_id: contextObject.conversation_data.conversations[0]!.conversation_id,
    repair: {
      message: {
        table: state.resources.messagesTable,
        key: { conversation_id: contextObject.conversation_data.conversations[0]!.conversation_id, message_key: 'initial' },
        message_status: 'sent',
        provider_message_id: expect.stringMatching(/^SM/),
      },
      conversation: {
        table: state.resources.conversationsTable,
        key: { primary_channel: tel, conversation_id: contextObject.conversation_data.conversations[0]!.conversation_id },
        conversation_status: 'initial_message_sent',
        thread_id: expect.stringMatching(/^conv_/),
        append_message_entry: expect.objectContaining({
          role: 'assistant',
          channel: 'whatsapp',
          message_id: expect.stringMatching(/^SM/),
          timestamp: expect.any(String),
        }),
      },
    },
  });
  // The item still says processing: an operator repairs it from the line (docs/processing.md: "stays as it was").
  expect((await item(tel, contextObject.conversation_data.conversations[0]!.conversation_id))!.conversation_status).toBe('processing');

  // The line as logged is what `pnpm repair` reads and applies: the final update, written once.
  const { repairs, reasons } = repairsInLog(capturedLines.join('\n'));
  expect(reasons).toEqual([]);
  expect(repairs).toHaveLength(1);
  expect(await applyPostSendRepair(repairs[0]!, real, new Date())).toBe('repaired');
  expect(await item(tel, contextObject.conversation_data.conversations[0]!.conversation_id)).toMatchObject({
    conversation_status: 'initial_message_sent',
    messages: [expect.objectContaining({ message_id: repairs[0]!.message.provider_message_id })],
  });
  expect(await applyPostSendRepair(repairs[0]!, real, new Date())).toBe('already-repaired');
});

it('a retryable failure on the last receive says so on the item (retries_exhausted_at), in the log and a metric; the next claim clears it', async () => {
  const tel = uniqueTel();
  const { contextObject, record } = await queueRecordFor(tel);
  const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
  const real = realDeliveries(state, clients.documents);
  const counted: string[] = [];
  const deps = { ...depsWith(real), metrics: { count: (name: string) => void counted.push(name) } };
  deps.config = { ...deps.config, maxReceiveCount: 3 };
  await addFault(state, { provider: 'twilio', route: 'messages.create', status: 500, count: 2, match: tel });

  // Receive 2 of 3: an ordinary retry.
  expect(await processRecord({ ...record, receiveCount: 2 }, deps)).toMatchObject({ outcome: 'retry' });
  expect((await item(tel, conversationId))!.retries_exhausted_at).toBeUndefined();
  expect(counted).not.toContain('RetriesExhausted');

  // Receive 3 of 3: the queue moves it to the DLQ next, and the item says so.
  expect(await processRecord({ ...record, receiveCount: 3 }, deps)).toMatchObject({ outcome: 'retry' });
  const parked = await item(tel, conversationId);
  expect(parked).toMatchObject({
    conversation_status: 'failed_to_send_message',
    failure_class: 'transient',
    retries_exhausted_at: expect.any(String),
  });
  expect(counted).toContain('RetriesExhausted');
  expect(capturedLines.some((line) => line.includes('"level":"ERROR"') && line.includes('Retries exhausted'))).toBe(true);

  // Redriven from the DLQ (its receive count starts again): sent, and the mark is gone.
  expect(await processRecord({ ...record, receiveCount: 1 }, deps)).toMatchObject({ outcome: 'acknowledge' });
  const sent = await item(tel, conversationId);
  expect(sent).toMatchObject({ conversation_status: 'initial_message_sent' });
  expect(sent!.retries_exhausted_at).toBeUndefined();
  expect(
    (await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel })).filter((r) => r.status === 201),
  ).toHaveLength(1);
});

it('records processed in parallel in one container keep their own conversation id on every log line', async () => {
  const records = await Promise.all([uniqueTel(), uniqueTel(), uniqueTel()].map((tel) => queueRecordFor(tel)));
  const real = realDeliveries(state, clients.documents);
  const outcomes = await Promise.all(records.map(({ record }) => processRecord(record, depsWith(real))));
  expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['acknowledge', 'acknowledge', 'acknowledge']);
  const sentLines = capturedLines
    .filter((line) => line.includes('Message sent and recorded'))
    .map((line) => JSON.parse(line) as Record<string, string>);
  expect(sentLines).toHaveLength(3);
  for (const { contextObject } of records) {
    const conversationId = contextObject.conversation_data.conversations[0]!.conversation_id;
    const own = sentLines.filter((line) => line.conversation_id === conversationId);
    expect(own).toHaveLength(1);
    expect(own[0]!.request_id).toBe(contextObject.frontend_payload.request_data.request_id);
  }
});
