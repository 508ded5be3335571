/**
 * PostgreSQL text and jsonb cannot hold U+0000. Commands refuse it, but the log keeps whatever
 * earlier releases (or other writers) accepted, and one such event would stop a projection for
 * good. A read model is a view: where an event has U+0000 it shows U+FFFD (the replacement
 * character), and the event itself stays as written.
 */
const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

/** `value` with every U+0000 in its strings (keys too) replaced; `value` itself when it has none. */
export function withStorableText<T>(value: T): T {
  return containsNul(value) ? (replaceNul(value) as T) : value;
}

// Every event passes through here: the common case (no NUL) walks without allocating.
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') {
    for (const key in value) if (key.includes(NUL) || containsNul((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function replaceNul(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll(NUL, REPLACEMENT);
  if (Array.isArray(value)) return value.map(replaceNul);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.replaceAll(NUL, REPLACEMENT), replaceNul(item)]));
  return value;
}
