import { AppError } from '../errors/app-error';

/**
 * The provider refused our credentials (Twilio 20003 / HTTP 401, SendGrid 401, OpenAI 401). A
 * permanent failure, except that the secret may just have been rotated while the old value sat
 * in the container's cache: the worker evicts it and tries once more with a fresh read
 * (rotating-secret.ts).
 */
export const CREDENTIALS_REJECTED = 'CREDENTIALS_REJECTED';

export const isCredentialsRejected = (error: unknown): boolean => error instanceof AppError && error.code === CREDENTIALS_REJECTED;
