/** GET /products — the catalogue with stock, by SKU, a page at a time (keyset on the SKU). */
import { z } from 'zod';
import { problemDetailsSchema, storableText, type HttpServer } from '../../../platform/http';
import { minPositionHeaders, minPositionQuery } from '../../consistency/min-position';
import { cursorParam, decodeCursor, encodeCursor } from '../../shared/cursor';
import { bearer, type RouteDeps } from '../../shared/deps';
import { limitParam } from '../../shared/views';
import { Product, productView, type ProductRow } from '../product-view';

const Cursor = z.object({ sku: storableText() });

export function registerListProducts(app: HttpServer, { knex, signedIn, readYourWrites }: RouteDeps): void {
  app.get(
    '/products',
    {
      preHandler: [signedIn, readYourWrites(['products'])],
      schema: {
        tags: ['products'],
        summary: 'Products with their stock, ordered by SKU',
        security: bearer,
        querystring: z.object({
          inStock: z.enum(['true', 'false']).optional().meta({ description: 'true: only products with available stock.' }),
          limit: limitParam(50, 500),
          cursor: cursorParam,
          ...minPositionQuery,
        }),
        headers: minPositionHeaders,
        response: {
          200: z.object({ items: z.array(Product), nextCursor: z.string().nullable() }),
          400: problemDetailsSchema,
          401: problemDetailsSchema,
          503: problemDetailsSchema,
        },
      },
    },
    async (request) => {
      const { inStock, limit, cursor } = request.query;
      const query = knex('products').select('*');
      if (inStock === 'true') query.where('available', '>', 0);
      // "C" collation: the order (and so the cursor) does not depend on the database's locale.
      if (cursor !== undefined) query.whereRaw('sku collate "C" > ?', [decodeCursor(cursor, Cursor).sku]);
      const rows = (await query.orderByRaw('sku collate "C"').limit(limit + 1)) as ProductRow[];
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page.map(productView), nextCursor: rows.length > limit && last ? encodeCursor({ sku: last.sku }) : null };
    },
  );
}
