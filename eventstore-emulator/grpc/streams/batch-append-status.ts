import type { Message } from 'google-protobuf';
import type { Status } from '@eventstore/db-client/generated/status_pb';
import type { ExpectedRevision } from '../../log/expected-revision';
import { anyPb, code, emptyPb, shared, status } from '../proto';
import { streamIdentifierOf } from './proposed-event-proto';

/**
 * Per-append errors of BatchAppend (spec 2.2): a `google.rpc.Status` whose `details` is always
 * set — the client calls `getTypeName()` on it — and packed under the server's type names.
 * The messages are the server's: the name of the details type.
 */

/** `details` packed as `typeName`, fully qualified: by default the client's type the message names. */
function packedStatus(statusCode: number, message: string, details: Message, typeName = `event_store.client.${message}`): Status {
  const packed = new anyPb.Any();
  packed.pack(details.serializeBinary(), typeName);
  const result = new status.Status();
  result.setCode(statusCode);
  result.setMessage(message);
  result.setDetails(packed);
  return result;
}

export const batchAppendErrors = {
  wrongExpectedVersion(current: bigint, expected: ExpectedRevision): Status {
    const details = new shared.WrongExpectedVersion();
    if (current < 0n) details.setCurrentNoStream(new emptyPb.Empty());
    else details.setCurrentStreamRevision(current.toString());
    if (expected === 'any') details.setExpectedAny(new emptyPb.Empty());
    else if (expected === 'no_stream') details.setExpectedNoStream(new emptyPb.Empty());
    else if (expected === 'stream_exists') details.setExpectedStreamExists(new emptyPb.Empty());
    else details.setExpectedStreamPosition(expected.toString());
    return packedStatus(code.Code.ALREADY_EXISTS, 'WrongExpectedVersion', details);
  },

  streamDeleted(streamName: string): Status {
    const details = new shared.StreamDeleted();
    details.setStreamIdentifier(streamIdentifierOf(streamName));
    return packedStatus(code.Code.NOT_FOUND, 'StreamDeleted', details);
  },

  maximumAppendSizeExceeded(maxAppendSize: number): Status {
    const details = new shared.MaximumAppendSizeExceeded();
    details.setMaxappendsize(maxAppendSize);
    return packedStatus(code.Code.INVALID_ARGUMENT, 'MaximumAppendSizeExceeded', details);
  },

  timeout(): Status {
    return packedStatus(code.Code.DEADLINE_EXCEEDED, 'Timeout', new shared.Timeout());
  },

  /** The client shows `message` only as "Could not recognize BadRequest"; the reason is in the details. */
  badRequest(reason: string): Status {
    const details = new shared.BadRequest();
    details.setMessage(reason);
    return packedStatus(code.Code.INVALID_ARGUMENT, 'BadRequest', details);
  },

  /** An emulator fault: the server packs an empty `google.protobuf.Empty` and puts the reason in `message`. */
  internal(message: string): Status {
    return packedStatus(code.Code.INTERNAL, message, new emptyPb.Empty(), 'google.protobuf.Empty');
  },
};
