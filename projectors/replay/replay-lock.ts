/**
 * One rebuild (and one verify) per schema at a time: a session-level advisory lock, tried, never
 * waited for, on a connection of its own that lives as long as the command. A killed CLI loses
 * its session, so the lock cannot outlive it.
 */
import type { Knex } from 'knex';
import type pg from 'pg';
import { dedicatedPostgresClient } from '../../platform/postgres';
import { ExitCode, ReplayError } from './errors';

export type ReplayKind = 'rebuild' | 'verify';

const lockKey = (kind: ReplayKind, schema: string) => `replay:${kind}:${schema}`;

/** Some session holds the lock of key $1 (pg_advisory_lock(bigint) is listed with the key's high half as classid, low half as objid). */
const HELD = `select 1 from pg_locks
  where locktype = 'advisory' and granted and objsubid = 1
    and classid = ((hashtext($1)::bigint >> 32) & 4294967295)::oid and objid = (hashtext($1)::bigint & 4294967295)::oid
    and database = (select oid from pg_database where datname = current_database())`;

export interface ReplayLock {
  release(): Promise<void>;
}

export async function takeReplayLock(url: string, schema: string, kind: ReplayKind): Promise<ReplayLock> {
  const client: pg.Client = dedicatedPostgresClient({ url, applicationName: `replay:${kind}` });
  client.on('error', () => undefined); // a lost session only frees the lock; the command's own queries report the outage
  await client.connect();
  // Held anywhere counts as taken: on `npm start`'s embedded database every client shares one
  // session, to which Postgres would grant the lock again (docs/REPLAY.md). On a server this
  // only refuses a moment earlier what the try would refuse.
  const { rows } = await client.query<{ taken: boolean }>(
    `select case when exists (${HELD}) then false else pg_try_advisory_lock(hashtext($1)) end as taken`,
    [lockKey(kind, schema)],
  );
  if (!rows[0]?.taken) {
    await client.end().catch(() => undefined);
    throw new ReplayError(
      `a ${kind} of schema ${schema} is already running in another process; wait for it to finish (npm run replay -- status)`,
      ExitCode.busy,
    );
  }
  return {
    async release() {
      // Ending the connection frees it on a server, but not on the embedded database's shared session.
      await client.query('select pg_advisory_unlock(hashtext($1))', [lockKey(kind, schema)]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/** Whether some session holds the lock (a look at pg_locks: trying it would race a starting rebuild). */
export async function isReplayRunning(knex: Knex, schema: string, kind: ReplayKind): Promise<boolean> {
  const { rows } = (await knex.raw(`select exists (${HELD.replaceAll('$1', '?')}) as running`, [
    lockKey(kind, schema),
    lockKey(kind, schema),
  ])) as { rows: { running: boolean }[] };
  return rows[0]?.running ?? false;
}
