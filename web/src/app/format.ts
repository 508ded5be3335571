/**
 * Times as people read them: local, short. One `Intl.DateTimeFormat` per style, made once:
 * `toLocaleString` with options builds a new formatter on every call, and a list of a few hundred
 * notifications re-rendered on each arrival spent most of its time there (bench/web).
 */
const mediumFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });

function formatWith(format: Intl.DateTimeFormat, iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : format.format(date);
}

export function formatTime(iso: string | null | undefined): string {
  return formatWith(mediumFormat, iso);
}

/** Compact, for table cells on a phone. */
export function formatShortTime(iso: string | null | undefined): string {
  return formatWith(shortFormat, iso);
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
