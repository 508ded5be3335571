/** The uPlot chart of units sold per day and SKU; loaded only when the sales page opens. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SalesSeries } from './sales-series';

// Dark enough on white for lines and legend text (WCAG AA for graphics: 3:1 and more).
const DAY_SECONDS = 86_400;
const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

const colors = ['#1f5fbf', '#b3261e', '#1b7a3a', '#7a4eb0', '#8a5a00', '#00707a', '#b0227a', '#4a4a4a'];

export function drawSalesChart(target: HTMLElement, sales: SalesSeries): { resize(width: number): void; destroy(): void } {
  const width = Math.max(300, target.clientWidth);
  const plot = new uPlot(
    {
      width,
      height: 300,
      // The API's days are UTC days: label them so, not in the browser's zone.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      series: [
        { label: 'Day' },
        ...sales.series.map((s, i) => ({ label: s.sku, stroke: colors[i % colors.length], width: 2, points: { show: true } })),
      ],
      // Ticks on whole days only: the figures are per day, so an hour tick would mean nothing.
      axes: [
        {
          incrs: [DAY_SECONDS, 2 * DAY_SECONDS, 7 * DAY_SECONDS, 14 * DAY_SECONDS, 30 * DAY_SECONDS],
          values: (_u, splits) => splits.map((seconds) => dayLabel.format(new Date(seconds * 1000))),
        },
        { label: 'Units sold' },
      ],
      legend: { show: true },
    },
    [sales.x, ...sales.series.map((s) => s.units)],
    target,
  );
  return {
    resize: (next) => plot.setSize({ width: Math.max(300, next), height: 300 }),
    destroy: () => plot.destroy(),
  };
}
