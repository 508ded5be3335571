import { randomUUID } from 'node:crypto';
import type { EventLog } from '../../log/event-log';
import { errors } from '../errors';
import type { ReadRequest } from './read-request';
import { caughtUpResponse, confirmationResponse, eventResponse } from './read-responses';
import type { ResponseWriter } from './response-writer';

/**
 * Catch-up subscription to one stream (spec 3.6). The stream's revisions are dense, so
 * "the next revision after the last one sent" is an exact cursor: catch-up and live are the
 * same loop, and it only sleeps (until the stream is written) once that revision does not
 * exist yet — nothing can fall into a gap or arrive twice across the switch.
 */
export async function subscribeToStream(
  log: EventLog,
  request: Extract<ReadRequest, { kind: 'subscribe-stream' }>,
  writer: ResponseWriter,
): Promise<void> {
  const { stream } = request;
  // Exclusive start: the first revision delivered is `last + 1`.
  let last = request.from === 'start' ? -1n : request.from === 'end' ? log.currentRevision(stream) : request.from;
  await writer.send(confirmationResponse(randomUUID()));
  // As on the server: confirmed first, then the catch-up read finds the stream deleted.
  if (log.streamStatus(stream) === 'tombstoned') return writer.fail(errors.streamDeleted(stream));

  let caughtUp = false;
  while (writer.active) {
    for (let record = log.streamRecord(stream, last + 1n); record && writer.active; record = log.streamRecord(stream, last + 1n)) {
      last = record.revision;
      // Metadata limits ($tb, $maxCount, soft delete) hide old events from catch-up reads only;
      // live events are delivered as they are written, like the server's live subscription.
      if (!caughtUp && !log.isVisibleInStream(record)) continue;
      await writer.send(eventResponse(log, record, request.resolveLinks, request.uuid));
    }
    if (!writer.active) return;
    const tombstone = log.tombstoneRecord(stream);
    if (tombstone) {
      await writer.send(eventResponse(log, tombstone, request.resolveLinks, request.uuid));
      return writer.fail(errors.streamDeleted(stream));
    }
    if (!caughtUp) {
      caughtUp = true;
      await writer.send(caughtUpResponse());
      continue; // more may have been written while the client was slow to take caught_up
    }
    await writer.wait((wake) =>
      log.onAppend((records) => {
        if (records.some((record) => record.streamName === stream)) wake();
      }),
    );
  }
}
