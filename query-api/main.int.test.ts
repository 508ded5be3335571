/** The process as an operator runs it: configuration from the environment, ready, SIGTERM. */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { migrateToLatest } from '../platform/postgres';
import { freePort } from '../platform/testing/ports';
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../platform/testing/postgres-schema';
import { readModelMigrations } from '../projectors/migrations';
import { connectClient } from './testing/socket-client';
import { TEST_JWT_SECRET, TEST_NATS_URL } from './testing/fixture';
import { mintToken } from '../platform/auth';

let db: TestSchema;

test.before(async () => {
  db = await createTestSchema('t_query_main');
  await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema });
});
test.after(async () => {
  await db.drop();
});

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./main.ts', import.meta.url).pathname], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

test('a bad configuration fails the start, naming each variable', async () => {
  const run = start({ QUERY_API_PORT: 'http', DATABASE_URL: 'mysql://x', NATS_URL: 'nats://127.0.0.1:4222', JWT_SECRET: 'short' });
  assert.is(await run.exited, 1);
  const text = run.output();
  for (const variable of ['QUERY_API_PORT', 'DATABASE_URL', 'JWT_SECRET'])
    assert.ok(text.includes(`- ${variable}:`), `${variable} named in:\n${text}`);
  assert.not.ok(text.includes('short'), 'never echoes a value');
});

test('it serves, is ready, and on SIGTERM closes its sockets and exits 0', async () => {
  const port = await freePort();
  const run = start({
    QUERY_API_PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: db.schema,
    NATS_URL: TEST_NATS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'warn',
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  let ready = false;
  for (let tries = 0; tries < 150 && !ready; tries++) {
    ready = await fetch(`${baseUrl}/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (!ready) await sleep(100);
  }
  assert.ok(ready, `ready; output:\n${run.output()}`);
  const client = await connectClient(baseUrl, { token: await mintToken({ sub: 'quinn', role: 'customer', secret: TEST_JWT_SECRET }) });
  const disconnected = new Promise<string>((resolve) => client.socket.on('disconnect', (reason) => resolve(reason)));
  run.child.kill('SIGTERM');
  assert.is(await run.exited, 0, run.output());
  assert.is(await disconnected, 'transport close', 'cut, not told to stay away: the client reconnects by itself');
});

test.run();
