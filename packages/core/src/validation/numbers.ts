/**
 * A number the engine could not keep as the client wrote it: an integer beyond ±2^53, which
 * JSON.parse has already rounded (12345678901234567890123 arrives as 1.2345678901234568e22,
 * and the AI would read that), or a value that is not finite. Returns the dotted path of the
 * first one, walking without recursion; the client sends such values as strings.
 */
export const findImpreciseNumber = (value: unknown, root: string): string | undefined => {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'number') {
      if (!Number.isFinite(current) || (Number.isInteger(current) && !Number.isSafeInteger(current))) return path;
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => stack.push([item, `${path}[${index}]`]));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) stack.push([child, `${path}.${key}`]);
    }
  }
  return undefined;
};
