import { createServer, Socket } from 'node:net';
import {
  classifySendGridError,
  classifyTwilioError,
  DEFAULT_PROVIDER_TIMEOUT_MS,
  providerTimeoutMs,
  sendGridFor,
  twilioClientFor,
} from '../src';

/**
 * A provider that accepts the connection and never answers must fail the call (a transient,
 * retryable failure) instead of holding it for ever: @sendgrid/client sets no timeout of its own.
 */
let url: string;
const sockets = new Set<Socket>();
const server = createServer((socket) => void sockets.add(socket));
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  sockets.forEach((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('SendGrid: a hung mail/send fails after the timeout, as a transient failure', async () => {
  const error = await sendGridFor('SG.timeout-test.key', url, 300)
    .mail.send({ to: 'a@example.com', from: 'b@example.com', subject: 's', text: 't' })
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  expect(error).toBeDefined();
  expect(classifySendGridError(error)).toMatchObject({ kind: 'transient', code: 'PROVIDER_TRANSIENT' });
});

it('Twilio: a hung create fails after the timeout, as a transient failure', async () => {
  const error = await twilioClientFor('AC00000000000000000000000000000fff', 'token', url, 300)
    .messages.create({ from: '+447700900001', to: '+447700900002', body: 'x' })
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  expect(classifyTwilioError(error)).toMatchObject({ kind: 'transient', code: 'PROVIDER_TRANSIENT' });
});

it('the timeout is 30 s unless PROVIDER_TIMEOUT_SECONDS says otherwise', () => {
  expect(providerTimeoutMs({})).toBe(DEFAULT_PROVIDER_TIMEOUT_MS);
  expect(providerTimeoutMs({ PROVIDER_TIMEOUT_SECONDS: '5' })).toBe(5000);
  expect(providerTimeoutMs({ PROVIDER_TIMEOUT_SECONDS: 'nonsense' })).toBe(DEFAULT_PROVIDER_TIMEOUT_MS);
});
