import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { EventStoreDBClient, NO_STREAM } from '@eventstore/db-client';
import { startEmulator, type RunningEmulator } from '../../emulator';
import { jsonEvents, uniqueStream } from '../../testing/events';

/**
 * Item 3: the client pings every 10 s while its BatchAppend call is open and wants an ack
 * within 10 s. A server that answers with GOAWAY `too_many_pings` makes the client reconnect,
 * which the client hides — so the test puts a TCP relay between them and counts connections
 * and the bytes that flow while the client is idle.
 */

interface Relay {
  readonly port: number;
  connections: number;
  /** Bytes relayed in either direction since the last reset. */
  bytes: number;
  close(): Promise<void>;
}

async function startRelay(target: RunningEmulator): Promise<Relay> {
  const sockets = new Set<Socket>();
  const relay = { connections: 0, bytes: 0 } as Relay;
  const server: Server = createServer((inbound) => {
    relay.connections++;
    const outbound = connect(target.port, target.host);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('data', (chunk: Buffer) => (relay.bytes += chunk.length));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('relay has no port');
  return Object.assign(relay, {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}

let emulator: RunningEmulator;
let relay: Relay;
let client: EventStoreDBClient;

test.before(async () => {
  emulator = await startEmulator();
  relay = await startRelay(emulator);
  client = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${relay.port}?tls=false`);
});

test.after(async () => {
  await client.dispose();
  await relay.close();
  await emulator.stop();
});

test('3. an idle connection survives 60+ s of keepalive pings; a later call succeeds on the same connection', async () => {
  const stream = uniqueStream('keepalive');
  // Opens the long-lived BatchAppend call: from now on the client pings every 10 s.
  const first = await client.appendToStream(stream, jsonEvents(1), { expectedRevision: NO_STREAM });
  assert.is(first.nextExpectedRevision, 0n);
  assert.is(relay.connections, 1);

  relay.bytes = 0;
  await sleep(62_000);
  // Six pings and six acks of 17 bytes each: proof the idle connection was being pinged.
  assert.ok(relay.bytes >= 6 * 2 * 17, `only ${relay.bytes} bytes while idle`);

  const later = await client.appendToStream(stream, jsonEvents(1), { expectedRevision: 0n });
  assert.is(later.nextExpectedRevision, 1n);
  assert.is(relay.connections, 1, 'no reconnect: the server never sent GOAWAY');
  assert.is(emulator.log.currentRevision(stream), 1n);
});

test.run();
