import { z } from 'zod';
import { OrderId } from '../../../domain';
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
import { requestOrderCancellation } from './handler';

export function cancellingRoute(app: HttpServer, deps: CommandDeps): void {
  app.post(
    '/orders/:orderId/cancel',
    {
      onRequest: app.requireRole('customer'),
      schema: {
        tags: ['orders'],
        summary: 'Ask to cancel an order (the customer who placed it)',
        description: "Another customer's order answers 404, like an unknown one.",
        security: bearer,
        params: z.object({ orderId: OrderId }),
        headers: commandHeaders,
        response: {
          202: OrderCommandAccepted,
          ...commandProblemResponses,
        },
      },
    },
    async (request, reply) =>
      respond(request, reply, deps, {
        context: { orderId: request.params.orderId },
        execute: (execution) =>
          requestOrderCancellation(
            deps,
            { orderId: request.params.orderId, customerId: principalOf(request).sub },
            commandMetadata(request),
            execution,
          ),
      }),
  );
}
