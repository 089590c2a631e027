import type { SpawnedStack } from '@ai-multi-comms/testing/stack';

/** Stops the stack the global setup started (SIGTERM: it stops its own children), waiting for it to exit. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __localStack?: SpawnedStack }).__localStack?.stop();
}
