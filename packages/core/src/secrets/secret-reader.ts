import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AppError } from '../errors/app-error';
import { registerSecretFields } from '../observability/redaction';
import { Clock, systemClock } from '../util/clock';

/**
 * JSON secrets from Secrets Manager, cached in the warm container for a few minutes (a rotated
 * secret is picked up within `ttlMs`). The secret fields of every value read are registered with the log redactor
 * before it is returned, so no later log line can print it.
 * A rotated secret may be rejected by its provider while the old value is still cached: the
 * pipeline then calls `evict` and reads it again once (see process-record).
 */
export interface SecretReader {
  getJson<T extends Record<string, string>>(name: string, requiredKeys: (keyof T & string)[]): Promise<T>;
  /** Forget a cached value, so that the next read asks Secrets Manager. */
  evict(name: string): void;
}

export const SECRET_ERROR = 'SECRET_UNAVAILABLE';
/**
 * The secret exists nowhere or is not what it should be (not JSON, a field missing): our
 * configuration, which no retry of the same read fixes until someone fixes the secret. Still a
 * `transient` AppError for the pipeline (a message waits and retries while an operator fixes it),
 * but a webhook cannot verify a call with it and refuses the call (see `unverifiableCall`).
 */
export const SECRET_MISCONFIGURED = 'SECRET_MISCONFIGURED';

export const isMisconfiguredSecret = (error: unknown): boolean => error instanceof AppError && error.code === SECRET_MISCONFIGURED;

export const cachedSecretReader = (client: SecretsManagerClient, ttlMs: number, clock: Clock = systemClock): SecretReader => {
  const cache = new Map<string, { value: Record<string, string>; expiresAt: number }>();
  return {
    async getJson<T extends Record<string, string>>(name: string, requiredKeys: (keyof T & string)[]) {
      const now = clock.now().getTime();
      const cached = cache.get(name);
      if (cached && cached.expiresAt > now) return cached.value as T;
      let text: string | undefined;
      try {
        text = (await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString;
      } catch (error) {
        const missing = error instanceof ResourceNotFoundException;
        throw missing
          ? new AppError('transient', SECRET_MISCONFIGURED, `Secret ${name} does not exist.`, { cause: error })
          : new AppError('transient', SECRET_ERROR, `Secret ${name} could not be read.`, { cause: error });
      }
      let value: Record<string, string>;
      try {
        value = JSON.parse(text ?? '') as Record<string, string>;
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
      } catch {
        throw new AppError('transient', SECRET_MISCONFIGURED, `Secret ${name} is not a JSON object.`);
      }
      registerSecretFields(value);
      const missingKeys = requiredKeys.filter((key) => typeof value[key] !== 'string' || value[key] === '');
      if (missingKeys.length > 0) throw new AppError('transient', SECRET_MISCONFIGURED, `Secret ${name} lacks ${missingKeys.join(', ')}.`);
      cache.set(name, { value, expiresAt: now + ttlMs });
      return value as T;
    },
    evict(name) {
      cache.delete(name);
    },
  };
};
