import { EventStoreDBClient } from '@eventstore/db-client';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../emulator';

export interface EmulatorFixture {
  readonly emulator: RunningEmulator;
  readonly client: EventStoreDBClient;
  /** Another client on the same emulator (a second connection, e.g. a competing consumer). */
  newClient(): EventStoreDBClient;
  close(): Promise<void>;
}

/** A fresh, empty emulator on an ephemeral port and a real client connected to it. */
export async function startEmulatorWithClient(options: EmulatorOptions = {}): Promise<EmulatorFixture> {
  const emulator = await startEmulator(options);
  const clients: EventStoreDBClient[] = [];
  const newClient = () => {
    const client = EventStoreDBClient.connectionString(emulator.url);
    clients.push(client);
    return client;
  };
  const client = newClient();
  return {
    emulator,
    client,
    newClient,
    async close() {
      await Promise.all(clients.map((each) => each.dispose()));
      await emulator.stop();
    },
  };
}
