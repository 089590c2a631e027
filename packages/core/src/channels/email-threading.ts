import { createHash } from 'node:crypto';

/**
 * How our e-mails thread (docs/processing.md "Linking"): every mail of a conversation carries the
 * conversation's token, 32 hex characters of SHA-256 of its id, in its Message-ID
 * (`<token@domain>` for the first, `<token.<n>@domain>` for each answer) and in its Reply-To
 * (`reply+token@<inbound domain>`). A reply brings the token back in its envelope recipient or in
 * In-Reply-To / References; the conversations table's inbound-index holds `email#<token>`.
 * The token is derived, not random, so every attempt of a send uses the same ids.
 */
export const emailThreadToken = (conversationId: string): string => createHash('sha256').update(conversationId).digest('hex').slice(0, 32);

const domainOf = (email: string) => email.split('@')[1] ?? 'ai-multi-comms.invalid';

/** The RFC 5322 Message-ID of a conversation's message: the first (`initial`) or an answer (by its message key). */
export const emailMessageIdFor = (conversationId: string, fromEmail: string, messageKey?: string): string => {
  const token = emailThreadToken(conversationId);
  const suffix = messageKey && messageKey !== 'initial' ? `.${createHash('sha256').update(messageKey).digest('hex').slice(0, 12)}` : '';
  return `<${token}${suffix}@${domainOf(fromEmail)}>`;
};

export const replyToAddressFor = (conversationId: string, inboundDomain: string): string =>
  `reply+${emailThreadToken(conversationId)}@${inboundDomain}`;

export const emailInboundKey = (token: string): string => `email#${token}`;

/** Tokens of our Reply-To addresses among recipients (`reply+<token>@…`). */
export const tokensInRecipients = (addresses: string): string[] =>
  [...addresses.toLowerCase().matchAll(/reply\+([0-9a-f]{32})@/g)].map((m) => m[1]!);

/** Tokens of our Message-IDs among In-Reply-To / References values (`<token[.n]@…>`), most recent (last) first. */
export const tokensInMessageIds = (ids: string): string[] =>
  [...ids.toLowerCase().matchAll(/<([0-9a-f]{32})(?:\.[0-9a-f]+)?@[^>]+>/g)].map((m) => m[1]!).reverse();

/** A value for a mail header built from input: no line breaks or other control characters (header injection), at most `max` characters. */
export const headerSafe = (value: string, max = 998): string =>
  value
    // eslint-disable-next-line no-control-regex -- control characters are exactly what a header must not carry
    .replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim()
    .slice(0, max);
