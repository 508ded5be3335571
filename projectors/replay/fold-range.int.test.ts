import { jsonEvent } from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { productsProjection } from '../projections/products';
import { lastPositionIn, startProjectorTestFixture } from '../testing/fixture';
import { foldRange } from './fold-range';

test('the fold a swap and a verify run reads events as the runner does: U+0000 shows as U+FFFD', async () => {
  const f = await startProjectorTestFixture();
  try {
    await f.es.client.appendToStream(
      'inventory-NUL',
      jsonEvent({
        type: 'ProductRegistered',
        data: { sku: 'NUL', name: 'Mug\u0000 blue', price: { amount: 100, currency: 'EUR' } },
        metadata: { schemaVersion: 1 },
      }),
    );
    await f.shop.addProduct('B', 500, 2);
    const through = (await lastPositionIn(f.es.client, productsProjection.streamPrefixes))!;
    const applied = await f.db.knex.transaction((trx) => foldRange(trx, f.es.client, productsProjection, { after: undefined, through }));
    assert.is(applied, 3);
    assert.equal(await f.db.knex('products').orderBy('sku').select('sku', 'name', 'on_hand'), [
      { sku: 'B', name: 'Product B', on_hand: 2 },
      { sku: 'NUL', name: 'Mug\uFFFD blue', on_hand: 0 },
    ]);
  } finally {
    await f.close();
  }
});

test.run();
