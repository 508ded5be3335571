/**
 * Route guard: `preHandler: app.requireRole('admin')`. A caller we cannot identify gets 401
 * (with `WWW-Authenticate`, RFC 6750, so a client knows to fetch a token); a caller we identified
 * but who may not do this gets 403. Keeping the two apart tells a client whether logging in again
 * can help.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, problemTypes } from '../http/problem';
import { DEFAULT_AUTH_FAILURES_PER_MINUTE } from '../config';
import { failureLimiter, tooManyRequests, type FailureLimiter } from '../http/rate-limits';
import { IdentityProviderUnavailable } from './oidc';
import type { AuthFailureReason, Principal, Role } from './principal';
import { verifyBearer, type TokenVerifier } from './tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireRole` once the bearer token was verified. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Available after `registerAuth(app, { tokens })`. */
    requireRole(...roles: Role[]): RoleGuard;
  }
}

// A plain function type rather than fastify's hook type, so a guard fits routes of any type
// provider (zod here) without casts.
export type RoleGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** How tokens are checked: a verifier (verifierFromEnv), or an HS256 secret (tests, development). */
export type TokenCheck = { tokens: string | TokenVerifier } | { secret: string };

const checkerOf = (check: TokenCheck): string | TokenVerifier => ('tokens' in check ? check.tokens : check.secret);

export type AuthOptions = TokenCheck & {
  /** Counts refused tokens per client address (`registerAuth` makes one); past its limit: 429. */
  failures?: FailureLimiter;
};

export type RegisterAuthOptions = TokenCheck & {
  /** Refused tokens per client address and minute before 429 (`AUTH_FAILURES_PER_MINUTE`, default 120). */
  failuresPerMinute?: number;
};

function forbidden(detail: string): HttpProblem {
  return new HttpProblem({ status: 403, type: problemTypes.forbidden, title: 'Forbidden', detail });
}

function unauthorized(reason: AuthFailureReason, detail: string): HttpProblem {
  // RFC 6750 §3.1: no error code when no credentials were sent at all.
  // RFC 6750 §3: error_description is printable ASCII without `"` or `\`.
  const description = detail.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?');
  const challenge =
    reason === 'missing_token'
      ? 'Bearer'
      : `Bearer error="${reason === 'malformed_header' ? 'invalid_request' : 'invalid_token'}", error_description="${description}"`;
  return new HttpProblem({
    status: 401,
    type: problemTypes.unauthorized,
    title: 'Unauthorized',
    detail,
    extensions: { reason },
    headers: { 'www-authenticate': challenge },
  });
}

/** A guard on its own, for an app that does not call `registerAuth`. */
export function createRoleGuard(options: AuthOptions) {
  const tokens = checkerOf(options);
  const { failures } = options;
  return function requireRole(...allowed: Role[]): RoleGuard {
    if (allowed.length === 0) throw new Error('requireRole needs at least one role');
    return async function checkRole(request: FastifyRequest, _reply: FastifyReply) {
      let result;
      try {
        result = await verifyBearer(request.headers.authorization, tokens);
      } catch (error) {
        if (!(error instanceof IdentityProviderUnavailable)) throw error;
        request.log.error({ err: error }, 'identity provider unavailable');
        throw new HttpProblem({
          status: 503,
          detail: "The identity provider's keys cannot be fetched; try again shortly",
          headers: { 'retry-after': '5' },
        });
      }
      // A genuine token of someone the shop gives no role: who they are is known, so not a 401.
      if (!result.ok && result.reason === 'no_role') throw forbidden(result.detail);
      if (!result.ok) {
        // No token at all is a caller who has not signed in; a refused one is an attempt.
        if (result.reason !== 'missing_token' && failures) {
          const limit = await failures.count(request.ip);
          if (limit.limited)
            throw tooManyRequests(
              limit.retryAfterSeconds,
              `Too many refused tokens from this address; try again in ${limit.retryAfterSeconds} s`,
            );
        }
        throw unauthorized(result.reason, result.detail);
      }
      if (!allowed.includes(result.principal.role)) {
        throw forbidden(`This needs the role ${allowed.join(' or ')}; your token has the role ${result.principal.role}`);
      }
      request.principal = result.principal;
    };
  };
}

/** Decorates `app.requireRole(...)` and `request.principal` on `app` (not encapsulated). */
// Any fastify instance, whatever its type provider or logger type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerAuth(app: FastifyInstance<any, any, any, any, any>, options: RegisterAuthOptions): void {
  app.decorateRequest('principal', null);
  const failures = failureLimiter(app, { max: options.failuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE });
  const check: TokenCheck = 'tokens' in options ? { tokens: options.tokens } : { secret: options.secret };
  app.decorate('requireRole', createRoleGuard({ ...check, ...(failures ? { failures } : {}) }));
}

/** The verified caller of a route guarded by `requireRole` (throws if the route is not guarded). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} reads the principal but has no requireRole guard`);
  return request.principal;
}
