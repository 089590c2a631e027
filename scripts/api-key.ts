/**
 * Create or rotate a project's API key:
 *   pnpm api-key create <company_id> <project_id> (--local | --stage dev) [--revoke-old]
 *
 * Prints the new key once; stores only its SHA-256 in the company-data item, next to the old
 * ones, which stay valid until you run it again with --revoke-old (or pass it now).
 * AWS: creates the API Gateway key and adds it to the router's usage plan.
 * Local: serverless-offline only knows keys declared at start, so the key is also written to
 * .local-stack/api-keys.json, which `pnpm start` reads: restart the local stack to use it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand } from '@aws-sdk/client-api-gateway';
import { bindApiKey, createDynamoDocumentClient, generateApiKeyValue, revokeOtherApiKeys, sha256Hex } from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { resolveTarget } from './lib/target';

const main = async () => {
  const { target: targetOptions, positionals, values } = parseCommandLine(process.argv.slice(2), {
    usage: 'pnpm api-key create <company_id> <project_id> (--local | --stage <stage>) [--revoke-old]',
    example: 'npx -y pnpm@9.15.9 api-key create ci-aaa-001 pi-aaa-001 --local',
    options: { 'revoke-old': 'boolean' },
  });
  const revokeOld = values['revoke-old'] === true;
  const [command, companyId, projectId] = positionals;
  if (command !== 'create' || !companyId || !projectId) {
    console.error('usage: pnpm api-key create <company_id> <project_id> (--local | --stage <stage>) [--revoke-old]');
    process.exit(2);
  }
  const target = await resolveTarget(targetOptions);
  const value = generateApiKeyValue();
  let reference = `local-${companyId}-${projectId}-${Date.now()}`;

  if (target.local) {
    const file = join(dirname(targetOptions.stateFile ?? join(__dirname, '..', '.local-stack', 'state.json')), 'api-keys.json');
    const keys = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { name: string; value: string }[]) : [];
    keys.push({ name: reference, value });
    writeFileSync(file, JSON.stringify(keys, null, 2));
  } else {
    const apiGateway = new APIGatewayClient({ region: targetOptions.region ?? process.env.AWS_REGION });
    const created = await apiGateway.send(new CreateApiKeyCommand({ name: `${companyId}-${projectId}-${new Date().toISOString().slice(0, 10)}`, enabled: true, value }));
    reference = created.id!;
    await apiGateway.send(new CreateUsagePlanKeyCommand({ usagePlanId: await target.usagePlanId!(), keyId: reference, keyType: 'API_KEY' }));
  }

  const documents = createDynamoDocumentClient();
  const item = await bindApiKey(documents, target.companyDataTable, { companyId, projectId }, { value, reference }, new Date());
  console.log(`New API key for ${companyId}/${projectId} (shown once, store it now):\n${value}`);
  console.log(`Reference: ${reference}. Keys bound to the project: ${item.api_key_sha256.length}.`);
  if (revokeOld) {
    const { revoked } = await revokeOtherApiKeys(documents, target.companyDataTable, { companyId, projectId }, sha256Hex(value), new Date());
    console.log(`Revoked ${revoked} older key(s) for this project (routers stop accepting them within their cache time).`);
  } else if (item.api_key_sha256.length > 1) {
    console.log('Older keys stay valid until you run this with --revoke-old.');
  }
  if (target.local) console.log('Restart `pnpm start` for serverless-offline to accept the new key.');
};

main().catch((error: unknown) => {
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
