/**
 * `npm run bench:command-api`: POST /orders through the whole command API (HTTP, JWT, zod,
 * inventory read, OrderPlaced append), against the bare append rate of the same event store
 * through the client at the same concurrency, then where one request's time goes. About 60 s.
 *
 * Three processes, as in a deployment: the emulator (in-memory log), the command API
 * (command-api/main.ts, LOG_LEVEL info, logs discarded), and this one, which drives both
 * (autocannon for HTTP, the client for bare appends) one measurement at a time.
 *
 *   BENCH_SECONDS (default 10)  length of each measurement
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { EventStoreDBClient, NO_STREAM, jsonEvent } from '@eventstore/db-client';
import autocannon from 'autocannon';
import { mintToken } from '../../platform/auth';
import { spawnEmulator } from '../eventstore-append/emulator-process';
import { freePort } from '../../platform/testing/ports';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = [16, 64];
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const SKUS = Array.from({ length: 20 }, (_, i) => `BENCH-${i}`);
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 20;

const format = (value: number) => Math.round(value).toLocaleString('en-US');
const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');

interface Figures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

async function startCommandApi(eventStoreUrl: string): Promise<{ baseUrl: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('../../command-api/main.ts', import.meta.url).pathname], {
    env: {
      ...process.env,
      EVENTSTORE_URL: eventStoreUrl,
      JWT_SECRET: SECRET,
      COMMAND_API_PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
    const up = await fetch(`${baseUrl}/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) return { baseUrl, child };
  }
  child.kill('SIGKILL');
  throw new Error('the command API did not become ready');
}

async function placeOrders(baseUrl: string, token: string, connections: number, duration: number): Promise<Figures> {
  let next = 0;
  const result = await autocannon({
    url: `${baseUrl}/orders`,
    connections,
    duration,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        // Orders spread over 20 products, one line each: what most checkouts look like.
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ lines: [{ sku: SKUS[next++ % SKUS.length], quantity: 1 }], paymentToken: 'tok_approve' }),
        }),
      },
    ],
  });
  return {
    perSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** The same event as POST /orders writes, appended to a new stream with no_stream, `writers` at a time. */
