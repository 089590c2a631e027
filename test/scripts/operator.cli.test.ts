import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  dynamoCompanyRepository,
  dynamoConversationEntries,
  entryKeyOf,
  onboardCompany,
  OnboardingFile,
  postSendRepairOf,
  sha256Hex,
} from '@ai-multi-comms/core';
import { demoSecrets } from '@ai-multi-comms/local-stack';
import {
  eventually,
  postInitiate,
  providerRequests,
  queueEvents,
  sleep,
  uniqueTel,
  useLocalStack,
  validBody,
} from '@ai-multi-comms/testing/stack';

/** The operator commands as an operator runs them, against the test run's local stack. */
const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const command = (script: string, ...args: string[]) =>
  run(
    process.execPath,
    [
      join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
      join(ROOT, 'scripts', `${script}.ts`),
      ...args,
      '--state-file',
      process.env.LOCAL_STACK_STATE!,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    },
  );

const { state, clients } = useLocalStack();
const project = (projectId: string, credentialsId: string): OnboardingFile => ({
  company_id: 'ci-ops-001',
  project_id: projectId,
  company_name: 'Ops Test Ltd',
  project_name: projectId,
  project_status: 'active',
  allowed_channels: ['whatsapp'],
  api_keys: [state.demoApiKeys.companyA],
  ai_config: {
    openai_config: {
      whatsapp: { api_key_reference: 'ai-multi-comms/openai-api-key/ci-aaa-001-dev', model: 'gpt-4o-mini', instructions: 'x' },
    },
  },
  channel_config: { whatsapp: { company_whatsapp_number: '+447700900888', whatsapp_credentials_id: credentialsId } },
});
const DEMO_CREDENTIALS = 'ai-multi-comms/whatsapp-credentials/ci-aaa-001/pi-aaa-001/twilio-dev';

/** The conversation item, with its message entries (their own items) as `messages`. */
const item = async (tel: string, conversationId: string) => {
  const found = (
    await clients.documents.send(
      new GetCommand({
        TableName: state.resources.conversationsTable,
        Key: { primary_channel: tel, conversation_id: conversationId },
        ConsistentRead: true,
      }),
    )
  ).Item;
  return found
    ? ({
        ...found,
        messages: await dynamoConversationEntries(clients.documents, state.resources.messagesTable!).all(conversationId),
      } as Record<string, any>)
    : undefined;
};

const startConversation = async (projectId: string) => {
  const tel = uniqueTel();
  const response = await postInitiate(
    state,
    validBody((b) => ((b.recipient_data.recipient_tel = tel), (b.company_data = { company_id: 'ci-ops-001', project_id: projectId }))),
  );
  expect(response.status).toBe(200);
  return { tel, conversationId: String(response.json.conversation_id) };
};

