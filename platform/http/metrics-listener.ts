/**
 * `/metrics` off the public port. With METRICS_PORT set, a service serves Prometheus metrics on
 * a listener of their own, bound to OPS_HOST (default 127.0.0.1: reachable from the machine, or
 * in compose from the container network when set to 0.0.0.0, but never published), and its
 * public port no longer serves them. Unset (development, tests, `npm start`), `/metrics` stays on
 * the public port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsListenerOptions {
  port: number;
  host: string;
}

/** From a service's configuration (`httpServiceEnv`): undefined when METRICS_PORT is unset. */
export function metricsListenerOf(config: { METRICS_PORT?: number | undefined; OPS_HOST: string }): MetricsListenerOptions | undefined {
  return config.METRICS_PORT === undefined ? undefined : { port: config.METRICS_PORT, host: config.OPS_HOST };
}

export interface MetricsListener {
  /** `http://host:port` once listening. */
  readonly url: string;
  close(): Promise<void>;
}

export async function listenForMetrics(registry: Registry, { port, host }: MetricsListenerOptions): Promise<MetricsListener> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response
        .writeHead(404, { 'content-type': 'application/problem+json; charset=utf-8' })
        .end(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'Only GET /metrics is served here' }));
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
