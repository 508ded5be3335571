/**
 * For the command API's integration tests: a fresh emulator, the real client, the app listening
 * on an ephemeral port, tokens, and a reader of streams to check what was written.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import fc from 'fast-check';
import { startEmulatorWithClient, type EmulatorFixture } from '../../eventstore-emulator/testing/fixture';
import { mintToken, type Role } from '../../platform/auth';
import { readStreamEvents } from '../../platform/eventstore';
import { createCapturingLogger } from '../../platform/testing/capturing-logger';
import { listenOnEphemeralPort } from '../../platform/testing/ports';
import type { HttpServer } from '../../platform/http';
import { buildCommandApi, type CommandApiOptions } from '../app';
import type { CommandApiConfig } from '../config';

export const TEST_JWT_SECRET = 'command-api-test-secret-0123456789abcdef';

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface CommandApiFixture {
  baseUrl: string;
  app: HttpServer;
  client: EventStoreDBClient;
  emulator: EmulatorFixture;
  logLines: Record<string, unknown>[];
  token(sub: string, role: Role): Promise<string>;
  call(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Answer>;
  close(): Promise<void>;
}

export type FixtureOptions = Partial<Omit<CommandApiOptions, 'config' | 'logger'>> & {
  emulator?: EmulatorFixture;
  /** Configuration besides the JWT secret (CORS origins, saga group). */
  settings?: Partial<Omit<CommandApiConfig, 'jwtSecret'>>;
};

export async function startCommandApi(options: FixtureOptions = {}): Promise<CommandApiFixture> {
  const { emulator: given, settings = {}, ...appOptions } = options;
  const emulator = given ?? (await startEmulatorWithClient());
  const { logger, lines } = createCapturingLogger();
  const app = await buildCommandApi({
    client: emulator.client,
    config: { jwtSecret: TEST_JWT_SECRET, ...settings },
    logger,
    ...appOptions,
  });
  const baseUrl = await listenOnEphemeralPort(app);
  return {
    baseUrl,
    app,
    client: emulator.client,
    emulator,
    logLines: lines,
    token: (sub, role) => mintToken({ sub, role, secret: TEST_JWT_SECRET }),
    call: (method, path, { token, body, headers = {} } = {}) => call(baseUrl, method, path, { token, body, headers }),
    async close() {
      await app.close();
      if (!given) await emulator.close();
    },
  };
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  { token, body, headers = {} }: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** A stream's events as stored: type, data and metadata (empty when the stream does not exist). */
export async function storedEvents(client: EventStoreDBClient, stream: string) {
  const { events } = await readStreamEvents(client, stream);
  return events.map(({ event, metadata }) => ({ type: event.type, data: event.data, metadata }));
}

export async function storedRevisionAndPosition(client: EventStoreDBClient, stream: string) {
  const { events } = await readStreamEvents(client, stream);
  const last = events.at(-1);
  if (!last?.position) throw new Error(`${stream} has no events`);
  return { revision: String(last.revision), position: { commit: String(last.position.commit), prepare: String(last.position.prepare) } };
}

/**
 * A body each command route accepts, keyed `METHOD /path/:param` as platform/testing/http-fuzzing.ts
 * names operations: the request fuzzers start their mutations from these. `sku` is a
 * registered product (orders name it); registering draws a new SKU each time, so that it can
 * succeed more than once.
 */
export function validCommandBodies(sku: string): Record<string, unknown> {
  return {
    'POST /products': fc
      .nat({ max: 1_000_000 })
      .map((n) => ({ sku: `${sku}-N${n}`, name: 'Fuzz cap', price: { amount: 1250, currency: 'EUR' } })),
    'PUT /products/:sku/price': { price: { amount: 990, currency: 'EUR' } },
    'POST /products/:sku/stock': { quantity: 5 },
    'POST /orders': { lines: [{ sku, quantity: 1 }], paymentToken: 'tok_ok' },
  };
}
