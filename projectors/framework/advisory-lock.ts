/**
 * Only one instance of a projection writes at a time: it holds a session-level advisory lock on
 * a hash of the schema and projection name, on a connection of its own (a pooled connection
 * would hand the lock to whoever borrows it next). A second instance waits in
 * `pg_advisory_lock` until the first one's session ends — by shutdown, crash or network loss.
 */
import type pg from 'pg';
import { dedicatedPostgresClient } from '../../platform/postgres';

export interface AdvisoryLock {
  /** Resolves once held. Rejects if the connection fails (retry with a new lock). */
  readonly acquired: Promise<void>;
  /** Resolves (never rejects) when the lock is lost or released: stop writing. */
  readonly lost: Promise<Error>;
  release(): Promise<void>;
  /** The session holding the lock, e.g. to LISTEN on while holding it. */
  readonly client: pg.Client;
}

export function acquireAdvisoryLock({ url, schema, name }: { url: string; schema: string; name: string }): AdvisoryLock {
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
    client,
    acquired,
    lost,
    async release() {
      released = true;
      await client.end().catch(() => undefined); // ending the session releases the lock
    },
  };
}
