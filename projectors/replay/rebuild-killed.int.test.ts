/**
 * A rebuild killed (SIGKILL, the CLI as a child process) at random points, a few times, then run
 * to completion: the result is what an uninterrupted rebuild gives, and no event was applied
 * twice. The seed is printed; REPLAY_KILL_SEED replays a failing run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../../platform/testing/eventually';
import { seededRandom } from '../../platform/testing/seeded-random';
import { allProjections } from '../projections';
import { settle, snapshotReadModels, startProjectorTestFixture, type ProjectorTestFixture } from '../testing/fixture';
import { comparable, dropShadows, eventsAppliedBy, freshFold, replayEnvironment, startCli } from '../testing/replay';

const KILLS = Number(process.env.REPLAY_KILLS ?? 4);
const seed = Number(process.env.REPLAY_KILL_SEED ?? Date.now() % 100_000);
let f: ProjectorTestFixture;

test.before(async () => {
  f = await startProjectorTestFixture();
});
test.after(async () => {
  await dropShadows(f);
  await f.close();
});

async function shadowProgress(): Promise<number> {
  const { rows } = (await f.db.knex.raw('select to_regclass(?) is not null as found', [
    `${f.db.schema}_rebuild.projection_checkpoints`,
  ])) as { rows: { found: boolean }[] };
  if (!rows[0]?.found) return 0;
  const sum = await f.db.knex.withSchema(`${f.db.schema}_rebuild`).table('projection_checkpoints').sum({ n: 'events_applied' }).first();
  return Number(sum?.n ?? 0);
}

test(`a rebuild SIGKILLed ${KILLS} times, then run to completion, equals an uninterrupted one (seed ${seed})`, async () => {
  const random = seededRandom(seed);
  await f.shop.addProduct('A', 1000, 1_000_000);
  await f.shop.addProduct('L', 99, 40);
  for (let n = 1; n <= 120; n++) {
    const lines = [{ sku: 'A', quantity: 1 + (n % 3), price: 1000 }];
    if (n % 3 === 0) lines.push({ sku: 'L', quantity: 1, price: 99 });
    await f.shop.checkout(`o${n}`, `c${n % 5}`, lines, n % 4 === 0 ? 'decline' : 'confirm');
  }
  const runners = allProjections({ lowStockThreshold: 5 }).map((projection) => f.runner(projection).start());
  await settle(f.es.client, runners);
  const env = replayEnvironment(f);
  const args = ['rebuild', '--all', '--yes', '--batch-size', '7'];

  const progressAtKills: number[] = [];
  for (let kill = 0; kill < KILLS; kill++) {
    const run = startCli(env, args);
    // Somewhere in the work: after the shadow has some progress (or, for the first, possibly before).
    const before = await shadowProgress();
    if (kill > 0)
      await eventually('the resumed rebuild to make progress', async () => (await shadowProgress()) > before, {
        timeoutMs: 60_000,
        intervalMs: 20,
      });
    await sleep((kill === 0 ? 700 : 0) + random() * 600);
    run.child.kill('SIGKILL');
    const { signal, stderr } = await run.done;
    if (signal !== 'SIGKILL') throw new Error(`the rebuild ended before it was killed (${signal}): ${stderr}`);
    progressAtKills.push(await shadowProgress());
  }
  assert.ok(
    progressAtKills.some((progress) => progress > 0),
    `the shadow had progress when killed (${progressAtKills.join(', ')})`,
  );

  const last = await startCli(env, args).done;
  assert.is(last.code, 0, last.stderr);
  assert.match(last.stderr, /resuming the shadow from position \d+/, 'the last run resumed the shadow');
  await settle(f.es.client, runners);

  const live = comparable(await snapshotReadModels(f.db.knex));
  const fresh = await freshFold(f.es.client);
  for (const table of Object.keys(fresh.snapshot))
    assert.equal(live[table], fresh.snapshot[table], `${table} equals an uninterrupted rebuild`);
  assert.equal(
    await eventsAppliedBy(f.db.knex),
    fresh.applied,
    'as many events applied per projection as in one go: none twice, none skipped',
  );
  assert.is(await shadowProgress(), 0, 'the shadow is gone after the swap');
});

test.run();
