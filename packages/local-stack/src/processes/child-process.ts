import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/**
 * A child process in a process group of its own, so that stopping it also stops whatever it
 * started (serverless-offline's esbuild, DynamoDB Local's JVM) and Ctrl-C leaves nothing behind.
 */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Last lines of output, for error messages when it fails to start. */
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: no cleanup runs. */
  kill(): Promise<void>;
}

export const startProcess = (
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions & { echo?: boolean; logFile?: string } = {},
): ManagedProcess =>
  adoptProcess(
    name,
    spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }),
    options.echo,
    options.logFile,
  );

/** Manage a child that something else spawned (it must be `detached`, i.e. a process group leader). */
export const adoptProcess = (name: string, child: ChildProcess, echo = false, logFile?: string): ManagedProcess => {
  const lines: string[] = [];
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  child.once('exit', () => log?.end());
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    log?.write(text);
    if (echo) process.stdout.write(text.replace(/^(?=.)/gm, `[${name}] `));
    lines.push(...text.split('\n'));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killNow = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  };
  return {
    name,
    child,
    kill: killNow,
    output: () => lines.join('\n'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          // already gone
        }
      };
      signal('SIGTERM');
      const killTimer = setTimeout(() => signal('SIGKILL'), 5000);
      await exited;
      clearTimeout(killTimer);
    },
  };
};
