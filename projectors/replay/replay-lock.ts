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

export interface ReplayLock {
  release(): Promise<void>;
}

export async function takeReplayLock(url: string, schema: string, kind: ReplayKind): Promise<ReplayLock> {
  const client: pg.Client = dedicatedPostgresClient({ url, applicationName: `replay:${kind}` });
  client.on('error', () => undefined); // a lost session only frees the lock; the command's own queries report the outage
  await client.connect();
  const { rows } = await client.query<{ taken: boolean }>('select pg_try_advisory_lock(hashtext($1)) as taken', [lockKey(kind, schema)]);
  if (!rows[0]?.taken) {
    await client.end().catch(() => undefined);
    throw new ReplayError(`a ${kind} of schema ${schema} is already running in another process; wait for it to finish (npm run replay -- status)`, ExitCode.busy);
  }
  return {
    async release() {
      await client.end().catch(() => undefined);
    },
  };
}

/** Whether some session holds the lock (a look at pg_locks: trying it would race a starting rebuild). */
export async function isReplayRunning(knex: Knex, schema: string, kind: ReplayKind): Promise<boolean> {
  // pg_advisory_lock(bigint) is listed with the key's high half as classid, low half as objid.
  const { rows } = (await knex.raw(
    `with key as (select hashtext(?)::bigint as k)
     select exists (
       select 1 from pg_locks, key
       where locktype = 'advisory' and granted and objsubid = 1
         and classid = ((k >> 32) & 4294967295)::oid and objid = (k & 4294967295)::oid
         and database = (select oid from pg_database where datname = current_database())
     ) as running`,
    [lockKey(kind, schema)],
  )) as { rows: { running: boolean }[] };
  return rows[0]?.running ?? false;
}
