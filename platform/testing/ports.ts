/** Ports for tests: a server listening on an ephemeral loopback port, or a port free to hand a child process. */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

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

/** A loopback port nothing listens on right now, for a process started after (it may race another taker: rare). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
