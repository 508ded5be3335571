/**
 * Prometheus metrics for an HTTP service: the process's default metrics plus a request counter
 * and latency histogram by route template and status. The route label is the template
 * (`/orders/:orderId`), never the raw URL, so a scan of random paths cannot grow the series
 * without bound.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HttpServer } from './http-server';

export { Registry } from 'prom-client';

/** A registry with Node's default metrics; pass it to `createHttpServer` and add your own. */
export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}

export const UNMATCHED_ROUTE = '(unmatched)';

export function instrumentHttp(app: HttpServer, registry: Registry): void {
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template and status code',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to sending its response, by route template and status code',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });
}
