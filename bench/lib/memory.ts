import { readFileSync } from 'node:fs';

/**
 * Peak resident set size of a live process, from Linux's /proc/<pid>/status (VmHWM, the
 * high-water mark the kernel keeps); undefined where /proc does not exist.
 */
export const peakRssMiB = (pid: number | undefined): number | undefined => {
  if (!pid) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
};
