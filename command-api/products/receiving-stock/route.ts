import { z } from 'zod';
import { Quantity, Sku } from '../../../domain';
import type { HttpServer } from '../../../platform/http';
import {
  ProductCommandAccepted,
  bearer,
  commandHeaders,
  commandMetadata,
  commandProblemResponses,
  respond,
  type CommandDeps,
} from '../../shared/command';
import { receiveStock } from './handler';

export const ReceiveStockBody = z.strictObject({ quantity: Quantity }).meta({ id: 'ReceiveStockBody' });

export function receivingStockRoute(app: HttpServer, deps: CommandDeps): void {
  app.post(
    '/products/:sku/stock',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        tags: ['products'],
        summary: 'Receive stock of a product (admin)',
        security: bearer,
        params: z.object({ sku: Sku }),
        headers: commandHeaders,
        body: ReceiveStockBody,
        response: {
          200: ProductCommandAccepted,
          ...commandProblemResponses,
        },
      },
    },
    async (request, reply) =>
      respond(request, reply, deps, {
        context: { sku: request.params.sku },
        execute: (execution) =>
          receiveStock(deps, { sku: request.params.sku, quantity: request.body.quantity }, commandMetadata(request), execution),
      }),
  );
}
