import { z } from 'zod';
import { Money, NewProductName, Sku } from '../../../domain';
import { problemDetailsSchema, type HttpServer } from '../../../platform/http';
import { ProductCommandAccepted, bearer, commandHeaders, commandMetadata, respond, type CommandDeps } from '../../shared/command';
import { registerProduct } from './handler';

export const RegisterProductBody = z.strictObject({ sku: Sku, name: NewProductName, price: Money }).meta({ id: 'RegisterProductBody' });

export function registeringRoute(app: HttpServer, deps: CommandDeps): void {
  app.post(
    '/products',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        tags: ['products'],
        summary: 'Register a product (admin)',
        description:
          'Starts the stream `inventory-{sku}` with `ProductRegistered`; a SKU that is already registered answers 422 `already-registered`.',
        security: bearer,
        headers: commandHeaders,
        body: RegisterProductBody,
        response: {
          201: ProductCommandAccepted,
          400: problemDetailsSchema,
          401: problemDetailsSchema,
          403: problemDetailsSchema,
          422: problemDetailsSchema,
        },
      },
    },
    async (request, reply) =>
      respond(request, reply, deps, {
        context: { sku: request.body.sku },
        execute: (execution) => registerProduct(deps, request.body, commandMetadata(request), execution),
      }),
  );
}
