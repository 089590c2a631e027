import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand, CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  cachedSecretReader,
  ChannelAdapter,
  CompanyProject,
  ContextObject,
  createLogger,
  createSecretsManagerClient,
  primaryChannelFor,
  processRecord,
  toSqsSafeJson,
} from '@ai-multi-comms/core';
import { DEMO_WHATSAPP_TEMPLATE_BODY } from '@ai-multi-comms/local-stack';
import { WhatsAppCredentials, whatsappChannel } from '../../src/whatsapp-channel';
import { inProcessDeps, realDeliveries } from '@ai-multi-comms/testing/stack';
import { conversationReader } from '@ai-multi-comms/testing/stack';
import { useCapturedLogLines } from '@ai-multi-comms/testing/stack';
import { contextObjectFor, demoContextObject } from '@ai-multi-comms/testing/stack';
import { throwawayProject } from '@ai-multi-comms/testing/stack';
import { addFault, eventually, providerRequests, sleep, uniqueTel, useLocalStack } from '@ai-multi-comms/testing/stack';

/**
 * The processor's half of "accepted means delivered": what it sends, and what it refuses to
 * send, for the defects found by trying the engine as a careless or hostile client would. The
 * real DynamoDB Local, Secrets Manager server and provider servers, the real openai and twilio
 * SDKs; the pipeline run in process so a fault can be placed exactly.
 */
const { state, clients } = useLocalStack();
const real = () => realDeliveries(state, clients.documents);
const reader = conversationReader(state, clients);

/** The JSON lines the real Powertools logger prints, per test. */
const capturedLines = useCapturedLogLines();
const logger = (() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  return createLogger('whatsapp-processor');
})();

const recordOf = (contextObject: ContextObject, receiveCount = 1) => ({
  messageId: randomUUID(),
  receiptHandle: 'rh',
  body: toSqsSafeJson(contextObject),
  receiveCount,
});
const itemOf = async (contextObject: ContextObject) =>
  reader.item(
    primaryChannelFor(contextObject.frontend_payload, contextObject.conversation_data.conversations[0]!.channel),
    contextObject.conversation_data.conversations[0]!.conversation_id,
  );
const creates = async (tel: string) =>
  (await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel })).filter((r) => r.status === 201);
const twilioMessagesTo = async (tel: string) =>
  (
    (await (await fetch(`${state.providersUrl}/__messages?provider=twilio`)).json()) as {
      twilio: { sid: string; to: string; body: string; status: string }[];
    }
  ).twilio.filter((m) => m.to === `whatsapp:${tel}`);

describe("reconciliation takes this conversation's message and no other", () => {
  it("two conversations to the same person, the second's first send failing with a Twilio 500: each is recorded with its own message", async () => {
    // Prepare: conversation 1 sent; conversation 2 (another role) to the same person.
    const tel = uniqueTel();
    const first = await demoContextObject(state, clients, (b) => (b.recipient_data.recipient_tel = tel));
    expect(await processRecord(recordOf(first), inProcessDeps(state, whatsappChannel, real(), { logger }))).toEqual({
      outcome: 'acknowledge',
      reason: 'sent',
    });
    const second = await demoContextObject(state, clients, (b) => {
      b.recipient_data.recipient_tel = tel;
      b.project_data.jobRole = 'Night Care Worker';
    });
    await addFault(state, { provider: 'twilio', route: 'messages.create', status: 500, match: tel });

    // Act: the second's first attempt fails, its redelivery takes over and reconciles first.
    expect(await processRecord(recordOf(second), inProcessDeps(state, whatsappChannel, real(), { logger }))).toMatchObject({
      outcome: 'retry',
    });
    expect(await processRecord(recordOf(second, 2), inProcessDeps(state, whatsappChannel, real(), { logger }))).toEqual({
      outcome: 'acknowledge',
      reason: 'sent',
    });

    // Assess: two messages at Twilio, each conversation recorded with its own.
    const [firstItem, secondItem] = [await itemOf(first), await itemOf(second)];
    const messages = await twilioMessagesTo(tel);
    expect(messages).toHaveLength(2);
    expect(secondItem!.provider_message_id).not.toBe(firstItem!.provider_message_id);
    expect(new Set([firstItem!.provider_message_id, secondItem!.provider_message_id])).toEqual(new Set(messages.map((m) => m.sid)));
    expect(secondItem!.messages[0].reconciled).toBeUndefined();
    expect(secondItem!.messages[0].content).toContain('Night Care Worker');
  });

  it('a message Twilio created but never answered for (client timeout), still queued with no date_sent: found, not sent twice', async () => {
    // Prepare: Twilio creates the message, the connection drops before the answer, and the
    // message stays queued (date_sent empty), as Twilio leaves it until it is dispatched.
    const tel = uniqueTel();
    const contextObject = await demoContextObject(state, clients, (b) => (b.recipient_data.recipient_tel = tel));
    await addFault(state, { provider: 'twilio', route: 'messages.create', match: tel, drop_after: true, queued_ms: 60_000 });

    // Act
    expect(await processRecord(recordOf(contextObject), inProcessDeps(state, whatsappChannel, real(), { logger }))).toMatchObject({
      outcome: 'retry',
    });
    const [queued] = await twilioMessagesTo(tel);
    expect(queued).toMatchObject({ status: 'queued' });
    const outcome = await processRecord(recordOf(contextObject, 2), inProcessDeps(state, whatsappChannel, real(), { logger }));

    // Assess: one message at Twilio, recorded as found.
    expect(outcome).toEqual({ outcome: 'acknowledge', reason: 'sent' });
    expect(await twilioMessagesTo(tel)).toHaveLength(1);
    const recorded = await itemOf(contextObject);
    expect(recorded).toMatchObject({ conversation_status: 'initial_message_sent', provider_message_id: queued!.sid });
    expect(recorded!.messages[0]).toMatchObject({ reconciled: true });
    expect(recorded!.send_intents).toEqual([expect.objectContaining({ at: expect.any(String), content: expect.stringContaining('"1"') })]);
  });
});

