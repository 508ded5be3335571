/**
 * GET /orders — the caller's orders (every customer's for an admin), newest first, optionally of
 * one status, a page at a time.
 *
 * Keyset pagination: the cursor holds the last row's (placed_at, order_id), and the next page is
 * the rows strictly after it in that order. Orders placed while a client pages land before the
 * first page, so they neither shift later pages nor appear twice (offset paging would do both).
 * placed_at is carried in microseconds, Postgres's own precision, so rows placed in the same
 * millisecond are never skipped.
 */
import { z } from 'zod';
import { principalOf } from '../../../platform/auth';
import { problemDetailsSchema, storableText, type HttpServer } from '../../../platform/http';
import { minPositionHeaders, minPositionQuery } from '../../consistency/min-position';
import { cursorParam, decodeCursor, encodeCursor } from '../../shared/cursor';
import { bearer, type RouteDeps } from '../../shared/deps';
import { limitParam } from '../../shared/views';
import { OrderSummary, orderStatuses, orderSummaryView, type CustomerOrderRow } from '../order-view';

// Microseconds since 1970 as the database wrote them: 16 digits reach the year 2286, and a
// bigger number would overflow the cast back to a timestamp (a 500 from a crafted cursor).
const Cursor = z.object({ placedAtUs: z.string().regex(/^-?\d{1,16}$/), orderId: storableText() });

export function registerListOrders(app: HttpServer, { knex, signedIn, readYourWrites }: RouteDeps): void {
  app.get(
    '/orders',
    {
      preHandler: [signedIn, readYourWrites(['orders'])],
      schema: {
        tags: ['orders'],
        summary: 'Orders, newest first: your own, or everyone’s for an admin',
        security: bearer,
        querystring: z.object({
          status: z.enum(orderStatuses).optional(),
          customerId: z
            .string()
            .optional()
            .meta({ description: 'Admins only: one customer’s orders. Ignored for a customer (always their own).' }),
          limit: limitParam(20, 100),
          cursor: cursorParam,
          ...minPositionQuery,
        }),
        headers: minPositionHeaders,
        response: {
          200: z.object({
            items: z.array(OrderSummary),
            nextCursor: z.string().nullable().meta({ description: 'Pass as ?cursor= for the next page; null on the last page.' }),
          }),
          400: problemDetailsSchema,
          401: problemDetailsSchema,
          503: problemDetailsSchema,
        },
      },
    },
    async (request) => {
      const { status, customerId, limit, cursor } = request.query;
      const principal = principalOf(request);
      const query = knex('customer_orders').select(
        '*',
        knex.raw('(extract(epoch from placed_at) * 1000000)::bigint::text as placed_at_us'),
      );
      if (principal.role !== 'admin') query.where({ customer_id: principal.sub });
      else if (customerId !== undefined) query.where({ customer_id: customerId });
      if (status !== undefined) query.where({ status });
      if (cursor !== undefined) {
        const after = decodeCursor(cursor, Cursor);
        query.whereRaw(`(placed_at, order_id) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?)`, [
          after.placedAtUs,
          after.orderId,
        ]);
      }
      const rows = (await query
        .orderBy([
          { column: 'placed_at', order: 'desc' },
          { column: 'order_id', order: 'desc' },
        ])
        .limit(limit + 1)) as (CustomerOrderRow & { placed_at_us: string })[];
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(orderSummaryView),
        nextCursor: rows.length > limit && last ? encodeCursor({ placedAtUs: last.placed_at_us, orderId: last.order_id }) : null,
      };
    },
  );
}
