/**
 * The console's origin: one HTTP server that serves the built console (web/dist/) and fronts
 * both APIs and socket.io, so the browser talks to one origin and needs no CORS:
 *
 *   /                      the console (index.html; hashed assets under /assets/)
 *   /api/commands/*        → the command API, prefix stripped
 *   /api/queries/*         → the query API, prefix stripped
 *   /socket.io/*           → the query API's socket.io (long polling and websocket)
 *   /console-config.json   { devSignIn, oidc } — what the console may offer on this origin
 *   /dev/sign-in           development sign-in, only when `devSignIn` is given (npm start)
 *   /health /ready /metrics /docs   as on every service (platform/http); /ready asks both APIs;
 *                          /metrics on METRICS_PORT/OPS_HOST instead when set
 *
 * `npm start` runs it in its process (launcher/system.ts); compose runs main.ts beside the APIs.
 */
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../../platform/logger';
import { createHttpServer, type HttpServer } from '../../platform/http';
import type { MetricsListenerOptions } from '../../platform/http/metrics-listener';
import { addPagePolicy, addSecurityHeaders, serveConsoleFiles } from './console-files';
import { consoleConfigRoute, devSignInRoute, type ConsoleOidc, type DevSignIn } from './dev-sign-in';
import { proxyTheApis } from './proxy';
import type { Scope } from './scope';

export type { ConsoleOidc, DevSignIn } from './dev-sign-in';

export interface WebOriginOptions {
  commandApiUrl: string;
  queryApiUrl: string;
  /** The built console: index.html and assets/ (web/dist/). */
  distDir: string;
  /** Only `npm start` with a JWT secret of its own passes this; never compose, never with JWT_SECRET. */
  devSignIn?: DevSignIn;
  /** The identity provider the console offers to sign in with (OIDC_ISSUER + OIDC_CONSOLE_CLIENT_ID). */
  oidc?: ConsoleOidc;
  /** Serve `/metrics` on a listener of its own (METRICS_PORT/OPS_HOST) instead of the public port. */
  metricsListener?: MetricsListenerOptions;
  /** Proxies in front of this origin whose X-Forwarded-For is passed on (`TRUST_PROXY`); default none. */
  trustProxy?: readonly string[];
  logger: Logger;
}

export async function buildWebOrigin(options: WebOriginOptions): Promise<HttpServer> {
  const commandApi = { name: 'command API', url: options.commandApiUrl };
  const queryApi = { name: 'query API', url: options.queryApiUrl };
  const app = await createHttpServer({
    logger: options.logger,
    docs: {
      title: 'Checkout console origin',
      description: 'Serves the console and fronts the command API, the query API and socket.io on one origin.',
    },
    readinessChecks: [answers(commandApi), answers(queryApi)],
    ...(options.metricsListener ? { metricsListener: options.metricsListener } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
  });
  addSecurityHeaders(app);
  await proxyTheApis(app, { commandApi, queryApi, ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}) });
  await app.register(async (child) => {
    const scope: Scope = child.withTypeProvider<ZodTypeProvider>();
    addPagePolicy(scope, options.oidc ? [new URL(options.oidc.issuer).origin] : []);
    consoleConfigRoute(scope, options.devSignIn, options.oidc);
    if (options.devSignIn) devSignInRoute(scope, options.devSignIn);
    await serveConsoleFiles(scope, options.distDir);
  });
  return app;
}

/** Ready when the API answers its liveness probe: the origin can reach it. */
function answers(upstream: { name: string; url: string }) {
  return {
    name: upstream.name.replace(' ', '-').toLowerCase(),
    async check(signal: AbortSignal) {
      const response = await fetch(`${upstream.url.replace(/\/+$/, '')}/health`, { signal });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`${upstream.name} /health answered ${response.status}`);
    },
  };
}
