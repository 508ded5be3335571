/**
 * A user's notifications as the console keeps them: in the order they were sent, each once. A
 * notification can arrive twice — in the reconnect catch-up and live, or from the first page of
 * GET /notifications and the socket — and ids carry no order, so the log dedupes by id and keeps
 * arrival order.
 */
export interface NotificationLike {
  id: string;
}

export interface Merged<N> {
  items: N[];
  /** The ones that were new, in order: what to show or announce. */
  added: N[];
}

export function mergeNotifications<N extends NotificationLike>(known: readonly N[], incoming: readonly N[]): Merged<N> {
  const ids = new Set(known.map((item) => item.id));
  const added: N[] = [];
  for (const item of incoming) {
    if (ids.has(item.id)) continue;
    ids.add(item.id);
    added.push(item);
  }
  return { items: added.length ? [...known, ...added] : (known as N[]), added };
}

/**
 * How many came after the last one the user saw. A last-seen id that is not in the log (another
 * user's, or from before a rebuild that changed nothing of ids but lost rows) counts everything.
 */
export function unreadCount(items: readonly NotificationLike[], lastSeenId: string | null): number {
  if (!lastSeenId) return items.length;
  const index = items.findIndex((item) => item.id === lastSeenId);
  return index < 0 ? items.length : items.length - index - 1;
}

/** The id to send as `lastNotificationId` on a (re)connect: the newest one received. */
export function lastReceivedId(items: readonly NotificationLike[]): string | undefined {
  return items.at(-1)?.id;
}
