/** The emulator over plain grpc-js, for what the real client hides or never sends. */
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import type { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { RunningEmulator } from '../emulator';
import { shared, streams, streamsGrpc } from '../grpc/proto';

/** A plain grpc-js client on the emulator, for input the real client never sends. */
export function rawStreamsClient(emulator: RunningEmulator): InstanceType<typeof streamsGrpc.StreamsClient> {
  return new streamsGrpc.StreamsClient(`${emulator.host}:${emulator.port}`, credentials.createInsecure());
}

/**
 * `readStream` forwards from start with a raw gRPC client, to check what the client library
 * hides (the metadata map, the exact content type).
 */
export function rawReadStream(emulator: RunningEmulator, stream: string): Promise<ReadResp[]> {
  const client = new streamsGrpc.StreamsClient(`${emulator.host}:${emulator.port}`, credentials.createInsecure());
  const { Options } = streams.ReadReq;
  const streamOptions = new Options.StreamOptions();
  const identifier = new shared.StreamIdentifier();
  identifier.setStreamName(Buffer.from(stream));
  streamOptions.setStreamIdentifier(identifier);
  streamOptions.setStart(new shared.Empty());
  const options = new Options();
  options.setStream(streamOptions);
  options.setReadDirection(Options.ReadDirection.FORWARDS);
  options.setCount('100');
  options.setNoFilter(new shared.Empty());
  options.setUuidOption(new Options.UUIDOption().setString(new shared.Empty()));
  const request = new streams.ReadReq().setOptions(options);
  const call: ClientReadableStream<ReadResp> = client.read(request);
  const responses: ReadResp[] = [];
  return new Promise((resolve, reject) => {
    call.on('data', (response: ReadResp) => responses.push(response));
    call.on('error', (error) => {
      client.close();
      reject(error);
    });
    call.on('end', () => {
      client.close();
      resolve(responses);
    });
  });
}

/**
 * Counts what the emulator receives of one request type by wrapping the generated class's
 * `deserializeBinary` — the server's grpc layer calls it once per received message. The client
 * never deserializes requests, so only server-side receipts are counted.
 */
export function spyOnReceived<T>(messageClass: { deserializeBinary(bytes: Uint8Array): T }, onReceived: (message: T) => void): () => void {
  const original = messageClass.deserializeBinary;
  messageClass.deserializeBinary = (bytes: Uint8Array) => {
    const message = original.call(messageClass, bytes);
    onReceived(message);
    return message;
  };
  return () => {
    messageClass.deserializeBinary = original;
  };
}
