/**
 * Request bodies may nest at most MAX_JSON_DEPTH levels. JSON.parse takes any depth, but
 * whatever walks the value afterwards (validation, an idempotency fingerprint, a log
 * serializer) recurses, and a 20,000-deep array (`[[[[…]]]]`, 40 kB) exhausts its stack: a 500
 * from one small request. No body of ours nests beyond a handful of levels.
 */
export const MAX_JSON_DEPTH = 32;

export const tooDeepError = () => Object.assign(new Error(`The body nests deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 });

/** True when `value` nests deeper than `max` (recursion stops at `max`, so the check itself is safe). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max === 0) return true;
  for (const item of Array.isArray(value) ? value : Object.values(value)) if (nestsDeeperThan(item, max - 1)) return true;
  return false;
}
