import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Starts one local stack for the whole run, on free ports, as a child process (the same
 * `start` command users run), so tests work while a developer's own `pnpm start` is running.
 * Its state file (endpoints, env, resource names) reaches the test files through LOCAL_STACK_STATE.
 * LOCAL_STACK=off skips it (unit tests only).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.LOCAL_STACK === 'off') return;
  const dir = mkdtempSync(join(tmpdir(), 'ai-comms-stack-'));
  const stateFile = join(dir, 'state.json');
  const logFile = join(dir, 'stack.log');
  const root = join(__dirname, '..');
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'packages/local-stack/src/cli/start.ts'), '--random-ports', '--state-file', stateFile, '--no-api-logs', '--exit-with-parent', '--log-file', logFile],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 180_000;
  while (!existsSync(stateFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      throw new Error(`The local stack did not start:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  JSON.parse(readFileSync(stateFile, 'utf8'));
  process.env.LOCAL_STACK_STATE = stateFile;
  process.env.LOCAL_STACK_LOG = logFile;
  (globalThis as { __localStack?: unknown }).__localStack = child;
}
