/** main.ts as a real process: configuration errors stop it; SIGTERM lets in-flight requests finish. */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient } from '../eventstore-emulator/testing/fixture';
import { mintToken } from '../platform/auth';
import { TEST_JWT_SECRET, call, storedEvents } from './testing/fixture';

const MAIN = new URL('./main.ts', import.meta.url).pathname;

interface RunningProcess {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: () => string;
  stderr: () => string;
  kill(signal: NodeJS.Signals): void;
  waitFor(predicate: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
}

function start(env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    // Only what we pass: the machine's own variables must not leak into the test.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    kill: (signal) => child.kill(signal),
    // Generous: starting a process on a busy machine is slow, not a failure.
    async waitFor(predicate, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(stdout)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`gave up waiting; stdout:\n${stdout}\nstderr:\n${stderr}`);
        await sleep(20);
      }
    },
  };
}

const goodEnv = { EVENTSTORE_URL: 'esdb://127.0.0.1:1?tls=false', JWT_SECRET: TEST_JWT_SECRET };

test('a bad value stops the process with exit 1 and a message naming each variable, never the secret', async () => {
  const run = start({ ...goodEnv, COMMAND_API_PORT: 'http', JWT_SECRET: 'too-short-secret', LOG_LEVEL: 'loud' });
  const { code } = await run.exited;
  assert.is(code, 1);
  const message = run.stderr();
  assert.match(message, 'Invalid configuration (3 problems)');
  assert.match(message, '- COMMAND_API_PORT: must be a whole number between 0 and 65535');
  assert.match(message, '- JWT_SECRET: must be at least 32 characters');
  assert.match(message, '- LOG_LEVEL: must be one of');
  assert.not.match(message, 'too-short-secret');
  assert.not.match(message, '    at ', 'no stack trace');
});

test('a missing or malformed EVENTSTORE_URL is named', async () => {
  const missing = start({ JWT_SECRET: TEST_JWT_SECRET });
  assert.is((await missing.exited).code, 1);
  assert.match(missing.stderr(), '- EVENTSTORE_URL: is required but not set');

  const malformed = start({ ...goodEnv, EVENTSTORE_URL: 'http://127.0.0.1:2113' });
  assert.is((await malformed.exited).code, 1);
  assert.match(malformed.stderr(), '- EVENTSTORE_URL: must be a URL starting with esdb:// or esdb+discover://');
});

test('SIGTERM: requests already received are answered, then the client is closed and the process exits 0', async () => {
  const store = await startEmulatorWithClient();
  const run = start({ EVENTSTORE_URL: store.emulator.url, JWT_SECRET: TEST_JWT_SECRET, COMMAND_API_PORT: '0', HOST: '127.0.0.1' });
  try {
    await run.waitFor((stdout) => stdout.includes('Server listening at'));
    const baseUrl = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stdout())![1]!;
    const admin = await mintToken({ sub: 'ada', role: 'admin', secret: TEST_JWT_SECRET });
    assert.is(
      (await call(baseUrl, 'POST', '/products', { token: admin, body: { sku: 'SIG', name: 'sig', price: { amount: 1, currency: 'EUR' } } }))
        .status,
      201,
    );

    const incoming = () =>
      run
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"incoming request"') && line.includes('/products/SIG/stock')).length;
    const inFlight = Array.from({ length: 80 }, () =>
      call(baseUrl, 'POST', '/products/SIG/stock', { token: admin, body: { quantity: 2 } }),
    );
    await run.waitFor(() => incoming() === 80);
    run.kill('SIGTERM');

    const answers = await Promise.all(inFlight);
    assert.equal(
      answers.map((answer) => answer.status),
      Array(80).fill(200),
    );
    const { code } = await run.exited;
    assert.is(code, 0);

    const received = (await storedEvents(store.client, 'inventory-SIG')).filter((event) => event.type === 'StockReceived');
    assert.is(received.length, 80);
    const messages = run
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; resource?: string });
    const lastAnswer = messages.map((line) => line.msg).lastIndexOf('request completed');
    const clientClosed = messages.findIndex((line) => line.msg === 'closed' && line.resource === 'eventstore client');
    const signalled = messages.findIndex((line) => line.msg === 'shutting down: finishing in-flight requests');
    assert.ok(signalled >= 0 && signalled < lastAnswer, 'some requests were still in flight when the signal came');
    assert.ok(clientClosed > lastAnswer, 'the client closes after the last answer');
    assert.is(messages.at(-1)?.msg, 'shutdown complete');
    // Once stopped, nothing listens any more.
    const refused = await fetch(`${baseUrl}/health`).then(
      () => 'answered',
      (error: { cause?: { code?: string } }) => error.cause?.code,
    );
    assert.is(refused, 'ECONNREFUSED');
  } finally {
    run.kill('SIGKILL');
    await store.close();
  }
});

test.run();
