/**
 * The embedded database over the wire protocol (embedded-socket.ts), with real `pg` clients on
 * one side and this process's knex on the other, on one PGlite session: a client's transaction
 * and the process's never interleave, each keeps its own search_path, a client that vanishes
 * mid-transaction is rolled back and frees the session, one idle in a transaction is cut off,
 * and the advisory locks of the clients go when the last one does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  connectEmbeddedPostgres,
  openEmbeddedPostgres,
  serveEmbeddedPostgres,
  type EmbeddedPostgres,
  type EmbeddedPostgresServer,
} from './index';
import type { Knex } from 'knex';
import { eventually } from '../testing/eventually';

let database: EmbeddedPostgres;
let server: EmbeddedPostgresServer;
let knex: Knex;

test.before(async () => {
  database = await openEmbeddedPostgres();
  server = await serveEmbeddedPostgres(database, { port: 0, idleInTransactionMs: 1_000 });
  knex = connectEmbeddedPostgres(database);
  await knex.raw('create schema elsewhere; create table public.t (n int); create table elsewhere.t (n int)');
});

test.after(async () => {
  await server.close();
  await knex.destroy();
  await database.close();
});

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

test('a client transaction and the process’s own never interleave', async () => {
  const client = await connect();
  try {
    await client.query('begin');
    await client.query('insert into t values (1)');
    let launcherDone = false;
    const launcher = knex
      .transaction(async (trx) => {
        await trx.raw('insert into t values (2)');
      })
      .then(() => (launcherDone = true));
    await sleep(300);
    // The process's transaction waits for the client's, and did not fall into it.
    assert.is(launcherDone, false);
    assert.equal((await client.query('select n from t order by n')).rows, [{ n: 1 }]);
    await client.query('rollback');
    await launcher;
    assert.equal(
      (await knex('t').select('n')).map(({ n }) => n as number),
      [2],
    );
  } finally {
    await client.end();
    await knex('t').del();
  }
});

test('each client keeps its search_path, and the process keeps its own', async () => {
  const [a, b] = [await connect(), await connect()];
  const scoped = connectEmbeddedPostgres(database, { schema: 'elsewhere' });
  try {
    await a.query('set search_path to elsewhere');
    await a.query('insert into t values (10)');
    await knex('t').insert({ n: 20 });
    await scoped('t').insert({ n: 30 });
    await b.query('insert into t values (40)');
    await a.query('insert into t values (11)');
    assert.equal((await knex.raw('select n from public.t order by n')).rows, [{ n: 20 }, { n: 40 }]);
    assert.equal((await knex.raw('select n from elsewhere.t order by n')).rows, [{ n: 10 }, { n: 11 }, { n: 30 }]);
  } finally {
    await Promise.all([a.end(), b.end(), scoped.destroy()]);
    await knex.raw('delete from public.t; delete from elsewhere.t');
  }
});

test('a client gone mid-transaction is rolled back and frees the session; one idle in a transaction is cut off', async () => {
  const gone = await connect();
  await gone.query('begin');
  await gone.query('insert into t values (1)');
  (gone as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  await knex.transaction(async (trx) => trx.raw('insert into t values (2)'));
  assert.equal(
    (await knex('t').select('n')).map(({ n }) => n as number),
    [2],
  );

  const idle = await connect();
  let ended = false;
  idle.on('end', () => (ended = true));
  await idle.query('begin');
  await idle.query('insert into t values (3)');
  await eventually('the idle client cut off', async () => ended);
  assert.equal(
    (await knex('t').select('n')).map(({ n }) => n as number),
    [2],
  );
  await knex('t').del();
});

test('the clients’ advisory locks go with the last of them', async () => {
  const [a, b] = [await connect(), await connect()];
  await a.query('select pg_advisory_lock(42)');
  await a.end();
  const held = async () =>
    (await knex.raw(`select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 42`)).rows[0].n > 0;
  assert.ok(await held(), 'still held while another client is connected');
  await b.end();
  await eventually('the lock released', async () => !(await held()));
});

test.run();
