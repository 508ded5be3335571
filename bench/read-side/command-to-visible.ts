/**
 * Read side: from a command to its result being visible in the query API. At a steady rate,
 * each order is placed with POST /orders, then read with GET /orders/:id carrying X-Min-Position
 * = the position the command answered (the query API holds the request until the orders
 * projection has applied it). Latency = the GET's answer − the POST's start, as a client that
 * reads its own write sees it; the POST alone and the wait in the GET are reported too.
 *
 *   npm run bench:read-side:visible   (about 30 s; ends within BENCH_TIMEOUT_S = 90 s whatever happens)
 *   BENCH_RATE (orders/s, default 50), BENCH_SECONDS (default 10),
 *   BENCH_WARMUP_SECONDS (default 5: the first seconds after the services start are slow, while
 *   V8 compiles them; not measured), BENCH_SKUS (default 100): each order is one unit of the next
 *   SKU in turn.
 *
 * By default each service runs as its own process, from its own main.ts, as deployed
 * (test/testing/system-processes.ts): event store emulator, payment sandbox, saga, projectors,
 * command API and query API, over the local PostgreSQL and NATS, on a schema and subject prefix of
 * their own. BENCH_MODE=in-process runs them all in this process instead (test/testing/system.ts,
 * as the end-to-end tests do), where they share one event loop. The saga checks out every order
 * (tok_ok) while the bench runs, so the projections also apply the reservations, payments and
 * confirmations it writes:
 * about a dozen events per order. Orders are sent open-loop (each at its scheduled time, whether
 * or not earlier ones have answered), so a slow answer does not hide the ones queued behind it.
 * Orders rotate over BENCH_SKUS products, as a shop's orders spread over its catalogue: placing an
 * order reads its SKU's inventory stream whole, which the saga lengthens with every checkout, so a
 * single hot SKU measures that stream's growth more than the read side (BENCH_SKUS=1 shows it).
 * Target: command → visible p99 ≤ 100 ms.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Pool } from 'undici';
import { stockProduct } from '../../test/testing/customer';
import { startSystem, type ShopEndpoints } from '../../test/testing/system';
import { startSystemProcesses } from '../../test/testing/system-processes';
import { perUnit, startCpuMeter } from '../support/process-cpu';
import { latencySummary } from '../support/percentiles';

const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 90);
/** `processes` (default): each service its own process, as deployed; `in-process`: all in this one (test/testing/system.ts). */
const MODE = process.env.BENCH_MODE === 'in-process' ? 'in-process' : 'processes';
const SKUS = Number(process.env.BENCH_SKUS ?? 100);
const CUSTOMERS = 50;
const TARGET_P99_MS = 100;

// Bounded: whatever hangs, the bench ends.
const deadline = setTimeout(() => {
  console.error(`bench did not finish within ${TIMEOUT_S} s`);
  process.exit(1);
}, TIMEOUT_S * 1000);
deadline.unref();

interface Sample {
  /** POST /orders answered (202). */
  commandMs: number;
  /** GET /orders/:id with X-Min-Position answered 200, after the POST answered. */
  readMs: number;
  /** From the POST's start to the GET's 200. */
  visibleMs: number;
  /** How late the POST left against its schedule (the bench's own lag). */
  lateMs: number;
}

const now = () => performance.now();

// The clients go through undici's pools rather than fetch: fetch costs about three times the CPU
// per request here, and the bench shares the machine with the services it measures.
const pools = new Map<string, Pool>();
async function call(
  base: string,
  path: string,
  options: { method?: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: unknown }> {
  let pool = pools.get(base);
  if (!pool) pools.set(base, (pool = new Pool(base, { connections: 64 })));
  const response = await pool.request({ path, method: options.method ?? 'GET', headers: options.headers, body: options.body ?? null });
  return { status: response.statusCode, body: await response.body.json() };
}

async function placeAndRead(system: ShopEndpoints, token: string, sku: string, scheduledAt: number): Promise<Sample> {
  const started = now();
  const placed = await call(system.commandUrl, '/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ lines: [{ sku, quantity: 1 }], paymentToken: 'tok_ok' }),
  });
  const answer = placed.body as { orderId: string; position: { commit: string; prepare: string } };
  if (placed.status !== 202) throw new Error(`POST /orders answered ${placed.status}: ${JSON.stringify(answer)}`);
  const accepted = now();
  const read = await call(system.queryUrl, `/orders/${answer.orderId}`, {
    headers: { authorization: `Bearer ${token}`, 'x-min-position': `${answer.position.commit}/${answer.position.prepare}` },
  });
  const body = read.body as { orderId?: string };
  if (read.status !== 200 || body.orderId !== answer.orderId)
    throw new Error(`GET /orders/${answer.orderId} answered ${read.status}: ${JSON.stringify(body)}`);
  const visible = now();
  return { commandMs: accepted - started, readMs: visible - accepted, visibleMs: visible - started, lateMs: started - scheduledAt };
}

const skuOf = (i: number) => `BENCH-${i % SKUS}`;

/** Sends `count` orders at `RATE` per second, open-loop; answers the samples of those that succeeded and the errors. */
async function run(system: ShopEndpoints, tokens: readonly string[], count: number): Promise<{ samples: Sample[]; errors: string[] }> {
  const interval = 1000 / RATE;
  const startAt = now();
  const samples: Sample[] = [];
  const errors: string[] = [];
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const scheduledAt = startAt + i * interval;
    const wait = scheduledAt - now();
    if (wait > 0) await sleep(wait);
    inFlight.push(
      placeAndRead(system, tokens[i % tokens.length]!, skuOf(i), scheduledAt).then(
        (sample) => void samples.push(sample),
        (error: Error) => void errors.push(error.message),
      ),
    );
  }
  await Promise.all(inFlight);
  return { samples, errors };
}

