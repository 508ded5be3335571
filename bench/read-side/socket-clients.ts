/**
 * A worker thread of the read-side bench: holds its share of the socket.io-client connections and
 * timestamps each notification on receipt (absolute time, `performance.timeOrigin + now()`, which
 * the main thread's commit timestamps share). Spreading the clients over threads keeps one
 * thread's queue of 2,000 receipts from being measured as delivery latency.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { io, type Socket } from 'socket.io-client';

interface Setup {
  baseUrl: string;
  tokens: string[];
}

const { baseUrl, tokens } = workerData as Setup;
const sockets: Socket[] = [];
const receipts: [id: string, at: number][] = [];

for (let start = 0; start < tokens.length; start += 100) {
  await Promise.all(
    tokens.slice(start, start + 100).map(
      (token) =>
        new Promise<void>((resolve, reject) => {
          const socket = io(baseUrl, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
          sockets.push(socket);
          socket.on('notification', (notification: { id: string }) =>
            receipts.push([notification.id, performance.timeOrigin + performance.now()]),
          );
          socket.once('connect', () => resolve());
          socket.once('connect_error', reject);
        }),
    ),
  );
}
parentPort!.postMessage({ kind: 'connected', count: sockets.length });

parentPort!.on('message', (message: { kind: 'flush' | 'close' }) => {
  if (message.kind === 'flush') {
    parentPort!.postMessage({ kind: 'receipts', receipts: receipts.splice(0) });
  } else {
    for (const socket of sockets) socket.disconnect();
    parentPort!.close();
  }
});
