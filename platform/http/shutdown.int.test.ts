import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHttpServer } from './server';
import { installGracefulShutdown } from './shutdown';
import { createCapturingLogger } from '../testing/capturing-logger';
import { listenOnEphemeralPort } from '../testing/ports';

test('on SIGTERM: the in-flight slow request finishes, new connections are refused, then close hooks run and exit(0)', async () => {
  const { logger } = createCapturingLogger();
  const app = await createHttpServer({ logger });
  const events: string[] = [];
  app.get('/slow', async () => {
    events.push('slow request started');
    await sleep(400);
    events.push('slow request answered');
    return { done: true };
  });
  const baseUrl = await listenOnEphemeralPort(app);

  let exitCode: number | undefined;
  const shutdown = installGracefulShutdown({ server: app, logger, exit: (code) => void (exitCode = code) });
  shutdown.onClose('eventstore client', () => void events.push('eventstore client closed'));
  shutdown.onClose('database pool', async () => {
    await sleep(10);
    events.push('database pool closed');
  });

  const inFlight = fetch(`${baseUrl}/slow`).then(async (response) => ({ status: response.status, body: await response.json() }));
  await sleep(100);
  assert.equal(events, ['slow request started']);

  process.emit('SIGTERM');
  await sleep(50);
  const refused = await fetch(`${baseUrl}/health`).then(
    (response) => `answered ${response.status}`,
    (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
  );
  assert.is(refused, 'ECONNREFUSED');
  assert.is(exitCode, undefined, 'does not exit while a request is in flight');

  const answer = await inFlight;
  assert.equal(answer, { status: 200, body: { done: true } });

  const deadline = Date.now() + 5000;
  while (exitCode === undefined && Date.now() < deadline) await sleep(10);
  assert.is(exitCode, 0);
  // The server closes first, then the hooks, most recently registered first.
  assert.equal(events, ['slow request started', 'slow request answered', 'database pool closed', 'eventstore client closed']);
  shutdown.dispose();
});

test('a failing close hook is logged, the others still run, and the exit code is 1', async () => {
  const { logger, lines } = createCapturingLogger();
  let exitCode: number | undefined;
  const closed: string[] = [];
  const shutdown = installGracefulShutdown({ logger, signals: [], exit: (code) => void (exitCode = code) });
  shutdown.onClose('nats', () => void closed.push('nats'));
  shutdown.onClose('postgres', () => {
    throw new Error('pool already ended');
  });
  await shutdown.shutdown('test');
  assert.is(exitCode, 1);
  assert.equal(closed, ['nats']);
  assert.ok(lines.some((line) => line.msg === 'closing failed' && line.resource === 'postgres'));
});

test('a shutdown that hangs past the timeout exits 1', async () => {
  const { logger } = createCapturingLogger();
  let exitCode: number | undefined;
  const shutdown = installGracefulShutdown({ logger, signals: [], timeoutMs: 100, exit: (code) => void (exitCode = code) });
  shutdown.onClose('stuck', () => new Promise(() => {}));
  const started = Date.now();
  await shutdown.shutdown('test');
  assert.is(exitCode, 1);
  assert.ok(Date.now() - started < 1000);
});

test.run();
