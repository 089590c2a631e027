import { AppError } from '../errors/app-error';

export const AWAITING_PROVIDER = 'AWAITING_PROVIDER';

/**
 * An earlier attempt recorded a send intent and never learnt the answer, and the provider cannot
 * say yet whether it took that message (SendGrid without Email Activity: only its `processed` or
 * `dropped` event, which carries our custom_args, says so). Sending now could be a second
 * message, so the queue message waits (a delayed copy, no receive spent) and the next attempt
 * asks again: by then the event has come, or the quiet period has passed and nothing will.
 */
export class AwaitingProvider extends AppError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super('transient', AWAITING_PROVIDER, message, { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) });
    this.name = 'AwaitingProvider';
  }
}
