import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EmulatorContext } from './context';
import { serverFeatures } from './proto';

const STREAMS = 'event_store.client.streams.streams';
const PERSISTENT = 'event_store.client.persistent_subscriptions.persistentsubscriptions';

/**
 * Spec 1.2. The client compares these lower-cased names with its generated paths to choose
 * BatchAppend over Append and to allow persistent subscriptions to `$all`. `deadline_duration`
 * is left out on purpose: client 6.2.1 cannot send the Duration it announces.
 */
const METHODS: ReadonlyArray<readonly [service: string, method: string, features: readonly string[]]> = [
  [STREAMS, 'read', ['position', 'events']],
  [STREAMS, 'append', []],
  [STREAMS, 'delete', []],
  [STREAMS, 'tombstone', []],
  [STREAMS, 'batchappend', []],
  ...['create', 'update', 'delete', 'read', 'getinfo', 'replayparked', 'list', 'restartsubsystem'].map(
    (method) => [PERSISTENT, method, ['stream', 'all']] as const,
  ),
  ['event_store.client.server_features.serverfeatures', 'getsupportedmethods', []],
];

export function serverFeaturesService(context: EmulatorContext): UntypedServiceImplementation {
  return {
    getSupportedMethods(
      _call: ServerUnaryCall<unknown, unknown>,
      callback: sendUnaryData<InstanceType<typeof serverFeatures.SupportedMethods>>,
    ) {
      const response = new serverFeatures.SupportedMethods();
      response.setEventStoreServerVersion(context.serverVersion);
      for (const [service, method, features] of METHODS) {
        const entry = new serverFeatures.SupportedMethod();
        entry.setServiceName(service);
        entry.setMethodName(method);
        entry.setFeaturesList([...features]);
        response.addMethods(entry);
      }
      callback(null, response);
    },
  };
}
