/** The advisory locks a group holds while it writes: one per member (advisory-lock.ts). */
import { acquireAdvisoryLock, type AdvisoryLock } from './advisory-lock';
import type { FeedSource } from './event-feed';
import type { GroupMember } from './group-member';

export interface LockPlace {
  /** For the locks' own connections. */
  readonly databaseUrl: string;
  /** The schema the read models live in (part of the lock key). */
  readonly schema: string;
}

const byName = (a: GroupMember, b: GroupMember) =>
  a.projection.name < b.projection.name ? -1 : a.projection.name > b.projection.name ? 1 : 0;

/**
 * Takes the members' locks in name order, as every instance takes them: two instances never each
 * hold a lock the other waits for. Each lock asked for is pushed to `locks` at once, for the
 * caller to release whatever happens. Answers false when `stopped` settles first.
 */
export async function lockInNameOrder(
  members: readonly GroupMember[],
  place: LockPlace,
  stopped: Promise<'stopped'>,
  locks: AdvisoryLock[],
): Promise<boolean> {
  for (const member of [...members].sort(byName)) {
    const lock = acquireAdvisoryLock({ url: place.databaseUrl, schema: place.schema, name: member.projection.name });
    locks.push(lock);
    if ((await Promise.race([lock.acquired, stopped])) === 'stopped') return false;
  }
  return true;
}

/**
 * Losing a lock ends the feed, so the batch being read returns at once and is not committed.
 * Answers the error of the first lock lost (undefined while all are held). Not a Promise.race
 * against the locks per batch: every race leaves a reaction on the never-settled lock promise
 * that holds its batch, and memory grows with the log.
 */
export function closeFeedOnLockLoss(locks: readonly AdvisoryLock[], feed: FeedSource): () => Error | undefined {
  let lostWith: Error | undefined;
  for (const lock of locks) {
    void lock.lost.then((error) => {
      lostWith ??= error;
      void feed.close();
    });
  }
  return () => lostWith;
}
