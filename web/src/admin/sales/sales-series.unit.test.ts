import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { daysBetween, salesSeries } from './sales-series';

test('every day of the range, across a month end', () => {
  assert.equal(daysBetween('2026-01-30', '2026-02-02'), ['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02']);
  assert.equal(daysBetween('2026-02-02', '2026-02-01'), []);
  assert.equal(daysBetween('nope', '2026-02-01'), []);
});

test('one series per SKU, a day without sales is 0', () => {
  const series = salesSeries('2026-01-01', '2026-01-03', [
    { day: '2026-01-03', sku: 'MUG', units: 2 },
    { day: '2026-01-01', sku: 'CUP', units: 1 },
    { day: '2026-01-01', sku: 'MUG', units: 5 },
  ]);
  assert.equal(series.days, ['2026-01-01', '2026-01-02', '2026-01-03']);
  assert.equal(series.x, [1767225600, 1767312000, 1767398400]);
  assert.equal(series.series, [
    { sku: 'CUP', units: [1, 0, 0] },
    { sku: 'MUG', units: [5, 0, 2] },
  ]);
});

test('rows outside the range are left out', () => {
  assert.equal(salesSeries('2026-01-01', '2026-01-01', [{ day: '2025-12-31', sku: 'MUG', units: 1 }]).series, []);
});

test.run();
