import type { EventLog } from '../../log/event-log';
import { matchesFilter } from '../filter';
import type { ReadRequest } from './read-request';
import { eventResponse } from './read-responses';
import type { ResponseWriter } from './response-writer';

/**
 * `readAll` (spec 3.5): every record, system ones included, forwards from P inclusive or
 * backwards from P exclusive. With a filter (other clients send one; 6.2.1 does not) `count`
 * limits the matching records, as on the server.
 */
export async function readAll(log: EventLog, request: Extract<ReadRequest, { kind: 'read-all' }>, writer: ResponseWriter): Promise<void> {
  const { filter } = request;
  let remaining = request.count;
  for (const record of log.readAll(request.direction, request.from, filter ? BigInt(Number.MAX_SAFE_INTEGER) : request.count)) {
    if (!writer.active || remaining <= 0n) break;
    if (filter && !matchesFilter(filter, record)) continue;
    remaining--;
    await writer.send(eventResponse(log, record, request.resolveLinks, request.uuid));
  }
  writer.finish();
}