describe("the project's own item decides whether and from where to send", () => {
  it("a queue message with company B's ids and company A's sender and credentials is not sent: recorded as refused, acknowledged", async () => {
    // Prepare: A's configuration relabelled as B's, with a conversation id consistent with it.
    const tel = uniqueTel();
    const forged = await demoContextObject(state, clients, (b) => {
      b.recipient_data.recipient_tel = tel;
      b.company_data = { company_id: 'ci-bbb-001', project_id: 'pi-bbb-001' };
    });
    forged.company_data_payload = { ...forged.company_data_payload, company_id: 'ci-bbb-001', project_id: 'pi-bbb-001' };
    forged.conversation_data.conversations[0]!.conversation_id = forged.conversation_data.conversations[0]!.conversation_id.replace(
      'ci-aaa-001#pi-aaa-001',
      'ci-bbb-001#pi-bbb-001',
    );

    // Act
    const outcome = await processRecord(recordOf(forged), inProcessDeps(state, whatsappChannel, real(), { logger }));

    // Assess
    expect(outcome).toMatchObject({ outcome: 'acknowledge' });
    expect(outcome.reason).toMatch(/sender configuration carried is not the project's own/);
    expect(await itemOf(forged)).toMatchObject({ conversation_status: 'failed_unknown', failure_class: 'permanent' });
    expect(await creates(tel)).toHaveLength(0);
  });

  it('a project deactivated after the request was accepted: not sent, recorded, acknowledged', async () => {
    const { item } = await throwawayProject(state, clients);
    const tel = uniqueTel();
    const contextObject = contextObjectFor(item, (b) => (b.recipient_data.recipient_tel = tel));
    await (await import('@ai-multi-comms/core'))
      .dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!)
      .put({ ...item, project_status: 'inactive' });

    const outcome = await processRecord(recordOf(contextObject), inProcessDeps(state, whatsappChannel, real(), { logger }));

    expect(outcome).toMatchObject({ outcome: 'acknowledge', reason: expect.stringContaining('is not active') });
    expect(await itemOf(contextObject)).toMatchObject({ conversation_status: 'failed_unknown', failure_class: 'permanent' });
    expect(await creates(tel)).toHaveLength(0);
  });
});

