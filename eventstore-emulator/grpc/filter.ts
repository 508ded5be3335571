import type { LogRecord } from '../log/records';

/**
 * Server-side `$all` filters (spec 3.8), shared by catch-up subscriptions and persistent
 * subscriptions to `$all`.
 */
export interface RecordFilter {
  readonly target: 'stream-name' | 'event-type';
  /** Used when present: an unanchored search (the server uses .NET regex). */
  readonly regex: RegExp | undefined;
  /** Any ordinal `startsWith`. */
  readonly prefixes: readonly string[];
}

// Streams a filtered reader never sees, whatever the filter says.
const HIDDEN_FROM_FILTERED = /^(\$epoch-information$|\$persistentsubscription-\$all::.*-(checkpoint|parked)$)/;

export function matchesFilter(filter: RecordFilter, record: LogRecord): boolean {
  if (HIDDEN_FROM_FILTERED.test(record.streamName)) return false;
  const subject = filter.target === 'stream-name' ? record.streamName : record.type;
  if (filter.regex) return filter.regex.test(subject);
  return filter.prefixes.some((prefix) => subject.startsWith(prefix));
}

/** Structural view of the generated `FilterOptions.Expression` classes (streams and persistent). */
interface ExpressionMessage {
  getRegex(): string;
  getPrefixList(): string[];
}

export function filterFromExpression(target: RecordFilter['target'], expression: ExpressionMessage | undefined): RecordFilter {
  const source = expression?.getRegex() ?? '';
  return {
    target,
    regex: source === '' ? undefined : new RegExp(source),
    prefixes: expression?.getPrefixList() ?? [],
  };
}
