/** Runs the README's example client against a real query API, so the example cannot rot. */
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { insertNotification, publishNotification, startQueryApi, type RunningQueryApi } from '../testing/fixture';
import type { Notification } from '../notifications/notification-store';

let api: RunningQueryApi;
let child: ChildProcess | undefined;

test.before(async () => {
  api = await startQueryApi();
});
test.after(async () => {
  child?.kill('SIGTERM');
  await api.close();
});

function line(notification: Notification): string {
  return `${notification.at} ${notification.type} order ${notification.orderId} ${JSON.stringify(notification.data)} (id ${notification.id})`;
}

function runClient(env: Record<string, string>): {
  lines: string[];
  waitForLine(predicate: (line: string) => boolean, timeoutMs?: number): Promise<void>;
  exit: Promise<number | null>;
} {
  const started = spawn(process.execPath, ['--import', 'tsx', new URL('./notifications-client.ts', import.meta.url).pathname], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  const lines: string[] = [];
  const waiting = new Set<() => void>();
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of waiting) wake();
  };
  started.stdout!.on('data', onData);
  started.stderr!.on('data', onData);
  return {
    lines,
    exit: new Promise((resolve) => started.on('exit', (code) => resolve(code))),
    waitForLine(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!lines.some(predicate)) return;
          waiting.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`no such line within ${timeoutMs} ms; got:\n${lines.join('\n')}`));
        }, timeoutMs);
        waiting.add(check);
        check();
      });
    },
  };
}

test('the example client prints live notifications, and after a dropped connection what it missed, once each', async () => {
  const client = runClient({ QUERY_API_URL: api.baseUrl, TOKEN: await api.token('paula') });
  await client.waitForLine((text) => text.startsWith('connected to '));

  const first = await insertNotification(api.knex, { userId: 'paula', position: 1n });
  await publishNotification(api.nats, api.subjectPrefix, first);
  await client.waitForLine((text) => text === line(first));

  // The connection drops (as on a network blip or a restarting instance); meanwhile two more
  // happen, published to nobody.
  for (const socket of api.app.notifications.io.sockets.sockets.values()) socket.conn.close();
  const second = await insertNotification(api.knex, {
    userId: 'paula',
    position: 2n,
    type: 'OrderCancelled',
    data: { reason: 'payment_declined' },
  });
  const third = await insertNotification(api.knex, { userId: 'paula', position: 3n });
  await publishNotification(api.nats, api.subjectPrefix, second);
  await publishNotification(api.nats, api.subjectPrefix, third);

  await client.waitForLine((text) => text === 'caught up: 2 missed');
  await publishNotification(api.nats, api.subjectPrefix, third); // a late live copy of a missed one
  const fourth = await insertNotification(api.knex, { userId: 'paula', position: 4n });
  await publishNotification(api.nats, api.subjectPrefix, fourth);
  await client.waitForLine((text) => text === line(fourth));

  assert.equal(
    client.lines.filter((text) => !text.startsWith('disconnected') && !text.startsWith('connected')),
    [line(first), line(second), line(third), 'caught up: 2 missed', line(fourth)],
  );
  child!.kill('SIGTERM');
  assert.is(await client.exit, 0);
});

test('the example client gives up on a refused token', async () => {
  const client = runClient({ QUERY_API_URL: api.baseUrl, TOKEN: 'forged' });
  assert.is(await client.exit, 2);
  assert.equal(client.lines.filter(Boolean), ['refused: invalid_token']);
});

test.run();
