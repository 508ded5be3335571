/**
 * For the crash-recovery tests: the saga as child processes (saga/main.ts) killed on purpose while
 * orders come in, then a clean process that finishes the work, and what every checkout must have
 * ended as: confirmed or fully compensated, no payment captured without a confirmed order, no
 * authorization left open, no reservation left behind, on hand + sold = received for every SKU.
 */
import * as assert from 'uvu/assert';
import { SagaFixture } from './fixture';
import { spawnSaga, type SagaChild } from './saga-process';

/**
 * How long a process may take to reach its crash point, or a clean one to finish the work:
 * generous, since a busy machine is not a failure; only a process that never gets there is.
 */
const GENEROUS_MS = 120_000;

const received = { A: 400, B: 400, C: 60 };

export class CrashRecovery {
  readonly orders: string[] = [];

  private constructor(
    readonly fx: SagaFixture,
    private readonly checkoutDeadlineMs: number,
  ) {}

  static async start({ checkoutDeadlineMs }: { checkoutDeadlineMs: number }): Promise<CrashRecovery> {
    const fx = await SagaFixture.start({ sagas: 0, persistentTickMs: 100 });
    for (const [sku, stock] of Object.entries(received)) await fx.addProduct(sku, stock);
    return new CrashRecovery(fx, checkoutDeadlineMs);
  }

  /** A saga process, with `env` besides what every one of them gets. */
  spawn(env: Record<string, string> = {}): Promise<SagaChild> {
    return spawnSaga({
      EVENTSTORE_URL: this.fx.es.emulator.url,
      PAYMENT_PROVIDER_URL: this.fx.sandboxUrl,
      PAYMENT_DEADLINE_MS: '700',
      CHECKOUT_DEADLINE_MS: String(this.checkoutDeadlineMs),
      SAGA_RETRY_INITIAL_MS: '20',
      SAGA_RETRY_MAX_MS: '300',
      ...env,
    });
  }

  async place(orderId: string, lines: { sku: string; quantity: number }[], token: string): Promise<void> {
    this.orders.push(orderId);
    await this.fx.placeOrder(orderId, lines, token);
  }

  /** The child's exit; a child still running after `GENEROUS_MS` is stopped (SIGTERM), which the caller's assertion then reports. */
  async exitOf(child: SagaChild): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => void child.kill('SIGTERM'), GENEROUS_MS);
    try {
      return await child.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A process that is not killed finishes every checkout, and shuts down cleanly. */
  async finishWithCleanProcess(): Promise<void> {
    const clean = await this.spawn({ LOG_LEVEL: process.env.SAGA_TEST_CHILD_LOG ?? 'warn' });
    await clean.ready;
    const started = Date.now();
    try {
      await this.fx.waitForOutcomes(this.orders, GENEROUS_MS);
      if (process.env.SAGA_TEST_TIMING)
        process.stderr.write(`clean process finished ${this.orders.length} checkouts in ${Date.now() - started} ms\n`);
    } finally {
      const { code } = await clean.kill('SIGTERM');
      assert.is(code, 0, `clean shutdown:\n${clean.output()}`);
    }
  }

  async assertConsistent(): Promise<void> {
    assert.equal(await this.fx.invariantViolations(this.orders, Object.keys(received), received), []);
  }

  close(): Promise<void> {
    return this.fx.close();
  }
}

/**
 * For each point: orders that pass it, a process that kills itself there (SAGA_CRASH_AT) however
 * long it takes to get there; then a clean process finishes the work, and each order ended as its
 * payment token says.
 */
export async function crashAtEach(world: CrashRecovery, points: readonly string[]): Promise<void> {
  const started = Date.now();
  for (const [round, point] of points.entries()) {
    await world.place(
      `b${round}-ok`,
      [
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 2 },
      ],
      'tok_ok',
    );
    await world.place(`b${round}-decline`, [{ sku: 'A', quantity: 1 }], 'tok_decline');
    await world.place(`b${round}-timeout`, [{ sku: 'B', quantity: 1 }], 'tok_timeout');
    const child = await world.spawn({ SAGA_CRASH_AT: point });
    const { signal } = await world.exitOf(child);
    if (process.env.SAGA_TEST_TIMING) process.stderr.write(`${point} ${Date.now() - started} ms\n`);
    assert.is(signal, 'SIGKILL', `the process should have died at ${point} within ${GENEROUS_MS} ms:\n${child.output()}`);
  }
  await world.finishWithCleanProcess();
  const { fx, orders } = world;
  assert.is(orders.filter((orderId) => fx.outcome(orderId) === undefined).length, 0);
  // tok_ok orders confirm (stock is plentiful) and tok_decline ones are declined, unless a crash
  // during the payment call outlived the payment deadline (then they are compensated as timed
  // out, which is right: nobody answered in time); tok_timeout ones always time out
  for (const orderId of orders) {
    const outcome = fx.outcome(orderId);
    const expected = orderId.endsWith('-ok')
      ? outcome?.type === 'CheckoutCompleted' || outcome?.why?.reason === 'payment_timed_out'
      : outcome?.type === 'CheckoutCompensated' &&
        (outcome.why?.reason === 'payment_timed_out' || (orderId.endsWith('-decline') && outcome.why?.reason === 'payment_declined'));
    if (!expected) {
      const history = (await fx.checkoutEvents(orderId)).map((event) => `${event.type} ${JSON.stringify(event.data)}`).join('\n');
      assert.unreachable(`${orderId} ended ${JSON.stringify(outcome)}:\n${history}`);
    }
  }
  // How many tok_ok orders a crash delayed past their deadline depends on how fast the next
  // process started: only that some complete is certain.
  assert.ok(
    orders.some((orderId) => orderId.endsWith('-ok') && fx.outcome(orderId)?.type === 'CheckoutCompleted'),
    'tok_ok orders complete',
  );
  await world.assertConsistent();
}
