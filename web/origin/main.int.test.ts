/**
 * `npm run start:web` (web/origin/main.ts) as compose runs it, with METRICS_PORT and OPS_HOST:
 * `/metrics` moves to that listener and the public port no longer serves it, as on every other
 * service (platform/http/metrics-listener.ts). The APIs need not be up: only /health is asked.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../../platform/testing/ports';

const root = new URL('../..', import.meta.url).pathname;

test('METRICS_PORT: /metrics on OPS_HOST:METRICS_PORT only', async () => {
  const [webPort, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', 'web/origin/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      WEB_PORT: String(webPort),
      METRICS_PORT: String(metricsPort),
      OPS_HOST: '127.0.0.1',
      COMMAND_API_URL: 'http://127.0.0.1:9',
      QUERY_API_URL: 'http://127.0.0.1:9',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    let up = false;
    for (const deadline = Date.now() + 60_000; !up && Date.now() < deadline && child.exitCode === null;) {
      up = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
        (response) => response.ok,
        () => false,
      );
      if (!up) await sleep(100);
    }
    assert.ok(up, `the metrics listener never answered:\n${output}`);
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.match(await metrics.text(), /http_request/);
    const health = await fetch(`http://127.0.0.1:${webPort}/health`);
    assert.is(health.status, 200);
    const publicMetrics = await fetch(`http://127.0.0.1:${webPort}/metrics`);
    assert.is(publicMetrics.status, 404);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

test.run();
