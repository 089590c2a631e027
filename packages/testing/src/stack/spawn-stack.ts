import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackState } from './stack';

/** The repository (this file is packages/testing/src/stack/). */
const ROOT = join(__dirname, '..', '..', '..', '..');

export interface SpawnedStack {
  state: StackState;
  stateFile: string;
  logFile: string;
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Start `pnpm start`'s stack as a child process on free ports and wait for its state file. */
export const spawnStack = async (extraArgs: string[] = [], timeoutMs = 180_000): Promise<SpawnedStack> => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-comms-stack-'));
  const stateFile = join(dir, 'state.json');
  const logFile = join(dir, 'stack.log');
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(ROOT, 'packages/local-stack/src/cli/start.ts'),
      '--random-ports',
      '--state-file',
      stateFile,
      '--no-api-logs',
      // Nothing kept between runs, unless the test names a data folder (the persistence test).
      ...(extraArgs.includes('--data-dir') ? [] : ['--in-memory']),
      '--exit-with-parent',
      '--log-file',
      logFile,
      ...extraArgs,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + timeoutMs;
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
  const stop = async () => {
    if (child.exitCode !== null) return;
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
  };
  return { state: JSON.parse(readFileSync(stateFile, 'utf8')) as StackState, stateFile, logFile, dir, child, stop };
};
