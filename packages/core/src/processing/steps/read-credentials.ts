import { readRotatingSecret, WithSecret } from '../../queue-work/rotating-secret';
import { Attempt } from '../attempt';

/** A provider call made with the channel's credentials. */
export type WithCredentials<C> = WithSecret<C>;

/**
 * The channel's credentials (the compose step holds the AI's), through the kernel's rotating
 * secret: a provider that refuses them gets a freshly read value once (queue-work/rotating-secret.ts).
 */
export const readCredentials = async <C extends Record<string, string>>(attempt: Attempt<C>): Promise<WithCredentials<C>> => {
  attempt.step = 'secrets';
  return readRotatingSecret<C>(
    attempt.deps.secrets,
    attempt.deps.channel.credentialsSecret(attempt.delivery.contextObject),
    attempt.logger,
  );
};
