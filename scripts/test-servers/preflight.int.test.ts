/**
 * The test command as a new contributor meets it: nothing listening where the tests look
 * (DATABASE_URL and NATS_URL at closed ports), with and without `nats-server` on the PATH. Each
 * run is a child process in a process group of its own, killed whole if it outlives its bound.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, dirname } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findOnPath } from './nats-server';
import { freePort } from '../../platform/testing/ports';

const root = new URL('../..', import.meta.url).pathname;
// Small, and needs both servers: a query API over a Postgres schema, with NATS notifications.
const SMALL_INT_FILE = 'query-api/orders/orders.int.test.ts';
const natsServer = findOnPath('nats-server');

interface Run {
  code: number | null;
  output: string;
  seconds: number;
}

const groups = new Set<number>();
test.after(() => {
  for (const group of groups) killGroup(group);
});

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groups.add(child.pid!);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n[preflight test] killed after ${timeoutMs / 1000} s\n`;
      killGroup(child.pid!);
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The environment of a contributor whose tests look at closed ports, optionally without nats-server. */
async function closedPorts({ withNatsServer }: { withNatsServer: boolean }) {
  const postgresPort = await freePort();
  let natsPort = await freePort();
  while (natsPort === postgresPort) natsPort = await freePort();
  const directories = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const path = withNatsServer
    ? directories
    : [dirname(process.execPath), ...directories.filter((directory) => !findOnPath('nats-server', directory))];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${postgresPort}/test`,
    NATS_URL: `nats://127.0.0.1:${natsPort}`,
    PATH: path.join(delimiter),
  };
  for (const variable of ['TEST_SERVERS', 'NATS_SERVER_BINARY']) delete env[variable];
  assert.ok(await portIsClosed(postgresPort), `${postgresPort} closed`);
  assert.ok(await portIsClosed(natsPort), `${natsPort} closed`);
  assert.is(findOnPath('nats-server', env.PATH) !== undefined, withNatsServer, 'nats-server on the PATH as the case needs');
  return { env, postgresPort, natsPort };
}

if (natsServer) {
  test('with nats-server on the PATH: it starts embedded PostgreSQL and nats-server, the tests pass against them, and both are gone after', async () => {
    const { env, postgresPort, natsPort } = await closedPorts({ withNatsServer: true });
    const result = await run(process.execPath, ['--import', 'tsx', 'scripts/run-tests.ts', SMALL_INT_FILE], env, 180_000);
    const shown = `exit ${result.code} after ${result.seconds} s:\n${result.output}`;

    assert.is(result.code, 0, shown);
    assert.match(result.output, new RegExp(`started embedded PostgreSQL [\\d.]+ at 127\\.0\\.0\\.1:${postgresPort} `), shown);
    assert.match(result.output, new RegExp(`started nats-server \\S+ \\(JetStream\\) at 127\\.0\\.0\\.1:${natsPort} `), shown);
    assert.match(result.output, new RegExp(`^ok +${SMALL_INT_FILE.replaceAll('.', '\\.')} `, 'm'), shown);
    const summary = /^(\d+) passed, (\d+) failed$/m.exec(result.output.trimEnd().split('\n').at(-1)!);
    assert.ok(summary && Number(summary[1]) > 0 && summary[2] === '0', `ends with N passed, 0 failed: ${shown}`);

    const started = [...result.output.matchAll(/started .* for this run \(pid (\d+), data in (\S+)\)/g)];
    assert.is(started.length, 2, shown);
    for (const [, pid, directory] of started) {
      assert.not.ok(isRunning(Number(pid)), `pid ${pid} gone`);
      assert.not.ok(existsSync(directory!), `${directory} removed`);
    }
    assert.ok(await portIsClosed(postgresPort), `${postgresPort} closed again`);
    assert.ok(await portIsClosed(natsPort), `${natsPort} closed again`);
  });
} else {
  process.stderr.write('preflight.int.test.ts: nats-server is not on the PATH here, so the case that starts it is not run\n');
}

test('without nats-server on the PATH: npm test names in one line what to run, and exits non-zero within 10 s, before any file or the type-check', async () => {
  const { env, postgresPort, natsPort } = await closedPorts({ withNatsServer: false });
  const result = await run('npm', ['test', '--', SMALL_INT_FILE], env, 60_000);
  const shown = `exit ${result.code} after ${result.seconds} s:\n${result.output}`;

  assert.ok(result.code !== 0 && result.code !== null, shown);
  assert.ok(result.seconds < 10, shown);
  const cause = result.output.split('\n').filter((line) => line.includes(`127.0.0.1:${natsPort}`));
  assert.is(cause.length, 1, shown);
  assert.match(cause[0]!, /nats-server is not on the PATH/);
  assert.ok(cause[0]!.includes('apt-get install nats-server'), shown);
  assert.ok(cause[0]!.includes('docker compose up -d postgres nats'), shown);
  assert.not.match(result.output, /^(ok|FAIL) /m, `no file ran: ${shown}`);
  assert.not.match(result.output, /tsc --noEmit|passed, \d+ failed/, `neither the type-check nor the files ran: ${shown}`);
  assert.ok(await portIsClosed(postgresPort), 'no PostgreSQL was started for a run that cannot go ahead');
});

test('a unit-only run needs no server: it checks nothing and runs', async () => {
  const { env } = await closedPorts({ withNatsServer: false });
  const result = await run(
    process.execPath,
    ['--import', 'tsx', 'scripts/run-tests.ts', '--kind', 'unit', 'scripts/test-servers/where-tests-look'],
    env,
    60_000,
  );
  const shown = `exit ${result.code} after ${result.seconds} s:\n${result.output}`;
  assert.is(result.code, 0, shown);
  assert.not.match(result.output, /npm test:|\[run-tests\]/, shown);
  assert.match(result.output, /^\d+ passed, 0 failed$/m, shown);
});

test('a run with a browser test and no Chromium names it in one line and runs nothing; a run without one does not ask', async () => {
  const env = { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium' };
  const browser = await run(process.execPath, ['--import', 'tsx', 'scripts/run-tests.ts', 'test/browser/cors.e2e'], env, 60_000);
  const shown = `exit ${browser.code} after ${browser.seconds} s:\n${browser.output}`;
  assert.is(browser.code, 2, shown);
  assert.ok(browser.seconds < 10, shown);
  const cause = browser.output.split('\n').filter((line) => line.startsWith('npm test:'));
  assert.equal(
    cause,
    [
      'npm test: Chromium is not at /nonexistent/chromium, and the browser tests drive it: run apt-get install chromium (.ci/run does), or set CHROMIUM_PATH to a Chromium or Chrome binary.',
    ],
    shown,
  );
  assert.not.match(browser.output, /^(ok|FAIL) /m, `no file ran: ${shown}`);

  const plain = await run(
    process.execPath,
    ['--import', 'tsx', 'scripts/run-tests.ts', '--kind', 'unit', 'scripts/test-servers/where-tests-look'],
    env,
    60_000,
  );
  assert.is(plain.code, 0, `exit ${plain.code}:\n${plain.output}`);
});

test.run();
