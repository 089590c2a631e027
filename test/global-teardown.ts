import { existsSync, readFileSync, rmSync } from 'node:fs';
import { openApiContract, RecordedResponse } from '@ai-multi-comms/testing/contract';
import type { SpawnedStack } from '@ai-multi-comms/testing/stack';

/**
 * Stops the stack the global setup started (SIGTERM: it stops its own children), waiting for it
 * to exit; then the contract check: every answer the tests received from the API (the stack
 * recorded them all) must be one docs/openapi.json describes (status, content type, headers,
 * body). One answer outside it fails the run, with the first ones named.
 */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __localStack?: SpawnedStack }).__localStack?.stop();
  const file = process.env.LOCAL_STACK_API_RECORD;
  if (!file || !existsSync(file)) return;
  const answers = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RecordedResponse);
  rmSync(file, { force: true });
  const check = openApiContract();
  const outside = answers.map(check).filter((why): why is string => why !== undefined);
  const distinct = [...new Set(outside)];
  console.log(`contract: ${answers.length} answers of the API checked against docs/openapi.json, ${outside.length} outside it`);
  if (distinct.length > 0)
    throw new Error(`API answers outside docs/openapi.json (${outside.length}):\n${distinct.slice(0, 20).join('\n')}`);
}
