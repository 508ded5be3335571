/**
 * What an end-to-end test does as a shopper or a shop admin: HTTP calls to the command and query
 * APIs, and a socket.io notifications client that behaves like the README's
 * (query-api/examples/notifications-client.ts): it reconnects by itself, sends the id of the
 * last notification it kept on every (re)connect, and drops a notification it already has.
 */
import { io, type Socket } from 'socket.io-client';
import { call, type Answer } from '../../command-api/testing/fixture';
import type { Notification } from '../../query-api/notifications/notification-store';
import type { CaughtUp } from '../../query-api/realtime/gateway';
import type { ShopEndpoints } from './system';

export type { Notification } from '../../query-api/notifications/notification-store';

export interface Position {
  commit: string;
  prepare: string;
}

export interface PlacedOrder {
  orderId: string;
  revision: string;
  position: Position;
}

/** Registers a product and receives stock, as an admin would over HTTP. */
export async function stockProduct(
  system: ShopEndpoints,
  sku: string,
  { price = 1250, quantity = 1000, name = `Product ${sku}` } = {},
): Promise<void> {
  const token = await system.token('admin-1', 'admin');
  const registered = await call(system.commandUrl, 'POST', '/products', {
    token,
    body: { sku, name, price: { amount: price, currency: 'EUR' } },
  });
  if (registered.status !== 201) throw new Error(`registering ${sku} answered ${registered.status}: ${JSON.stringify(registered.body)}`);
  const received = await call(system.commandUrl, 'POST', `/products/${sku}/stock`, { token, body: { quantity } });
  if (received.status >= 300) throw new Error(`receiving stock of ${sku} answered ${received.status}: ${JSON.stringify(received.body)}`);
}

/** POST /orders as `customerId`; throws unless the command API accepted it (202). */
export async function placeOrder(
  system: ShopEndpoints,
  customerId: string,
  lines: { sku: string; quantity: number }[],
  paymentToken = 'tok_ok',
): Promise<PlacedOrder> {
  const answer = await call(system.commandUrl, 'POST', '/orders', { token: await system.token(customerId), body: { lines, paymentToken } });
  if (answer.status !== 202) throw new Error(`POST /orders answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body as unknown as PlacedOrder;
}

/** GET on the query API as `customerId`. */
export async function query(
  system: ShopEndpoints,
  customerId: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return call(system.queryUrl, 'GET', path, { token: await system.token(customerId), headers });
}

/** What a client saw, in order: each notification kept, each `caught-up`, each (re)connect. */
export type Seen = { kind: 'notification'; id: string; type: string } | { kind: 'caught-up'; count: number } | { kind: 'connect' };

export interface NotificationsClient {
  readonly socket: Socket;
  /** Notifications kept (each id once), in arrival order. */
  readonly notifications: Notification[];
  /** Deliveries of an id already kept (dropped, as the README client does). */
  readonly repeats: Notification[];
  readonly caughtUp: CaughtUp[];
  readonly seen: Seen[];
  /** Resolves with the notifications kept once there are `count` of them. */
  waitForNotifications(count: number, timeoutMs?: number): Promise<Notification[]>;
  close(): void;
}

/**
 * Connects as `customerId` (resolves once the handshake is accepted). `lastNotificationId`
 * resumes after a notification kept by an earlier client, as a page reload would.
 */
export async function connectNotifications(
  system: ShopEndpoints,
  customerId: string,
  { lastNotificationId }: { lastNotificationId?: string } = {},
): Promise<NotificationsClient> {
  const token = await system.token(customerId);
  let last = lastNotificationId;
  const socket = io(system.queryUrl, {
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    // A function, so every reconnect sends the last id kept by then.
    auth: (send) => send({ token, ...(last ? { lastNotificationId: last } : {}) }),
  });
  const notifications: Notification[] = [];
  const repeats: Notification[] = [];
  const caughtUp: CaughtUp[] = [];
  const seen: Seen[] = [];
  const kept = new Set<string>();
  const listeners = new Set<() => void>();

  socket.on('connect', () => seen.push({ kind: 'connect' }));
  socket.on('notification', (notification: Notification) => {
    if (kept.has(notification.id)) return void repeats.push(notification);
    kept.add(notification.id);
    notifications.push(notification);
    last = notification.id;
    seen.push({ kind: 'notification', id: notification.id, type: notification.type });
    for (const listener of listeners) listener();
  });
  socket.on('caught-up', (info: CaughtUp) => {
    caughtUp.push(info);
    seen.push({ kind: 'caught-up', count: info.count });
  });

  const client: NotificationsClient = {
    socket,
    notifications,
    repeats,
    caughtUp,
    seen,
    waitForNotifications(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (notifications.length < count) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(notifications);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `${customerId} kept ${notifications.length} notifications within ${timeoutMs} ms, expected ${count}: ${JSON.stringify(notifications.map(({ type, orderId }) => `${type}:${orderId}`))}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    close: () => void socket.disconnect(),
  };
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      socket.disconnect();
      reject(error);
    });
  });
  return client;
}
