/**
 * The fastify base every HTTP service starts from. What it gives a service, so that no service
 * has to remember it:
 * - zod schemas on routes drive validation, serialization and the OpenAPI document (`/docs`);
 * - every error answers as problem+json (error-handler.ts), unknown routes too;
 * - a correlation id per request (from `X-Correlation-Id` or made up), echoed in the response
 *   and on every log line of the request;
 * - `/health` (liveness), `/ready` (the service's readiness checks), `/metrics` (Prometheus; on
 *   a listener of its own when `metricsListener` is set: metrics-listener.ts);
 * - CORS for the origins in `corsOrigins` only (cors.ts);
 * - security headers on every answer (security-headers.ts), and problem+json even for what Node's
 *   HTTP parser refuses itself (client-errors.ts);
 * - @fastify/rate-limit, registered without a global limit (rate-limits.ts).
 *
 * Register routes after `await createHttpServer(...)`; the documentation plugin must already be
 * loaded to see them.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController } from 'fastify';
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { Logger } from '../logger';
import { answerClientError } from './client-errors';
import { trustedProxies } from './client-address';
import { CORRELATION_ID_HEADER, correlationIdFor } from './correlation';
import { registerCors } from './cors';
import { handleError, handleNotFound, instanceOf, sendProblem } from './error-handler';
import { createMetricsRegistry, instrumentHttp } from './metrics';
import { listenForMetrics, type MetricsListener, type MetricsListenerOptions } from './metrics-listener';
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepError } from './json-depth';
import { rejectNulInParameters } from './nul-guard';
import { problemDetailsSchema, problemTypes, statusTitle } from './problem';
import { registerRateLimits } from './rate-limits';
import { runReadinessChecks, type ReadinessCheck } from './readiness';
import type { HttpServer } from './http-server';
import { addAlwaysHeaders, DOCS_CSP, registerSecurityHeaders } from './security-headers';

export type { HttpServer } from './http-server';

export interface HttpServerOptions {
  logger: Logger;
  /** Dependencies that must answer for `/ready` to say 200. */
  readinessChecks?: readonly ReadinessCheck[];
  /** Default: a fresh registry with Node's default metrics. Pass one to add your own metrics. */
  metricsRegistry?: Registry;
  /** Shown in the OpenAPI document. */
  docs?: { title: string; version?: string; description?: string };
  /** Largest request body accepted, in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * The proxies whose X-Forwarded-For (and -Host, -Proto) are believed (`TRUST_PROXY`:
   * client-address.ts), so `request.ip` is the client's; default none.
   */
  trustProxy?: readonly string[];
  /** Browser origins allowed to call cross-origin (`CORS_ORIGINS`, cors.ts); none: no cross-origin access. */
  corsOrigins?: readonly string[];
  /**
   * Serve `/metrics` on this listener (started when the server listens, closed with it) instead of
   * the public port (`METRICS_PORT`/`OPS_HOST`: `metricsListenerOf(config)`).
   */
  metricsListener?: MetricsListenerOptions;
}

const DOCS_PREFIX = '/docs';
const PROBE_PATHS = new Set(['/health', '/ready', '/metrics']);

export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({
      requestIdLogLabel: 'correlationId',
      // Probes hit these every few seconds; two log lines each would drown the real traffic.
      disableRequestLogging: (request) => PROBE_PATHS.has(request.url ?? ''),
    }),
    genReqId: correlationIdFor,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Our trust function rather than fastify's list: the socket.io handshake walks the same way.
    trustProxy: options.trustProxy?.length ? trustedProxies(options.trustProxy) : false,
    // A URL the router cannot even decode (`/products/%`) or a parameter over its length limit:
    // problem+json like every other client error, not fastify's own JSON.
    // These requests skip the onRequest hooks, so the correlation id header is set here.
    frameworkErrors: (error, request, reply) => {
      addAlwaysHeaders(request, reply);
      void handleError(error, request, reply.header(CORRELATION_ID_HEADER, request.id));
    },
    clientErrorHandler: answerClientError,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  app.addHook('preValidation', rejectNulInParameters);
  // fastify's own JSON parser (prototype-poisoning checks included), plus a depth limit (json-depth.ts).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // Called with `done`, the default parser answers through it and returns nothing (its declared
    // type also admits a promise-returning parser): there is no promise to wait for.
    void parseJson(request, body as string, (error, value) => {
      if (error) return done(error, undefined);
      if (nestsDeeperThan(value, MAX_JSON_DEPTH)) return done(tooDeepError(), undefined);
      done(null, value);
    });
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header(CORRELATION_ID_HEADER, request.id);
  });

  // While closing, a response to a request already in flight must also end its keep-alive
  // connection: otherwise the server waits for the client to hang up (fastify's keep-alive
  // timeout is 72 s) before `close()` resolves, and a graceful shutdown turns into a kill.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  const metricsRegistry = options.metricsRegistry ?? createMetricsRegistry();
  instrumentHttp(app, metricsRegistry);
  await registerSecurityHeaders(app);
  await registerRateLimits(app);
  // Its onRequest hook answers a preflight before any route's guard runs, and puts the headers
  // on every answer, errors included, so a browser can read a 401 or a problem's detail.
  await registerCors(app, options.corsOrigins);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: options.docs?.title ?? 'API',
        version: options.docs?.version ?? '0.0.0',
        ...(options.docs?.description ? { description: options.docs.description } : {}),
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: createJsonSchemaTransform({ skipList: [] }),
    transformObject: jsonSchemaTransformObject,
  });
  // The UI's own routes are hidden from the document by the plugin itself.
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: DOCS_CSP });

  const operations = { tags: ['operations'] };

  app.get(
    '/health',
    {
      schema: {
        ...operations,
        summary: 'Liveness: the process is up and serving HTTP',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const readinessChecks = options.readinessChecks ?? [];
  app.get(
    '/ready',
    {
      schema: {
        ...operations,
        summary: 'Readiness: every dependency answers',
        response: {
          200: z.object({ status: z.literal('ready'), checks: z.array(z.object({ name: z.string(), ready: z.boolean() })) }),
          503: problemDetailsSchema,
        },
      },
    },
    async (request, reply) => {
      const results = await runReadinessChecks(readinessChecks);
      const checks = results.map(({ name, ready }) => ({ name, ready }));
      const failing = results.filter((result) => !result.ready);
      if (failing.length === 0) return { status: 'ready' as const, checks };
      for (const { name, error } of failing) request.log.warn({ dependency: name, err: error }, 'readiness check failed');
      return sendProblem(reply, {
        type: problemTypes.notReady,
        title: statusTitle(503),
        status: 503,
        detail: `Not ready: ${failing.map(({ name }) => name).join(', ')} did not answer`,
        instance: instanceOf(request),
        correlationId: request.id,
        checks,
      });
    },
  );

  const metricsListenerOptions = options.metricsListener;
  if (metricsListenerOptions) {
    let listener: MetricsListener | undefined;
    app.addHook('onListen', async () => {
      listener = await listenForMetrics(metricsRegistry, metricsListenerOptions);
      app.log.info({ metrics: `${listener.url}/metrics` }, 'metrics served on their own listener');
    });
    app.addHook('onClose', async () => {
      await listener?.close();
    });
  } else {
    app.get('/metrics', { schema: { ...operations, summary: 'Prometheus metrics (text exposition format)' } }, async (_request, reply) =>
      reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics()),
    );
  }

  return app;
}
