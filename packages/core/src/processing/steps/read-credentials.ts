import { Attempt } from '../attempt';
import { isCredentialsRejected } from '../provider-failure';

/** A provider call made with the channel's credentials. */
export type WithCredentials<C> = <T>(call: (credentials: C) => Promise<T>) => Promise<T>;

/**
 * The channel's credentials (the compose step holds the AI's). A provider that refuses them may
 * be refusing a value rotated since this container cached it: the returned caller forgets the
 * cached secret, reads it again and repeats the call once (a refused call did nothing at the
 * provider, so repeating it is safe).
 */
export const readCredentials = async <C extends Record<string, string>>(attempt: Attempt<C>): Promise<WithCredentials<C>> => {
  attempt.step = 'secrets';
  const { secrets } = attempt.deps;
  const secretRef = attempt.deps.channel.credentialsSecret(attempt.delivery.contextObject);
  const read = () => secrets.getJson<C>(secretRef.name, secretRef.requiredKeys);
  let credentials = await read();
  return async (call) => {
    try {
      return await call(credentials);
    } catch (error) {
      if (!isCredentialsRejected(error)) throw error;
      attempt.logger.warn('The provider refused the cached credentials; reading the secret again once', { secret: secretRef.name });
      secrets.evict(secretRef.name);
      credentials = await read();
      return call(credentials);
    }
  };
};
