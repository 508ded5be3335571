/** Helpers for tests of HTTP services: a real listening server and its base URL. */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../logger';

export interface ListeningServer {
  listen(options: { port: number; host: string }): Promise<string>;
  readonly server: { address(): AddressInfo | string | null };
}

/** Listens on an ephemeral loopback port and answers the base URL (`http://127.0.0.1:PORT`). */
export async function listenOnEphemeralPort(app: ListeningServer): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

/** A logger whose lines are collected (parsed) instead of printed. */
export function createCapturingLogger(level: 'info' | 'debug' | 'warn' | 'error' = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ service: 'test', level, destination }), lines };
}
