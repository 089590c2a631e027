/**
 * A value read from an untyped place (a DynamoDB item, a provider's JSON) as text: strings as they
 * are, numbers and booleans written out, anything else the fallback. `String(x)` would write an
 * object as "[object Object]" into a log, a subject or an id.
 */
export const textOf = (value: unknown, fallback = ''): string =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
      ? String(value)
      : fallback;
