/**
 * Checkout saga benchmark: `npm run bench:checkout`.
 *
 * Three processes, as in a deployment: the event store emulator, one saga process (saga/main.ts;
 * BENCH_SAGAS=2 runs two, sharing the persistent subscription),
 * and this driver, which places orders the way the command API does (order decider → append) and
 * hosts the payment sandbox (tok_ok, zero latency).
 *
 * 1. Throughput: place BENCH_ORDERS orders (BENCH_CONCURRENCY placements in flight), and count
 *    completed checkouts per second from the first placement to the last CheckoutCompleted.
 * 2. Latency: place orders at half that rate (or BENCH_LATENCY_RATE per second) for
 *    BENCH_LATENCY_SECONDS, and measure the time from sending each placement to seeing its
 *    OrderConfirmed (a catch-up subscription) — p50, p99.
 * 3. The same run's limits: bare appends/s from this driver at the same concurrency, with the
 *    saga stopped, against which checkouts/s × 10 appends is held; and the CPU each process spent
 *    per checkout during (1), from which the most checkouts/s the machine's cores could give at
 *    that cost, however the work were spread over processes (bench/support/process-cpu.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { START, eventTypeFilter, type EventStoreDBClient } from '@eventstore/db-client';
import type { AddressInfo } from 'node:net';
import { inventoryCodec, inventoryDecider, inventoryStream, orderCodec, orderDecider, orderStream } from '../../domain';
import { appendEvents, commandHandler, connectEventStore, deterministicEventIds } from '../../platform/eventstore';
import { createPaymentSandbox } from '../../saga/payment-sandbox/server';
import { eventually } from '../../platform/testing/eventually';
import { spawnSaga, TEST_SANDBOX_KEY } from '../../saga/testing/saga-process';
import { spawnEmulator } from '../eventstore-append/emulator-process';
import { machineBound, perUnit, startCpuMeter } from '../support/process-cpu';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const SKUS = 20;
/** Saga processes sharing the persistent subscription (competing consumers). */
const SAGAS = Number(process.env.BENCH_SAGAS ?? 1);

const emulator = await spawnEmulator();
const sandbox = createPaymentSandbox({ key: TEST_SANDBOX_KEY, latencyMs: 0 });
await sandbox.app.listen({ port: 0, host: '127.0.0.1' });
const sandboxUrl = `http://127.0.0.1:${(sandbox.app.server.address() as AddressInfo).port}`;
const client: EventStoreDBClient = connectEventStore(emulator.url);

const setup = { metadata: { correlationId: 'bench', causationId: 'bench', actor: 'bench' } };
const products = commandHandler({ client, decider: inventoryDecider, codec: inventoryCodec });
for (let i = 0; i < SKUS; i++) {
  const sku = `SKU-${i}`;
  await products.handle(
    inventoryStream(sku),
    { type: 'RegisterProduct', data: { sku, name: sku, price: { amount: 999, currency: 'EUR' } } },
    setup,
  );
  await products.handle(inventoryStream(sku), { type: 'ReceiveStock', data: { sku, quantity: 1_000_000 } }, setup);
}

const sagas = await Promise.all(
  Array.from({ length: SAGAS }, () =>
    spawnSaga({
      EVENTSTORE_URL: emulator.url,
      PAYMENT_PROVIDER_URL: sandboxUrl,
      SAGA_BUFFER_SIZE: process.env.SAGA_BUFFER_SIZE ?? '256',
      LOG_LEVEL: 'warn',
    }),
  ),
);
await Promise.all(sagas.map((saga) => saga.ready));

// When each order was placed and when it was seen completed / confirmed.
const placedAt = new Map<string, number>();
const confirmedAt = new Map<string, number>();
let completed = 0;
let lastCompletedAt = 0;
const follow = client.subscribeToAll({
  fromPosition: START,
  filter: eventTypeFilter({ prefixes: ['OrderConfirmed', 'CheckoutCompleted'] }),
});
follow.on('data', ({ event }) => {
  if (!event) return;
  const orderId = (event.data as { orderId: string }).orderId;
  if (event.type === 'OrderConfirmed') confirmedAt.set(orderId, performance.now());
  else {
    completed++;
    lastCompletedAt = performance.now();
  }
});

