/**
 * The notification bus on NATS (port.ts): JetStream to publish — the stream holding `<prefix>.>`
 * is created or updated on every connection, each publish waits for the server's ack and carries
 * the notification id as `Nats-Msg-Id` so a repeat within the duplicate window is dropped — and
 * a core NATS subscription to receive (every query API instance gets every message).
 */
import { headers, nanos, type NatsConnection } from 'nats';
import type { Logger } from '../logger';
import { natsReadinessCheck, connectNats, closeNats } from '../nats';
import type { NotificationSink, NotificationSource, PublishingSession } from './port';

export interface NatsSinkOptions {
  url: string;
  /** Shown in the server's connection list. */
  connectionName?: string;
  /** Subjects are `<prefix>.…` (default `notifications`). */
  subjectPrefix?: string;
  /** The JetStream stream holding `<prefix>.>` (default `NOTIFICATIONS`). */
  streamName?: string;
}

export function natsNotificationSink(options: NatsSinkOptions): NotificationSink {
  return {
    async open() {
      const connection = await connectNats({ url: options.url, name: options.connectionName ?? 'projectors-notifier' });
      try {
        await ensureStream(connection, options);
      } catch (error) {
        await closeNats(connection).catch(() => undefined);
        throw error;
      }
      return natsPublishingSession(connection);
    },
  };
}

function natsPublishingSession(connection: NatsConnection): PublishingSession {
  const js = connection.jetstream();
  return {
    async publish(subject, payload, { id, timeoutMs }) {
      const messageHeaders = headers();
      messageHeaders.set('Content-Type', 'application/json');
      await js.publish(subject, payload, { msgID: id, headers: messageHeaders, timeout: timeoutMs });
    },
    get isClosed() {
      return connection.isClosed();
    },
    async ping() {
      await connection.flush();
    },
    close: () => closeNats(connection),
  };
}

async function ensureStream(connection: NatsConnection, options: NatsSinkOptions): Promise<void> {
  const jsm = await connection.jetstreamManager();
  const name = options.streamName ?? 'NOTIFICATIONS';
  const config = {
    name,
    subjects: [`${options.subjectPrefix ?? 'notifications'}.>`],
    // A repeat within this window (a publish retried after a lost ack) is dropped by the server.
    duplicate_window: nanos(2 * 60_000),
    // Long enough for a client that was offline to catch up from the stream if it wants to.
    max_age: nanos(7 * 24 * 3600_000),
  };
  try {
    await jsm.streams.info(name);
    await jsm.streams.update(name, config);
  } catch (error) {
    if (!/stream not found/i.test(String((error as Error).message))) throw error;
    await jsm.streams.add(config);
  }
}

/** Receives over `connection` (the caller's to open and close). */
export function natsNotificationSource(connection: NatsConnection, { logger }: { logger?: Logger } = {}): NotificationSource {
  const gapListeners = new Set<() => void>();
  let watching = false;
  const watch = async () => {
    for await (const status of connection.status()) {
      if (status.type === 'reconnect') for (const listener of [...gapListeners]) listener();
    }
  };
  return {
    subscribe(prefix, onMessage) {
      return connection.subscribe(`${prefix}.>`, {
        callback: (error, message) => {
          // A subscription error (e.g. permissions) ends nothing: later messages still come.
          if (error) logger?.error({ err: error }, 'NATS subscription error');
          else onMessage(message.subject, message.string());
        },
      });
    },
    onGap(listener) {
      gapListeners.add(listener);
      if (!watching) {
        watching = true;
        void watch();
      }
      return () => void gapListeners.delete(listener);
    },
    readinessCheck: () => natsReadinessCheck(() => connection),
  };
}
