/**
 * The server's commit check (EventStoreDB's `CheckCommit`): given what a stream holds and what
 * the writer expects, decide whether an append is written, is an idempotent repeat, or fails.
 * The rules are evaluated in the server's order; the comments name the spec's rule (3.3, 3.4).
 */

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface StreamFacts {
  tombstoned: boolean;
  /** Revision of the last event, -1n if the stream never had one. */
  current: bigint;
  /** `$$stream` holds at least one event: the stream "implicitly exists". */
  hasMetadata: boolean;
  softDeleted: boolean;
  idAt(revision: bigint): string | undefined;
  revisionOf(id: string): bigint | undefined;
}

export type CommitDecision =
  { kind: 'write' } | { kind: 'idempotent'; lastRevision: bigint } | { kind: 'wrong-expected-version' } | { kind: 'stream-deleted' };

const WRITE: CommitDecision = { kind: 'write' };
const WEV: CommitDecision = { kind: 'wrong-expected-version' };

export function checkCommit(stream: StreamFacts, expected: ExpectedRevision, ids: readonly string[]): CommitDecision {
  // Rule 1: a tombstone is final, whatever was expected.
  if (stream.tombstoned) return { kind: 'stream-deleted' };

  const absent = stream.current < 0n && !stream.hasMetadata;
  // Rule 2: a stream that was never written (not even its metadata).
  if (absent) return expected === 'any' || expected === 'no_stream' ? WRITE : WEV;

  // Rule 3: `stream_exists` on a soft-deleted stream is a deletion error, not a version error
  // (a metadata-only stream passes: it implicitly exists).
  if (expected === 'stream_exists' && stream.softDeleted) return { kind: 'stream-deleted' };

  if (ids.length === 0) return checkEmptyCommit(stream.current, expected);

  // Rule 4: `any`/`stream_exists` are idempotent only when the first id is already in the stream.
  if (expected === 'any' || expected === 'stream_exists') {
    const first = ids[0]!;
    if (stream.revisionOf(first) === undefined) return WRITE;
    let last = -1n;
    for (const id of ids) {
      const revision = stream.revisionOf(id);
      if (revision === undefined) return WEV;
      // The server answers the revision of the batch's last event, even if an earlier one is higher.
      last = revision;
    }
    return { kind: 'idempotent', lastRevision: last };
  }

  const expectedRevision = expected === 'no_stream' ? -1n : expected;
  // Rule 5: an older expected revision is a repeat only if it re-sends exactly what was written after it.
  if (expectedRevision < stream.current) {
    for (let i = 0; i < ids.length; i++) {
      const revision = expectedRevision + 1n + BigInt(i);
      const stored = revision <= stream.current ? stream.idAt(revision) : undefined;
      if (stored !== ids[i]) {
        // `no_stream` recreates a soft-deleted stream when the batch is new.
        if (i === 0 && expected === 'no_stream' && stream.softDeleted) return WRITE;
        return WEV;
      }
    }
    return { kind: 'idempotent', lastRevision: expectedRevision + BigInt(ids.length) };
  }
  // Rule 6.
  return expectedRevision === stream.current ? WRITE : WEV;
}

/** Spec 3.4: an empty append writes nothing but still answers (or fails) like a real one. */
function checkEmptyCommit(current: bigint, expected: ExpectedRevision): CommitDecision {
  if (expected === 'any' || expected === 'stream_exists') return { kind: 'idempotent', lastRevision: current };
  const expectedRevision = expected === 'no_stream' ? -1n : expected;
  return expectedRevision === current ? { kind: 'idempotent', lastRevision: current } : WEV;
}
