/**
 * Applies a projection's events in (after, through] of `$all` inside a transaction the caller
 * holds: what brings a shadow to exactly the live checkpoint while the live writer waits. The
 * range is short (what the live writer did since the shadow stopped), so it is read with plain
 * pages of `$all` and filtered here.
 */
import { FORWARDS, START, type EventStoreDBClient } from '@eventstore/db-client';
import type { Knex } from 'knex';
import { rawEventOf } from '../framework/event-feed';
import { readFor } from '../framework/read-event';
import { CannotApplyEventError, type Position, type ProjectedEvent, type Projection, type RawEvent } from '../framework/types';

const PAGE = 500;

/** Answers how many events it applied. */
export async function foldRange(
  trx: Knex.Transaction,
  client: EventStoreDBClient,
  projection: Projection,
  { after, through }: { after: Position | undefined; through: Position },
): Promise<number> {
  let applied = 0;
  let pending: ProjectedEvent[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    await projection.apply(trx, pending);
    applied += pending.length;
    pending = [];
  };
  for await (const raw of readRange(client, projection.streamPrefixes, after, through)) {
    const event = readFor(projection, raw);
    if (event instanceof CannotApplyEventError) throw event;
    if (event) pending.push(event);
    if (pending.length >= PAGE) await flush();
  }
  await flush();
  return applied;
}

/** The projection's events after `after` up to `through` (inclusive), in log order. */
export async function* readRange(
  client: EventStoreDBClient,
  prefixes: readonly string[],
  after: Position | undefined,
  through: Position,
): AsyncGenerator<RawEvent> {
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
      page.push(rawEventOf(event, event.position));
    }
    yield* page;
    if (read < PAGE || !last || last.commit >= through.commit || (from !== START && last.commit === from.commit)) return;
    from = last;
  }
}
