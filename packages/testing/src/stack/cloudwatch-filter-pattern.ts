/**
 * CloudWatch Logs JSON filter patterns, the subset this project writes: `{ COND && COND … }` or
 * `{ COND || COND … }` with COND = `$.a.b = "text"`, `$.a != "text"`, `$.n = 5`, `$.n > 5`
 * (also <, >=, <=), and `*` as a wildcard in text. Used to prove that the metric filter in the
 * YAML matches the exact line the code logs.
 */
const CONDITION = /^\$\.([A-Za-z0-9_.\[\]]+)\s*(=|!=|>=|<=|>|<)\s*(".*"|-?\d+(?:\.\d+)?|[A-Za-z_*][^\s]*)$/;

const valueAt = (object: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      object,
    );

const matchesCondition = (line: Record<string, unknown>, condition: string): boolean => {
  const match = CONDITION.exec(condition.trim());
  if (!match) throw new Error(`unsupported filter condition: ${condition}`);
  const [, path, operator, rawValue] = match as unknown as [string, string, string, string];
  const actual = valueAt(line, path);
  if (rawValue.startsWith('"') || /[A-Za-z*]/.test(rawValue)) {
    const text = rawValue.replace(/^"|"$/g, '');
    const regex = new RegExp(
      `^${text
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    const equal = typeof actual === 'string' && regex.test(actual);
    if (operator === '=') return equal;
    if (operator === '!=') return !equal;
    throw new Error(`operator ${operator} needs a number`);
  }
  const expected = Number(rawValue);
  if (typeof actual !== 'number') return false;
  switch (operator) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '>':
      return actual > expected;
    case '<':
      return actual < expected;
    case '>=':
      return actual >= expected;
    default:
      return actual <= expected;
  }
};

export const filterPatternMatches = (pattern: string, logLine: string): boolean => {
  const body = /^\s*\{(.*)\}\s*$/.exec(pattern)?.[1];
  if (body === undefined) throw new Error(`not a JSON filter pattern: ${pattern}`);
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(logLine) as Record<string, unknown>;
  } catch {
    return false;
  }
  if (body.includes('&&') && body.includes('||')) throw new Error('mixed && and || are not supported here');
  return body.includes('||')
    ? body.split('||').some((c) => matchesCondition(line, c))
    : body.split('&&').every((c) => matchesCondition(line, c));
};
