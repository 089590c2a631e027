/** `pnpm generate:validators`: writes the ahead-of-time validators (packages/core/src/context-object/standalone-validators.ts). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STANDALONE_VALIDATORS, standaloneSource } from '../packages/core/src/context-object/standalone-validators';

for (const { file, schema, from } of STANDALONE_VALIDATORS) {
  const path = join(__dirname, '..', 'packages', 'core', 'src', 'validation', 'generated', file);
  writeFileSync(path, standaloneSource(schema, from));
  console.log(`wrote ${path}`);
}
