/**
 * Only one instance of a projection writes at a time: it holds a session-level advisory lock on
 * a hash of the schema and projection name, on a connection of its own (a pooled connection
 * would hand the lock to whoever borrows it next). A second instance waits in
 * `pg_advisory_lock` until the first one's session ends — by shutdown, crash or network loss.
 *
 * On an embedded database (a `pglite:` URL, platform/postgres/embedded.ts) the lock is held in
 * this process instead. That is not a weaker lock but the same guarantee: the embedded database
 * is one session that only this process can open, so every writer that could compete for the
 * lock is in this process; and a session-level advisory lock would be no lock at all there
 * (Postgres grants it again to the session that holds it, and all our writers share that one).
 */
import type pg from 'pg';
import { dedicatedPostgresClient, embeddedPostgresAt, isEmbeddedPostgresUrl } from '../../platform/postgres';

export interface AdvisoryLock {
  /** Resolves once held. Rejects if the connection fails (retry with a new lock). */
  readonly acquired: Promise<void>;
  /** Resolves (never rejects) when the lock is lost or released: stop writing. */
  readonly lost: Promise<Error>;
  release(): Promise<void>;
  /** LISTENs on `channel` for as long as the lock is held (on the server: on the lock's own session). */
  listen(channel: string, onNotification: (payload: string) => void): Promise<void>;
}

export function acquireAdvisoryLock({ url, schema, name }: { url: string; schema: string; name: string }): AdvisoryLock {
  return isEmbeddedPostgresUrl(url) ? inProcessLock(url, `projector:${schema}:${name}`) : sessionLock(url, schema, name);
}

function sessionLock(url: string, schema: string, name: string): AdvisoryLock {
  const client: pg.Client = dedicatedPostgresClient({ url, applicationName: `projector:${name}` });
  let markLost!: (error: Error) => void;
  const lost = new Promise<Error>((resolve) => (markLost = resolve));
  let released = false;
  client.on('error', (error) => markLost(error));
  client.on('end', () => markLost(new Error(`the connection holding the lock of ${name} ended`)));
  const acquired = (async () => {
    await client.connect();
    // hashtext gives an int4; the key space is shared by the whole database, hence the prefix.
    await client.query('select pg_advisory_lock(hashtext($1))', [`projector:${schema}:${name}`]);
    if (released) throw new Error('released while waiting');
  })();
  acquired.catch((error: unknown) => markLost(error instanceof Error ? error : new Error(String(error))));
  return {
    acquired,
    lost,
    async listen(channel, onNotification) {
      client.on('notification', (message) => {
        if (message.channel === channel) onNotification(message.payload ?? '');
      });
      await client.query(`listen "${channel.replaceAll('"', '""')}"`);
    },
    async release() {
      released = true;
      await client.end().catch(() => undefined); // ending the session releases the lock
    },
  };
}

/** Holders and waiters of each in-process lock, by database URL and key. */
const inProcessLocks = new Map<string, { held: boolean; waiting: (() => void)[] }>();

function inProcessLock(url: string, key: string): AdvisoryLock {
  const database = embeddedPostgresAt(url);
  const id = `${url}\u0000${key}`;
  let entry = inProcessLocks.get(id);
  if (!entry) {
    entry = { held: false, waiting: [] };
    inProcessLocks.set(id, entry);
  }
  const lock = entry;
  let markLost!: (error: Error) => void;
  const lost = new Promise<Error>((resolve) => (markLost = resolve));
  let state: 'waiting' | 'held' | 'released' = 'waiting';
  let grant: (() => void) | undefined;
  let refuse: ((error: Error) => void) | undefined;
  const unsubscribes: (() => void)[] = [];

  const acquired = new Promise<void>((resolve, reject) => {
    if (database.closed) return reject(new Error('the embedded database is closed'));
    refuse = reject;
    grant = () => {
      if (state === 'released') return handOn();
      state = 'held';
      resolve();
    };
    if (lock.held) lock.waiting.push(grant);
    else {
      lock.held = true;
      grant();
    }
  });
  acquired.catch((error: unknown) => markLost(error instanceof Error ? error : new Error(String(error))));

  function handOn(): void {
    const next = lock.waiting.shift();
    if (next) next();
    else lock.held = false;
  }

  const release = async () => {
    if (state === 'released') return;
    const wasHeld = state === 'held';
    state = 'released';
    for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
    if (wasHeld) handOn();
    else {
      const queued = grant ? lock.waiting.indexOf(grant) : -1;
      if (queued >= 0) lock.waiting.splice(queued, 1);
      refuse?.(new Error('released while waiting'));
    }
    markLost(new Error(`the lock ${key} was released`));
  };
  // As a server ending the session: a closing database takes the lock with it.
  database.onClose(() => {
    markLost(new Error('the embedded database closed'));
    void release();
  });

  return {
    acquired,
    lost,
    release,
    async listen(channel, onNotification) {
      unsubscribes.push(await database.listen(channel, onNotification));
    },
  };
}
