import type { Logger } from '@aws-lambda-powertools/logger';
import { AppError } from '../errors/app-error';
import { isMisconfiguredSecret, SecretReader } from '../secrets/secret-reader';

export type WebhookLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

/**
 * The secret that verifies a provider's webhook call (an auth token, a public key). When it is
 * misconfigured (missing, not JSON, a field absent) no call for that number or project can be
 * verified, so the call is refused as unverified (`refusal`, a 4xx: a forged call naming such a
 * number must not earn a 5xx) and an ERROR tells operators which secret to fix; the secret's
 * name is configuration, not personal data. A read that failed (Secrets Manager unreachable,
 * throttled) stays a 5xx, so the provider retries once it is back.
 */
export const readWebhookSecret = async <T extends Record<string, string>>(
  secrets: SecretReader,
  name: string,
  keys: (keyof T & string)[],
  logger: WebhookLogger,
  refusal: () => AppError,
): Promise<T> => {
  try {
    return await secrets.getJson<T>(name, keys);
  } catch (error) {
    if (!isMisconfiguredSecret(error)) throw error;
    logger.error('Webhook call cannot be verified: its verification secret is misconfigured', {
      secret_id: name,
      reason: (error as Error).message,
    });
    throw refusal();
  }
};
