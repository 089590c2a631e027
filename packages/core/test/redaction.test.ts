import { createLogger, redact, REDACTED, registerSecretValue } from '../src';

/** Capture what the Powertools logger prints (it writes JSON lines to stdout through console). */
const captureLogs = (fn: () => void): string => {
  const lines: string[] = [];
  const capture = (chunk: any) => {
    lines.push(String(chunk));
    return true;
  };
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  const logSpy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  const infoSpy = jest.spyOn(console, 'info').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  const errorSpy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  try {
    fn();
  } finally {
    spy.mockRestore();
    errSpy.mockRestore();
    logSpy.mockRestore();
    infoSpy.mockRestore();
    errorSpy.mockRestore();
  }
  return lines.join('\n');
};

describe('redaction', () => {
  it('masks secret-named keys at any depth', () => {
    const masked = redact({
      headers: { 'x-api-key': 'k-123456', Authorization: 'Basic abc' },
      secret: { ai_api_key: 'sk-x', twilio_auth_token: 't' },
    });
    expect(masked.headers['x-api-key']).toBe(REDACTED);
    expect(masked.headers.Authorization).toBe(REDACTED);
    expect(masked.secret).toBe(REDACTED);
  });

  it('masks provider-shaped secrets inside free text', () => {
    expect(redact({ note: 'key sk-abcdefghijklmnop leaked; auth Basic QUMxMjM6dG9rZW4= too' }).note).toBe(
      `key ${REDACTED} leaked; auth ${REDACTED} too`,
    );
    expect(redact({ note: 'SG.aaaaaaaaaaaa.bbbbbbbbbbbbbbbb' }).note).toBe(REDACTED);
  });

  it('masks values registered at runtime wherever they appear', () => {
    registerSecretValue('plain-token-0000111');
    expect(redact({ message: 'failed with plain-token-0000111 in url' }).message).toBe(`failed with ${REDACTED} in url`);
  });

  it('keeps references and ids readable', () => {
    const item = { api_key_reference: 'ai-multi-comms/openai-api-key/whatsapp-dev', conversation_id: 'ci#pi#id#4477' };
    expect(redact(item)).toEqual(item);
  });

  it('applies to everything the structured logger prints, errors included', () => {
    registerSecretValue('registered-secret-42');
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const logger = createLogger('test');
    const output = captureLogs(() => {
      logger.info('calling provider', { api_key: 'k-abcdef-1', detail: 'token registered-secret-42' });
      logger.error('provider failed', new Error('401 for key sk-test-fake-0000-key-value'));
    });
    expect(output).toContain('calling provider');
    expect(output).toContain('provider failed');
    expect(output).not.toContain('k-abcdef-1');
    expect(output).not.toContain('registered-secret-42');
    expect(output).not.toContain('sk-test-fake-0000-key-value');
  });
});
