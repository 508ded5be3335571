/** socket.io-client helpers for the gateway's tests. */
import { io, type Socket } from 'socket.io-client';
import type { Notification } from '../notifications/notification-store';
import type { CaughtUp } from '../realtime/gateway';

export interface TestClient {
  socket: Socket;
  received: Notification[];
  caughtUp: CaughtUp[];
  /** Resolves once `count` notifications were received in all (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<Notification[]>;
  close(): void;
}

export interface ConnectOptions {
  token?: string;
  lastNotificationId?: string;
}

/** Connects (websocket only, no automatic reconnection) and resolves once the handshake was accepted. */
export function connectClient(baseUrl: string, { token, lastNotificationId }: ConnectOptions): Promise<TestClient> {
  const socket = io(baseUrl, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { ...(token !== undefined ? { token } : {}), ...(lastNotificationId !== undefined ? { lastNotificationId } : {}) },
  });
  const received: Notification[] = [];
  const caughtUp: CaughtUp[] = [];
  const listeners = new Set<() => void>();
  socket.on('notification', (notification: Notification) => {
    received.push(notification);
    for (const listener of listeners) listener();
  });
  socket.on('caught-up', (info: CaughtUp) => caughtUp.push(info));
  const client: TestClient = {
    socket,
    received,
    caughtUp,
    waitFor(count, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(received);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`received ${received.length} notifications, expected ${count}: ${JSON.stringify(received.map(({ id }) => id))}`),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    close: () => void socket.disconnect(),
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (error) => {
      socket.disconnect();
      reject(error);
    });
  });
}