let sequence = 0;
async function place(orderId: string): Promise<void> {
  const lines = [{ sku: `SKU-${sequence % SKUS}`, quantity: 1, unitPrice: { amount: 999, currency: 'EUR' } }];
  sequence++;
  placedAt.set(orderId, performance.now());
  // As the command API places an order: decide on the new stream's initial state and append
  // expecting no stream (no read of a stream that cannot exist yet).
  const stream = orderStream(orderId);
  const events = orderDecider.decide(
    { type: 'PlaceOrder', data: { orderId, customerId: 'bench', lines, paymentToken: 'tok_ok', placedAt: new Date().toISOString() } },
    orderDecider.initialState(),
  );
  await appendEvents(client, stream, events, {
    expectedRevision: 'no_stream',
    metadata: { correlationId: orderId, causationId: orderId, actor: 'bench' },
    codec: orderCodec,
    eventIds: deterministicEventIds(`${stream}/${orderId}`, events.length),
  });
}

// Warm-up (JIT, connections): not measured.
await Promise.all(Array.from({ length: 50 }, (_, i) => place(`warm-${i}`)));
await eventually('the warm-up orders completed', () => completed >= 50, { timeoutMs: 30_000, intervalMs: 20 });

// 1. Throughput, and the CPU each process spends on it
const before = completed;
const benchProcesses = {
  emulator: emulator.pid,
  ...Object.fromEntries(sagas.map((saga, i) => [SAGAS > 1 ? `saga ${i + 1}` : 'saga', saga.child.pid!])),
  'driver and sandbox': process.pid,
};
const cpuMeter = startCpuMeter(benchProcesses);
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < ORDERS; i = next++) await place(`t-${i}`);
  }),
);
const placedAllAfter = performance.now() - started;
await eventually(`${ORDERS} orders completed`, () => completed - before >= ORDERS, { timeoutMs: 120_000, intervalMs: 20 });
// Drive-ahead completes a checkout before its (then stale) events are all delivered: the work is
// only done when the subscription has delivered and seen acked everything too.
async function drained(): Promise<boolean> {
  const info = await client.getPersistentSubscriptionToAllInfo('checkout-saga');
  const stats = info.stats as unknown as Record<string, number | bigint>;
  return ['totalInFlightMessages', 'readBufferCount', 'liveBufferCount', 'retryBufferCount'].every((key) => Number(stats[key] ?? 0) === 0);
}
for (let i = 0; i < 3000 && !(await drained()); i++) await sleep(20);
const drainedAt = performance.now();
const cpu = cpuMeter.stop();
const cpuPerCheckout = perUnit(cpu, ORDERS);
const cpuMsPerCheckout = cpu.processesMs / ORDERS;
// What the machine could do were all that CPU spread perfectly over its cores: no parallelism
// (more saga processes, more threads) gets past it on this machine, only less CPU per checkout.
const cpuBound = machineBound(cpu, cpuMsPerCheckout);
const completedRate = ORDERS / ((lastCompletedAt - started) / 1000);
const throughput = ORDERS / ((drainedAt - started) / 1000);

// 2. Latency at half that rate
const rate = Number(process.env.BENCH_LATENCY_RATE ?? throughput / 2);
// The same processes spend more CPU per checkout at a lower rate: each wakes for less work.
const latencyCpuMeter = startCpuMeter(benchProcesses);
const latencyIds: string[] = [];
const latencyStart = performance.now();
const total = Math.round(rate * LATENCY_SECONDS);
const pending: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = latencyStart + (i / rate) * 1000;
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait);
  const orderId = `l-${i}`;
  latencyIds.push(orderId);
  pending.push(place(orderId));
}
await Promise.all(pending);
await eventually('every timed order confirmed', () => latencyIds.every((orderId) => confirmedAt.has(orderId)), {
  timeoutMs: 60_000,
  intervalMs: 20,
});
const latencyCpu = perUnit(latencyCpuMeter.stop(), latencyIds.length);
const latencies = latencyIds.map((orderId) => confirmedAt.get(orderId)! - placedAt.get(orderId)!).sort((a, b) => a - b);
const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;

