import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AppError } from '../errors/app-error';
import { registerSecretValue } from '../observability/redaction';
import { Clock, systemClock } from '../util/clock';

/**
 * JSON secrets from Secrets Manager, cached in the warm container for a few minutes (a rotated
 * secret is picked up within `ttlMs`). Every value read is registered with the log redactor
 * before it is returned, so no later log line can print it.
 */
export interface SecretReader {
  getJson<T extends Record<string, string>>(name: string, requiredKeys: (keyof T & string)[]): Promise<T>;
}

export const SECRET_ERROR = 'SECRET_UNAVAILABLE';

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
        throw new AppError('transient', SECRET_ERROR, missing ? `Secret ${name} does not exist.` : `Secret ${name} could not be read.`, { cause: error });
      }
      let value: Record<string, string>;
      try {
        value = JSON.parse(text ?? '') as Record<string, string>;
      } catch {
        throw new AppError('transient', SECRET_ERROR, `Secret ${name} is not a JSON object.`);
      }
      for (const field of Object.values(value)) if (typeof field === 'string') registerSecretValue(field);
      const missingKeys = requiredKeys.filter((key) => typeof value[key] !== 'string' || value[key] === '');
      if (missingKeys.length > 0) throw new AppError('transient', SECRET_ERROR, `Secret ${name} lacks ${missingKeys.join(', ')}.`);
      cache.set(name, { value, expiresAt: now + ttlMs });
      return value as T;
    },
  };
};
