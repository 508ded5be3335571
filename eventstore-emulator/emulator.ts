import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { EmulatorContext } from './grpc/context';
import { persistentSubscriptionsService } from './grpc/persistent';
import { persistentGrpc, serverFeaturesGrpc, streamsGrpc } from './grpc/proto';
import { serverFeaturesService } from './grpc/server-features';
import { streamsService } from './grpc/streams';
import { EventLog } from './log/event-log';
import { seedSystemRecords } from './log/seed';
import { openFileStorage, type OpenedStorage } from './storage/file-storage';

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) = an ephemeral port. */
  port?: number;
  /** Keep the log in an append-only file here; without it the log lives in memory only. */
  dataDirectory?: string;
  /** Write the system records a fresh real node has (spec 3.10). Default true. */
  seedSystemRecords?: boolean;
  /** Reported by ServerFeatures. Default "24.10.0". */
  serverVersion?: string;
  /** Default 1 MiB. */
  maxAppendSize?: number;
  /** Persistent-subscription timer period. Default 1000 ms; tests shorten it. */
  persistentTickMs?: number;
  /**
   * Serve ServerFeatures (default true). Off, the RPC answers UNIMPLEMENTED like an old server,
   * and the client falls back to `Append` (spec 1.2): for testing that path.
   */
  serverFeatures?: boolean;
}

export interface RunningEmulator {
  /** Connection string for `EventStoreDBClient.connectionString`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly log: EventLog;
  stop(): Promise<void>;
}

/** An EventStoreDB-compatible gRPC server for development and tests (never for production). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  let opened: OpenedStorage | undefined;
  if (options.dataDirectory) opened = openFileStorage(options.dataDirectory);
  const log = new EventLog({ maxAppendSize: options.maxAppendSize, storage: opened?.storage });
  if (opened) log.restore(opened.records);
  if (options.seedSystemRecords ?? true) seedSystemRecords(log, { firstStart: opened?.firstStart ?? true });

  const context: EmulatorContext = {
    log,
    serverVersion: options.serverVersion ?? '24.10.0',
    persistentTickMs: options.persistentTickMs ?? 1000,
    onStop: new Set(),
  };
  const server = new Server({
    // The client pings every 10 s even when idle; never answer with GOAWAY too_many_pings.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1000,
    'grpc.max_receive_message_length': 17 * 1024 * 1024,
    'grpc.max_send_message_length': 17 * 1024 * 1024,
  });
  if (options.serverFeatures ?? true) server.addService(serverFeaturesGrpc.ServerFeaturesService, serverFeaturesService(context));
  server.addService(streamsGrpc.StreamsService, streamsService(context));
  server.addService(persistentGrpc.PersistentSubscriptionsService, persistentSubscriptionsService(context));

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let stopped: Promise<void> | undefined;
  return {
    url: `esdb://${urlHost}:${port}?tls=false`,
    host,
    port,
    log,
    stop() {
      stopped ??= (async () => {
        for (const dispose of context.onStop) dispose();
        context.onStop.clear();
        server.forceShutdown();
        opened?.close();
      })();
      return stopped;
    },
  };
}
