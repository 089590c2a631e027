import { readdirSync, readFileSync } from 'node:fs';

/** A process's resident set size and parent, from Linux's /proc/<pid>/status; undefined where it is gone or /proc does not exist. */
const statusOf = (pid: number): { ppid: number; rssKiB: number } | undefined => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const ppid = Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]);
    const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
    return Number.isFinite(ppid) ? { ppid, rssKiB } : undefined;
  } catch {
    return undefined;
  }
};

/** The resident memory of a process and all its descendants now (the whole local stack, from the bench's own process), in MiB. */
export const treeRssMiB = (root: number = process.pid): number | undefined => {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return undefined;
  }
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const pid of pids) {
    const status = statusOf(pid);
    if (!status) continue;
    rss.set(pid, status.rssKiB);
    children.set(status.ppid, [...(children.get(status.ppid) ?? []), pid]);
  }
  let totalKiB = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    totalKiB += rss.get(pid) ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return totalKiB / 1024;
};

/**
 * The peak of the whole tree's resident memory while `work` runs, sampled every `intervalMs`
 * (a sum of the processes' current RSS at one moment, so a true peak of the stack, not a sum of
 * each process's own peak at different moments).
 */
export const peakTreeRssDuring = async <T>(work: () => Promise<T>, intervalMs = 500): Promise<{ result: T; peakMiB?: number }> => {
  let peakMiB: number | undefined;
  const sample = () => {
    const now = treeRssMiB();
    if (now !== undefined) peakMiB = Math.max(peakMiB ?? 0, now);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  try {
    const result = await work();
    sample();
    return { result, peakMiB };
  } finally {
    clearInterval(timer);
  }
};
