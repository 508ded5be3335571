import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../platform/testing/eventually';
import { freePort } from '../platform/testing/ports';

const MAIN = new URL('./main.ts', import.meta.url).pathname;

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startMain(environment: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<Exited> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<Exited>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, output: () => stdout, exited };
}

test('serves the real client on the configured port, says it is an emulator, stops cleanly on SIGTERM', async () => {
  const port = await freePort();
  const dataDirectory = mkdtempSync(join(tmpdir(), 'es-main-'));
  const main = startMain({ EVENTSTORE_EMULATOR_PORT: String(port), EVENTSTORE_EMULATOR_DATA_DIR: dataDirectory });
  let client: EventStoreDBClient | undefined;
  try {
    await eventually('the startup banner', () => main.output().includes('production uses EventStoreDB'), { timeoutMs: 20_000 });
    const url = `esdb://127.0.0.1:${port}?tls=false`;
    assert.ok(main.output().includes(url), main.output());
    assert.ok(main.output().includes(dataDirectory));

    client = EventStoreDBClient.connectionString(url);
    const appended = await client.appendToStream('order-1', [jsonEvent({ type: 'OrderPlaced', data: { total: 3 } })]);
    assert.equal(appended.nextExpectedRevision, 0n);
    const read = [];
    for await (const { event } of client.readStream('order-1')) read.push(event?.data);
    assert.equal(read, [{ total: 3 }]);
    await client.dispose();
    client = undefined;

    main.child.kill('SIGTERM');
    const exited = await main.exited;
    assert.equal(exited.code, 0, exited.stderr);
    assert.match(exited.stdout, /SIGTERM: stopping/);
  } finally {
    await client?.dispose();
    main.child.kill('SIGKILL');
    rmSync(dataDirectory, { recursive: true, force: true });
  }
});

test('a bad environment value exits non-zero, naming the variable', async () => {
  const exited = await startMain({ EVENTSTORE_EMULATOR_PORT: 'twenty', EVENTSTORE_EMULATOR_MAX_APPEND_SIZE: '0' }).exited;
  assert.ok(exited.code !== 0 && exited.code !== null, `exit code ${exited.code}`);
  assert.match(exited.stderr, /EVENTSTORE_EMULATOR_PORT="twenty": must be a whole number/);
  assert.match(exited.stderr, /EVENTSTORE_EMULATOR_MAX_APPEND_SIZE="0"/);
  assert.not.match(exited.stdout, /listening/);
});

test('a misspelt variable is reported, not silently ignored', async () => {
  const exited = await startMain({ EVENTSTORE_EMULATOR_PROT: '2113' }).exited;
  assert.ok(exited.code !== 0);
  assert.match(exited.stderr, /EVENTSTORE_EMULATOR_PROT: unknown setting/);
});

test.run();
