/**
 * GET /orders/:orderId — one order with its lines, payment, cancellation and timeline. A
 * customer sees only their own: another customer's order answers 404, exactly like an order that
 * does not exist, so order ids cannot be probed.
 */
import { z } from 'zod';
import { principalOf } from '../../../platform/auth';
import { notFound, problemDetailsSchema, type HttpServer } from '../../../platform/http';
import { minPositionHeaders, minPositionQuery } from '../../consistency/min-position';
import { bearer, type RouteDeps } from '../../shared/deps';
import { mayRead } from '../../shared/views';
import { Order, orderView, type OrderRow } from '../order-view';

export function registerGetOrder(app: HttpServer, { knex, signedIn, readYourWrites }: RouteDeps): void {
  app.get(
    '/orders/:orderId',
    {
      preHandler: [signedIn, readYourWrites(['orders'])],
      schema: {
        tags: ['orders'],
        summary: "An order (the caller's own; any order for an admin)",
        security: bearer,
        params: z.object({ orderId: z.string().min(1).max(200) }),
        querystring: z.object(minPositionQuery),
        headers: minPositionHeaders,
        response: {
          200: Order,
          400: problemDetailsSchema,
          401: problemDetailsSchema,
          404: problemDetailsSchema,
          503: problemDetailsSchema,
        },
      },
    },
    async (request) => {
      const { orderId } = request.params;
      const row = (await knex('orders').where({ order_id: orderId }).first()) as OrderRow | undefined;
      if (!row || !mayRead(principalOf(request), row.customer_id)) throw notFound(`No order ${orderId}`);
      return orderView(row);
    },
  );
}
