/**
 * GET /stats/sales (admin) — units and revenue per day and SKU, counted on the UTC day an order
 * was confirmed, plus totals per currency over the range. Money is never added across currencies.
 * Revenue is a sum of many orders: it is answered as a decimal string of minor units, exact at
 * any size (a JSON number is exact only up to 2^53, which one busy day can pass).
 */
import { z } from 'zod';
import { HttpProblem, problemDetailsSchema, problemTypes, type HttpServer } from '../../../platform/http';
import { minPositionHeaders, minPositionQuery } from '../../consistency/min-position';
import { bearer, type RouteDeps } from '../../shared/deps';

const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day as YYYY-MM-DD')
  .refine(
    (value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
    'must be a day that exists',
  );

const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;

const MinorUnits = z
  .string()
  .regex(/^-?\d+$/)
  .meta({
    id: 'MinorUnitsSum',
    description:
      'A sum of money in minor units (cents) as a decimal string, exact at any size: read it with BigInt(), not Number(), once it may pass 2^53.',
    examples: ['18014398509481982'],
  });

const SalesStats = z
  .object({
    from: z.string(),
    to: z.string(),
    days: z.array(
      z.object({
        day: z.string(),
        sku: z.string(),
        currency: z.string(),
        units: z.number().int(),
        revenue: MinorUnits,
        orders: z.number().int(),
      }),
    ),
    totals: z.array(z.object({ currency: z.string(), units: z.number().int(), revenue: MinorUnits })),
  })
  .meta({ id: 'SalesStats' });

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function registerSalesStats(app: HttpServer, { knex, adminOnly, readYourWrites }: RouteDeps): void {
  app.get(
    '/stats/sales',
    {
      preHandler: [adminOnly, readYourWrites(['sales'])],
      schema: {
        tags: ['stats'],
        summary: 'Sales per day and SKU (admin)',
        security: bearer,
        querystring: z.object({
          from: Day.optional().meta({ description: `First day, inclusive (default: ${DEFAULT_DAYS - 1} days before \`to\`).` }),
          to: Day.optional().meta({ description: 'Last day, inclusive (default: today, UTC).' }),
          sku: z.string().optional(),
          ...minPositionQuery,
        }),
        headers: minPositionHeaders,
        response: {
          200: SalesStats,
          400: problemDetailsSchema,
          401: problemDetailsSchema,
          403: problemDetailsSchema,
          503: problemDetailsSchema,
        },
      },
    },
    async (request) => {
      const to = request.query.to ?? utcDay(new Date());
      const from = request.query.from ?? utcDay(new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * 86_400_000));
      const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
      if (span < 1 || span > MAX_DAYS) {
        const message = span < 1 ? 'must not be after `to`' : `the range may hold at most ${MAX_DAYS} days`;
        throw new HttpProblem({
          status: 400,
          type: problemTypes.validation,
          title: 'Your request is not valid',
          detail: `querystring/from: ${message}`,
          extensions: { errors: [{ in: 'querystring', path: '/from', message }] },
        });
      }
      const query = knex('sales_daily')
        .select(knex.raw(`to_char(day, 'YYYY-MM-DD') as day`), 'sku', 'currency', 'units', knex.raw('revenue::text as revenue'), 'orders')
        .whereBetween('day', [from, to]);
      if (request.query.sku !== undefined) query.where({ sku: request.query.sku });
      const rows = (await query.orderBy([{ column: 'day' }, { column: 'sku' }, { column: 'currency' }])) as {
        day: string;
        sku: string;
        currency: string;
        units: number;
        revenue: string;
        orders: number;
      }[];
      const totals = new Map<string, { currency: string; units: number; revenue: bigint }>();
      for (const row of rows) {
        const currency = row.currency.trim();
        const total = totals.get(currency) ?? { currency, units: 0, revenue: 0n };
        total.units += row.units;
        total.revenue += BigInt(row.revenue);
        totals.set(currency, total);
      }
      return {
        from,
        to,
        days: rows.map((row) => ({ ...row, currency: row.currency.trim() })),
        totals: [...totals.values()]
          .sort((a, b) => a.currency.localeCompare(b.currency))
          .map((total) => ({ ...total, revenue: total.revenue.toString() })),
      };
    },
  );
}
