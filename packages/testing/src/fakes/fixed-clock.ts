import type { Clock } from '@ai-multi-comms/core';

/** A clock that stands still until a test moves it. */
export const fixedClock = (start = new Date('2026-01-05T10:00:00.000Z')): Clock & { advance(ms: number): void } => {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms) => void (now += ms) };
};
