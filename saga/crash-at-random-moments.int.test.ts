/**
 * Crash recovery at any moment: two saga child processes (saga/main.ts) at once, each SIGKILLed at
 * a random moment and replaced, at least 50 kills while orders come in and some customers cancel;
 * then a clean process finishes the work and every checkout ends consistent
 * (saga/testing/crash-recovery.ts says what that means).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../platform/testing/seeded-random';
import { CrashRecovery } from './testing/crash-recovery';

let world: CrashRecovery;

test.before(async () => {
  // Short: while no process runs, checkouts wait; a deadline that fires then is part of what is tested.
  world = await CrashRecovery.start({ checkoutDeadlineMs: 10_000 });
});
test.after(async () => world.close());

test('SIGKILL at random moments (≥ 50 kills, two processes at once), then restart: every checkout ends consistent', async () => {
  const tokens = ['tok_ok', 'tok_ok', 'tok_decline', 'tok_timeout', 'tok_flaky'];
  let kills = 0;
  let feeding = true;
  let n = 0;
  const random = seededRandom(42);
  const feeder = (async () => {
    while (feeding) {
      const orderId = `r${n++}`;
      const token = tokens[n % tokens.length]!;
      const lines =
        n % 3 === 0
          ? [
              { sku: 'A', quantity: 1 },
              { sku: 'C', quantity: 1 },
              { sku: 'B', quantity: 1 },
            ]
          : [{ sku: n % 2 ? 'A' : 'C', quantity: 1 }];
      await world.place(orderId, lines, token);
      // some customers cancel mid-checkout
      if (n % 7 === 0) setTimeout(() => void world.fx.requestCancellation(orderId).catch(() => {}), Math.floor(random() * 300));
      await sleep(60);
    }
  })();
  const slot = async () => {
    while (kills < 50) {
      const child = await world.spawn();
      // anywhere from the middle of its start to well into its work
      await sleep(600 + Math.floor(random() * 1600));
      await child.kill('SIGKILL');
      kills++;
    }
  };
  const killing = Date.now();
  await Promise.all([slot(), slot()]);
  if (process.env.SAGA_TEST_TIMING) process.stderr.write(`${kills} kills in ${Date.now() - killing} ms, ${world.orders.length} orders\n`);
  feeding = false;
  await feeder;
  assert.ok(kills >= 50);
  await world.finishWithCleanProcess();
  await world.assertConsistent();
  // C has 60 units: the last check is that it never oversold
  const c = await world.fx.inventory('C');
  assert.ok(c.onHand >= 0 && c.sold <= 60);
});

test.run();