console.log(
  `read-side command → visible bench: ${RATE} orders/s for ${SECONDS} s (after ${WARMUP_SECONDS} s of warm-up) over ${SKUS} SKUs, services ${MODE === 'in-process' ? 'all in this process' : 'each in its own process'}, target p99 ≤ ${TARGET_P99_MS} ms`,
);
console.log(
  `cores ${availableParallelism()} (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average at start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

const system = MODE === 'in-process' ? await startSystem() : await startSystemProcesses();
const servicePids = 'pids' in system ? system.pids : { 'every service': process.pid };
let verdict = 1;
try {
  for (let i = 0; i < SKUS; i++) await stockProduct(system, skuOf(i), { price: 1000, quantity: 1_000_000 });
  const tokens = await Promise.all(Array.from({ length: CUSTOMERS }, (_, i) => system.token(`bench-customer-${i}`)));

  await run(system, tokens, Math.round(RATE * WARMUP_SECONDS));
  // In process, every service shares this one event loop: how long it kept work waiting says how
  // much of the latency is queueing behind the other services rather than the read path itself.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const wallBefore = now();
  const cpuMeter = startCpuMeter(MODE === 'in-process' ? servicePids : { ...servicePids, 'bench clients': process.pid });
  const { samples, errors } = await run(system, tokens, Math.round(RATE * SECONDS));
  const services = cpuMeter.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const cpuShare = (cpu.user + cpu.system) / 1000 / (now() - wallBefore);
  loopDelay.disable();
  // The histogram counts the sampling period itself (10 ms): report only the delay beyond it.
  const beyondPeriod = (nanoseconds: number) => +Math.max(0, nanoseconds / 1e6 - 10).toFixed(1);
  const loop = {
    p50: beyondPeriod(loopDelay.percentile(50)),
    p99: beyondPeriod(loopDelay.percentile(99)),
    max: beyondPeriod(loopDelay.max),
  };

  const visible = latencySummary(samples.map(({ visibleMs }) => visibleMs));
  const command = latencySummary(samples.map(({ commandMs }) => commandMs));
  const read = latencySummary(samples.map(({ readMs }) => readMs));
  const late = latencySummary(samples.map(({ lateMs }) => lateMs));
  console.log(
    `\n${samples.length} orders measured, ${errors.length} errors${errors.length ? `: ${[...new Set(errors)].slice(0, 3).join('; ')}` : ''}`,
  );
  console.log('\n| ms | p50 | p90 | p99 | max |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  console.log(`| command → visible (POST start → GET 200) | ${visible.p50} | ${visible.p90} | ${visible.p99} | ${visible.max} |`);
  console.log(`| POST /orders (202) | ${command.p50} | ${command.p90} | ${command.p99} | ${command.max} |`);
  console.log(`| GET /orders/:id with X-Min-Position (200) | ${read.p50} | ${read.p90} | ${read.p99} | ${read.max} |`);
  console.log(`| (bench) POST sent late against schedule | ${late.p50} | ${late.p90} | ${late.p99} | ${late.max} |`);
  const who = MODE === 'in-process' ? 'this process (every service)' : 'the bench process (clients only)';
  console.log(
    `\n${who} used ${(cpuShare * 100).toFixed(0)}% of a core while measuring; its event-loop delay p50 ${loop.p50} ms, p99 ${loop.p99} ms, max ${loop.max} ms`,
  );
  // What the rate asks of the machine: at a busy share near 1, queueing alone makes the tail.
  const perOrder = perUnit(services, samples.length + errors.length);
  const busy = services.machineBusyShare === undefined ? 'unknown' : `${Math.round(services.machineBusyShare * 100)}%`;
  console.log(
    `CPU per order, by process: ${Object.entries(perOrder)
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => `${name} ${ms}`)
      .join(', ')} ms ` +
      `(${(services.processesMs / (samples.length + errors.length)).toFixed(1)} ms in all, PostgreSQL and NATS not counted); the machine's ${services.cores} cores were ${busy} busy while measuring`,
  );
  const met = errors.length === 0 && visible.p99 <= TARGET_P99_MS;
  console.log(`\ncommand → visible p99 ${visible.p99} ms against the target ≤ ${TARGET_P99_MS} ms: ${met ? 'met' : 'MISSED'}`);
  console.log(
    `load average at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    JSON.stringify({
      bench: 'read-side/command-to-visible',
      mode: MODE,
      rate: RATE,
      seconds: SECONDS,
      skus: SKUS,
      orders: samples.length,
      errors: errors.length,
      visible,
      command,
      read,
      late,
      cpuShare: +cpuShare.toFixed(2),
      eventLoopDelayMs: loop,
      cpuMsPerOrder: perOrder,
      machineBusyShare: services.machineBusyShare === undefined ? null : +services.machineBusyShare.toFixed(2),
    }),
  );
  verdict = met ? 0 : 1;
} catch (error) {
  console.error(error);
} finally {
  await Promise.all([...pools.values()].map((pool) => pool.close()));
  await system.stop();
}
process.exit(verdict);
