import type { Logger } from '@aws-lambda-powertools/logger';
import type { SecretReader } from '../secrets/secret-reader';
import { isCredentialsRejected } from './credentials-rejected';

/** A provider call made with a secret's current value. */
export type WithSecret<S> = <T>(call: (secret: S) => Promise<T>) => Promise<T>;

/**
 * Reads a secret once and returns a caller that hands it to provider calls. A provider that
 * refuses it (CREDENTIALS_REJECTED) may be refusing a value rotated since this container cached
 * it: the caller forgets the cached secret, reads it again and repeats the call once (a refused
 * call did nothing at the provider, so repeating it is safe). Used by every worker: the senders'
 * provider credentials, the compose and reply steps' OpenAI key.
 */
export const readRotatingSecret = async <S extends Record<string, string>>(
  secrets: SecretReader,
  secret: { name: string; requiredKeys: string[] },
  logger: Pick<Logger, 'warn'>,
): Promise<WithSecret<S>> => {
  const read = () => secrets.getJson<S>(secret.name, secret.requiredKeys);
  let value = await read();
  return async (call) => {
    try {
      return await call(value);
    } catch (error) {
      if (!isCredentialsRejected(error)) throw error;
      logger.warn('The provider refused the cached secret; reading it again once', { secret: secret.name });
      secrets.evict(secret.name);
      value = await read();
      return call(value);
    }
  };
};
