/**
 * GET /operations/projections: the projector service's own /projections, asked server-side and
 * passed on for an admin. Against the real projector service (emulator, Postgres), and against a
 * stand-in HTTP server for what the real one does not do on demand (hang, fail, record headers).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient, type EmulatorFixture } from '../../../eventstore-emulator/testing/fixture';
import { loadConfig } from '../../../platform/config';
import { listenOnEphemeralPort } from '../../../platform/testing/ports';
import { createLogger } from '../../../platform/logger';
import { createTestSchema, type TestSchema } from '../../../platform/testing/postgres-schema';
import { projectorsEnv } from '../../../projectors/config';
import { startProjectorService, type ProjectorService } from '../../../projectors/service';
import { startQueryApi, TEST_JWT_SECRET, type RunningQueryApi } from '../../testing/fixture';

/** A stand-in for the projector service: answers what `answer` says, remembers the request headers. */
interface StandIn {
  url: string;
  seen: IncomingHttpHeaders[];
  answer: { status: number; body: string; delayMs?: number };
  close(): Promise<void>;
}

async function startStandIn(): Promise<StandIn> {
  const standIn = { seen: [] as IncomingHttpHeaders[], answer: { status: 200, body: '{"projections":[]}' } as StandIn['answer'] };
  const pending = new Set<NodeJS.Timeout>();
  const server: Server = createServer((request, response) => {
    standIn.seen.push(request.headers);
    const { status, body, delayMs = 0 } = standIn.answer;
    const timer = setTimeout(() => {
      pending.delete(timer);
      response.writeHead(request.url === '/projections' ? status : 404, { 'content-type': 'application/json' }).end(body);
    }, delayMs);
    pending.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(standIn, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

let standIn: StandIn;
let viaStandIn: RunningQueryApi;
let unconfigured: RunningQueryApi;
let admin: string;

test.before(async () => {
  standIn = await startStandIn();
  viaStandIn = await startQueryApi({ settings: { projectorsUrl: `${standIn.url}/`, projectorsTimeoutMs: 300 } });
  unconfigured = await startQueryApi();
  admin = await viaStandIn.token('ada', 'admin');
});
test.after(async () => {
  await Promise.all([viaStandIn.close(), unconfigured.close()]);
  await standIn.close();
});

test('admins only: no token 401, a customer 403, and the projector service is not asked', async () => {
  const before = standIn.seen.length;
  assert.is((await viaStandIn.get('/operations/projections')).status, 401);
  const forbidden = await viaStandIn.get('/operations/projections', { token: await viaStandIn.token('carl', 'customer') });
  assert.is(forbidden.status, 403);
  assert.is(standIn.seen.length, before);
});

test("the answer is the projector service's, and the caller's token and correlation id go along", async () => {
  const projections = [
    {
      name: 'orders',
      state: 'live',
      position: { commit: '18446744073709551615', prepare: '18446744073709551615' },
      lagEvents: 0,
      lagSeconds: 0,
      failure: null,
    },
    { name: 'sales', state: 'failed', position: null, lagEvents: null, lagSeconds: null, failure: 'cannot apply OrderConfirmed' },
  ];
  standIn.answer = { status: 200, body: JSON.stringify({ projections }) };
  const answer = await viaStandIn.get('/operations/projections', { token: admin, headers: { 'x-correlation-id': 'ops-check-1' } });
  assert.equal([answer.status, answer.body], [200, { projections }]);
  const sent = standIn.seen.at(-1)!;
  assert.is(sent.authorization, `Bearer ${admin}`);
  assert.is(sent['x-correlation-id'], 'ops-check-1');
});

test('not configured, unreachable, slow, failing or answering nonsense: a 503 problem saying which', async () => {
  const problem = async (api: RunningQueryApi) => {
    const answer = await api.get('/operations/projections', { token: admin });
    assert.is(answer.status, 503);
    assert.match(answer.headers.get('content-type') ?? '', 'application/problem+json');
    return answer.body.detail as string;
  };
  assert.match(await problem(unconfigured), 'PROJECTORS_URL');

  standIn.answer = { status: 200, body: '{"projections":[]}', delayMs: 2_000 };
  assert.match(await problem(viaStandIn), 'did not answer within 300 ms');
  standIn.answer = { status: 500, body: '{}' };
  assert.match(await problem(viaStandIn), 'answered 500');
  standIn.answer = { status: 200, body: '{"projections":[{"name":1}]}' };
  assert.match(await problem(viaStandIn), 'not a projection status');
  standIn.answer = { status: 200, body: 'not json' };
  assert.match(await problem(viaStandIn), 'not a projection status');

  const gone = await startStandIn();
  await gone.close();
  const unreachable = await startQueryApi({ settings: { projectorsUrl: gone.url } });
  try {
    assert.match(await problem(unreachable), 'cannot be reached');
  } finally {
    await unreachable.close();
  }
});

test('the OpenAPI document describes the route and every answer, under operations', async () => {
  const document = (await (await fetch(`${viaStandIn.baseUrl}/docs/json`)).json()) as {
    paths: Record<string, Record<string, { tags: string[]; responses: Record<string, unknown> }>>;
  };
  const operation = document.paths['/operations/projections']?.get;
  assert.equal(operation?.tags, ['operations']);
  assert.equal(Object.keys(operation?.responses ?? {}).sort(), ['200', '401', '403', '503']);
});

test('against the real projector service', async () => {
  let es: EmulatorFixture | undefined;
  let db: TestSchema | undefined;
  let service: ProjectorService | undefined;
  let api: RunningQueryApi | undefined;
  try {
    es = await startEmulatorWithClient();
    db = await createTestSchema();
    const config = loadConfig(projectorsEnv, {
      EVENTSTORE_URL: es.emulator.url,
      DATABASE_URL: db.url,
      DATABASE_SCHEMA: db.schema,
      NATS_URL: 'nats://127.0.0.1:4222',
      NOTIFIER_ENABLED: 'false',
      // The deployment's one secret: the admin token the query API was called with is the projector service's too.
      JWT_SECRET: TEST_JWT_SECRET,
    });
    service = await startProjectorService(config, createLogger({ service: 'projectors', level: 'silent' }));
    const projectorsUrl = await listenOnEphemeralPort(service.app);
    api = await startQueryApi({ settings: { projectorsUrl } });
    assert.is((await fetch(`${projectorsUrl}/projections`)).status, 401, 'the projector service wants a token of its own');
    const direct = (await (await fetch(`${projectorsUrl}/projections`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
      projections: { name: string }[];
    };
    const answer = await api.get('/operations/projections', { token: admin });
    assert.is(answer.status, 200, 'the query API forwards the admin token');
    assert.is((await api.get('/operations/projections', { token: await api.token('cust') })).status, 403);
    assert.equal(
      answer.body.projections.map((projection: { name: string }) => projection.name),
      direct.projections.map((projection) => projection.name),
    );
    assert.ok(answer.body.projections.length >= 5, JSON.stringify(answer.body));
  } finally {
    await api?.close();
    await service?.app.close();
    await service?.close();
    await db?.drop();
    await es?.close();
  }
});

test.run();
