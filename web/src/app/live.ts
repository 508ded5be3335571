/**
 * The live stream: one socket.io connection per session, through the console's origin
 * (`/socket.io`). The server sends and the console only listens: `notification` (this user's,
 * admins' too), `caught-up` after a reconnect's catch-up, and `product`, `order`, `checkout`
 * (the same objects as GET /products/:sku, /orders/:id, /checkouts/:id).
 *
 * Reconnecting: `auth` is a function, so every (re)connect sends the newest notification id
 * received by then and the server replays only what came after it; the notification store drops
 * any it already has. After a reconnect every view on screen reads again (`resync`), because
 * `product`/`order`/`checkout` events sent while the socket was away are not replayed.
 * A socket lives no longer than its token: the server sends `token-expired` and cuts it, and the
 * session ends (the console has no way to get a fresh token without the person signing in).
 */
import { signal } from '@preact/signals';
import { io, type Socket } from 'socket.io-client';
import type { Checkout, Order, Product, ShopNotification } from './api';
import { reportSocket, onRetry, resync } from './reachability';
import { endSession } from './session';

export interface CaughtUp {
  count: number;
  more: boolean;
  unknownLastNotificationId: boolean;
}

export interface LiveEvents {
  notification: ShopNotification;
  'caught-up': CaughtUp;
  product: Product;
  order: Order;
  checkout: Checkout;
}
type LiveEvent = keyof LiveEvents;

export type LiveState = 'offline' | 'connecting' | 'live' | 'reconnecting';
export const liveState = signal<LiveState>('offline');

const listeners = new Map<LiveEvent, Set<(payload: never) => void>>();

/** Listen to one kind of live event; returns the function that stops listening. */
export function onLive<E extends LiveEvent>(event: E, handler: (payload: LiveEvents[E]) => void): () => void {
  let set = listeners.get(event);
  if (!set) listeners.set(event, (set = new Set()));
  set.add(handler as (payload: never) => void);
  return () => set.delete(handler as (payload: never) => void);
}

function emit<E extends LiveEvent>(event: E, payload: LiveEvents[E]): void {
  for (const handler of listeners.get(event) ?? []) (handler as (payload: LiveEvents[E]) => void)(payload);
}

let socket: Socket | undefined;
let stopRetrying: (() => void) | undefined;
/** Failures since the last connect: one can be a blip, two in a row is "the shop cannot be reached". */
let failures = 0;

export function startLive(token: string, lastNotificationId: () => string | undefined): void {
  stopLive();
  liveState.value = 'connecting';
  let connectedBefore = false;
  const current = io({
    path: '/socket.io',
    // Called on every (re)connect: the catch-up starts after the newest notification received.
    auth: (send) => {
      const last = lastNotificationId();
      send({ token, ...(last ? { lastNotificationId: last } : {}) });
    },
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  socket = current;

  current.on('connect', () => {
    failures = 0;
    reportSocket(true);
    liveState.value = 'live';
    if (connectedBefore) resync.value++;
    connectedBefore = true;
  });
  current.on('disconnect', (reason) => {
    if (socket !== current) return;
    liveState.value = 'reconnecting';
    // The server cut the socket (its NATS reconnected, or it shut down): socket.io-client does not
    // come back by itself after a server-side disconnect, so ask.
    if (reason === 'io server disconnect') setTimeout(() => socket === current && current.connect(), 500);
  });
  current.on('connect_error', (error: Error & { data?: { reason?: string } }) => {
    if (socket !== current) return;
    if (error.message === 'unauthorized') {
      // A refused token will not get better by retrying.
      stopLive();
      endSession(`The live connection refused your sign-in (${error.data?.reason ?? 'unauthorized'}). Sign in again.`);
      return;
    }
    failures++;
    liveState.value = 'reconnecting';
    if (failures >= 2) reportSocket(false);
  });
  // The server cuts a socket whose token has expired; HTTP would answer 401 from now on too.
  current.on('token-expired', () => {
    if (socket !== current) return;
    stopLive();
    endSession('Your sign-in expired. Sign in again.');
  });
  for (const event of ['notification', 'caught-up', 'product', 'order', 'checkout'] as const) {
    current.on(event, (payload: unknown) => emit(event, payload as LiveEvents[typeof event]));
  }
  stopRetrying = onRetry(() => {
    if (!current.connected) current.connect();
  });
}

export function stopLive(): void {
  stopRetrying?.();
  stopRetrying = undefined;
  if (socket) {
    const closing = socket;
    socket = undefined;
    closing.removeAllListeners();
    closing.disconnect();
  }
  failures = 0;
  reportSocket(true);
  liveState.value = 'offline';
}
