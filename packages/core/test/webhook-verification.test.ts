import { ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import twilio from 'twilio';
import { AppError, cachedSecretReader, SenderAddress, senderAddressKey, TwilioCallDeps, verifyTwilioCall } from '../src';

/**
 * A webhook call names the number (or project) whose secret verifies it. Found by the webhook fuzz
 * test: a byte flip turned the company's number into another onboarded number whose credentials
 * secret did not exist, and the call got a 500. A misconfigured secret now refuses the call (403,
 * an ERROR for operators); only a failed read of an existing secret is a 5xx.
 */
const URL_BASE = 'https://hooks.example.test/dev';
const TOKEN = 'token-for-the-test';
const ACCOUNT = 'AC00000000000000000000000000000a01';
const NUMBER = '+447700900001';
const sender: SenderAddress = {
  sender_address: senderAddressKey('whatsapp', NUMBER),
  company_id: 'ci-1',
  project_id: 'pi-1',
  channel: 'whatsapp',
  credentials_id: 'creds/whatsapp',
  updated_at: '2026-12-02T00:00:00.000Z',
};

const secretsAnswering = (answer: () => Promise<{ SecretString?: string }>) =>
  cachedSecretReader({ send: answer } as unknown as SecretsManagerClient, 60_000);

const call = () => {
  const params = {
    MessageSid: `SM${'a'.repeat(32)}`,
    AccountSid: ACCOUNT,
    From: 'whatsapp:+447912345678',
    To: `whatsapp:${NUMBER}`,
    Body: 'hello',
  };
  const signature = twilio.getExpectedTwilioSignature(TOKEN, `${URL_BASE}/webhooks/twilio/messages`, params);
  return {
    rawBody: new URLSearchParams(params).toString(),
    isBase64Encoded: false,
    contentType: 'application/x-www-form-urlencoded',
    signature,
  };
};

const depsWith = (secrets: ReturnType<typeof secretsAnswering>) => {
  const errors: unknown[][] = [];
  const deps: TwilioCallDeps = {
    directory: { find: async (key: string) => (key === sender.sender_address ? sender : undefined) } as TwilioCallDeps['directory'],
    secrets,
    webhookBaseUrl: URL_BASE,
    logger: {
      info: () => undefined,
      warn: () => undefined,
      error: (...args: unknown[]) => void errors.push(args),
    } as unknown as TwilioCallDeps['logger'],
  };
  return { deps, errors };
};

const verify = (deps: TwilioCallDeps) => verifyTwilioCall(call(), { path: '/webhooks/twilio/messages', ourNumber: 'To' }, deps);

describe("verifying a Twilio call with the number's credentials secret", () => {
  it('verifies with a well-formed secret', async () => {
    const { deps } = depsWith(
      secretsAnswering(async () => ({ SecretString: JSON.stringify({ twilio_account_sid: ACCOUNT, twilio_auth_token: TOKEN }) })),
    );
    await expect(verify(deps)).resolves.toMatchObject({ channel: 'whatsapp', companyNumber: NUMBER });
  });

  it.each([
    ['does not exist', async () => Promise.reject(new ResourceNotFoundException({ message: 'not found', $metadata: {} }))],
    ['is not JSON', async () => ({ SecretString: 'not json' })],
    ['is JSON but not an object', async () => ({ SecretString: 'null' })],
    ['lacks the auth token', async () => ({ SecretString: JSON.stringify({ twilio_account_sid: ACCOUNT }) })],
  ])('a secret that %s: refused as unverified (403) and an ERROR names the secret', async (_name, answer) => {
    const { deps, errors } = depsWith(secretsAnswering(answer));
    const refusal = await verify(deps).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ kind: 'forbidden', code: 'WEBHOOK_SIGNATURE_INVALID' });
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toMatchObject({ secret_id: 'creds/whatsapp' });
    expect(JSON.stringify(errors)).not.toContain(TOKEN);
  });

  it('Secrets Manager failing to answer is transient (a 5xx, so Twilio retries), not a refusal', async () => {
    const { deps, errors } = depsWith(
      secretsAnswering(async () => Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))),
    );
    await expect(verify(deps)).rejects.toMatchObject({ kind: 'transient', code: 'SECRET_UNAVAILABLE' });
    expect(errors).toHaveLength(0);
  });
});
