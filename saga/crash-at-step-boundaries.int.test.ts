/**
 * Crash recovery, going forward: the saga runs as a child process (saga/main.ts) that is
 * SIGKILLed at each boundary of each checkout step, then a clean process finishes the work and
 * every checkout ends consistent (saga/testing/crash-recovery.ts says what that means).
 */
import { test } from 'uvu';
import { CrashRecovery, crashAtEach } from './testing/crash-recovery';

let world: CrashRecovery;

test.before(async () => {
  world = await CrashRecovery.start({ checkoutDeadlineMs: 120_000 });
});
test.after(async () => world.close());

const boundaries = ['reserve_stock', 'authorize_payment', 'capture_payment', 'confirm_order'].flatMap((step) => [
  `before:${step}`,
  `after-effect:${step}`,
  `after-record:${step}`,
]);

test(`SIGKILL at each of ${boundaries.length} step boundaries, then restart: every checkout ends consistent`, async () => {
  await crashAtEach(world, boundaries);
});

test.run();
