import type { ExpectedRevision } from '../../log/expected-revision';

/**
 * The expected-revision oneof of `AppendReq`, `BatchAppendReq`, `DeleteReq` and `TombstoneReq`
 * options. The four messages name the exact case differently (`revision`, `stream_position`) but
 * share the field numbers, so one mapping serves all of them.
 */
const EXPECTED_CASE = { exact: 2, noStream: 3, any: 4, streamExists: 5 } as const;

/** `undefined` = the oneof is not set (or holds a revision that is not a uint64). */
export function expectedRevisionFromProto(oneofCase: number, exactRevision: () => string): ExpectedRevision | undefined {
  switch (oneofCase) {
    case EXPECTED_CASE.any:
      return 'any';
    case EXPECTED_CASE.noStream:
      return 'no_stream';
    case EXPECTED_CASE.streamExists:
      return 'stream_exists';
    case EXPECTED_CASE.exact: {
      const text = exactRevision();
      return /^\d+$/.test(text) ? BigInt(text) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The server's wording when the oneof is unset: it formats the .NET enum case (`None`) and the
 * enum's type name, e.g. `'None' is not a valid EventStore.Client.Streams.AppendReq+Types+Options+ExpectedStreamRevisionOneofCase`.
 */
export function unsetExpectedRevisionMessage(request: 'AppendReq' | 'BatchAppendReq' | 'DeleteReq' | 'TombstoneReq'): string {
  const oneof = request === 'BatchAppendReq' ? 'ExpectedStreamPositionOneofCase' : 'ExpectedStreamRevisionOneofCase';
  return `'None' is not a valid EventStore.Client.Streams.${request}+Types+Options+${oneof}`;
}
