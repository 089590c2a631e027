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

/**
 * The parent-death watch: one small detached process per stack process, holding the process
 * groups of its children. Its stdin is a pipe from this process, which the kernel closes when this
 * process ends, however it ends (Ctrl-C, `kill -9`, a test runner killed): the watchdog then
 * stops every group still listed (SIGTERM, SIGKILL after 3 s), so no DynamoDB Local or
 * serverless-offline outlives the stack that started it. A child stopped normally is struck off
 * the list first. Plain JavaScript run by `node -e`: nothing to load; it reacts as the pipe closes.
 */
const WATCHDOG = `
const groups = new Set();
let pending = '';
process.stdin.on('data', (chunk) => {
  pending += chunk;
  for (let end = pending.indexOf('\\n'); end >= 0; end = pending.indexOf('\\n')) {
    const id = Number(pending.slice(0, end));
    pending = pending.slice(end + 1);
    if (id > 0) groups.add(id); else if (id < 0) groups.delete(-id);
  }
});
const signal = (name) => { for (const id of groups) { try { process.kill(-id, name); } catch {} } };
process.stdin.on('end', () => { signal('SIGTERM'); setTimeout(() => { signal('SIGKILL'); process.exit(0); }, 3000); });
`;

let watchdog: ChildProcess | undefined;
const watch = (groupId: number, watched: boolean) => {
  watchdog ??= spawn(process.execPath, ['-e', WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  // Neither the watchdog nor its pipe keeps this process alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  watchdog.stdin?.write(`${watched ? groupId : -groupId}\n`);
};

export const startProcess = (
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions & { echo?: Echo; logFile?: string } = {},
): ManagedProcess =>
  adoptProcess(
    name,
    spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }),
    options.echo,
    options.logFile,
  );

/** Manage a child that something else spawned (it must be `detached`, i.e. a process group leader). */
/** Print a child's output: every line as it is (true), or what a formatter makes of each line (undefined: left out). */
export type Echo = boolean | ((line: string) => string | undefined);

export const adoptProcess = (name: string, child: ChildProcess, echo: Echo = false, logFile?: string): ManagedProcess => {
  const lines: string[] = [];
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  child.once('exit', () => log?.end());
  let partial = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    log?.write(text);
    if (echo === true) process.stdout.write(text.replace(/^(?=.)/gm, `[${name}] `));
    else if (echo) {
      // Whole lines only: a chunk may end inside one.
      const complete = (partial + text).split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) {
        const shown = echo(line);
        if (shown !== undefined) process.stdout.write(`${shown}\n`);
      }
    }
    lines.push(...text.split('\n'));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid !== undefined) {
    const groupId = child.pid;
    watch(groupId, true);
    child.once('exit', () => watch(groupId, false));
  }
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
