/**
 * Rate limits (@fastify/rate-limit, in-memory per process): registered by `createHttpServer`
 * with no global limit; what is limited is chosen where it is known:
 * - failed authentication per client address (platform/auth's guard and the socket.io handshake):
 *   a token that is presented and refused counts; past the limit the answer is 429 with
 *   `Retry-After` until the window ends. No token at all is not an attempt and does not count;
 * - commands per user (`sub`), in the command API (`perUserLimit`).
 */
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './problem';
import type { HttpServer } from './http-server';

export const rateLimitedProblemType = 'urn:checkout:problem:rate-limited';

export async function registerRateLimits(app: HttpServer): Promise<void> {
  await app.register(fastifyRateLimit, { global: false });
}

export function tooManyRequests(retryAfterSeconds: number, detail: string): HttpProblem {
  return new HttpProblem({
    status: 429,
    type: rateLimitedProblemType,
    detail,
    extensions: { retryAfter: retryAfterSeconds },
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}

export type FailureLimit = { limited: false } | { limited: true; retryAfterSeconds: number };

/** Counts failures by a key (a client address); `count` adds one and says whether the limit is passed. */
export interface FailureLimiter {
  count(key: string): Promise<FailureLimit>;
}

// Any fastify instance, whatever its type provider or logger type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFastify = import('fastify').FastifyInstance<any, any, any, any, any>;

/** A limiter on the plugin's store (so a shared store, e.g. Redis, would cover it too). */
export function failureLimiter(
  app: AnyFastify,
  { max, timeWindowMs = 60_000 }: { max: number; timeWindowMs?: number },
): FailureLimiter | undefined {
  if (!app.hasDecorator('createRateLimit')) return undefined;
  const limit = app.createRateLimit({
    max,
    timeWindow: timeWindowMs,
    keyGenerator: (request) => (request as unknown as { failureKey: string }).failureKey,
  });
  return {
    async count(key) {
      // The limiter reads only the key and the route's config from what it is given.
      const answer = await limit({ failureKey: key, routeOptions: { config: {} } } as unknown as FastifyRequest);
      if (answer.isAllowed || !answer.isExceeded) return { limited: false };
      return { limited: true, retryAfterSeconds: Math.max(1, answer.ttlInSeconds) };
    },
  };
}

/**
 * A preHandler limiting each user to `perMinute` requests; put it after the route's role guard
 * (it keys on the verified `sub`, or the address when there is none).
 */
export function perUserLimit(app: HttpServer, perMinute: number) {
  return app.rateLimit({
    max: perMinute,
    timeWindow: 60_000,
    hook: 'preHandler',
    keyGenerator: (request) => {
      const principal = (request as FastifyRequest & { principal?: { sub: string } | null }).principal;
      return principal ? `sub:${principal.sub}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      tooManyRequests(
        Math.max(1, Math.ceil(context.ttl / 1000)),
        `More than ${context.max} commands a minute from this user; try again in ${context.after}`,
      ),
  });
}
