import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STANDALONE_VALIDATORS, standaloneSource } from '../src/context-object/standalone-validators';

describe('ahead-of-time validators', () => {
  it.each(STANDALONE_VALIDATORS.map((v) => [v.file, v] as const))(
    '%s is generated from the current schema (else: pnpm generate:validators)',
    (_file, { file, schema, from }) => {
      const onDisk = readFileSync(join(__dirname, '..', 'src', 'validation', 'generated', file), 'utf8');
      expect(onDisk).toBe(standaloneSource(schema, from));
    },
  );
});
