/**
 * LISTEN on a channel, on a connection of its own: a pooled connection goes back to the pool
 * between queries, and whoever borrows it next would get (or lose) the notifications.
 *
 * The connection is opened through the knex client, with the pool's own settings. It reconnects
 * with backoff when it drops; notifications sent while it was down are gone, so `listening` tells
 * the caller when it must fall back to reading the table itself. A knex client whose raw
 * connections cannot LISTEN (an embedded database) never listens, and the caller polls.
 */
import type { Knex } from 'knex';
import type { Logger } from '../logger';

interface NotifyingConnection {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', handler: (message: { channel: string; payload?: string }) => void): void;
  on(event: 'error' | 'end', handler: (error?: Error) => void): void;
  end(): Promise<void>;
}

function canListen(connection: unknown): connection is NotifyingConnection {
  const candidate = connection as Partial<NotifyingConnection> | null;
  return typeof candidate?.query === 'function' && typeof candidate.on === 'function' && typeof candidate.end === 'function';
}

export interface ChannelListener {
  /** True while notifications are being received: when false, some may be missed. */
  readonly listening: boolean;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Called with every notification's payload ('' when it had none). */
  onNotification(payload: string): void;
  /** Called when `listening` changes, e.g. to read what may have been missed meanwhile. */
  onListeningChange?(listening: boolean): void;
  logger?: Logger;
  retry?: { initialMs?: number; maxMs?: number };
}

export function listenToChannel(knex: Knex, channel: string, options: ListenOptions): ChannelListener {
  const { initialMs = 100, maxMs = 5_000 } = options.retry ?? {};
  let connection: NotifyingConnection | undefined;
  let listening = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = initialMs;

  const setListening = (value: boolean) => {
    if (listening === value) return;
    listening = value;
    options.onListeningChange?.(value);
  };

  const connect = async () => {
    timer = undefined;
    if (closed) return;
    let raw: unknown;
    try {
      raw = await (knex.client as { acquireRawConnection(): Promise<unknown> }).acquireRawConnection();
    } catch (error) {
      options.logger?.warn({ err: error, channel, retryInMs: delay }, 'could not open a connection to LISTEN on; polling meanwhile');
      return retry();
    }
    if (!canListen(raw)) {
      options.logger?.info({ channel }, 'this database connection cannot LISTEN; polling instead');
      return;
    }
    const opened = raw;
    if (closed) return void opened.end().catch(() => undefined);
    connection = opened;
    let dropped = false;
    const drop = (error?: Error) => {
      if (dropped) return;
      dropped = true;
      connection = undefined;
      setListening(false);
      void opened.end().catch(() => undefined);
      if (!closed) {
        options.logger?.warn({ err: error, channel, retryInMs: delay }, 'LISTEN connection lost; polling until it is back');
        retry();
      }
    };
    opened.on('error', drop);
    opened.on('end', () => drop(new Error('connection ended')));
    opened.on('notification', (message) => {
      if (message.channel === channel) options.onNotification(message.payload ?? '');
    });
    try {
      await opened.query(`listen "${channel.replaceAll('"', '""')}"`);
      delay = initialMs;
      setListening(true);
    } catch (error) {
      drop(error instanceof Error ? error : new Error(String(error)));
    }
  };

  const retry = () => {
    if (closed) return;
    timer = setTimeout(() => void connect(), delay);
    timer.unref();
    delay = Math.min(delay * 2, maxMs);
  };

  void connect();

  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      setListening(false);
      const open = connection;
      connection = undefined;
      await open?.end().catch(() => undefined);
    },
  };
}
