/** GET /products/:sku — one product with its stock. */
import { z } from 'zod';
import { notFound, problemDetailsSchema, type HttpServer } from '../../../platform/http';
import { minPositionHeaders, minPositionQuery } from '../../consistency/min-position';
import { bearer, type RouteDeps } from '../../shared/deps';
import { Product, productView, type ProductRow } from '../product-view';

export function registerGetProduct(app: HttpServer, { knex, signedIn, readYourWrites }: RouteDeps): void {
  app.get(
    '/products/:sku',
    {
      preHandler: [signedIn, readYourWrites(['products'])],
      schema: {
        tags: ['products'],
        summary: 'A product with its stock',
        security: bearer,
        params: z.object({ sku: z.string().min(1).max(200) }),
        querystring: z.object(minPositionQuery),
        headers: minPositionHeaders,
        response: {
          200: Product,
          400: problemDetailsSchema,
          401: problemDetailsSchema,
          404: problemDetailsSchema,
          503: problemDetailsSchema,
        },
      },
    },
    async (request) => {
      const row = (await knex('products').where({ sku: request.params.sku }).first()) as ProductRow | undefined;
      if (!row) throw notFound(`No product ${request.params.sku}`);
      return productView(row);
    },
  );
}
