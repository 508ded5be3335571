/**
 * The README's walkthrough (docs/examples/try-it.sh, embedded in the README verbatim) run as a
 * user would run it, with curl and jq, against the whole system: every command in it must work.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSystem, type RunningSystem } from './testing/system';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const jwtSecret = randomBytes(32).toString('hex');
let system: RunningSystem;

test.before(async () => {
  system = await startSystem({ jwtSecret });
});
test.after(async () => system.stop());

test('the walkthrough registers, stocks, orders, reads its own write and sees the order confirmed', async () => {
  const { stdout } = await run('bash', ['docs/examples/try-it.sh'], {
    cwd: root,
    env: { ...process.env, JWT_SECRET: jwtSecret, COMMAND_API: system.commandUrl, QUERY_API: system.queryUrl, SKU: 'MUG-1' },
    timeout: 60_000,
  });
  const lines = stdout.trim().split('\n');
  const placed = JSON.parse(lines[2]!) as { orderId: string; position: { commit: string } };
  assert.ok(placed.orderId && placed.position.commit, stdout);
  // The read with X-Min-Position saw the order at once (status placed or already further).
  assert.equal(Object.keys(JSON.parse(lines[3]!)), ['orderId', 'status', 'total'], stdout);
  assert.is(lines[4], 'checkout completed', stdout);
  const order = JSON.parse(lines[5]!) as { status: string; payment: { status: string }; timeline: string[] };
  assert.is(order.status, 'confirmed');
  assert.is(order.payment.status, 'captured');
  assert.ok(order.timeline.includes('OrderPlaced') && order.timeline.includes('OrderConfirmed'), stdout);
  const product = JSON.parse(lines[6]!) as { onHand: number; reserved: number; sold: number };
  // The products read model may be a moment behind the checkout's: either way the units add up.
  assert.is(product.onHand + product.sold, 10, stdout);
  assert.is(product.reserved + product.sold, 2, stdout);
  assert.ok(Array.isArray(JSON.parse(lines[7]!)));
  // Counted at confirmation by the sales read model, which may also be a moment behind.
  const totals = JSON.parse(lines[8]!) as unknown[];
  if (totals.length > 0) assert.equal(totals, [{ currency: 'EUR', units: 2, revenue: '2598' }]);
});

test.run();
