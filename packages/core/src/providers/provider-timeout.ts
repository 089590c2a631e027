/**
 * How long a Twilio or SendGrid call may take, connection and answer together. `@sendgrid/client`
 * sets no timeout at all (axios waits for ever), and a hung provider would otherwise hold its
 * record, kept alive by the heartbeat, until the record's deadline. 30 s is far above either
 * provider's normal answer (well under a second) and far inside the deadline; the local stack
 * and tests may set PROVIDER_TIMEOUT_SECONDS lower.
 */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 30_000;

export const providerTimeoutMs = (env: NodeJS.ProcessEnv = process.env): number => {
  const seconds = Number(env.PROVIDER_TIMEOUT_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(120_000, seconds * 1000) : DEFAULT_PROVIDER_TIMEOUT_MS;
};
