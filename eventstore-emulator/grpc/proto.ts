/**
 * The client's own generated service definitions and message classes: the emulator speaks
 * exactly the wire format `@eventstore/db-client` 6.2.1 knows. The modules are CommonJS built by
 * protoc (their exports are not statically detectable), so they are imported whole.
 */
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb';
import streams from '@eventstore/db-client/generated/streams_pb';
import persistentGrpc from '@eventstore/db-client/generated/persistent_grpc_pb';
import persistent from '@eventstore/db-client/generated/persistent_pb';
import serverFeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import serverFeatures from '@eventstore/db-client/generated/serverfeatures_pb';
import shared from '@eventstore/db-client/generated/shared_pb';
import status from '@eventstore/db-client/generated/status_pb';
import code from '@eventstore/db-client/generated/code_pb';
import anyPb from 'google-protobuf/google/protobuf/any_pb';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb';

export {
  streamsGrpc,
  streams,
  persistentGrpc,
  persistent,
  serverFeaturesGrpc,
  serverFeatures,
  shared,
  status,
  code,
  anyPb,
  emptyPb,
  timestampPb,
};
