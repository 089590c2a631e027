import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import standaloneCode from 'ajv/dist/standalone';
import { contextObjectSchema } from './schema';
import { initiateConversationRequestSchema } from '../request/schema';

/**
 * The validators a function needs at every cold start, compiled ahead of time (Ajv's standalone
 * code) instead of at module initialisation: compiling the request schema cost the router ~20 ms
 * of its init and kept Ajv's compiler in its bundle (`pnpm bench`, cold start; the CPU profile
 * showed Ajv's code generation). `pnpm generate:validators` writes them to `generated/`;
 * `packages/core/test/generated-validators.test.ts` fails when one is stale. Same options as the
 * runtime compiler (ajv.ts), so they behave the same.
 */
export const STANDALONE_VALIDATORS: { file: string; schema: object; from: string }[] = [
  { file: 'initiate-request.ts', schema: initiateConversationRequestSchema, from: 'request/schema.ts' },
  { file: 'context-object.ts', schema: contextObjectSchema, from: 'context-object/schema.ts' },
];

export const standaloneSource = (schema: object, from: string): string => {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, code: { source: true, esm: true } });
  addFormats(ajv, ['email', 'date-time', 'uri']);
  const code = standaloneCode(ajv, ajv.compile(schema));
  return `// @ts-nocheck\n// Generated from packages/core/src/${from} by \`pnpm generate:validators\` (context-object/standalone-validators.ts). Do not edit.\n${code}\n`;
};
