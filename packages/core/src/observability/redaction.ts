/**
 * Secret redaction for everything we log. Three nets, because any one alone leaks:
 * 1. keys whose name says "secret" (api keys, tokens, authorization headers) are masked whole;
 * 2. values shaped like provider secrets (OpenAI `sk-…`, SendGrid `SG.…`, Basic/Bearer
 *    credentials) are masked wherever they appear inside a string;
 * 3. values registered at runtime (an API key once it has been authenticated, the secret fields
 *    of what is read from Secrets Manager) are masked wherever they appear, whatever their shape.
 *    Only secrets are registered: registering a secret's other fields (a sender's name or address)
 *    would mask the company name and the conversation id in every line.
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY_NAMES = new Set(
  [
    'api_key',
    'apikey',
    'x-api-key',
    'authorization',
    'ai_api_key',
    'auth_token',
    'twilio_auth_token',
    'sendgrid_api_key',
    'password',
    'secret',
    'secretstring',
    'secret_string',
    'client_secret',
    'access_token',
    'refresh_token',
  ].map((name) => name.toLowerCase()),
);

const SECRET_VALUE_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}/g, // OpenAI keys
  /\bSG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // SendGrid keys
  /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._-]{8,}/g, // HTTP credentials
];

/**
 * How many registered values a container keeps. A warm router sees the keys of every project
 * that calls it, so the set must not grow for ever; a processor registers a handful. When full,
 * the value registered (or seen again) longest ago is forgotten first.
 */
export const MAX_REGISTERED_SECRETS = 1000;

const registeredSecrets = new Set<string>();

/** Remember a secret value so that no later log line can print it. Short values are ignored: masking "a" would mangle every line. */
export const registerSecretValue = (value: string | undefined | null): void => {
  if (typeof value !== 'string' || value.length < 6) return;
  registeredSecrets.delete(value); // seen again: it becomes the newest
  registeredSecrets.add(value);
  if (registeredSecrets.size > MAX_REGISTERED_SECRETS) registeredSecrets.delete(registeredSecrets.values().next().value!);
};

/** How many values are registered now (for tests and diagnostics). */
export const registeredSecretCount = (): number => registeredSecrets.size;

/** Whether a value is registered (for tests: an unauthenticated key must not be). */
export const isRegisteredSecret = (value: string): boolean => registeredSecrets.has(value);

export const isSecretKeyName = (key: string): boolean => SECRET_KEY_NAMES.has(key.toLowerCase());

/** Register the fields of a secret's JSON whose names say they are secret (`ai_api_key`, `twilio_auth_token`, `sendgrid_api_key`…), and only those. */
export const registerSecretFields = (value: Record<string, unknown>): void => {
  for (const [key, field] of Object.entries(value)) if (isSecretKeyName(key) && typeof field === 'string') registerSecretValue(field);
};

export const redactString = (text: string): string => {
  let result = text;
  for (const secret of registeredSecrets) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  for (const pattern of SECRET_VALUE_PATTERNS) result = result.replace(pattern, REDACTED);
  return result;
};

/** A JSON.stringify replacer applying all three nets; Powertools Logger calls it for every key. */
export const redactingReplacer = (key: string, value: unknown): unknown => {
  if (key !== '' && isSecretKeyName(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return redactString(value);
  return value;
};

/** Deep copy with secrets masked, for places that build strings themselves. */
export const redact = <T>(value: T): T => JSON.parse(JSON.stringify(value, redactingReplacer)) as T;
