import type { ChildProcess } from 'node:child_process';

/** Stops the stack the global setup started (SIGTERM: it stops its own children), waiting for it to exit. */
export default async function globalTeardown(): Promise<void> {
  const child = (globalThis as { __localStack?: ChildProcess }).__localStack;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, 15_000);
  await exited;
  clearTimeout(timer);
}
