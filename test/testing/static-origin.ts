/**
 * A tiny web origin for browser tests that need a page of their own on an origin of their
 * choosing (e.g. another frontend calling the APIs across origins): it serves an empty HTML page
 * at `/` and socket.io-client's browser bundle at `/socket.io.min.js`, nothing else.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// Read from the package's folder: its `exports` do not list the browser bundle.
const socketIoBundle = readFileSync(new URL('../../node_modules/socket.io-client/dist/socket.io.min.js', import.meta.url));

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>another frontend</title>
<link rel="icon" href="data:,">
<script src="/socket.io.min.js"></script></head>
<body><main><h1>another frontend</h1></main></body></html>`;

export interface StaticOrigin {
  /** `http://127.0.0.1:<port>`: the origin a browser sends from pages served here. */
  readonly origin: string;
  close(): Promise<void>;
}

export async function serveStaticOrigin(): Promise<StaticOrigin> {
  const server = createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (request.url === '/socket.io.min.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(socketIoBundle);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
