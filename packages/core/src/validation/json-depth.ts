/**
 * Depth of a parsed JSON value, computed without recursion so that a hostile body of 30,000
 * nested arrays cannot overflow the stack. Stops counting as soon as `limit` is passed.
 */
export const exceedsDepth = (value: unknown, limit: number): boolean => {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limit) return true;
    const children = Array.isArray(current) ? current : Object.values(current as Record<string, unknown>);
    for (const child of children) stack.push([child, depth + 1]);
  }
  return false;
};
