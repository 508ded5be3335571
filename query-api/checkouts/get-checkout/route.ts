/**
 * GET /checkouts/:orderId — how far the checkout of an order got, step by step, as the saga
 * recorded it. Owner or admin; whose order it is comes from the orders read model, so a checkout
 * whose order that model has not seen yet is a 404 for a customer (X-Min-Position avoids that
 * right after placing an order).
 */
import { z } from 'zod';
import { principalOf } from '../../../platform/auth';
import { notFound, problemDetailsSchema, type HttpServer } from '../../../platform/http';
import { minPositionHeaders, minPositionQuery } from '../../consistency/min-position';
import { bearer, type RouteDeps } from '../../shared/deps';
import { mayRead } from '../../shared/views';
import { Checkout, checkoutView, type CheckoutRow } from '../checkout-view';

export function registerGetCheckout(app: HttpServer, { knex, signedIn, readYourWrites }: RouteDeps): void {
  app.get(
    '/checkouts/:orderId',
    {
      // Both: the steps come from checkout_progress, the owner from orders.
      preHandler: [signedIn, readYourWrites(['checkout_progress', 'orders'])],
      schema: {
        tags: ['checkouts'],
        summary: "The checkout of an order, step by step (the caller's own; any for an admin)",
        security: bearer,
        params: z.object({ orderId: z.string().min(1).max(200) }),
        querystring: z.object(minPositionQuery),
        headers: minPositionHeaders,
        response: {
          200: Checkout,
          400: problemDetailsSchema,
          401: problemDetailsSchema,
          404: problemDetailsSchema,
          503: problemDetailsSchema,
        },
      },
    },
    async (request) => {
      const { orderId } = request.params;
      const row = (await knex('checkout_progress as c')
        .leftJoin('orders as o', 'o.order_id', 'c.order_id')
        .where('c.order_id', orderId)
        .first('c.*', 'o.customer_id')) as CheckoutRow | undefined;
      const principal = principalOf(request);
      const visible = row && (principal.role === 'admin' || (row.customer_id !== null && mayRead(principal, row.customer_id)));
      if (!row || !visible) throw notFound(`No checkout for order ${orderId}`);
      return checkoutView(row);
    },
  );
}
