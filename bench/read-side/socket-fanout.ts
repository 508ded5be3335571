/**
 * Read side: from a notification's commit in the read model to its receipt by socket.io clients,
 * with 2,000 sockets connected to one query API instance over loopback.
 *
 *   npm run bench:read-side     (about 25 s, ends within BENCH_TIMEOUT_S = 180 s whatever happens;
 *                                also BENCH_SOCKETS, BENCH_NOTIFICATIONS, BENCH_BROADCASTS, BENCH_CLIENT_THREADS)
 *
 * The query API runs as its own process (query-api/main.ts), on a Postgres schema of its own and
 * a NATS subject prefix of its own. Worker threads of this process (`BENCH_CLIENT_THREADS`,
 * default cores − 2, at least 1; socket-clients.ts) hold the 2,000 socket.io-client connections, each an admin with
 * its own user id (so in its own user room and in the admin room). The main thread plays the
 * projector: it commits a notification row with its outbox row, then publishes the payload to
 * NATS as the notifier does after a commit. Latency = receipt at a client − the commit's return,
 * both as absolute times of this process (`performance.timeOrigin + performance.now()`).
 *
 * - one-user: each notification is for one user (its one socket), sent every `BENCH_GAP_MS`;
 * - fan-out: each notification goes to the admin room, received by every socket.
 *
 * A receipt is timestamped only when its thread's event loop gets to it: with 2,000 sockets on
 * one thread the fan-out figures include the clients' own queueing, which separate browsers would not
 * have. The server's own fan-out cost is printed from its `notification_emit_seconds` metric.
 * Target: p99 ≤ 50 ms.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { mintToken } from '../../platform/auth';
import { closeNats, connectNats, subjectToken } from '../../platform/nats';
import { migrateToLatest, type Knex } from '../../platform/postgres';
import { createTestSchema } from '../../platform/testing/postgres-schema';
import { readModelMigrations } from '../../projectors/migrations';
import { latencySummary } from '../support/percentiles';
import { freePort } from '../../platform/testing/ports';

const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 2000);
const ONE_USER = Number(process.env.BENCH_NOTIFICATIONS ?? 500);
const BROADCASTS = Number(process.env.BENCH_BROADCASTS ?? 20);
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 5);
const BROADCAST_GAP_MS = Number(process.env.BENCH_BROADCAST_GAP_MS ?? 250);
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 180);
// Default: leave a core each to the query API and to this thread's commits.
const CLIENT_THREADS = Number(process.env.BENCH_CLIENT_THREADS ?? Math.max(1, availableParallelism() - 2));
const SECRET = `bench-secret-${randomBytes(16).toString('hex')}`;
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

// Bounded: whatever hangs, the bench ends.
const deadline = setTimeout(() => {
  console.error(`bench did not finish within ${TIMEOUT_S} s`);
  process.exit(1);
}, TIMEOUT_S * 1000);
deadline.unref();

function summary(name: string, latencies: number[], expected: number) {
  return { name, receipts: latencies.length, missing: expected - latencies.length, ...latencySummary(latencies) };
}

console.log(
  `read-side socket fan-out bench: ${SOCKETS} sockets, ${ONE_USER} one-user notifications every ${GAP_MS} ms, ${BROADCASTS} admin broadcasts`,
);
console.log(
  `cores ${availableParallelism()} (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average at start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

const db = await createTestSchema('bench_read');
await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema });
const nats = await connectNats({ url: NATS_URL, name: 'bench-read-side' });
const prefix = `bench_${randomBytes(4).toString('hex')}.notifications`;
const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;

const server = spawn(process.execPath, ['--import', 'tsx', new URL('../../query-api/main.ts', import.meta.url).pathname], {
  env: {
    ...process.env,
    QUERY_API_PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL,
    DATABASE_SCHEMA: db.schema,
    NATS_URL,
    JWT_SECRET: SECRET,
    NOTIFICATIONS_SUBJECT_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const serverExited = new Promise<void>((resolve) => server.on('exit', () => resolve()));

const workers: Worker[] = [];
let cleanedUp = false;
async function cleanUp(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const worker of workers) worker.postMessage({ kind: 'close' });
  await Promise.race([Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve)))), sleep(5000)]);
  for (const worker of workers) await worker.terminate();
  server.kill('SIGTERM');
  await Promise.race([serverExited, sleep(5000)]);
  await closeNats(nats);
  await db.drop();
}

const now = () => performance.timeOrigin + performance.now();

try {
  for (let ready = false, tries = 0; !ready; tries++) {
    if (tries > 300) throw new Error('the query API did not become ready');
    ready = await fetch(`${baseUrl}/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (!ready) await sleep(100);
  }

  // ---- connect ---------------------------------------------------------------------------
  const sentAt = new Map<string, number>();
  const connectStarted = performance.now();
  const users = Array.from({ length: SOCKETS }, (_, i) => `bench-user-${i}`);
  const tokens = await Promise.all(users.map((sub) => mintToken({ sub, role: 'admin', secret: SECRET })));
  const receipts: [string, number][] = [];
  const connected = Array.from({ length: CLIENT_THREADS }, (_, thread) => {
    const share = tokens.filter((_token, i) => i % CLIENT_THREADS === thread);
    // A worker does not inherit tsx's loader on Node 20: register it, then load the TypeScript entry.
    const entry = new URL('./socket-clients.ts', import.meta.url).href;
    const worker = new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, {
      eval: true,
      workerData: { baseUrl, tokens: share },
    });
    workers.push(worker);
    worker.on('message', (message: { kind: string; receipts?: [string, number][] }) => {
      if (message.kind === 'receipts') receipts.push(...message.receipts!);
    });
    return new Promise<number>((resolve, reject) => {
      worker.on('message', (message: { kind: string; count?: number }) => message.kind === 'connected' && resolve(message.count!));
      worker.once('error', reject);
    });
  });
  const connectedCount = (await Promise.all(connected)).reduce((sum, count) => sum + count, 0);
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  console.log(`connected ${connectedCount} sockets from ${CLIENT_THREADS} client threads in ${connectSeconds.toFixed(1)} s`);
  await sleep(500);

  async function collectReceipts(): Promise<void> {
    for (const worker of workers) worker.postMessage({ kind: 'flush' });
    // Each worker answers once; wait for a quiet moment after the answers.
    for (let quiet = 0, last = -1; quiet < 3;) {
      await sleep(50);
      if (receipts.length === last) quiet++;
      else quiet = 0;
      last = receipts.length;
    }
  }

  async function commitAndPublish(knex: Knex, audience: 'customer' | 'admin', userId: string, seq: number): Promise<string> {
    const id = randomUUID();
    const at = new Date().toISOString();
    const payload = {
      id,
      seq,
      audience,
      userId,
      type: audience === 'admin' ? 'LowStock' : 'OrderConfirmed',
      orderId: audience === 'admin' ? null : randomUUID(),
      sku: audience === 'admin' ? 'BENCH-SKU' : null,
      at,
      data: { bench: true },
    };
    const subject = audience === 'admin' ? 'admin' : `customer.${subjectToken(userId)}`;
    await knex.transaction(async (trx) => {
      await trx('notifications').insert({
        notification_id: id,
        audience,
        user_id: userId,
        seq,
        type: payload.type,
        order_id: payload.orderId,
        sku: payload.sku,
        occurred_at: at,
        data: JSON.stringify(payload.data),
        position: String(seq),
      });
      await trx('notification_outbox').insert({ notification_id: id, subject, payload: JSON.stringify(payload) });
    });
    sentAt.set(id, now());
    // The notifier's step after the commit: publish, then mark the outbox row sent.
    nats.publish(`${prefix}.${subject}`, JSON.stringify(payload));
    void knex('notification_outbox')
      .where({ notification_id: id })
      .update({ sent_at: knex.fn.now() })
      .then(() => undefined);
    return id;
  }

  /** The server's `notification_emit_seconds` sum and count so far. */
  async function emitTotals(): Promise<{ sum: number; count: number }> {
    const metrics = await fetch(`${baseUrl}/metrics`).then((response) => response.text());
    const value = (name: string) => Number(new RegExp(`^notification_emit_seconds_${name}\\S* (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    return { sum: value('sum'), count: value('count') };
  }

  /** Waits (at most 10 s) until `expected` receipts of `ids` are in. */
  async function drain(ids: Set<string>, expected: number): Promise<number[]> {
    const until = performance.now() + 10_000;
    let latencies: number[];
    do {
      await collectReceipts();
      latencies = receipts.filter(([id]) => ids.has(id)).map(([id, at]) => at - sentAt.get(id)!);
    } while (latencies.length < expected && performance.now() < until);
    return latencies;
  }

  // ---- one user per notification ----------------------------------------------------------
  const oneUserIds = new Set<string>();
  const perUserSeq = new Map<string, number>();
  for (let i = 0; i < ONE_USER; i++) {
    const user = users[(i * 7919) % SOCKETS]!;
    const seq = (perUserSeq.get(user) ?? 0) + 1;
    perUserSeq.set(user, seq);
    oneUserIds.add(await commitAndPublish(db.knex, 'customer', user, seq));
    await sleep(GAP_MS);
  }
  const oneUser = await drain(oneUserIds, ONE_USER);
  const afterOneUser = await emitTotals();

  // ---- fan-out to every socket ----------------------------------------------------------
  const broadcastIds = new Set<string>();
  for (let i = 0; i < BROADCASTS; i++) {
    broadcastIds.add(await commitAndPublish(db.knex, 'admin', '*', i + 1));
    await sleep(BROADCAST_GAP_MS);
  }
  const fanOut = await drain(broadcastIds, BROADCASTS * SOCKETS);
  const perBroadcast = new Map<string, { first: number; last: number }>();
  for (const [id, at] of receipts) {
    if (!broadcastIds.has(id)) continue;
    const latency = at - sentAt.get(id)!;
    const spread = perBroadcast.get(id) ?? { first: latency, last: latency };
    spread.first = Math.min(spread.first, latency);
    spread.last = Math.max(spread.last, latency);
    perBroadcast.set(id, spread);
  }
  const afterFanOut = await emitTotals();
  const emitMs = ((afterFanOut.sum - afterOneUser.sum) / (afterFanOut.count - afterOneUser.count)) * 1000;

  const results = [
    summary('one user (1 socket each)', oneUser, ONE_USER),
    summary(`fan-out, every receipt (${SOCKETS} sockets each)`, fanOut, BROADCASTS * SOCKETS),
    summary(
      'fan-out, first socket of each broadcast',
      [...perBroadcast.values()].map(({ first }) => first),
      BROADCASTS,
    ),
    summary(
      'fan-out, last socket of each broadcast',
      [...perBroadcast.values()].map(({ last }) => last),
      BROADCASTS,
    ),
  ];
  console.log('\ncommit → socket.io receipt, ms');
  console.log('| delivery | receipts | missing | p50 | p90 | p99 | max |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) console.log(`| ${r.name} | ${r.receipts} | ${r.missing} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} |`);
  console.log(`\nserver: one broadcast handed to its ${SOCKETS} sockets in ${emitMs.toFixed(1)} ms on average (notification_emit_seconds)`);
  console.log(
    `load average at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    JSON.stringify({
      bench: 'read-side/socket-fanout',
      sockets: SOCKETS,
      connectSeconds: +connectSeconds.toFixed(1),
      serverBroadcastEmitMs: +emitMs.toFixed(1),
      results,
    }),
  );
  const verdict = results.every((r) => r.missing === 0) ? 0 : 1;
  if (verdict) console.error('some notifications were not received');
  await cleanUp();
  process.exit(verdict);
} catch (error) {
  console.error(error);
  await cleanUp();
  process.exit(1);
}