// 3. The limit it is held against, in the same run: bare appends through the client to the same
// emulator, at the same concurrency. A checkout costs 10 appends (docs/BENCHMARKS.md), so
// checkouts/s × 10 ÷ this says how much of the event store's bare capacity the checkout reaches.
await Promise.all(sagas.map((saga) => saga.kill('SIGTERM')));
const bareStarted = performance.now();
let bareAppends = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async (_, writer) => {
    for (let i = 0; performance.now() - bareStarted < 3000; i++) {
      await appendEvents(
        client,
        `bare-${writer}-${i}`,
        orderDecider.decide(
          {
            type: 'PlaceOrder',
            data: {
              orderId: `bare-${writer}-${i}`,
              customerId: 'bench',
              lines: [{ sku: 'SKU-0', quantity: 1, unitPrice: { amount: 999, currency: 'EUR' } }],
              paymentToken: 'tok_ok',
              placedAt: new Date().toISOString(),
            },
          },
          orderDecider.initialState(),
        ),
        {
          expectedRevision: 'no_stream',
          metadata: { correlationId: 'bare', causationId: 'bare', actor: 'bench' },
          codec: orderCodec,
        },
      );
      bareAppends++;
    }
  }),
);
const bareAppendsPerSecond = bareAppends / ((performance.now() - bareStarted) / 1000);

const figures = {
  orders: ORDERS,
  placedIn: `${(placedAllAfter / 1000).toFixed(2)} s`,
  completedCheckoutsPerSecond: Math.round(throughput),
  lastCompletionRate: Math.round(completedRate),
  latencyRate: `${Math.round(rate)}/s for ${LATENCY_SECONDS} s (${latencies.length} orders)`,
  placedToConfirmedP50Ms: Number(percentile(50).toFixed(1)),
  placedToConfirmedP99Ms: Number(percentile(99).toFixed(1)),
  placedToConfirmedMaxMs: Number(latencies[latencies.length - 1]!.toFixed(1)),
  bareAppendsPerSecond: Math.round(bareAppendsPerSecond),
  checkoutAppendsShareOfBare: Number(((throughput * 10) / bareAppendsPerSecond).toFixed(2)),
  cpuMsPerCheckout: { ...cpuPerCheckout, total: Number(cpuMsPerCheckout.toFixed(2)) },
  machineBusyShare: cpu.machineBusyShare === undefined ? null : Number(cpu.machineBusyShare.toFixed(2)),
  cpuBoundCheckoutsPerSecond: Math.round(cpuBound),
  cpuMsPerCheckoutAtLatencyRate: latencyCpu,
};
console.log(JSON.stringify(figures, null, 2));
console.log(
  `checkout saga: ${figures.completedCheckoutsPerSecond} completed checkouts/s (target ≥ 300); placed→confirmed at ${Math.round(rate)}/s: p50 ${figures.placedToConfirmedP50Ms} ms, p99 ${figures.placedToConfirmedP99Ms} ms (target ≤ 100 ms)`,
);
console.log(
  `same run, bare appends at ${CONCURRENCY} writers: ${figures.bareAppendsPerSecond}/s; the checkouts' 10 appends each come to ${Math.round(figures.checkoutAppendsShareOfBare * 100)}% of that`,
);

console.log(
  `same run, CPU per checkout: ${Object.entries(cpuPerCheckout)
    .map(([name, ms]) => `${name} ${ms}`)
    .join(
      ', ',
    )} ms (${cpuMsPerCheckout.toFixed(2)} ms in all; the machine was ${Math.round((cpu.machineBusyShare ?? Number.NaN) * 100)}% busy): ` +
    `${cpu.cores} cores could complete at most ${Math.round(cpuBound)} checkouts/s at that cost, however the work were spread`,
);

await follow.unsubscribe().catch(() => {});
await client.dispose().catch(() => {});
await sandbox.app.close();
await emulator.stop();
process.exit(0);
