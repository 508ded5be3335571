/**
 * A notifications client: connects to the query API's socket.io endpoint with a bearer token and
 * prints each notification as it arrives. On every reconnect it sends the id of the last one it
 * printed, so it is first sent what it missed while away; an id it already printed is skipped.
 *
 *   TOKEN=$(npm run -s token -- --sub alice --role customer) \
 *   QUERY_API_URL=http://127.0.0.1:3002 npx tsx query-api/examples/notifications-client.ts
 *
 * LAST_NOTIFICATION_ID=<id> resumes after a notification printed by an earlier run.
 * (query-api/examples/notifications-client.int.test.ts runs this file, so it keeps working.)
 */
import { io } from 'socket.io-client';

interface Notification {
  id: string;
  type: string;
  orderId: string | null;
  sku: string | null;
  at: string;
  data: Record<string, unknown>;
}

const url = process.env.QUERY_API_URL ?? 'http://127.0.0.1:3002';
const token = process.env.TOKEN;
if (!token) {
  console.error('Set TOKEN to a bearer token, e.g. TOKEN=$(npm run -s token -- --sub alice --role customer)');
  process.exit(1);
}

let lastNotificationId = process.env.LAST_NOTIFICATION_ID || undefined;
const printed = new Set<string>();

const socket = io(url, {
  // A function, so every reconnect sends the last id seen by then.
  auth: (send) => send({ token, ...(lastNotificationId ? { lastNotificationId } : {}) }),
});

socket.on('connect', () => console.log(`connected to ${url}${lastNotificationId ? ` (after ${lastNotificationId})` : ''}`));

socket.on('notification', (notification: Notification) => {
  if (printed.has(notification.id)) return;
  printed.add(notification.id);
  lastNotificationId = notification.id;
  const about = notification.orderId ? `order ${notification.orderId}` : `sku ${notification.sku}`;
  console.log(`${notification.at} ${notification.type} ${about} ${JSON.stringify(notification.data)} (id ${notification.id})`);
});

socket.on('caught-up', ({ count, more }: { count: number; more: boolean }) => {
  console.log(`caught up: ${count} missed${more ? ' (more: GET /notifications?after=<last id>)' : ''}`);
});

socket.on('disconnect', (reason) => console.log(`disconnected (${reason}); reconnecting`));

socket.on('connect_error', (error: Error & { data?: { reason?: string } }) => {
  // A refused token will not get better by retrying; a server that is down might.
  if (error.message === 'unauthorized') {
    console.error(`refused: ${error.data?.reason ?? error.message}`);
    process.exit(2);
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    socket.close();
    process.exit(0);
  });
}
