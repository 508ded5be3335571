/**
 * Applies a projection's events in (after, through] of `$all` inside a transaction the caller
 * holds: what brings a shadow to exactly the live checkpoint while the live writer waits. The
 * range is short (what the live writer did since the shadow stopped), so it is read with plain
 * pages of `$all` and filtered here.
 */
import { FORWARDS, START, type EventStoreDBClient } from '@eventstore/db-client';
import type { Knex } from 'knex';
import { CannotApplyEventError, type Position, type ProjectedEvent, type Projection, type RawEvent } from '../framework/types';
import { storableEvent } from '../framework/storable-text';

const PAGE = 500;

/** Answers how many events it applied. */
export async function foldRange(trx: Knex.Transaction, client: EventStoreDBClient, projection: Projection<any>, after: Position | undefined, through: Position): Promise<number> {
  let applied = 0;
  let pending: ProjectedEvent[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    await projection.apply(trx, pending);
    applied += pending.length;
    pending = [];
  };
  for await (const raw of readRange(client, projection.streamPrefixes, after, through)) {
    const event = readEvent(projection, raw);
    if (event) pending.push(event);
    if (pending.length >= PAGE) await flush();
  }
  await flush();
  return applied;
}

/** The projection's events after `after` up to `through` (inclusive), in log order. */
export async function* readRange(client: EventStoreDBClient, prefixes: readonly string[], after: Position | undefined, through: Position): AsyncGenerator<RawEvent> {
  let from: Position | typeof START = after ?? START;
  for (;;) {
    let read = 0;
    let last: Position | undefined;
    const page: RawEvent[] = [];
    // Each page is read to its end: a read abandoned half-way keeps the client from closing.
    for await (const { event } of client.readAll({ direction: FORWARDS, fromPosition: from, maxCount: PAGE })) {
      read++;
      if (!event?.position) continue;
      last = event.position;
      if (after && event.position.commit <= after.commit) continue; // forwards reads include their start
      if (event.position.commit > through.commit) continue;
      if (event.type.startsWith('$') || !prefixes.some((prefix) => event.streamId.startsWith(prefix))) continue;
      page.push({
        id: event.id,
        streamName: event.streamId,
        revision: event.revision,
        position: event.position,
        type: event.type,
        data: event.data,
        metadata: event.metadata,
        schemaVersion: (event.metadata as { schemaVersion?: unknown } | undefined)?.schemaVersion,
        recordedAt: event.created,
      });
    }
    yield* page;
    if (read < PAGE || !last || last.commit >= through.commit || (from !== START && last.commit === from.commit)) return;
    from = last;
  }
}

/** As the runner reads: passes by what the projection does not apply, refuses what it cannot read. */
function readEvent(projection: Projection<any>, raw: RawEvent): ProjectedEvent | undefined {
  if (!projection.handles(raw.type)) {
    if (projection.knows(raw.type)) return undefined;
    throw new CannotApplyEventError(projection.name, raw, `unknown event type '${raw.type}' in a stream this projection follows`);
  }
  try {
    return { event: projection.read(storableEvent(raw)), id: raw.id, streamName: raw.streamName, revision: raw.revision, position: raw.position, recordedAt: raw.recordedAt };
  } catch (error) {
    throw new CannotApplyEventError(projection.name, raw, error instanceof Error ? error.message : String(error), { cause: error });
  }
}
