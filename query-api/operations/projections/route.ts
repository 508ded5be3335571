/**
 * GET /operations/projections — each projection's state, checkpoint and lag, for an operator,
 * through this public API: the query API asks the projector service's own `/projections`
 * (PROJECTORS_URL) server-side, so a browser never calls that internal port. The caller's
 * Authorization header goes along, so this keeps working once that endpoint wants a token.
 * The projector service unset, down, slow or answering nonsense is a 503 that says which.
 */
import { z } from 'zod';
import { HttpProblem, problemDetailsSchema, type HttpServer } from '../../../platform/http';
import { bearer, type RouteDeps } from '../../shared/deps';

export const ProjectionStatus = z
  .object({
    name: z.string(),
    state: z.string().meta({
      description: 'As the projector service reports it: starting, waiting_for_lock, catching_up, live, retrying, failed or stopped.',
    }),
    position: z
      .object({ commit: z.string(), prepare: z.string() })
      .nullable()
      .meta({ description: 'The checkpoint: the log position of the last event applied (decimal strings); null before the first.' }),
    lagEvents: z.number().nullable().meta({ description: 'Events in the log after the checkpoint; null when unknown.' }),
    lagSeconds: z.number().nullable().meta({ description: 'Age of the oldest event not applied yet; null when unknown.' }),
    failure: z.string().nullable().meta({ description: 'Why the projection stopped, if it did.' }),
  })
  .meta({ id: 'ProjectionStatus' });

export const ProjectionStatuses = z.object({ projections: z.array(ProjectionStatus) }).meta({ id: 'ProjectionStatuses' });

export interface ProjectorsLink {
  /** Base URL of the projector service's HTTP port; undefined: not configured. */
  url: string | undefined;
  /** Longest wait for its answer (default 3000 ms). */
  timeoutMs?: number;
}

function unavailable(detail: string): HttpProblem {
  return new HttpProblem({ status: 503, detail, headers: { 'retry-after': '5' } });
}

export function registerProjectionStatus(app: HttpServer, { adminOnly }: Pick<RouteDeps, 'adminOnly'>, projectors: ProjectorsLink): void {
  const timeoutMs = projectors.timeoutMs ?? 3000;
  const endpoint = projectors.url === undefined ? undefined : `${projectors.url.replace(/\/+$/, '')}/projections`;

  app.get(
    '/operations/projections',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['operations'],
        summary: "Each projection's state, checkpoint and lag (admin)",
        description:
          'Asked of the projector service at the time of the request. 503 when this API has no PROJECTORS_URL or the projector service does not answer.',
        security: bearer,
        response: { 200: ProjectionStatuses, 401: problemDetailsSchema, 403: problemDetailsSchema, 503: problemDetailsSchema },
      },
    },
    async (request) => {
      if (endpoint === undefined) throw unavailable('The projector service is not configured here: set PROJECTORS_URL on the query API');
      let response: Response;
      try {
        response = await fetch(endpoint, {
          headers: {
            accept: 'application/json',
            ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
            'x-correlation-id': request.id,
          },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        request.log.warn({ err: error, endpoint }, 'the projector service did not answer');
        throw unavailable(
          timedOut ? `The projector service did not answer within ${timeoutMs} ms` : 'The projector service cannot be reached',
        );
      }
      const text = await response.text().catch(() => '');
      if (!response.ok) {
        request.log.warn({ endpoint, status: response.status }, 'the projector service refused the request');
        throw unavailable(`The projector service answered ${response.status}`);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const parsed = ProjectionStatuses.safeParse(body);
      if (!parsed.success) {
        request.log.warn({ endpoint, issues: parsed.error.issues.slice(0, 5) }, 'the projector service answered something unexpected');
        throw unavailable('The projector service answered something that is not a projection status');
      }
      return parsed.data;
    },
  );
}
