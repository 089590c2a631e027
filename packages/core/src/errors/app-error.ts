/**
 * The error taxonomy. Every failure the engine knows about is an AppError with a `kind` (what sort
 * of failure, which decides retry/HTTP behaviour) and a `code` (the contract's error code, fixed by
 * docs/api.md for the router). Mapping to HTTP responses and queue outcomes happens in one place each:
 * `errors/http.ts` and, for processors, `errors/queue.ts`.
 */
export type ErrorKind =
  | 'validation' // the caller sent something we refuse; fixing the input fixes it
  | 'not-found' // a referenced thing does not exist
  | 'forbidden' // the caller may not do this
  | 'conflict' // the request clashes with earlier state (idempotency)
  | 'rate-limited' // too many requests; try again later
  | 'transient' // our dependency failed in a way a retry may fix
  | 'permanent'; // our configuration or a dependency failed in a way a retry cannot fix

export interface FieldError {
  field: string;
  message: string;
  code: string;
}

export interface AppErrorOptions {
  cause?: unknown;
  validationErrors?: FieldError[];
  /** Seconds after which a retry may succeed (429 / in-progress). */
  retryAfterSeconds?: number;
  /**
   * The provider answered that it did not take the message (an HTTP 4xx, 429 included): nothing
   * was created, so a later attempt need not ask the provider whether this one went out.
   */
  notSent?: boolean;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly validationErrors?: FieldError[];
  readonly retryAfterSeconds?: number;
  readonly notSent?: boolean;

  constructor(kind: ErrorKind, code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.validationErrors = options.validationErrors;
    this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.notSent) this.notSent = true;
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;

/** Short constructors so call sites read as the rule they enforce. */
export const validationError = (code: string, message: string, validationErrors?: FieldError[]) =>
  new AppError('validation', code, message, { validationErrors });
export const notFound = (code: string, message: string) => new AppError('not-found', code, message);
export const forbidden = (code: string, message: string) => new AppError('forbidden', code, message);
export const conflict = (code: string, message: string, retryAfterSeconds?: number) =>
  new AppError('conflict', code, message, { retryAfterSeconds });
export const rateLimited = (code: string, message: string, retryAfterSeconds: number) =>
  new AppError('rate-limited', code, message, { retryAfterSeconds });
export const transient = (code: string, message: string, cause?: unknown) => new AppError('transient', code, message, { cause });
export const permanent = (code: string, message: string, cause?: unknown) => new AppError('permanent', code, message, { cause });
