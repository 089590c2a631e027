import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnStack } from '@ai-multi-comms/testing/stack';

/**
 * Starts one local stack for the whole run, on free ports, as a child process (the same
 * `start` command users run), so tests work while a developer's own `pnpm start` is running.
 * Its state file (endpoints, env, resource names) reaches the test files through LOCAL_STACK_STATE.
 * The stack records every answer of its API (`--record-api`): the global teardown holds each one
 * to the OpenAPI document. LOCAL_STACK=off skips it (unit tests only).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.LOCAL_STACK === 'off') return;
  const record = join(tmpdir(), `ai-comms-api-answers-${randomUUID()}.jsonl`);
  const stack = await spawnStack(['--record-api', record]);
  process.env.LOCAL_STACK_STATE = stack.stateFile;
  process.env.LOCAL_STACK_LOG = stack.logFile;
  process.env.LOCAL_STACK_API_RECORD = record;
  (globalThis as { __localStack?: unknown }).__localStack = stack;
}
