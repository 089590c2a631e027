/**
 * Secret redaction for everything we log. Three nets, because any one alone leaks:
 * 1. keys whose name says "secret" (api keys, tokens, authorization headers) are masked whole;
 * 2. values shaped like provider secrets (OpenAI `sk-…`, SendGrid `SG.…`, Basic/Bearer
 *    credentials) are masked wherever they appear inside a string;
 * 3. values registered at runtime (the request's API key, every secret read from Secrets Manager)
 *    are masked wherever they appear, whatever their shape.
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

const registeredSecrets = new Set<string>();

/** Remember a secret value so that no later log line can print it. Short values are ignored: masking "a" would mangle every line. */
export const registerSecretValue = (value: string | undefined | null): void => {
  if (typeof value === 'string' && value.length >= 6) registeredSecrets.add(value);
};

export const isSecretKeyName = (key: string): boolean => SECRET_KEY_NAMES.has(key.toLowerCase());

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