async function bareAppends(eventStore: EventStoreDBClient, writers: number, duration: number): Promise<Figures> {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const deadline = started + duration * 1000;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        try {
          await appendOrder(eventStore);
          latencies.push(performance.now() - sent);
        } catch {
          failures++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return { perSecond: latencies.length / elapsed, p50Ms: percentile(0.5), p99Ms: percentile(0.99), failures };
}

let appended = 0;
async function appendOrder(eventStore: EventStoreDBClient): Promise<void> {
  const orderId = randomUUID();
  const event = jsonEvent({
    type: 'OrderPlaced',
    data: {
      orderId,
      customerId: 'bench-customer',
      lines: [{ sku: SKUS[appended++ % SKUS.length], quantity: 1, unitPrice: { amount: 1299, currency: 'EUR' } }],
      total: { amount: 1299, currency: 'EUR' },
      paymentToken: 'tok_approve',
      placedAt: new Date().toISOString(),
    },
    metadata: { correlationId: orderId, causationId: orderId, actor: 'bench-customer', schemaVersion: 1 },
  });
  await eventStore.appendToStream(`order-${orderId}`, event, { expectedRevision: NO_STREAM });
}

/** Mean time of `operation` run `count` times one after another: where a request's time goes. */
async function sequentialMs(count: number, operation: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await operation(i);
  return (performance.now() - started) / count;
}

async function breakdown(baseUrl: string, token: string): Promise<void> {
  const count = 300;
  const post = (body: unknown) =>
    fetch(`${baseUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.arrayBuffer());
  const rows: [string, number][] = [
    [
      'client: read an inventory stream (2 events)',
      await sequentialMs(count, (i) => readAll(client, `inventory-${SKUS[i % SKUS.length]}`)),
    ],
    ['client: append OrderPlaced to a new stream', await sequentialMs(count, () => appendOrder(client))],
    ['HTTP: POST /orders refused at validation (JWT verified, no event store)', await sequentialMs(count, () => post({}))],
    [
      'HTTP: POST /orders with an unknown SKU (one read, 404)',
      await sequentialMs(count, () => post({ lines: [{ sku: 'NO-SUCH-SKU', quantity: 1 }], paymentToken: 't' })),
    ],
    [
      'HTTP: POST /orders (one read, one append, 202)',
      await sequentialMs(count, (i) => post({ lines: [{ sku: SKUS[i % SKUS.length], quantity: 1 }], paymentToken: 't' })),
    ],
  ];
  console.log(`\nWhere a request's time goes: mean of ${count} calls made one at a time\n`);
  console.log('| operation | ms |');
  console.log('| --- | ---: |');
  for (const [label, ms] of rows) console.log(`| ${label} | ${ms.toFixed(2)} |`);
}

async function readAll(eventStore: EventStoreDBClient, stream: string): Promise<void> {
  for await (const _ of eventStore.readStream(stream)) {
    // drain: never leave a client read early
  }
}

const benchStarted = performance.now();
console.log(
  `Command API bench — ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, load average ${load()}`,
);
const emulator = await spawnEmulator();
const client = EventStoreDBClient.connectionString(emulator.url);
const api = await startCommandApi(emulator.url);
try {
  const admin = await mintToken({ sub: 'bench-admin', role: 'admin', secret: SECRET });
  const customer = await mintToken({ sub: 'bench-customer', role: 'customer', secret: SECRET, expiresIn: '1h' });
  for (const sku of SKUS) {
    const response = await fetch(`${api.baseUrl}/products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sku, name: `Bench product ${sku}`, price: { amount: 1299, currency: 'EUR' } }),
    });
    if (response.status !== 201) throw new Error(`registering ${sku}: ${response.status} ${await response.text()}`);
  }

  // Warm up both processes' JIT, the HTTP keep-alive pool and the gRPC channel.
  process.stderr.write('  warming up...\n');
  await placeOrders(api.baseUrl, customer, 16, 3);
  await bareAppends(client, 16, 2);

  const rows: { connections: number; api: Figures; bare: Figures }[] = [];
  for (const connections of CONNECTIONS) {
    process.stderr.write(`  ${connections} connections: POST /orders...\n`);
    const viaApi = await placeOrders(api.baseUrl, customer, connections, seconds);
    process.stderr.write(`  ${connections} writers: bare appends...\n`);
    const bare = await bareAppends(client, connections, seconds);
    rows.push({ connections, api: viaApi, bare });
  }

  console.log(`\nPOST /orders vs bare appends (${seconds} s each, one-line orders over ${SKUS.length} SKUs, in-memory log)\n`);
  console.log(
    '| concurrency | POST /orders req/s | p50 ms | p99 ms | non-2xx/errors | bare appends/s | p50 ms | p99 ms | ratio | targets (≥ 50%, p99 ≤ 20 ms at 64) |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const { connections, api: viaApi, bare } of rows) {
    const ratio = viaApi.perSecond / bare.perSecond;
    const verdict =
      connections === 64
        ? `${ratio >= TARGET_RATIO ? 'ratio met' : 'ratio missed'}, ${viaApi.p99Ms <= TARGET_P99_MS ? 'p99 met' : 'p99 missed'}`
        : ratio >= TARGET_RATIO
          ? 'ratio met'
          : 'ratio missed';
    console.log(
      `| ${connections} | ${format(viaApi.perSecond)} | ${viaApi.p50Ms.toFixed(1)} | ${viaApi.p99Ms.toFixed(1)} | ${viaApi.failures} | ${format(bare.perSecond)} | ${bare.p50Ms.toFixed(1)} | ${bare.p99Ms.toFixed(1)} | ${(ratio * 100).toFixed(0)}% | ${verdict} |`,
    );
  }
  await breakdown(api.baseUrl, customer);
} finally {
  api.child.kill('SIGTERM');
  await new Promise((resolve) => api.child.once('close', resolve));
  await client.dispose();
  await emulator.stop();
}
console.log(`\n(bench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s; load average at the end ${load()})`);
