import { AppError, SecretReader } from '@ai-multi-comms/core';

/**
 * Secrets Manager as a map, read through a cache as the real reader is: `rotate` changes the
 * stored value while a cached one stays until `evict`; a missing name is a transient failure.
 */
export const memorySecrets = (
  values: Record<string, Record<string, string>>,
): SecretReader & { reads: string[]; evictions: string[]; rotate(name: string, value: Record<string, string>): void } => {
  const stored = new Map(Object.entries(values));
  const cache = new Map<string, Record<string, string>>();
  const reads: string[] = [];
  const evictions: string[] = [];
  return {
    reads,
    evictions,
    rotate: (name, value) => void stored.set(name, value),
    async getJson<T extends Record<string, string>>(name: string): Promise<T> {
      const cached = cache.get(name);
      if (cached) return cached as T;
      reads.push(name);
      const value = stored.get(name);
      if (!value) throw new AppError('transient', 'SECRET_UNAVAILABLE', `Secret ${name} is not available.`);
      cache.set(name, value);
      return value as T;
    },
    evict: (name) => void (evictions.push(name), cache.delete(name)),
  };
};
