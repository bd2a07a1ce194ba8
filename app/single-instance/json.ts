/** JSON values: what `data` and replies may hold, checked so nothing is silently changed on the wire. */

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Why `value` would not survive a JSON round trip unchanged, or `undefined` when it would.
 * Rejects `undefined`, functions, symbols, bigints, non-finite numbers, class instances
 * (Date, Map...) and cycles, naming the offending path.
 * @param value - the value to check
 * @param path - where the value sits, for the message
 */
export function jsonProblem(value: unknown, path = 'value'): string | undefined {
  return problemAt(value, path, new Set());
}

function problemAt(value: unknown, path: string, seen: Set<object>): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return undefined;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot hold`;
  }
  if (typeof value !== 'object') {
    return `${path} is ${typeof value}, which JSON cannot hold (use null for "no value")`;
  }
  if (seen.has(value)) {
    return `${path} refers back to itself`;
  }
  if (Array.isArray(value)) {
    seen.add(value);
    const found = firstProblem(
      Array.from(value, (item: unknown, index): [string, unknown] => [`${path}[${index}]`, item]),
      seen,
    );
    seen.delete(value);
    return found;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    return `${path} is a ${value.constructor.name} instance; pass plain objects, arrays and primitives`;
  }
  seen.add(value);
  const found = firstProblem(
    Object.entries(value).map(([key, item]): [string, unknown] => [`${path}.${key}`, item]),
    seen,
  );
  seen.delete(value);
  return found;
}

function firstProblem(entries: [string, unknown][], seen: Set<object>): string | undefined {
  for (const [path, item] of entries) {
    const found = problemAt(item, path, seen);
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}
