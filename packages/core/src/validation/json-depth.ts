/** Whether parsed JSON nests arrays and objects more than `limit` levels deep; without recursion, so any depth can be measured. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    for (const item of Array.isArray(v) ? (v as unknown[]) : Object.values(v)) {
      if (typeof item === 'object' && item !== null) {
        values.push(item);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** Whether `e` is V8's stack overflow, which `JSON.stringify` throws on deeply nested data (Node 20 and 24). */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && e.message.includes('call stack');
}
