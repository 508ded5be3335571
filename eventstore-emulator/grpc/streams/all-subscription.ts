import { randomUUID } from 'node:crypto';
import type { EventLog } from '../../log/event-log';
import { matchesFilter } from '../filter';
import { FilterCheckpoints } from './filter-checkpoints';
import type { ReadRequest } from './read-request';
import { caughtUpResponse, checkpointResponse, confirmationResponse, eventResponse } from './read-responses';
import type { ResponseWriter } from './response-writer';

/**
 * Catch-up subscription to `$all`, with or without a filter (spec 3.7, 3.8). One cursor walks
 * the log by index: catch-up is "the cursor is behind the head", live is "the cursor is at the
 * head and waits for the next append". Since the log only grows and is read by index, the
 * switch can neither skip nor repeat a record, however the appends race it.
 */
export async function subscribeToAll(
  log: EventLog,
  request: Extract<ReadRequest, { kind: 'subscribe-all' }>,
  writer: ResponseWriter,
): Promise<void> {
  const { from, resolveLinks, uuid } = request;
  const filter = request.filter?.filter;
  const checkpoints = request.filter && new FilterCheckpoints(request.filter.checkpointInterval);
  // Exclusive start: from P, the first record delivered is the first one after P.
  let next = from === 'start' ? 0 : from === 'end' ? log.length : log.indexAtOrAfter(from);
  // A start position beyond the head (a checkpoint from another log, say) holds back live records
  // up to it, as the server skips live events at or before its checkpoint.
  const startAfter = typeof from === 'bigint' ? from : undefined;

  await writer.send(confirmationResponse(randomUUID()));
  // Nothing to catch up on: the server goes live at once, without a catch-up checkpoint.
  let caughtUp = next >= log.length;
  if (caughtUp) await writer.send(caughtUpResponse());

  while (writer.active) {
    while (next < log.length && writer.active) {
      const record = log.recordAt(next++)!;
      if (startAfter !== undefined && record.position <= startAfter) continue;
      const matched = !filter || matchesFilter(filter, record);
      if (matched) await writer.send(eventResponse(log, record, resolveLinks, uuid));
      const checkpoint = checkpoints?.consider(record.position, matched);
      if (checkpoint !== undefined) await writer.send(checkpointResponse(checkpoint));
    }
    if (!writer.active) return;
    if (!caughtUp) {
      caughtUp = true;
      const checkpoint = checkpoints?.endOfCatchUp();
      if (checkpoint !== undefined) await writer.send(checkpointResponse(checkpoint));
      await writer.send(caughtUpResponse());
      continue; // appends may have landed while those were being sent
    }
    await writer.wait((wake) => log.onAppend(wake));
  }
}
