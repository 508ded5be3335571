/**
 * Revenue is exact at any size: two orders of a product priced 2^53−1, confirmed on one day, are
 * projected by the real sales projection (emulator → Postgres) and answered by the real query API.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mintToken } from '../../../platform/auth';
import { listenOnEphemeralPort } from '../../../platform/testing/ports';
import { InProcessNotificationBus } from '../../../platform/notification-bus';
import { salesProjection } from '../../../projectors/projections/sales';
import { settle, startProjectorTestFixture } from '../../../projectors/testing/fixture';
import { buildQueryApi } from '../../app';

const secret = 'sales-stats-test-secret-0123456789abcdef';

test('two orders at 2^53−1 on one day → 200 with the exact sum, as a decimal string', async () => {
  const f = await startProjectorTestFixture();
  const price = Number.MAX_SAFE_INTEGER; // 2^53 − 1
  const api = await buildQueryApi({
    knex: f.db.knex,
    notifications: new InProcessNotificationBus(),
    logger: f.logger,
    config: { jwtSecret: secret },
  });
  try {
    await f.shop.addProduct('GOLD', price, 5);
    await f.shop.checkout('big-1', 'c1', [{ sku: 'GOLD', quantity: 1, price }]);
    await f.shop.checkout('big-2', 'c2', [{ sku: 'GOLD', quantity: 1, price }]);
    await settle(f.es.client, [f.runner(salesProjection).start()]);
    const rows = (await f.db.knex('sales_daily').select(f.db.knex.raw(`to_char(day, 'YYYY-MM-DD') as day`))) as { day: string }[];
    assert.is(rows.length, 1, 'both confirmed on one day');
    const day = rows[0]!.day;

    const baseUrl = await listenOnEphemeralPort(api);
    const token = await mintToken({ sub: 'boss', role: 'admin', secret });
    const response = await fetch(`${baseUrl}/stats/sales?from=${day}&to=${day}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { days: { revenue: unknown; units: number; orders: number }[]; totals: { revenue: unknown }[] };
    assert.is(response.status, 200, JSON.stringify(body));
    const exact = (2n * BigInt(price)).toString();
    assert.is(exact, '18014398509481982');
    assert.equal(
      body.days.map(({ revenue, units, orders }) => ({ revenue, units, orders })),
      [{ revenue: exact, units: 2, orders: 2 }],
    );
    assert.equal(
      body.totals.map(({ revenue }) => revenue),
      [exact],
    );
  } finally {
    await api.close();
    await f.close();
  }
});

test.run();
