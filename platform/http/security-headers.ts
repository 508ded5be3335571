/**
 * Headers that make every answer safe to hand to a browser, whatever route produced it:
 * - helmet's set (`X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
 *   `Strict-Transport-Security`, `X-Frame-Options`, cross-origin isolation headers, …);
 * - a Content-Security-Policy that allows nothing: the APIs answer JSON, and a JSON answer a
 *   browser is tricked into rendering must not run or load anything. The one HTML the services
 *   serve, the Swagger UI at `/docs`, gets a policy of its own (DOCS_CSP) that allows exactly its
 *   own scripts, styles and images;
 * - `Cache-Control: no-store` on any answer to a request that carried `Authorization`: what one
 *   user was shown must not be kept by a browser or a shared cache for the next.
 */
import fastifyHelmet from '@fastify/helmet';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpServer } from './http-server';

/** For JSON and problem answers: nothing may be loaded, framed, or submitted. */
export const API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * For the Swagger UI (`/docs`): its page loads its own scripts and styles (no inline script),
 * fetches the OpenAPI document and calls the API it documents (`connect-src 'self'`). Swagger UI
 * sets inline `style` attributes on elements, hence `'unsafe-inline'` for styles only.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

export async function registerSecurityHeaders(app: HttpServer): Promise<void> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
    },
    // An API called from the console's origin and from allow-listed origins (CORS): resources
    // are fetched cross-origin on purpose, CORS (cors.ts) decides who may read them.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
  app.addHook('onSend', async (request, reply, payload) => {
    addAlwaysHeaders(request, reply);
    return payload;
  });
}

/**
 * Also called where fastify answers without running the onRequest hooks (a URL the router cannot
 * decode): nosniff and no-store do not depend on a hook having run.
 */
export function addAlwaysHeaders(request: FastifyRequest, reply: FastifyReply): void {
  if (!reply.hasHeader('x-content-type-options')) reply.header('x-content-type-options', 'nosniff');
  if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
  if (request.headers.authorization !== undefined) reply.header('cache-control', 'no-store');
}
