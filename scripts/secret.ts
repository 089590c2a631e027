/**
 * A provider credential or OpenAI key, stored where the engine reads it (Secrets Manager: the
 * local stack's own server with --local, AWS with --stage):
 *   pnpm secret put <name> '<json object>' (--local | --stage dev)     create it, or a new version
 *   pnpm secret put <name> - (--local | --stage dev)                   the JSON from stdin (keeps it out of shell history)
 *   pnpm secret keys <name> (--local | --stage dev)                    which keys it holds (never the values)
 * The name is what the project's item names (`api_key_reference`, `*_credentials_id`); the keys
 * each kind needs: an OpenAI key {"ai_api_key"}; WhatsApp, SMS and e-mail: their channel
 * descriptor's `credentialsKeys` (onboarding's warning prints the exact command). Values are
 * never printed.
 */
import { readFileSync } from 'node:fs';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseCommandLine } from './lib/command-line';
import { NOT_FOUND_EXIT, resolveTarget } from './lib/target';

const USAGE = [
  "pnpm secret put <name> '<json object>' | - (--local | --stage <stage>)",
  '       pnpm secret keys <name> (--local | --stage <stage>)',
].join('\n');

/** The secret's JSON: an object of non-empty strings, as every reader of it requires. */
const parseSecretJson = (text: string): Record<string, string> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('the secret must be a JSON object, e.g. \'{"ai_api_key":"sk-…"}\'');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the secret must be a JSON object of strings');
  const wrong = Object.entries(value).filter(([, field]) => typeof field !== 'string' || field === '');
  if (wrong.length > 0) throw new Error(`every field must be a non-empty string (not: ${wrong.map(([name]) => name).join(', ')})`);
  return value as Record<string, string>;
};

const exists = async (secrets: SecretsManagerClient, name: string) =>
  secrets.send(new DescribeSecretCommand({ SecretId: name })).then(
    () => true,
    (error: Error) => (error.name === 'ResourceNotFoundException' ? false : Promise.reject(error)),
  );

const main = async () => {
  const { target: options, positionals } = parseCommandLine(process.argv.slice(2), {
    usage: USAGE,
    example: `npx -y pnpm@9.15.9 secret put ai-multi-comms/openai-api-key/acme-dev '{"ai_api_key":"sk-…"}' --local`,
  });
  const [command, name, json] = positionals;
  if (!name || (command === 'put' && json === undefined) || !['put', 'keys'].includes(command ?? '')) {
    console.error(`usage: ${USAGE}`);
    process.exit(2);
  }
  const target = await resolveTarget(options);
  const secrets = new SecretsManagerClient({});
  if (command === 'keys') {
    if (!(await exists(secrets, name))) {
      console.error(`no such secret: ${name} in ${target.description}`);
      process.exit(NOT_FOUND_EXIT);
    }
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: name }));
    console.log(Object.keys(parseSecretJson(SecretString ?? '')).join('\n'));
    return;
  }
  const value = parseSecretJson(json === '-' ? readFileSync(0, 'utf8') : json!);
  const SecretString = JSON.stringify(value);
  if (await exists(secrets, name)) await secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
  else await secrets.send(new CreateSecretCommand({ Name: name, SecretString }));
  // Where it went: the local stack's own Secrets Manager (its endpoint), or the stage's.
  const where = options.local
    ? `the local stack's Secrets Manager (${process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? 'its endpoint'})`
    : target.description;
  console.log(
    `Stored ${name} (keys: ${Object.keys(value).join(', ')}) in ${where}. Senders read it within their cache time (SECRETS_CACHE_SECONDS, 300 s by default).`,
  );
};

main().catch((error: unknown) => {
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