const bare = (script: string, ...args: string[]) =>
  run(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts', `${script}.ts`), ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  }).catch((error: { code: number; stdout: string; stderr: string }) => error);

it.each(['onboard', 'conversation', 'conversations', 'dlq', 'api-key', 'repair', 'erase', 'status'])(
  '%s --help prints its usage and an example and exits 0, touching nothing',
  async (script) => {
    const result = (await bare(script, '--help')) as { code?: number; stdout: string };
    expect(result.code ?? 0).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^usage: pnpm ${script} `));
    expect(result.stdout).toContain(`example:\n  npx -y pnpm@9.15.9 ${script} `);
  },
);

it('a misspelt or unknown option is a usage error (exit 2), never ignored or taken for an argument', async () => {
  const misspelt = await bare('conversations', 'ci-aaa-001', 'pi-aaa-001', '--limt', '5', '--local');
  expect(misspelt).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--limt'") });
  const unknown = await bare('conversation', '--verbose', '--local');
  expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('usage: pnpm conversation') });
});

it('a command given neither --local nor --stage refuses to run (exit 2) and writes nothing: it never falls back to an AWS stage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onboard-'));
  const file = join(dir, 'project.json');
  writeFileSync(file, JSON.stringify(project('pi-no-target', DEMO_CREDENTIALS)));
  const failed = await bare('onboard', file);
  expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('--local (the local stack) or --stage <name>') });
  expect(
    await dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!).get('ci-ops-001', 'pi-no-target'),
  ).toBeUndefined();
  // With the target named, the same file is onboarded.
  await command('onboard', file);
  expect(
    await dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!).get('ci-ops-001', 'pi-no-target'),
  ).toMatchObject({ project_status: 'active' });
});

it('a --local command when the local stack is not running says so (exit 3) instead of failing with a connection error', async () => {
  const stopped = join(mkdtempSync(join(tmpdir(), 'stopped-')), 'state.json');
  const saved = JSON.parse(readFileSync(process.env.LOCAL_STACK_STATE!, 'utf8'));
  // A port nothing listens on: the state a stopped stack leaves behind.
  const dead = 'http://127.0.0.1:9';
  writeFileSync(stopped, JSON.stringify({ ...saved, env: { ...saved.env, AWS_ENDPOINT_URL_DYNAMODB: dead, AWS_ENDPOINT_URL_SQS: dead } }));
  const failed = await run(
    process.execPath,
    [
      join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
      join(ROOT, 'scripts', 'conversations.ts'),
      'ci-aaa-001',
      'pi-aaa-001',
      '--state-file',
      stopped,
    ],
    { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  ).catch((error: { code: number; stderr: string }) => error);
  expect(failed).toMatchObject({ code: 3, stderr: expect.stringContaining('The local stack is not running') });
});

it('shows one conversation as a summary and its messages in order; --json for scripts; looked up by id, request_id, recipient or provider id', async () => {
  await onboardCompany(project('pi-one', DEMO_CREDENTIALS), {
    repository: dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!),
  });
  const { tel, conversationId } = await startConversation('pi-one');
  await eventually('sent', async () =>
    (await item(tel, conversationId))?.conversation_status === 'initial_message_sent' ? true : undefined,
  );
  const shown = JSON.parse((await command('conversation', conversationId, '--json')).stdout).conversations[0];
  expect(shown.conversation).toMatchObject({
    conversation_id: conversationId,
    conversation_status: 'initial_message_sent',
    messages: [expect.objectContaining({ role: 'assistant' })],
  });
  expect(shown.deliveries).toEqual([
    expect.objectContaining({
      message_key: 'initial',
      message_status: 'sent',
      attempts: 1,
      provider_message_id: shown.conversation.messages[0].message_id,
    }),
  ]);
  const sid = shown.conversation.messages[0].message_id as string;
  const requestId = shown.conversation.request_id as string;

  const text = (await command('conversation', conversationId)).stdout;
  expect(text).toContain(`Conversation ${conversationId}`);
  expect(text).toMatch(/status\s+initial_message_sent/);
  expect(text).toContain(`whatsapp to ${tel}`);
  expect(text).toMatch(/Messages \(1\)\n  \S+  assistant whatsapp /);
  expect(text).toMatch(/Deliveries \(1\)\n  initial\s+sent\s+attempts=1/);
  expect(() => JSON.parse(text)).toThrow();

  for (const lookup of [
    ['--request-id', requestId],
    ['--recipient', tel],
    ['--provider-id', sid],
  ]) {
    const found = JSON.parse((await command('conversation', ...lookup, '--json')).stdout).conversations;
    expect(found.map((v: { conversation: { conversation_id: string } }) => v.conversation.conversation_id)).toEqual([conversationId]);
  }
  const missing = await command('conversation', '--request-id', 'no-such-request').then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
  expect(missing.code).toBe(4);
  expect(missing.stderr).toContain('No conversation with request_id no-such-request');
  const both = await command('conversation', conversationId, '--recipient', tel).then(
    () => ({ code: 0 }),
    (error: { code: number }) => error,
  );
  expect(both.code).toBe(2);
});

it('lists a project’s conversations newest first', async () => {
  await onboardCompany(project('pi-list', DEMO_CREDENTIALS), {
    repository: dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!),
  });
  const started = [];
  for (let i = 0; i < 3; i += 1) {
    started.push(await startConversation('pi-list'));
    await sleep(20);
  }
  for (const { tel, conversationId } of started) {
    await eventually('sent', async () =>
      (await item(tel, conversationId))?.conversation_status === 'initial_message_sent' ? true : undefined,
    );
  }
  const { stdout } = await command('conversations', 'ci-ops-001', 'pi-list');
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(3);
  const created = lines.map((line) => line.split('\t')[0]!);
  expect([...created].sort().reverse()).toEqual(created);
  // Newest first by the item's created_at (when a processor claimed it, which parallel pollers may do in any order).
  expect(lines.map((line) => line.split('\t')[3]).sort()).toEqual(started.map((s) => s.conversationId).sort());
  expect(lines.every((line) => line.includes('initial_message_sent'))).toBe(true);
});

it('shows DLQ messages with their failure reason, and redrives one by id, then the rest; redriven messages are processed', async () => {
  const credentialsId = `ai-multi-comms/whatsapp-credentials/ci-ops-001/pi-dlq-${Date.now()}/twilio-dev`;
  await onboardCompany(project('pi-dlq', credentialsId), {
    repository: dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!),
  });
  const first = await startConversation('pi-dlq');
  const second = await startConversation('pi-dlq');
  for (const { conversationId } of [first, second]) {
    await eventually(
      'the message in the DLQ',
      async () => ((await queueEvents(state, { status: 'dlq', conversationId })).length > 0 ? true : undefined),
      30_000,
    );
  }

  const shown = (await command('dlq', 'show', 'whatsapp')).stdout.split('\n');
  const lineOf = (conversationId: string) => shown.find((line) => line.includes(conversationId));
  expect(lineOf(first.conversationId)).toMatch(/failed_secrets_fetch: Secret .* does not exist/);
  expect(lineOf(second.conversationId)).toMatch(/failed_secrets_fetch/);
  const firstMessageId = lineOf(first.conversationId)!.split('\t')[0]!;

  // The operator fixes the cause: the missing secret.
  await new SecretsManagerClient({}).send(
    new CreateSecretCommand({ Name: credentialsId, SecretString: JSON.stringify(demoSecrets(state.stage)[DEMO_CREDENTIALS]) }),
  );

  const one = await command('dlq', 'redrive', 'whatsapp', '--message-id', firstMessageId);
  expect(one.stdout).toContain(`redriven\t${firstMessageId}\t${first.conversationId}`);
  await eventually('the first conversation sent', async () =>
    (await item(first.tel, first.conversationId))?.conversation_status === 'initial_message_sent' ? true : undefined,
  );
  await sleep(1000);
  const parked = (await item(second.tel, second.conversationId))!;
  expect(parked).toMatchObject({ conversation_status: 'failed_secrets_fetch', retries_exhausted_at: expect.any(String) }); // still parked
  expect((await item(first.tel, first.conversationId))!.retries_exhausted_at).toBeUndefined();

  const all = await command('dlq', 'redrive', 'whatsapp');
  expect(all.stdout).toContain(second.conversationId);
  await eventually('the second conversation sent', async () =>
    (await item(second.tel, second.conversationId))?.conversation_status === 'initial_message_sent' ? true : undefined,
  );
  for (const { tel } of [first, second]) {
    expect(
      (await providerRequests(state, { provider: 'twilio', route: 'messages.create', mentioning: tel })).filter((r) => r.status === 201),
    ).toHaveLength(1);
  }
  expect((await command('dlq', 'show', 'whatsapp')).stdout).not.toContain(first.conversationId);
});

it('creates a key shown once, stores only its hash, keeps the old key until --revoke-old', async () => {
  await onboardCompany(project('pi-keys', DEMO_CREDENTIALS), {
    repository: dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!),
  });
  const read = async () =>
    (
      await clients.documents.send(
        new GetCommand({ TableName: state.resources.companyDataTable, Key: { company_id: 'ci-ops-001', project_id: 'pi-keys' } }),
      )
    ).Item!;

  const created = await command('api-key', 'create', 'ci-ops-001', 'pi-keys');
  const newKey = created.stdout.split('\n')[1]!.trim();
  expect(newKey).toMatch(/^[A-Za-z0-9]{40}$/);
  const afterCreate = await read();
  expect(afterCreate.api_key_sha256).toEqual([sha256Hex(state.demoApiKeys.companyA), sha256Hex(newKey)]);
  expect(JSON.stringify(afterCreate)).not.toContain(newKey);
  const keysFile = join(dirname(process.env.LOCAL_STACK_STATE!), 'api-keys.json');
  expect(existsSync(keysFile) && readFileSync(keysFile, 'utf8')).toContain(newKey);

  const rotated = await command('api-key', 'create', 'ci-ops-001', 'pi-keys', '--revoke-old');
  const rotatedKey = rotated.stdout.split('\n')[1]!.trim();
  expect(rotated.stdout).toContain('Revoked 2 older key(s)');
  expect((await read()).api_key_sha256).toEqual([sha256Hex(rotatedKey)]);
});

describe('api-key list and revoke', () => {
  const keysFile = () => join(dirname(process.env.LOCAL_STACK_STATE!), 'api-keys.json');
  const read = async (projectId: string) =>
    (
      await clients.documents.send(
        new GetCommand({
          TableName: state.resources.companyDataTable,
          Key: { company_id: 'ci-ops-001', project_id: projectId },
          ConsistentRead: true,
        }),
      )
    ).Item!;
  const failing = (script: string, ...args: string[]) =>
    command(script, ...args).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('create for a project that does not exist creates nothing (exit 4), not even a local or API Gateway key', async () => {
    const before = existsSync(keysFile()) ? readFileSync(keysFile(), 'utf8') : '';
    const result = await failing('api-key', 'create', 'ci-ops-001', 'pi-typo-does-not-exist');
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('No project pi-typo-does-not-exist');
    expect(existsSync(keysFile()) ? readFileSync(keysFile(), 'utf8') : '').toBe(before);
  });

  it('lists keys by id, revokes one: it leaves the binding and the local key file, and the router refuses it', async () => {
    await onboardCompany(project('pi-revoke', DEMO_CREDENTIALS), {
      repository: dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!),
    });
    const created = await command('api-key', 'create', 'ci-ops-001', 'pi-revoke');
    const newKey = created.stdout.split('\n')[1]!.trim();
    const listed = JSON.parse((await command('api-key', 'list', 'ci-ops-001', 'pi-revoke', '--json')).stdout) as {
      key_id: string;
      reference?: string;
      created_at?: string;
    }[];
    const demoId = sha256Hex(state.demoApiKeys.companyA).slice(0, 16);
    const newId = sha256Hex(newKey).slice(0, 16);
    expect(listed).toEqual([
      { key_id: demoId },
      { key_id: newId, reference: expect.stringMatching(/^local-ci-ops-001-pi-revoke-/), created_at: expect.any(String) },
    ]);
    expect((await command('api-key', 'list', 'ci-ops-001', 'pi-revoke')).stdout).toContain(`${newId}\t`);

    // Revoking the issued key: gone from the item (hash and record) and from serverless-offline's key file.
    const revokedNew = await command('api-key', 'revoke', 'ci-ops-001', 'pi-revoke', newId);
    expect(revokedNew.stdout).toContain(`Revoked ${newId}`);
    expect((await read('pi-revoke')).api_key_sha256).toEqual([sha256Hex(state.demoApiKeys.companyA)]);
    expect((await read('pi-revoke')).api_key_records).toEqual([]);
    expect(readFileSync(keysFile(), 'utf8')).not.toContain(newKey);

    // Revoking the key serverless-offline does know (from onboarding): this project's requests with it are refused.
    await command('api-key', 'revoke', 'ci-ops-001', 'pi-revoke', demoId.slice(0, 10));
    const tel = uniqueTel();
    const refused = await postInitiate(
      state,
      validBody((b) => ((b.recipient_data.recipient_tel = tel), (b.company_data = { company_id: 'ci-ops-001', project_id: 'pi-revoke' }))),
    );
    expect(refused.status).toBe(403);
    expect(refused.json.error_code).toBe('API_KEY_NOT_AUTHORIZED');

    expect((await failing('api-key', 'revoke', 'ci-ops-001', 'pi-revoke', 'ffffffffffffffff')).code).toBe(4);
  });

  it('onboarding the same file twice keeps a key issued with api-key create in between', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ops-onboard-'));
    const file = join(dir, 'project.json');
    writeFileSync(file, JSON.stringify(project('pi-twice', DEMO_CREDENTIALS)));
    await command('onboard', file);
    const issued = (await command('api-key', 'create', 'ci-ops-001', 'pi-twice')).stdout.split('\n')[1]!.trim();
    await command('onboard', file);
    const item = await read('pi-twice');
    expect(item.api_key_sha256).toEqual([sha256Hex(state.demoApiKeys.companyA), sha256Hex(issued)]);
    expect(item.api_key_records).toEqual([expect.objectContaining({ key_id: sha256Hex(issued).slice(0, 16) })]);
  });
});

it('repair applies a POST_SEND_UPDATE_FAILED line: a dry run first, then the final update once', async () => {
  await onboardCompany(project('pi-repair', DEMO_CREDENTIALS), {
    repository: dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!),
  });
  const { tel, conversationId } = await startConversation('pi-repair');
  const sent = await eventually('sent', async () => {
    const found = await item(tel, conversationId);
    return found?.conversation_status === 'initial_message_sent' ? found : undefined;
  });
  const messageKey = { conversation_id: conversationId, message_key: 'initial' };
  const readMessage = async () =>
    (await clients.documents.send(new GetCommand({ TableName: state.resources.messagesTable, Key: messageKey, ConsistentRead: true })))
      .Item!;
  const entry = (sent.messages as { message_id: string }[])[0]! as never;
  const tables = { messagesTable: state.resources.messagesTable!, conversationsTable: state.resources.conversationsTable! };
  const repair = postSendRepairOf(
    tables,
    { conversation: { primary_channel: tel, conversation_id: conversationId }, messageKey: 'initial' },
    {
      message: entry,
      conversationStatus: 'initial_message_sent',
      threadId: sent.thread_id as string,
      processingTimeMs: 1234,
      processorVersion: 'test',
      inboundKey: sent.inbound_key as string,
    },
  );
  // The items as a processor leaves them when its final update failed after the send.
  await clients.documents.send(
    new UpdateCommand({
      TableName: tables.messagesTable,
      Key: messageKey,
      UpdateExpression: 'SET message_status = :p REMOVE provider_message_id',
      ExpressionAttributeValues: { ':p': 'processing' },
    }),
  );
  await clients.documents.send(
    new UpdateCommand({
      TableName: tables.conversationsTable,
      Key: { primary_channel: tel, conversation_id: conversationId },
      UpdateExpression: 'SET conversation_status = :p, message_count = :none',
      ExpressionAttributeValues: { ':p': 'processing', ':none': 0 },
    }),
  );
  await clients.documents.send(
    new DeleteCommand({ TableName: tables.messagesTable, Key: { conversation_id: conversationId, message_key: entryKeyOf(entry) } }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'repair-'));
  const logFile = join(dir, 'critical.log');
  // As CloudWatch shows it: timestamp, request id, level, then Powertools' JSON.
  const line = {
    level: 'CRITICAL',
    message: 'POST_SEND_UPDATE_FAILED: the message was sent but its items could not be updated; repair them with `pnpm repair`',
    service: 'whatsapp-processor',
    repair,
  };
  writeFileSync(logFile, `2026-12-02T10:00:00.000Z\t8a7c0b5e-0000-4000-8000-000000000000\tCRITICAL\t${JSON.stringify(line)}\n`);

  const dry = await command('repair', logFile);
  expect(dry.stdout).toContain(`Conversation ${conversationId}, message initial`);
  expect(dry.stdout).toMatch(/message item\s+now processing, provider id none\s+→\s+sent/);
  expect(dry.stdout).toContain('Dry run: nothing was written');
  expect((await readMessage()).message_status).toBe('processing');

  const applied = await command('repair', logFile, '--apply');
  expect(applied.stdout).toContain('repaired.');
  expect(await readMessage()).toMatchObject({ message_status: 'sent', provider_message_id: repair.message.provider_message_id });
  expect(await item(tel, conversationId)).toMatchObject({
    conversation_status: 'initial_message_sent',
    messages: [entry],
    processing_time_ms: 1234,
  });

  const again = await command('repair', logFile, '--apply');
  expect(again.stdout).toContain('already repaired: nothing written');
  expect(((await item(tel, conversationId))!.messages as unknown[]).length).toBe(1);

  const otherStage = join(dir, 'other.log');
  writeFileSync(
    otherStage,
    JSON.stringify({ ...line, repair: { ...repair, message: { ...repair.message, table: 'ai-multi-comms-messages-prod' } } }),
  );
  const refused = await command('repair', otherStage, '--apply').then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('give the stage it came from');
});

it('status shows every queue and DLQ, says what needs a look and exits 5 while a DLQ holds a message', async () => {
  const dlqUrl = state.outputs['ai-multi-comms-email-processor']!.DeadLetterQueueUrl!;
  const marker = `status-test-${Date.now()}`;
  await clients.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: JSON.stringify({ marker }) }));
  try {
    const result = await command('status', '--json').then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(result.code).toBe(5);
    const status = JSON.parse(result.stdout);
    expect(status.queues.map((q: { queue: string }) => q.queue)).toEqual(['compose', 'reply', 'whatsapp', 'sms', 'email', 'client-events']);
    expect(status.queues.find((q: { queue: string }) => q.queue === 'email').dlq).toBeGreaterThanOrEqual(1);
    expect(status).toMatchObject({ attention: true, alarms: null, critical: null });
    const text = await command('status').then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(text).toMatch(/email\s+\d+\s+\d+\s+\d+\s+← pnpm dlq show email/);
    expect(text).toContain('Needs a look.');
  } finally {
    // Take the test's message out again (other tests read the stack's DLQs).
    for (let i = 0; i < 10; i += 1) {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const mine = Messages.filter((m) => m.Body?.includes(marker));
      for (const m of mine) await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
      for (const m of Messages.filter((m) => !m.Body?.includes(marker)))
        await clients.sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }),
        );
      if (mine.length > 0) break;
    }
  }
});

it('dlq show reply reads a FIFO DLQ completely: 25 parked replies of one thread, every one listed, in order, none lost', async () => {
  const dlq = state.outputs['ai-multi-comms-reply']!.DeadLetterQueueUrl!;
  const group = `thread-dlq-show-${Date.now()}`;
  const ids = Array.from({ length: 25 }, (_, i) => `sendgrid#dlq-show-${group}-${String(i).padStart(2, '0')}`);
  for (const [i, inboundId] of ids.entries()) {
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: dlq,
        MessageBody: JSON.stringify({ inbound_id: inboundId }),
        MessageGroupId: group,
        MessageDeduplicationId: `${group}-${i}`,
      }),
    );
  }
  const listed = async () => {
    const { stdout, stderr } = await command('dlq', 'show', 'reply');
    return { lines: stdout.split('\n').filter((line) => line.includes(group)), stderr };
  };
  const first = await listed();
  expect(first.lines.map((line) => line.split('\t')[2])).toEqual(ids.map((id) => `inbound ${id}`));
  expect(first.stderr).toMatch(/\d+ message\(s\) in /);
  // Shown twice, the same 25 in the same order: looking took nothing away.
  const second = await listed();
  expect(second.lines.map((line) => line.split('\t')[2])).toEqual(ids.map((id) => `inbound ${id}`));
  // Clean up: take this thread's messages off the DLQ.
  for (let rounds = 0; rounds < 20; rounds += 1) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      if ((message.Body ?? '').includes(group))
        await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: message.ReceiptHandle! }));
      else
        await clients.sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: dlq, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 }),
        );
    }
  }
});

