import type { createLogger, ProcessingMetrics } from '@ai-multi-comms/core';

type Logger = ReturnType<typeof createLogger>;

/** A logger that keeps its lines (level, message, attributes) instead of printing them; every child writes to the same list. */
export const recordingLogger = () => {
  const lines: { level: 'debug' | 'info' | 'warn' | 'error'; message: string; attributes?: Record<string, unknown> }[] = [];
  const make = (): Logger => {
    const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, attributes?: Record<string, unknown>) =>
      void lines.push({ level, message, attributes });
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      appendKeys: () => undefined,
      createChild: () => make(),
    } as unknown as Logger;
  };
  return { logger: make(), lines };
};

/** Metrics that count in memory: `counts.get('MessagesSent')`. */
export const countingMetrics = (): ProcessingMetrics & { counts: Map<string, number> } => {
  const counts = new Map<string, number>();
  return { counts, count: (name, value = 1) => void counts.set(name, (counts.get(name) ?? 0) + value) };
};
