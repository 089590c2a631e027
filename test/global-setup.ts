import { spawnStack } from '@ai-multi-comms/testing/stack';

/**
 * Starts one local stack for the whole run, on free ports, as a child process (the same
 * `start` command users run), so tests work while a developer's own `pnpm start` is running.
 * Its state file (endpoints, env, resource names) reaches the test files through LOCAL_STACK_STATE.
 * LOCAL_STACK=off skips it (unit tests only).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.LOCAL_STACK === 'off') return;
  const stack = await spawnStack();
  process.env.LOCAL_STACK_STATE = stack.stateFile;
  process.env.LOCAL_STACK_LOG = stack.logFile;
  (globalThis as { __localStack?: unknown }).__localStack = stack;
}
