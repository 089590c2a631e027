import { AppError, ErrorCodes, integer, readConfig, requiredString, toHttpError } from '../src';

describe('toHttpError', () => {
  it.each([
    [new AppError('validation', ErrorCodes.INVALID_REQUEST, 'x'), 400],
    [new AppError('validation', ErrorCodes.PAYLOAD_TOO_LARGE, 'x'), 413],
    [new AppError('forbidden', ErrorCodes.API_KEY_NOT_AUTHORIZED, 'x'), 403],
    [new AppError('not-found', ErrorCodes.COMPANY_NOT_FOUND, 'x'), 404],
    [new AppError('conflict', ErrorCodes.IDEMPOTENCY_CONFLICT, 'x'), 409],
    [new AppError('rate-limited', ErrorCodes.RATE_LIMIT_EXCEEDED, 'x', { retryAfterSeconds: 7 }), 429],
    [new AppError('transient', ErrorCodes.QUEUE_ERROR, 'x'), 500],
    [new AppError('permanent', ErrorCodes.CONFIGURATION_ERROR, 'x'), 500],
  ])('%p → %d', (error, status) => {
    expect(toHttpError(error, 'r').statusCode).toBe(status);
  });

  it('turns an unknown failure into INTERNAL_ERROR without its message or stack', () => {
    const response = toHttpError(new Error('connect ECONNREFUSED 10.0.0.1 with sk-abcdefghijklmnopqr'), 'unknown');
    expect(response.statusCode).toBe(500);
    expect(response.body.error_code).toBe(ErrorCodes.INTERNAL_ERROR);
    expect(JSON.stringify(response.body)).not.toMatch(/ECONNREFUSED|sk-|at /);
  });

  it('carries Retry-After and validation_errors without internal codes', () => {
    const response = toHttpError(new AppError('rate-limited', ErrorCodes.RATE_LIMIT_EXCEEDED, 'slow down', { retryAfterSeconds: 12 }), 'r');
    expect(response.headers['Retry-After']).toBe('12');
    const invalid = toHttpError(
      new AppError('validation', ErrorCodes.VALIDATION_ERROR, 'bad', { validationErrors: [{ field: 'a', message: 'is bad', code: 'X' }] }),
      'r',
    );
    expect(invalid.body.validation_errors).toEqual([{ field: 'a', message: 'is bad' }]);
  });
});

describe('readConfig', () => {
  it('reads and validates every variable, listing all problems at once', () => {
    const read = (env: NodeJS.ProcessEnv) =>
      readConfig<{ table: string; ttl: number }>({ table: ['TABLE', requiredString], ttl: ['TTL', integer(5, { min: 1 })] }, env);
    expect(read({ TABLE: 't', TTL: '9' })).toEqual({ table: 't', ttl: 9 });
    expect(read({ TABLE: 't' })).toEqual({ table: 't', ttl: 5 });
    try {
      read({ TTL: 'zero' });
      throw new Error('accepted');
    } catch (error) {
      expect((error as AppError).code).toBe(ErrorCodes.CONFIGURATION_ERROR);
      expect((error as AppError).message).toMatch(/TABLE is not set; TTL must be an integer/);
    }
  });
});
