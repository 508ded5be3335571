/**
 * The built console (web/dist/), and the headers its page is served with.
 *
 * Caching: Vite names every file under `assets/` by a hash of its content, so those are cached
 * for a year and never revalidated; everything else (index.html above all, which names the
 * current assets) is `no-cache`: the browser revalidates it (ETag) on every load, so a rebuilt
 * console is picked up by the next reload.
 *
 * The Content-Security-Policy allows nothing but this origin: scripts, styles, images (plus
 * `data:` ones), fonts, and connections — fetch to `/api/*` and socket.io, whose websocket is
 * `ws:`/`wss:` on this same host (older browsers do not count those as 'self', so the host is
 * named), and, with an identity provider, its origin (discovery document and token endpoint). No inline script, no eval, no plugin, no framing, no `<base>`.
 */
import { relative, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpServer } from '../../platform/http';
import type { Scope } from './scope';

const YEAR_IN_SECONDS = 365 * 24 * 60 * 60;

// A Host header becomes part of the policy: only a plain host[:port] is trusted to.
const plainHost = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function contentSecurityPolicy(host: string | undefined, identityProviders: readonly string[] = []): string {
  const sameHostSockets = host && plainHost.test(host) ? ` ws://${host} wss://${host}` : '';
  // The identity provider's origin: the console reads its discovery document and exchanges the
  // sign-in code at its token endpoint (which must be on that origin too).
  const providers = identityProviders.map((origin) => ` ${origin}`).join('');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${sameHostSockets}${providers}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** On every response of the origin (an API's own headers, when it sends them, take precedence). */
export function addSecurityHeaders(app: HttpServer): void {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
  });
}

/** The console's page policy, on the responses of `scope` (the console's files and routes). */
export function addPagePolicy(scope: Scope, identityProviders: readonly string[] = []): void {
  scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('content-security-policy', contentSecurityPolicy(request.headers.host, identityProviders));
  });
}

export async function serveConsoleFiles(scope: Scope, distDir: string): Promise<void> {
  const root = resolve(distDir);
  await scope.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    // Cache-Control is set below, per file.
    cacheControl: false,
    // Dot files (the build stamp) are not part of the console.
    dotfiles: 'ignore',
    setHeaders(reply, path) {
      const hashed = relative(root, path).split(sep)[0] === 'assets';
      reply.header('cache-control', hashed ? `public, max-age=${YEAR_IN_SECONDS}, immutable` : 'no-cache');
    },
  });
}