it('the operator commands say what is wrong in words: an unknown project (exit 4), a missing log file (exit 2), no AWS region (a hint)', async () => {
  const failing = (script: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
    run(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts', `${script}.ts`), ...args], {
      cwd: ROOT,
      env: { ...env, NODE_NO_WARNINGS: '1' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
  const unknownProject = await failing('conversations', [
    'ci-ops-001',
    'pi-no-such-project',
    '--state-file',
    process.env.LOCAL_STACK_STATE!,
  ]);
  expect(unknownProject.code).toBe(4);
  expect(unknownProject.stderr).toContain('No project ci-ops-001/pi-no-such-project');

  const missingFile = await failing('repair', [
    join(tmpdir(), `no-such-${Date.now()}.log`),
    '--state-file',
    process.env.LOCAL_STACK_STATE!,
  ]);
  expect(missingFile.code).toBe(2);
  expect(missingFile.stderr).toMatch(/no such file\. Give the file holding the CRITICAL lines/);
  expect(missingFile.stderr).not.toContain('ENOENT');

  const { AWS_REGION: _r, AWS_DEFAULT_REGION: _d, ...withoutRegion } = process.env;
  const noRegion = await failing('status', ['--stage', 'dev'], {
    ...withoutRegion,
    AWS_CONFIG_FILE: join(tmpdir(), 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'no-aws-credentials'),
    AWS_PROFILE: '',
  });
  expect(noRegion.code).toBe(1);
  expect(noRegion.stderr).toContain('no AWS region is configured. Set AWS_REGION');
});
