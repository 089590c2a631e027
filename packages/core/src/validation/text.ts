/**
 * Strings that JSON can carry but nothing downstream can store or send: an unpaired UTF-16
 * surrogate (DynamoDB and the providers need valid Unicode). Returns the dotted path of the
 * first such string (a key or a value), walking without recursion.
 */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

export const findUnpairedSurrogate = (value: unknown): string | undefined => {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (UNPAIRED_SURROGATE.test(current)) return path || '(body)';
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => stack.push([item, `${path}[${index}]`]));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const childPath = path ? `${path}.${key}` : key;
        if (UNPAIRED_SURROGATE.test(key)) return childPath;
        stack.push([child, childPath]);
      }
    }
  }
  return undefined;
};

/**
 * JSON text that any SQS accepts as a message body. AWS allows #x9 #xA #xD #x20-#xD7FF
 * #xE000-#xFFFD #x10000-#x10FFFF; fauxqs (the local emulator) refuses the last range too. So
 * every UTF-16 unit outside the first ranges (noncharacters U+FFFE/U+FFFF, and both halves of
 * supplementary characters such as emoji) is written as a JSON \u escape. Lossless: JSON.parse
 * joins the escaped surrogate pairs back into the same string.
 */
// eslint-disable-next-line no-control-regex -- the set SQS accepts is defined by code points, tab, LF and CR among them
const OUTSIDE_SQS_SAFE_SET = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/g;

export const toSqsSafeJson = (value: unknown): string =>
  JSON.stringify(value).replace(OUTSIDE_SQS_SAFE_SET, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
