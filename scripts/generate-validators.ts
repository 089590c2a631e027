/** `pnpm generate:validators`: writes the ahead-of-time validators (packages/core/src/validation/standalone.ts). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STANDALONE_VALIDATORS, standaloneSource } from '../packages/core/src/validation/standalone';

for (const { file, schema, from } of STANDALONE_VALIDATORS) {
  const path = join(__dirname, '..', 'packages', 'core', 'src', 'validation', 'generated', file);
  writeFileSync(path, standaloneSource(schema, from));
  console.log(`wrote ${path}`);
}
