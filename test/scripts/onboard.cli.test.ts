import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { sha256Hex } from '@ai-multi-comms/core';
import { useLocalStack } from '@ai-multi-comms/testing/stack';

/** `pnpm onboard` as an operator runs it, against the test's local stack. */
const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const onboard = (...args: string[]) =>
  run(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'scripts/onboard.ts'), ...args], {
    cwd: root,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });

const { state, clients } = useLocalStack();
const dir = mkdtempSync(join(tmpdir(), 'onboard-'));
const exampleWith = (patch: (file: any) => void) => {
  const file = JSON.parse(readFileSync(join(root, 'examples/company.example.json'), 'utf8'));
  patch(file);
  const path = join(dir, `${Math.random()}.json`);
  writeFileSync(path, JSON.stringify(file));
  return path;
};

it('writes the item with only the key hash and warns about secrets that do not exist', async () => {
  const path = exampleWith((f) => (f.project_id = 'pi-cli-ok'));
  const { stdout, stderr } = await onboard(path, '--state-file', process.env.LOCAL_STACK_STATE!);
  expect(stdout).toMatch(/Onboarded ci-ccc-001\/pi-cli-ok/);
  expect(stderr).toMatch(/secret "ai-multi-comms\/whatsapp-credentials\/ci-ccc-001\/pi-ccc-001\/twilio-dev" does not exist/);
  const { Item } = await clients.documents.send(
    new GetCommand({ TableName: state.resources.companyDataTable, Key: { company_id: 'ci-ccc-001', project_id: 'pi-cli-ok' } }),
  );
  expect(Item).toMatchObject({ project_status: 'active', api_key_sha256: [sha256Hex('replace-with-the-api-gateway-key-value-000')] });
  expect(JSON.stringify(Item)).not.toContain('replace-with-the-api-gateway-key-value-000');
});

it('refuses a file with a secret value where a secret name belongs, writing nothing', async () => {
  const path = exampleWith((f) => {
    f.project_id = 'pi-cli-refused';
    f.ai_config.openai_config.whatsapp.api_key_reference = 'sk-proj-abcdefghijklmnopqrstuvwx';
  });
  const failure = await onboard(path, '--state-file', process.env.LOCAL_STACK_STATE!).catch(
    (error: { code: number; stderr: string }) => error,
  );
  expect((failure as { code: number }).code).toBe(1);
  expect((failure as { stderr: string }).stderr).toMatch(
    /ai_config\.openai_config\.whatsapp\.api_key_reference: holds what looks like a secret value/,
  );
  expect((failure as { stderr: string }).stderr).not.toContain('sk-proj-abcdefghijklmnopqrstuvwx');
  const { Item } = await clients.documents.send(
    new GetCommand({ TableName: state.resources.companyDataTable, Key: { company_id: 'ci-ccc-001', project_id: 'pi-cli-refused' } }),
  );
  expect(Item).toBeUndefined();
});

const secret = (...args: string[]) =>
  run(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'scripts/secret.ts'), ...args], {
    cwd: root,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });

it("onboarding's warning names the command that creates the missing secret, and that command makes the warning go away", async () => {
  const path = exampleWith((f) => (f.project_id = 'pi-cli-secret'));
  const first = await onboard(path, '--state-file', process.env.LOCAL_STACK_STATE!);
  const name = 'ai-multi-comms/whatsapp-credentials/ci-ccc-001/pi-ccc-001/twilio-dev';
  const command = new RegExp(
    `secret put ${name.replace(/\//g, '\\/')} '\\{"twilio_account_sid":"…","twilio_auth_token":"…","twilio_template_sid":"…"\\}' --local`,
  );
  expect(first.stderr).toMatch(command);

  const stored = await secret(
    'put',
    name,
    '{"twilio_account_sid":"AC00000000000000000000000000000001","twilio_auth_token":"not-printed-0001","twilio_template_sid":"HX00000000000000000000000000000001"}',
    '--state-file',
    process.env.LOCAL_STACK_STATE!,
  );
  expect(stored.stdout).toMatch(/Stored .* \(keys: twilio_account_sid, twilio_auth_token, twilio_template_sid\)/);
  expect(stored.stdout + stored.stderr).not.toContain('not-printed-0001');
  expect((await secret('keys', name, '--state-file', process.env.LOCAL_STACK_STATE!)).stdout.trim().split('\n')).toEqual([
    'twilio_account_sid',
    'twilio_auth_token',
    'twilio_template_sid',
  ]);

  const again = await onboard(path, '--state-file', process.env.LOCAL_STACK_STATE!);
  expect(again.stderr).not.toContain(`secret "${name}"`);
});

it('a secret that is not a JSON object of strings is refused, and nothing is stored', async () => {
  const failure = await secret(
    'put',
    'ai-multi-comms/test/not-json',
    'sk-plain-value',
    '--state-file',
    process.env.LOCAL_STACK_STATE!,
  ).catch((error: { code: number; stderr: string }) => error);
  expect(failure).toMatchObject({ code: 1, stderr: expect.stringContaining('must be a JSON object') });
  expect((failure as { stderr: string }).stderr).not.toContain('sk-plain-value');
  const missing = await secret('keys', 'ai-multi-comms/test/not-json', '--state-file', process.env.LOCAL_STACK_STATE!).catch(
    (error: { code: number }) => error,
  );
  expect(missing).toMatchObject({ code: 4 });
});
