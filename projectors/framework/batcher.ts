/**
 * Cuts the feed into transactions. A batch ends at `maxEvents`, at the feed's caught-up marker,
 * or when no more events come within the linger time after the batch began: `lingerMs` (a few
 * milliseconds) when live, so a lone event commits at once; `catchUpLingerMs` while catching
 * up, so the batches are full even when the subscription delivers a little slower than the
 * projection applies.
 */
import type { FeedSource } from './event-feed';
import type { Position, RawEvent } from './types';

export interface BatchOptions {
  /** Most events per transaction (default 500). */
  maxEvents?: number;
  /** Live: how long to wait for more once a batch has begun (default 5 ms). */
  lingerMs?: number;
  /** Catching up: the same (default 250 ms). */
  catchUpLingerMs?: number;
}

export interface Batch {
  readonly events: RawEvent[];
  /** Where the checkpoint moves after this batch: its last event, or a later filter checkpoint. */
  readonly position: Position | undefined;
  /** The feed reported caught-up within this batch. */
  readonly caughtUp: boolean;
}

export async function nextBatch(
  feed: FeedSource,
  live: boolean,
  { maxEvents = 500, lingerMs = 5, catchUpLingerMs = 250 }: BatchOptions = {},
): Promise<Batch> {
  const events: RawEvent[] = [];
  let position: Position | undefined;
  let caughtUp = false;
  let deadline: number | undefined;
  while (events.length < maxEvents) {
    const timeout = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
    const item = await feed.next(timeout);
    if (!item) break;
    deadline ??= Date.now() + (live ? lingerMs : catchUpLingerMs);
    if (item.kind === 'event') {
      events.push(item.event);
      position = item.event.position;
    } else if (item.kind === 'checkpoint') {
      if (!position || item.position.commit > position.commit) position = item.position;
    } else {
      caughtUp = true;
      break; // commit what we have now: a reader may be waiting for it
    }
  }
  return { events, position, caughtUp };
}
