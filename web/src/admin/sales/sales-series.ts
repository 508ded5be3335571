/**
 * GET /stats/sales rows (one per day and SKU that sold) as chart series: every day of the range
 * on the x axis (a day without sales is a 0, not a gap), one series of units per SKU.
 */
export interface SalesRow {
  day: string;
  sku: string;
  units: number;
}

export interface SalesSeries {
  days: string[];
  /** Seconds since the epoch at each day's UTC midnight (uPlot's time axis). */
  x: number[];
  series: { sku: string; units: number[] }[];
}

/** Every `YYYY-MM-DD` from `from` to `to`, inclusive (UTC); empty if either is not a date. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end)) return [];
  const days: string[] = [];
  for (let t = start; t <= end && days.length <= 366; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export function salesSeries(from: string, to: string, rows: readonly SalesRow[]): SalesSeries {
  const days = daysBetween(from, to);
  const index = new Map(days.map((day, i) => [day, i]));
  const bySku = new Map<string, number[]>();
  for (const row of rows) {
    const i = index.get(row.day);
    if (i === undefined) continue;
    let units = bySku.get(row.sku);
    if (!units) bySku.set(row.sku, (units = days.map(() => 0)));
    units[i]! += row.units;
  }
  return {
    days,
    x: days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000),
    series: [...bySku].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sku, units]) => ({ sku, units })),
  };
}
