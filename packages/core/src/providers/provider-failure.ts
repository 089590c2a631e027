import { AppError, AppErrorOptions, ErrorKind } from '../errors/app-error';
import { RefusalStatus } from '../conversations/types';

/**
 * A provider's refusal that says more than "failed": e.g. Twilio 21610 (the recipient
 * unsubscribed) is recorded as `opted_out`, after which the engine never messages them again.
 */
export class ProviderFailure extends AppError {
  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    readonly recordAs?: RefusalStatus,
    options: AppErrorOptions = {},
  ) {
    super(kind, code, message, options);
  }
}
