/**
 * Cross-origin access for browsers on other origins than the one serving the console, from one
 * allow-list (`CORS_ORIGINS`) shared by the HTTP routes (here) and the query API's socket.io.
 *
 * - Exact origins only, never `*`: an origin is scheme + host + optional port, compared as the
 *   browser sends it in `Origin`.
 * - No credentials: callers authenticate with a bearer token in the Authorization header, which
 *   a cross-origin request may carry once the preflight allows the header. Cookies are not used,
 *   so `Access-Control-Allow-Credentials` is never sent (docs/adr/0001-browser-facing-api-operations-cors-live-changes.md).
 * - A refused origin (or a request without `Origin`) gets no Access-Control-* header at all, and
 *   its preflight the same 404 as any unknown route.
 */
import fastifyCors from '@fastify/cors';
import { z } from 'zod';
import { CORRELATION_ID_HEADER } from './correlation';
import type { HttpServer } from './http-server';

/** Request headers a cross-origin caller may send (besides the CORS-safelisted ones). */
export const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'x-min-position', CORRELATION_ID_HEADER] as const;
/** Response headers a cross-origin caller may read (besides the CORS-safelisted ones). */
// Not safelisted, so a cross-origin client could not read them otherwise: how long to wait before
// asking again (409 in progress, 429, 503), and whether an answer was replayed from an Idempotency-Key.
export const CORS_EXPOSED_HEADERS = [CORRELATION_ID_HEADER, 'retry-after', 'idempotent-replayed'] as const;
export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** How long a browser may cache a preflight's answer (seconds). */
const PREFLIGHT_MAX_AGE_S = 600;

/** True when `value` is exactly an `http(s)://host[:port]` origin as a browser writes it. */
export function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const parsed = new URL(value);
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === value;
}

/**
 * `CORS_ORIGINS`: comma-separated origins, e.g. `http://127.0.0.1:8099,https://shop.example`.
 * A bad entry names itself (an origin is no secret) and what an origin looks like.
 */
export const corsOrigins = z.string().transform((value, context) => {
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (!isOrigin(origin)) {
      context.addIssue({
        code: 'custom',
        message: `"${origin.slice(0, 100)}" is not an origin: write scheme://host[:port] (http or https, lower case, no path, no trailing slash, no default port), e.g. http://127.0.0.1:8099`,
      });
    }
  }
  return [...new Set(origins)];
});

/** Registers CORS for `origins` on `app` (all routes); with no origins, registers nothing. */
export async function registerCors(app: HttpServer, origins: readonly string[] | undefined): Promise<void> {
  if (!origins || origins.length === 0) return;
  const allowed = new Set(origins);
  await app.register(fastifyCors, {
    // A function rather than the list: a refused origin then gets no CORS headers at all, and
    // its preflight falls through to the 404 of an unknown route instead of a bare 204.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: [...CORS_METHODS],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    credentials: false,
    maxAge: PREFLIGHT_MAX_AGE_S,
    // Strict mode answers a malformed preflight with text/plain; this API answers problem+json only.
    strictPreflight: false,
  });
}
