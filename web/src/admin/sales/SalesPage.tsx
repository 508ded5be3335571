/**
 * Sales per day and SKU (GET /stats/sales) as a uPlot chart, with the same numbers as tables
 * (a chart is not readable by everyone). Counted when an order is confirmed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { outcome, queries, type SalesStats } from '../../app/api';
import { formatMoney } from '../../app/money';
import { fieldsByPointer } from '../../app/problem';
import { Alert, PageHeading, TextField, useFormProblems, useQuery } from '../../app/ui';
import { salesSeries } from './sales-series';

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

function Chart({ stats }: { stats: SalesStats }) {
  const target = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let chart: { resize(width: number): void; destroy(): void } | undefined;
    let cancelled = false;
    const element = target.current;
    const observer = new ResizeObserver(() => element && chart?.resize(element.clientWidth));
    void import('./sales-chart').then(
      ({ drawSalesChart }) => {
        if (cancelled || !element) return;
        chart = drawSalesChart(element, salesSeries(stats.from, stats.to, stats.days));
        observer.observe(element);
      },
      () => setFailed(true),
    );
    return () => {
      cancelled = true;
      observer.disconnect();
      chart?.destroy();
    };
  }, [stats]);
  return (
    <figure class="chart">
      <div ref={target} role="img" aria-label={`Units sold per day and SKU, ${stats.from} to ${stats.to}`} />
      <figcaption>
        Units sold per day and SKU, {stats.from} to {stats.to} (UTC days).
      </figcaption>
      {failed && <Alert messages={['The chart could not be loaded; the tables below have the same numbers.']} />}
    </figure>
  );
}

export function SalesPage() {
  const today = new Date();
  const [from, setFrom] = useState(isoDay(new Date(today.getTime() - 29 * 86_400_000)));
  const [to, setTo] = useState(isoDay(today));
  const [sku, setSku] = useState('');
  const [asked, setAsked] = useState({ from, to, sku: '' });
  const problems = useFormProblems(fieldsByPointer({ '/from': 'from', '/to': 'to', '/sku': 'sku' }));
  const stats = useQuery(
    () =>
      outcome(
        queries.GET('/stats/sales', { params: { query: { from: asked.from, to: asked.to, ...(asked.sku ? { sku: asked.sku } : {}) } } }),
      ),
    [asked],
  );
  useEffect(() => problems.show(stats.problem), [stats.problem]);

  const data = stats.data;
  return (
    <>
      <PageHeading>Sales</PageHeading>
      <form
        class="inline-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          setAsked({ from, to, sku: sku.trim() });
        }}
      >
        <TextField label="From" type="date" value={from} onValue={setFrom} errors={problems.fields.from} />
        <TextField label="To" type="date" value={to} onValue={setTo} errors={problems.fields.to} />
        <TextField label="SKU (optional)" value={sku} onValue={setSku} errors={problems.fields.sku} autoComplete="off" />
        <button type="submit">Show sales</button>
      </form>
      <Alert messages={problems.general} />
      {stats.loading && !data && <p role="status">Loading sales…</p>}
      {data && (
        <>
          {data.days.length === 0 ? (
            <p>
              No confirmed sales from {data.from} to {data.to}.
            </p>
          ) : (
            <Chart stats={data} />
          )}
          {data.totals.length > 0 && <h2>Totals</h2>}
          {data.totals.length > 0 && (
            <div class="table-scroll" tabIndex={0}>
              <table aria-label="Sales totals per currency">
                <thead>
                  <tr>
                    <th scope="col">Currency</th>
                    <th scope="col">Units</th>
                    <th scope="col">Revenue</th>
                  </tr>
                </thead>
                <tbody>
                  {data.totals.map((total) => (
                    <tr key={total.currency}>
                      <th scope="row">{total.currency}</th>
                      <td>{total.units}</td>
                      <td>{formatMoney({ amount: total.revenue, currency: total.currency })}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {data.days.length > 0 && (
            <details>
              <summary>Sales per day and SKU</summary>
              <div class="table-scroll" tabIndex={0}>
                <table aria-label="Sales per day and SKU">
                  <thead>
                    <tr>
                      <th scope="col">Day</th>
                      <th scope="col">SKU</th>
                      <th scope="col">Orders</th>
                      <th scope="col">Units</th>
                      <th scope="col">Revenue</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.days.map((row) => (
                      <tr key={`${row.day}/${row.sku}/${row.currency}`}>
                        <td>{row.day}</td>
                        <th scope="row">{row.sku}</th>
                        <td>{row.orders}</td>
                        <td>{row.units}</td>
                        <td>{formatMoney({ amount: row.revenue, currency: row.currency })}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          )}
        </>
      )}
    </>
  );
}
