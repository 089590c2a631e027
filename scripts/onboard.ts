/**
 * Onboard (or update) a company/project from a JSON file:
 *   pnpm onboard <file.json> --local            the local stack started by `pnpm start`
 *   pnpm onboard <file.json> --stage dev        an AWS stage (AWS credentials from your environment)
 *   --dry-run                                   validate and print the item, write nothing
 *
 * The file is validated against the data model; plain API keys (`api_keys`) are stored only as
 * SHA-256 hashes; a secret value where a secret *name* belongs is refused. Secrets the project
 * references but Secrets Manager does not have are listed as warnings.
 */
import { readFileSync } from 'node:fs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  AppError,
  createDynamoDocumentClient,
  dynamoCompanyRepository,
  dynamoSenderDirectory,
  onboardCompany,
  prepareCompanyItem,
  CHANNEL_DESCRIPTORS,
  CHANNELS,
  CompanyProject,
  sendGridEventsPathFor,
} from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { resolveTarget } from './lib/target';

/** Every secret the project names, with the keys its reader requires (an OpenAI key's; each channel's from its descriptor). */
const referencedSecrets = (item: CompanyProject): Map<string, readonly string[]> =>
  new Map([
    ...Object.values(item.ai_config.openai_config).map((config) => [config.api_key_reference, ['ai_api_key']] as const),
    ...CHANNELS.flatMap((channel) => {
      const name = CHANNEL_DESCRIPTORS[channel].credentialsSecretName(item.channel_config);
      return name ? [[name, CHANNEL_DESCRIPTORS[channel].credentialsKeys] as const] : [];
    }),
  ]);

const main = async () => {
  const {
    target: targetOptions,
    positionals,
    values,
  } = parseCommandLine(process.argv.slice(2), {
    usage: 'pnpm onboard <company.json> (--local | --stage <stage>) [--dry-run]',
    example: 'npx -y pnpm@9.15.9 onboard examples/company.example.json --local',
    options: { 'dry-run': 'boolean' },
  });
  const dryRun = values['dry-run'] === true;
  const file = positionals[0];
  if (!file) {
    console.error('usage: pnpm onboard <company.json> (--local | --stage <stage>) [--dry-run]');
    process.exit(2);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`${file}: not readable JSON (${(error as Error).message})`);
    process.exit(1);
  }

  if (dryRun) {
    const item = prepareCompanyItem(parsed, new Date());
    console.log(JSON.stringify(item, null, 2));
    return;
  }
  const target = await resolveTarget(targetOptions);
  const documents = createDynamoDocumentClient();
  const item = await onboardCompany(parsed, {
    repository: dynamoCompanyRepository(documents, target.companyDataTable),
    // The Twilio numbers' owner, for the inbound webhook (a stage deployed before replies has no such table).
    senders: target.senderAddressesTable ? dynamoSenderDirectory(documents, target.senderAddressesTable) : undefined,
  });
  console.log(
    `Onboarded ${item.company_id}/${item.project_id} (${item.project_status}, channels: ${item.allowed_channels.join(', ')}) into ${target.description}.`,
  );
  console.log(`Keys bound: ${item.api_key_sha256.length} (stored as SHA-256 only).`);
  if (item.channel_config.email) {
    // SendGrid signs events with the account's webhook key, so each project's account posts to a URL that names the project.
    const base = (await target.webhookBaseUrl().catch(() => undefined)) ?? '<WebhookBaseUrl of the router stack>';
    console.log(
      `SendGrid Event Webhook URL (paste into this project's SendGrid account, Settings > Mail Settings > Event Webhook, signed): ${base.replace(/\/+$/, '')}${sendGridEventsPathFor(item.company_id, item.project_id)}`,
    );
  }

  const secrets = new SecretsManagerClient({});
  const where = targetOptions.local ? '--local' : `--stage ${targetOptions.stage}`;
  for (const [name, keys] of referencedSecrets(item)) {
    try {
      await secrets.send(new DescribeSecretCommand({ SecretId: name }));
    } catch {
      const template = JSON.stringify(Object.fromEntries(keys.map((key) => [key, '…'])));
      console.warn(
        `warning: secret "${name}" does not exist yet: a request on that channel would be accepted, then wait in the DLQ. Create it first:\n  npx -y pnpm@9.15.9 secret put ${name} '${template}' ${where}`,
      );
    }
  }
};

main().catch((error: unknown) => {
  if (error instanceof AppError) {
    console.error(`refused: ${error.message}`);
    for (const problem of error.validationErrors ?? []) console.error(`  ${problem.field}: ${problem.message}`);
  } else {
    console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
});
