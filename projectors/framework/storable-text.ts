/**
 * PostgreSQL text and jsonb cannot hold U+0000, and jsonb refuses a lone surrogate (half of a
 * UTF-16 pair: JSON.stringify writes it as `\ud800`). Commands refuse both, but the log keeps
 * whatever earlier releases (or other writers, such as a payment provider's decline reason)
 * let in, and one such event would stop a projection for good. A read model is a view: where
 * an event has either, it shows U+FFFD (the replacement character), and the event itself stays
 * as written.
 */
import type { RawEvent } from './types';

const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

// Node 20 has these (ES2024); the compiler's library does not know them yet.
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

const isStorable = (text: string) => !text.includes(NUL) && (text as WellFormedString).isWellFormed();
const storable = (text: string) => (text as WellFormedString).toWellFormed().replaceAll(NUL, REPLACEMENT);

/** `value` with every U+0000 and lone surrogate in its strings (keys too) replaced; `value` itself when it has none. */
export function withStorableText<T>(value: T): T {
  return containsUnstorable(value) ? (replaceUnstorable(value) as T) : value;
}

/** The event as a projection may read it: its data made storable (the same object when it already is). */
export function storableEvent(raw: RawEvent): RawEvent {
  const data = withStorableText(raw.data);
  return data === raw.data ? raw : { ...raw, data };
}

// Every event passes through here: the common case walks without allocating.
function containsUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return !isStorable(value);
  if (Array.isArray(value)) return value.some(containsUnstorable);
  if (value !== null && typeof value === 'object') {
    for (const key in value) if (!isStorable(key) || containsUnstorable((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function replaceUnstorable(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return value.map(replaceUnstorable);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [storable(key), replaceUnstorable(item)]));
  return value;
}
