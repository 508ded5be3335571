/**
 * The NATS connection, from NATS_URL. The client reconnects by itself once it has connected;
 * the first connection is the caller's to retry (a service starting while NATS is down should
 * keep its other work going, not hang in `connect`).
 */
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import type { ReadinessCheck } from '../http/readiness';

export type { NatsConnection } from 'nats';

export interface NatsOptions {
  /** `nats://host:4222`, as in NATS_URL; several may be given, comma-separated. */
  url: string;
  /** Shown in the server's connection list (`nats server report connections`). */
  name?: string;
  /** How long one connection attempt may take (default 2000 ms). */
  timeoutMs?: number;
}

/** One attempt to connect; once connected, the client reconnects forever on its own. */
export async function connectNats({ url, name, timeoutMs = 2000 }: NatsOptions): Promise<NatsConnection> {
  const options: ConnectionOptions = {
    servers: url.split(',').map((server) => server.trim()),
    timeout: timeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    ...(name ? { name } : {}),
  };
  return connect(options);
}

export async function closeNats(connection: NatsConnection): Promise<void> {
  if (connection.isClosed()) return;
  await connection.drain().catch(() => undefined);
  // A drain begun while disconnected gives up without closing (the client swallows the failed
  // flush), and the connection would go on reconnecting for ever.
  if (!connection.isClosed()) await connection.close();
}

/** Ready when the server answers a round trip; `connection()` may answer none while (re)connecting. */
export function natsReadinessCheck(
  connection: () => NatsConnection | undefined,
  { timeoutMs = 1000 }: { timeoutMs?: number } = {},
): ReadinessCheck {
  return {
    name: 'nats',
    timeoutMs,
    async check() {
      const current = connection();
      if (!current || current.isClosed()) throw new Error('not connected to NATS');
      await current.flush();
    },
  };
}
