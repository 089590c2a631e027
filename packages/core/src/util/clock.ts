/** Time is a dependency: use cases take a Clock so tests can move it. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
