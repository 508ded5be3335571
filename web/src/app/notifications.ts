/**
 * The signed-in user's notifications: read once over HTTP (GET /notifications, page by page), then
 * live from the socket — which, on every reconnect, first replays what came after the newest one
 * held here. Each is kept once (notification-log.ts). "Unread" is what came after the last one
 * the user saw in the notifications view; that id is kept in sessionStorage per user.
 */
import { computed, signal } from '@preact/signals';
import { outcome, queries, type ShopNotification } from './api';
import { onLive } from './live';
import { lastReceivedId, mergeNotifications, unreadCount } from './notification-log';

export const notifications = signal<ShopNotification[]>([]);
const lastSeenId = signal<string | null>(null);
export const unread = computed(() => unreadCount(notifications.value, lastSeenId.value));
/** Set while the notifications view is on screen: what arrives is seen at once. */
let viewing = false;
let user: string | null = null;

const seenKey = (sub: string) => `checkout-console.last-seen-notification.${sub}`;

export function newestNotificationId(): string | undefined {
  return lastReceivedId(notifications.peek());
}

function receive(incoming: ShopNotification[]): ShopNotification[] {
  const merged = mergeNotifications(notifications.peek(), incoming);
  if (merged.added.length) {
    notifications.value = merged.items;
    if (viewing) markAllSeen();
  }
  return merged.added;
}

/** Reads every notification after the newest one held (all of them the first time). */
export async function fetchNotifications(): Promise<void> {
  for (let page = 0; page < 20; page++) {
    const after = newestNotificationId();
    const answer = await outcome(queries.GET('/notifications', { params: { query: { limit: 500, ...(after ? { after } : {}) } } }));
    if (!answer.ok) return;
    receive(answer.data.items);
    if (!answer.data.more) return;
  }
}

export function markAllSeen(): void {
  const newest = newestNotificationId();
  if (!newest || !user) return;
  lastSeenId.value = newest;
  sessionStorage.setItem(seenKey(user), newest);
}

export function viewingNotifications(on: boolean): void {
  viewing = on;
  if (on) markAllSeen();
}

const announcers = new Set<(added: ShopNotification) => void>();
/** Called once per new notification that arrives live (not for the ones read at sign-in). */
export function onNewNotification(handler: (added: ShopNotification) => void): () => void {
  announcers.add(handler);
  return () => announcers.delete(handler);
}

let stopListening: (() => void)[] = [];

export function startNotifications(sub: string): void {
  stopNotifications();
  user = sub;
  lastSeenId.value = sessionStorage.getItem(seenKey(sub));
  stopListening = [
    onLive('notification', (notification) => {
      for (const added of receive([notification])) for (const announce of announcers) announce(added);
    }),
    // One catch-up sends at most 1,000: the rest is read over HTTP.
    onLive('caught-up', (caughtUp) => {
      if (caughtUp.more || caughtUp.unknownLastNotificationId) void fetchNotifications();
    }),
  ];
}

export function stopNotifications(): void {
  for (const stop of stopListening) stop();
  stopListening = [];
  notifications.value = [];
  lastSeenId.value = null;
  user = null;
  viewing = false;
}
