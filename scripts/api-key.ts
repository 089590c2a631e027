/**
 * A project's API keys:
 *   pnpm api-key create <company_id> <project_id> (--local | --stage dev) [--revoke-old]
 *   pnpm api-key list   <company_id> <project_id> (--local | --stage dev) [--json]
 *   pnpm api-key revoke <company_id> <project_id> <key_id> (--local | --stage dev)
 *
 * `create` prints the new key once; the project item stores only its SHA-256 and a record (key id
 * = the start of the hash, API Gateway key id, date). The project is checked first, so a typo
 * creates nothing. Older keys stay valid until revoked (`revoke`, or `create --revoke-old`).
 * A revoked key leaves the binding (every router stops accepting it within its cache time) and,
 * on AWS, its API Gateway key is disabled, so API Gateway refuses it too.
 * Local: keys live in .local-stack/api-keys.json, which the local API's key check (the stack's
 * API-key gate, in front of serverless-offline) reads again whenever it changes: a new key works at
 * once (the router's binding check within its project cache time, as on AWS), and a revoked key is refused at once.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand, UpdateApiKeyCommand } from '@aws-sdk/client-api-gateway';
import {
  ApiKeyListing,
  AppError,
  bindApiKey,
  createDynamoDocumentClient,
  generateApiKeyValue,
  listApiKeys,
  requireProject,
  revokeApiKeys,
  revokeOtherApiKeys,
  sha256Hex,
} from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { NOT_FOUND_EXIT, resolveTarget, Target, TargetOptions } from './lib/target';

const USAGE = [
  'pnpm api-key create <company_id> <project_id> (--local | --stage <stage>) [--revoke-old]',
  '       pnpm api-key list <company_id> <project_id> (--local | --stage <stage>) [--json]',
  '       pnpm api-key revoke <company_id> <project_id> <key_id> (--local | --stage <stage>)',
].join('\n');

interface LocalKey {
  name: string;
  value: string;
}
const localKeysFile = (options: TargetOptions) =>
  join(dirname(options.stateFile ?? join(__dirname, '..', '.local-stack', 'state.json')), 'api-keys.json');
const readLocalKeys = (file: string): LocalKey[] => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalKey[]) : []);

/** API Gateway refuses a disabled key; locally the key leaves the file the local API's key check reads. */
const disableGatewayKeys = async (target: Target, options: TargetOptions, revoked: ApiKeyListing[]) => {
  const references = revoked.map((key) => key.reference).filter((reference): reference is string => Boolean(reference));
  if (target.local) {
    const file = localKeysFile(options);
    writeFileSync(
      file,
      JSON.stringify(
        readLocalKeys(file).filter((key) => !references.includes(key.name)),
        null,
        2,
      ),
    );
  } else {
    const apiGateway = new APIGatewayClient({});
    for (const id of references)
      await apiGateway.send(
        new UpdateApiKeyCommand({ apiKey: id, patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] }),
      );
  }
  const unreferenced = revoked.length - references.length;
  if (unreferenced > 0)
    console.log(
      `${unreferenced} revoked key(s) came from an onboarding file and have no API Gateway key id here: the binding check refuses them; disable them in API Gateway by value if they were added there.`,
    );
};

const main = async () => {
  const {
    target: targetOptions,
    positionals,
    values,
  } = parseCommandLine(process.argv.slice(2), {
    usage: USAGE,
    example:
      'npx -y pnpm@9.15.9 api-key create ci-aaa-001 pi-aaa-001 --local\n  npx -y pnpm@9.15.9 api-key list ci-aaa-001 pi-aaa-001 --local\n  npx -y pnpm@9.15.9 api-key revoke ci-aaa-001 pi-aaa-001 3f2a9c0d1e4b5a6f --local',
    options: { 'revoke-old': 'boolean', json: 'boolean' },
  });
  const [command, companyId, projectId, keyId] = positionals;
  const known = command === 'create' || command === 'list' || (command === 'revoke' && keyId);
  if (!known || !companyId || !projectId) {
    console.error(`usage: ${USAGE}`);
    process.exit(2);
  }
  const target = await resolveTarget(targetOptions);
  const documents = createDynamoDocumentClient();
  const ref = { companyId, projectId };

  if (command === 'list') {
    const keys = await listApiKeys(documents, target.companyDataTable, ref);
    if (values.json) return console.log(JSON.stringify(keys, null, 2));
    console.log(`${keys.length} key(s) accepted for ${companyId}/${projectId} in ${target.description}:`);
    for (const key of keys) console.log(`${key.key_id}\t${key.created_at ?? '(from the onboarding file)'}\t${key.reference ?? '-'}`);
    return;
  }

  if (command === 'revoke') {
    const { revoked, remaining } = await revokeApiKeys(
      documents,
      target.companyDataTable,
      ref,
      (hash) => hash.startsWith(keyId!),
      new Date(),
    );
    if (revoked.length === 0) {
      console.error(`No key ${keyId} on ${companyId}/${projectId}: \`pnpm api-key list\` shows the ids. Nothing was done.`);
      process.exit(NOT_FOUND_EXIT);
    }
    await disableGatewayKeys(target, targetOptions, revoked);
    console.log(
      `Revoked ${revoked.map((key) => key.key_id).join(', ')}. Routers refuse it within their cache time. Keys left: ${remaining}.`,
    );
    if (remaining === 0) console.log('The project now has no key: every request for it is refused until `pnpm api-key create`.');
    return;
  }

  // create: the project first, so a typo leaves no orphan API Gateway key.
  await requireProject(documents, target.companyDataTable, ref);
  const value = generateApiKeyValue();
  let reference = `local-${companyId}-${projectId}-${Date.now()}`;
  if (target.local) {
    const file = localKeysFile(targetOptions);
    writeFileSync(file, JSON.stringify([...readLocalKeys(file), { name: reference, value }], null, 2));
  } else {
    const apiGateway = new APIGatewayClient({});
    const created = await apiGateway.send(
      new CreateApiKeyCommand({ name: `${companyId}-${projectId}-${new Date().toISOString().slice(0, 10)}`, enabled: true, value }),
    );
    reference = created.id!;
    await apiGateway.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: await target.usagePlanId!(), keyId: reference, keyType: 'API_KEY' }),
    );
  }
  const item = await bindApiKey(documents, target.companyDataTable, ref, { value, reference }, new Date());
  console.log(`New API key for ${companyId}/${projectId} (shown once, store it now):\n${value}`);
  console.log(
    `Key id: ${sha256Hex(value).slice(0, 16)}. Reference: ${reference}. Keys bound to the project: ${item.api_key_sha256.length}.`,
  );
  if (values['revoke-old']) {
    const { revoked } = await revokeOtherApiKeys(documents, target.companyDataTable, ref, sha256Hex(value), new Date());
    await disableGatewayKeys(target, targetOptions, revoked);
    console.log(`Revoked ${revoked.length} older key(s) for this project (routers stop accepting them within their cache time).`);
  } else if (item.api_key_sha256.length > 1) {
    console.log('Older keys stay valid until you revoke them (`pnpm api-key revoke`, or create with --revoke-old).');
  }
  if (target.local)
    console.log(
      "The running local stack accepts it without a restart: at once at its API-key check, within the router's project cache time (15 s) at the binding check, as on AWS.",
    );
};

main().catch((error: unknown) => {
  if (error instanceof AppError && error.kind === 'not-found') {
    console.error(`${error.message} Nothing was done.`);
    process.exit(NOT_FOUND_EXIT);
  }
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
