/**
 * GET /notifications?after=<id> — the caller's notifications after the one they saw last, in the
 * order they were sent live: what a client that was offline missed. Without `after`, from the
 * first. Page on with `after` = the last item's id while `more` is true.
 */
import { z } from 'zod';
import { principalOf } from '../../../platform/auth';
import { HttpProblem, problemDetailsSchema, problemTypes, type HttpServer } from '../../../platform/http';
import { minPositionHeaders, minPositionQuery } from '../../consistency/min-position';
import { bearer, type RouteDeps } from '../../shared/deps';
import { limitParam } from '../../shared/views';
import { Notification, notificationsAfter } from '../notification-store';

export function registerListNotifications(app: HttpServer, { knex, signedIn, readYourWrites }: RouteDeps): void {
  app.get(
    '/notifications',
    {
      preHandler: [signedIn, readYourWrites(['notifications'])],
      schema: {
        tags: ['notifications'],
        summary: 'Your notifications after the last one you saw (admins: also the admin ones)',
        security: bearer,
        querystring: z.object({
          after: z.string().max(100).optional().meta({ description: 'Id of the last notification you saw; absent: from the first.' }),
          limit: limitParam(50, 500),
          ...minPositionQuery,
        }),
        headers: minPositionHeaders,
        response: {
          200: z.object({
            items: z.array(Notification),
            more: z.boolean().meta({ description: 'More after the last item: ask again with after = its id.' }),
          }),
          400: problemDetailsSchema,
          401: problemDetailsSchema,
          503: problemDetailsSchema,
        },
      },
    },
    async (request) => {
      const { after, limit } = request.query;
      const page = await notificationsAfter(knex, principalOf(request), after, limit);
      if (!page.known) {
        const message = 'is not the id of one of your notifications';
        throw new HttpProblem({
          status: 400,
          type: problemTypes.validation,
          title: 'Your request is not valid',
          detail: `querystring/after: ${message}`,
          extensions: { errors: [{ in: 'querystring', path: '/after', message }] },
        });
      }
      return { items: page.items, more: page.more };
    },
  );
}
