import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allProjections } from '../projections';
import { settle, snapshotReadModels, startProjectorTestFixture, type ProjectorTestFixture } from '../testing/fixture';
import { SharedFeed } from './shared-feed';
import type { ProjectionRunner } from './runner';

let f: ProjectorTestFixture;

test.before(async () => {
  f = await startProjectorTestFixture();
  await f.shop.addProduct('MUG', 1200, 50);
  await f.shop.addProduct('TEE', 1500, 2);
  const outcomes = ['confirm', 'decline', 'timeout', 'customer_cancels'] as const;
  for (let i = 0; i < 24; i++) {
    await f.shop.checkout(
      `order-${i}`,
      `customer-${i % 5}`,
      [{ sku: i % 3 === 0 ? 'TEE' : 'MUG', quantity: 1, price: 1200 }],
      outcomes[i % outcomes.length],
    );
  }
});
test.after(async () => f.close());

async function rebuild(share: boolean): Promise<{ snapshot: Record<string, unknown[]>; events: number }> {
  await f.db.knex.raw(`truncate ${Object.keys(await snapshotReadModels(f.db.knex)).join(', ')}`);
  await f.db.knex('projection_checkpoints').del();
  const projections = allProjections({ lowStockThreshold: 5, writeOutbox: false });
  const shared = share ? new SharedFeed(f.es.client, { after: undefined, highWaterMark: 8 }) : undefined;
  for (const projection of projections) shared?.join(projection.name, projection.streamPrefixes);
  const runners: ProjectionRunner[] = projections.map((projection) =>
    f
      .runner(projection, {
        batch: { maxEvents: 7, catchUpLingerMs: 5 },
        ...(shared ? { feed: (p, after) => shared.feedFor(p.name, p.streamPrefixes, after) } : {}),
      })
      .start(),
  );
  await settle(f.es.client, runners);
  await Promise.all(runners.map((runner) => runner.stop()));
  await shared?.close();
  const applied = (await f.db.knex('projection_checkpoints').sum({ n: 'events_applied' }).first()) as { n: string };
  return { snapshot: await snapshotReadModels(f.db.knex), events: Number(applied.n) };
}

test('projections sharing one subscription build the same rows, applying the same events, as each with its own', async () => {
  const own = await rebuild(false);
  const shared = await rebuild(true);
  assert.ok(own.events > 300, `${own.events} events applied`);
  assert.is(shared.events, own.events);
  assert.equal(shared.snapshot, own.snapshot);
  assert.ok((own.snapshot.orders ?? []).length === 24);
});

test('a member asking again (its runner restarted) gets a subscription of its own from its checkpoint', async () => {
  const feed = new SharedFeed(f.es.client, { after: undefined });
  feed.join('a', ['inventory-']).join('b', ['order-']);
  const first = feed.feedFor('a', ['inventory-'], undefined);
  const item = await first.next(30_000);
  assert.is(item?.kind, 'event');
  const position = item?.kind === 'event' ? item.event.position : undefined;
  // The shared subscription cannot go back: a second request is served on its own, after `position`.
  const again = feed.feedFor('a', ['inventory-'], position);
  const next = await again.next(30_000);
  assert.ok(next?.kind === 'event' && next.event.position.commit > position!.commit);
  await again.close();
  await feed.close();
});

test.run();
