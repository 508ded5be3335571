import { z } from 'zod';
import { NewPaymentToken, Quantity, Sku } from '../../../domain';
import { principalOf } from '../../../platform/auth';
import type { HttpServer } from '../../../platform/http';
import {
  OrderCommandAccepted,
  bearer,
  commandHeaders,
  commandMetadata,
  commandProblemResponses,
  respond,
  type CommandDeps,
} from '../../shared/command';
import { inventoryReads, placeOrder } from './handler';

export const PlaceOrderBody = z
  .strictObject({
    lines: z
      .array(z.strictObject({ sku: Sku, quantity: Quantity }))
      .min(1, 'an order needs at least one line')
      .max(50, 'an order has at most 50 lines')
      .superRefine((lines, context) => {
        // One line per SKU: the checkout reserves each SKU once per order.
        const seen = new Set<string>();
        lines.forEach((line, index) => {
          if (seen.has(line.sku))
            context.addIssue({ code: 'custom', path: [index, 'sku'], message: `SKU ${line.sku} is already on another line` });
          seen.add(line.sku);
        });
      }),
    paymentToken: NewPaymentToken,
  })
  .meta({ id: 'PlaceOrderBody' });

export function placingRoute(app: HttpServer, commandDeps: CommandDeps): void {
  const deps = { ...commandDeps, inventoryReads: inventoryReads(commandDeps.client) };
  app.post(
    '/orders',
    {
      onRequest: app.requireRole('customer'),
      schema: {
        tags: ['orders'],
        summary: 'Place an order (customer)',
        description:
          'Takes the current unit price of each SKU from its inventory stream and appends `OrderPlaced` to a new stream `order-{orderId}`. ' +
          'Answers 202: the checkout (stock, payment) goes on asynchronously.',
        security: bearer,
        headers: commandHeaders,
        body: PlaceOrderBody,
        response: {
          202: OrderCommandAccepted,
          ...commandProblemResponses,
        },
      },
    },
    async (request, reply) =>
      respond(request, reply, deps, {
        context: {},
        execute: (execution) =>
          placeOrder(deps, { customerId: principalOf(request).sub, ...request.body }, commandMetadata(request), execution),
      }),
  );
}
