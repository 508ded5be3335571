/**
 * A NATS server (with JetStream) of a test's own, as a child process, to kill and start again on
 * the same port and store directory. Never the shared server on 4222.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../platform/testing/ports';

export const NATS_SERVER_BINARY = process.env.NATS_SERVER_BINARY ?? '/usr/sbin/nats-server';

export interface OwnNatsServer {
  readonly url: string;
  readonly port: number;
  /** Whether the process is running now. */
  readonly running: boolean;
  /** Ends the process (SIGKILL by default: an outage, not a shutdown) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills it if running and removes its store directory. */
  remove(): Promise<void>;
}

export async function startOwnNatsServer(): Promise<OwnNatsServer> {
  const port = await freePort();
  const storeDirectory = mkdtempSync(join(tmpdir(), 'e2e-nats-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const server: OwnNatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined;
    },
    async kill(signal = 'SIGKILL') {
      if (!child) return;
      child.kill(signal);
      await exited;
    },
    async start() {
      if (child) throw new Error('the NATS server is already running');
      const started = spawn(NATS_SERVER_BINARY, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDirectory], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      started.stdout?.on('data', (chunk) => (output = (output + chunk).slice(-10_000)));
      started.stderr?.on('data', (chunk) => (output = (output + chunk).slice(-10_000)));
      exited = new Promise((resolve) => started.once('exit', () => resolve()));
      void exited.then(() => {
        if (child === started) child = undefined;
      });
      await waitUntilListening(
        port,
        10_000,
        () => child === started,
        () => output,
      );
    },
    async remove() {
      await server.kill();
      rmSync(storeDirectory, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

async function waitUntilListening(port: number, timeoutMs: number, alive: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`nats-server exited:\n${output()}`);
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connectTcp({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (accepted) return;
    await sleep(25);
  }
  throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms:\n${output()}`);
}
