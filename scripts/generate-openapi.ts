/**
 * `pnpm generate:openapi`: the API's OpenAPI document (docs/openapi.json, from
 * services/router/src/openapi) and the typed client's types generated from it
 * (packages/client/src/generated/schema.d.ts, by openapi-typescript). After an endpoint change run it and
 * commit both; `--check` writes nothing and fails (exit 1) while either differs from what it would
 * write (test/contract/openapi.test.ts runs it).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiTexts } from './lib/openapi-texts';

const ROOT = join(__dirname, '..');

const main = async () => {
  const { document, clientTypes } = await openApiTexts();
  const files = [
    [join(ROOT, 'docs', 'openapi.json'), document],
    [join(ROOT, 'packages', 'client', 'src', 'generated', 'schema.d.ts'), clientTypes],
  ] as const;
  if (process.argv.includes('--check')) {
    const stale = files.filter(([file, text]) => !existsSync(file) || readFileSync(file, 'utf8') !== text).map(([file]) => file);
    if (stale.length > 0) {
      console.error(`not what \`pnpm generate:openapi\` writes (run it and commit): ${stale.join(', ')}`);
      process.exit(1);
    }
    console.log('docs/openapi.json and the client types are current');
    return;
  }
  for (const [file, text] of files) writeFileSync(file, text);
  console.log('wrote docs/openapi.json and packages/client/src/generated/schema.d.ts');
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
