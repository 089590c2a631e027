import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  cachedSecretReader,
  classifyTwilioError,
  createLogger,
  isRegisteredSecret,
  MAX_REGISTERED_SECRETS,
  redactString,
  registeredSecretCount,
  registerSecretValue,
} from '../src';

/**
 * What reaches the logs (defect 8 of "accepted means delivered"): only secrets are masked, the
 * set of masked values is bounded, and a provider error is logged as what identifies it, never
 * as the request it carried.
 */
const captureLines = (fn: () => void): string[] => {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    fn();
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
  return lines;
};

/** A Secrets Manager client that answers every read with `value`. */
const secretsAnswering = (value: Record<string, string>) =>
  ({ send: async () => ({ SecretString: JSON.stringify(value) }) }) as unknown as SecretsManagerClient;

describe('secrets registered with the redactor', () => {
  it('registers only the secret fields of a secret: the sender name and address stay readable', async () => {
    // Prepare
    const reader = cachedSecretReader(
      secretsAnswering({
        sendgrid_api_key: 'SG-like-but-not-shaped-0001',
        sendgrid_from_email: 'jobs@acme-recruiting.example',
        sendgrid_from_name: 'Acme Recruiting Ltd',
      }),
      0,
    );
    // Act
    await reader.getJson('ai-multi-comms/email-credentials/a/b/sendgrid-dev', ['sendgrid_api_key']);
    // Assess
    expect(redactString('conversation ci#pi#id#jobs@acme-recruiting.example for Acme Recruiting Ltd')).toBe(
      'conversation ci#pi#id#jobs@acme-recruiting.example for Acme Recruiting Ltd',
    );
    expect(redactString('key SG-like-but-not-shaped-0001')).toBe('key [REDACTED]');
  });

  it('keeps at most MAX_REGISTERED_SECRETS values, forgetting the oldest first', () => {
    for (let index = 0; index < MAX_REGISTERED_SECRETS + 50; index += 1) registerSecretValue(`bounded-value-${index}`);
    expect(registeredSecretCount()).toBeLessThanOrEqual(MAX_REGISTERED_SECRETS);
    expect(isRegisteredSecret(`bounded-value-${MAX_REGISTERED_SECRETS + 49}`)).toBe(true);
    expect(isRegisteredSecret('bounded-value-0')).toBe(false);
  });
});

describe('errors in log lines', () => {
  it('a Twilio network error is logged as name, code and message: not the form with the number and the text', () => {
    // Prepare: what axios (inside the twilio SDK) throws on a timeout: the request config rides along.
    const networkError = Object.assign(new Error('timeout of 30000ms exceeded'), {
      code: 'ECONNABORTED',
      config: {
        method: 'post',
        url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json',
        data: 'To=%2B447700900999&From=%2B447700900001&Body=Dear+Jane%2C+your+night+shift+interview',
      },
      request: { path: '/2010-04-01/Accounts/AC1/Messages.json', body: 'To=+447700900999&Body=Dear Jane, your night shift interview' },
    });
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const logger = createLogger('test');
    // Act
    const lines = captureLines(() => logger.error('Processing failed', { error: classifyTwilioError(networkError) }));
    // Assess
    const line = lines.find((l) => l.includes('Processing failed'))!;
    expect(line).toBeDefined();
    expect(line).not.toContain('447700900999');
    expect(line).not.toContain('night shift');
    const logged = JSON.parse(line) as { error: { name: string; code: string; message: string; cause: { code: string; message: string } } };
    expect(logged.error).toMatchObject({
      name: 'AppError',
      code: 'PROVIDER_TRANSIENT',
      message: 'Twilio could not be reached (network or timeout).',
    });
    expect(logged.error.cause).toMatchObject({ name: 'Error', code: 'ECONNABORTED', message: 'timeout of 30000ms exceeded' });
    expect(Object.keys(logged.error.cause).sort()).toEqual(['code', 'message', 'name']);
  });

  it('a provider error answered over HTTP keeps its status', () => {
    const rest = Object.assign(new Error('Authenticate'), {
      status: 401,
      code: 20003,
      moreInfo: 'https://www.twilio.com/docs/errors/20003',
      details: { To: '+447700900999' },
    });
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const lines = captureLines(() => createLogger('test').warn('refused', { error: rest }));
    const logged = JSON.parse(lines.find((l) => l.includes('refused'))!) as { error: Record<string, unknown> };
    expect(logged.error).toMatchObject({ name: 'Error', code: 20003, status: 401, message: 'Authenticate' });
    expect(JSON.stringify(logged)).not.toContain('447700900999');
  });

  it('our own bugs keep their stack (file and line), which holds no data', () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const lines = captureLines(() => createLogger('test').error('bug', { error: new TypeError('x is undefined') }));
    const logged = JSON.parse(lines.find((l) => l.includes('"bug"'))!) as { error: { stack: string[] } };
    expect(logged.error.stack[0]).toContain('TypeError: x is undefined');
  });
});
