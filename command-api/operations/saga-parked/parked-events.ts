/**
 * The saga group's parked events, read the way EventStoreDB keeps them: the count from the
 * group's info (`stats.parkedMessageCount`), the events from the group's parked stream
 * `$persistentsubscription-$all::<group>-parked`, which holds one `$>` link per parked event.
 * Replayed ones leave that stream by its truncate-before (`$tb`), so reading it backwards from the
 * end shows exactly those still parked, newest first. Both need a user in `$admins` on a secure
 * server (the stream's ACL); the insecure servers of compose and the emulator allow anyone.
 */
import {
  BACKWARDS,
  END,
  PersistentSubscriptionDoesNotExistError,
  StreamNotFoundError,
  type EventStoreDBClient,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { replayParked } from '../../../platform/eventstore/persistent-subscription';

export const MAX_PARKED_LISTED = 100;

export interface ParkedEvent {
  eventId: string;
  eventType: string;
  streamId: string;
  /** Decimal string: revisions are 64-bit. */
  revision: string;
  /** When it was parked (the link's creation), ISO 8601; null if the server did not say. */
  parkedAt: string | null;
}

export interface ParkedEvents {
  group: string;
  parkedCount: number;
  items: ParkedEvent[];
}

export function parkedStreamOf(group: string): string {
  return `$persistentsubscription-$all::${group}-parked`;
}

/** Undefined when the group does not exist (yet: the saga creates it when it first starts). */
async function parkedCountOf(client: EventStoreDBClient, group: string): Promise<number | undefined> {
  try {
    const info = await client.getPersistentSubscriptionToAllInfo(group);
    return Number(info.stats.parkedMessageCount);
  } catch (error) {
    if (error instanceof PersistentSubscriptionDoesNotExistError) return undefined;
    throw error;
  }
}

function parkedEventOf(resolved: ResolvedEvent): ParkedEvent | undefined {
  // A link whose event is gone (deleted or truncated stream) has nothing to show or replay.
  const { event, link } = resolved;
  if (!event) return undefined;
  const created = link?.created;
  return {
    eventId: event.id,
    eventType: event.type,
    streamId: event.streamId,
    revision: event.revision.toString(),
    parkedAt: created instanceof Date && !Number.isNaN(created.getTime()) ? created.toISOString() : null,
  };
}

export async function listParkedEvents(client: EventStoreDBClient, group: string): Promise<ParkedEvents> {
  const parkedCount = await parkedCountOf(client, group);
  if (parkedCount === undefined || parkedCount === 0) return { group, parkedCount: 0, items: [] };
  const items: ParkedEvent[] = [];
  try {
    // Collected in full before mapping: leaving a read early leaves its gRPC call unconsumed.
    const read: ResolvedEvent[] = [];
    for await (const resolved of client.readStream(parkedStreamOf(group), {
      direction: BACKWARDS,
      fromRevision: END,
      maxCount: MAX_PARKED_LISTED,
      resolveLinkTos: true,
    })) {
      read.push(resolved);
    }
    for (const resolved of read) {
      const parked = parkedEventOf(resolved);
      if (parked) items.push(parked);
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return { group, parkedCount, items };
}

/**
 * Redelivers every parked event of the group; answers how many were parked just before. A group
 * that does not exist has nothing parked: 0, and nothing asked of the server.
 */
export async function replayParkedEvents(client: EventStoreDBClient, group: string): Promise<number> {
  const parkedCount = await parkedCountOf(client, group);
  if (parkedCount === undefined) return 0;
  await replayParked(client, group);
  return parkedCount;
}