describe('a rotated credential', () => {
  it('a Twilio 20003 while the old token is cached: the secret is read again once and the message sent', async () => {
    // Prepare: a project with Twilio credentials of its own, read once (and cached for 5 minutes).
    const accountSid = `AC${randomUUID().replace(/-/g, '')}`;
    const secretName = `ai-multi-comms/whatsapp-credentials/ci-aaa-001/rotation-${randomUUID().slice(0, 8)}/twilio-dev`;
    const secretsClient = createSecretsManagerClient();
    // A Content template belongs to its account, as at Twilio: this account gets one of its own.
    const templateSid = `HX${randomUUID().replace(/-/g, '')}`;
    const credentials = (token: string) =>
      JSON.stringify({ twilio_account_sid: accountSid, twilio_auth_token: token, twilio_template_sid: templateSid });
    await secretsClient.send(new CreateSecretCommand({ Name: secretName, SecretString: credentials('old-token-0001') }));
    const setTwilioAccount = (token: string) =>
      fetch(`${state.providersUrl}/__credentials`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          twilio_accounts: { [accountSid]: token },
          twilio_contents: { [templateSid]: { account_sid: accountSid, body: DEMO_WHATSAPP_TEMPLATE_BODY } },
        }),
      });
    await setTwilioAccount('old-token-0001');
    const { item } = await throwawayProject(
      state,
      clients,
      (project: CompanyProject) => (project.channel_config.whatsapp!.whatsapp_credentials_id = secretName),
    );
    const secrets = cachedSecretReader(secretsClient, 300_000);
    const first = contextObjectFor(item, (b) => (b.recipient_data.recipient_tel = uniqueTel()));
    expect(await processRecord(recordOf(first), { ...inProcessDeps(state, whatsappChannel, real(), { logger }), secrets })).toEqual({
      outcome: 'acknowledge',
      reason: 'sent',
    });

    // The token is rotated: Twilio now refuses the cached one.
    await secretsClient.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: credentials('new-token-0002') }));
    await setTwilioAccount('new-token-0002');
    const tel = uniqueTel();
    const second = contextObjectFor(item, (b) => (b.recipient_data.recipient_tel = tel));

    // Act
    const outcome = await processRecord(recordOf(second), { ...inProcessDeps(state, whatsappChannel, real(), { logger }), secrets });

    // Assess: refused once with the old token, then sent with the new one.
    expect(outcome).toEqual({ outcome: 'acknowledge', reason: 'sent' });
    const attempts = await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel });
    expect(attempts.map((r) => r.status)).toEqual([401, 201]);
    expect(await itemOf(second)).toMatchObject({ conversation_status: 'initial_message_sent' });
  });
});

describe('deadlines and timeouts', () => {
  it('a provider call that never returns: the record gives up at its deadline, records a retryable failure and ends its lease', async () => {
    const tel = uniqueTel();
    const contextObject = await demoContextObject(state, clients, (b) => (b.recipient_data.recipient_tel = tel));
    const hanging: ChannelAdapter<WhatsAppCredentials> = { ...whatsappChannel, send: () => new Promise(() => undefined) };

    const outcome = await processRecord(recordOf(contextObject), inProcessDeps(state, hanging, real(), { logger, recordDeadlineMs: 1500 }));

    expect(outcome).toMatchObject({ outcome: 'retry', reason: expect.stringContaining('did not finish within') });
    const recorded = await itemOf(contextObject);
    expect(recorded).toMatchObject({ conversation_status: 'failed_to_send_message', failure_class: 'transient' });
    expect(recorded!.lease_owner).toBeUndefined();
    expect(capturedLines.some((line) => line.includes('passed its deadline'))).toBe(true);
  });

  it('Twilio hanging past the provider timeout: a transient failure, retried, and the log line holds neither the number nor the text', async () => {
    const tel = uniqueTel();
    const contextObject = await demoContextObject(state, clients, (b) => (b.recipient_data.recipient_tel = tel));
    await addFault(state, { provider: 'twilio', route: 'messages.create', match: tel, delay_ms: 3000 });
    process.env.PROVIDER_TIMEOUT_SECONDS = '1';
    try {
      const outcome = await processRecord(recordOf(contextObject), inProcessDeps(state, whatsappChannel, real(), { logger }));
      expect(outcome).toMatchObject({ outcome: 'retry' });
    } finally {
      delete process.env.PROVIDER_TIMEOUT_SECONDS;
    }
    const failed = capturedLines.find((line) => line.includes('"Processing failed"'))!;
    expect(failed).toBeDefined();
    expect(JSON.parse(failed).error).toMatchObject({
      code: 'PROVIDER_TRANSIENT',
      message: 'Twilio could not be reached (network or timeout).',
    });
    expect(failed).not.toContain(tel.slice(1));
    expect(failed).not.toContain('Healthcare Assistant');
    await sleep(2500); // let the delayed fault finish before the stack moves on
  });
});
