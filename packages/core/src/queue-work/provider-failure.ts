import { AppError, AppErrorOptions, ErrorKind } from '../errors/app-error';
import { RefusalStatus } from '../conversations/types';

/**
 * A provider's refusal that says more than "failed": e.g. Twilio 21610 (the recipient
 * unsubscribed) is recorded as `opted_out`, after which the engine never messages them again.
 */
export class ProviderFailure extends AppError {
  constructor(kind: ErrorKind, code: string, message: string, readonly recordAs?: RefusalStatus, options: AppErrorOptions = {}) {
    super(kind, code, message, options);
  }
}

/**
 * The provider refused our credentials (Twilio 20003 / HTTP 401, SendGrid 401, OpenAI 401). A
 * permanent failure, except that the secret may just have been rotated while the old value sat
 * in the container's cache: the pipeline evicts it and tries once more with a fresh read.
 */
export const CREDENTIALS_REJECTED = 'CREDENTIALS_REJECTED';

export const isCredentialsRejected = (error: unknown): boolean => error instanceof AppError && error.code === CREDENTIALS_REJECTED;
