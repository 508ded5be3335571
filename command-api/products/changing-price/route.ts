import { z } from 'zod';
import { Money, Sku } from '../../../domain';
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
import { changeProductPrice } from './handler';

export const ChangeProductPriceBody = z.strictObject({ price: Money }).meta({ id: 'ChangeProductPriceBody' });

export function changingPriceRoute(app: HttpServer, deps: CommandDeps): void {
  app.put(
    '/products/:sku/price',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        tags: ['products'],
        summary: "Change a product's price (admin)",
        security: bearer,
        params: z.object({ sku: Sku }),
        headers: commandHeaders,
        body: ChangeProductPriceBody,
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
          changeProductPrice(deps, { sku: request.params.sku, price: request.body.price }, commandMetadata(request), execution),
      }),
  );
}
