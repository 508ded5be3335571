import type { EventLog } from '../../log/event-log';
import { errors } from '../errors';
import type { ReadRequest } from './read-request';
import { eventResponse, streamNotFoundResponse } from './read-responses';
import type { ResponseWriter } from './response-writer';

/**
 * `readStream` (spec 3.5): the stream's visible revisions in the asked direction, at most
 * `count`, streamed one message at a time so a huge stream never becomes one big array.
 */
export async function readStream(
  log: EventLog,
  request: Extract<ReadRequest, { kind: 'read-stream' }>,
  writer: ResponseWriter,
): Promise<void> {
  const outcome = log.readStream(request.stream, request.direction, request.from, request.count);
  if (outcome.kind === 'deleted') return writer.fail(errors.streamDeleted(request.stream));
  if (outcome.kind === 'not-found') {
    await writer.send(streamNotFoundResponse(request.stream));
    return writer.finish();
  }
  for (const record of outcome.revisions) {
    if (!writer.active) return;
    await writer.send(eventResponse(log, record, request.resolveLinks, request.uuid));
  }
  writer.finish();
}
