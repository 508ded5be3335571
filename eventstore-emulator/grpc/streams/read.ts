import { status, type handleServerStreamingCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { EmulatorContext } from '../context';
import { rpcError } from '../errors';
import { subscribeToAll } from './all-subscription';
import { readAll } from './read-all';
import { InvalidReadRequest, parseReadRequest, type ReadRequest } from './read-request';
import { readStream } from './read-stream';
import { ResponseWriter } from './response-writer';
import { subscribeToStream } from './stream-subscription';

/**
 * `Streams.Read` (spec 2.3): one server-streaming RPC behind `readStream`, `readAll`,
 * `subscribeToStream` and `subscribeToAll`. Reads end with OK; subscriptions stay open until
 * the client cancels, the emulator stops, or (tombstone) the stream is deleted.
 */
export function readHandler(context: EmulatorContext): handleServerStreamingCall<ReadReq, ReadResp> {
  return (call: ServerWritableStream<ReadReq, ReadResp>) => {
    const writer = new ResponseWriter(call, context);
    let request: ReadRequest;
    try {
      request = parseReadRequest(call.request);
    } catch (error) {
      // Malformed input (an unparsable revision, say) is the caller's error, as on the server.
      if (error instanceof InvalidReadRequest) return writer.fail(error.rpcError);
      return writer.fail(rpcError(status.INVALID_ARGUMENT, error instanceof Error ? error.message : String(error)));
    }
    serve(context, request, writer).catch((error: unknown) => {
      // A bug must end this call visibly, never crash the emulator or leave the client hanging.
      writer.fail(rpcError(status.INTERNAL, `Internal error: ${error instanceof Error ? error.message : String(error)}`));
    });
  };
}

function serve(context: EmulatorContext, request: ReadRequest, writer: ResponseWriter): Promise<void> {
  switch (request.kind) {
    case 'read-stream':
      return readStream(context.log, request, writer);
    case 'read-all':
      return readAll(context.log, request, writer);
    case 'subscribe-stream':
      return subscribeToStream(context.log, request, writer);
    case 'subscribe-all':
      return subscribeToAll(context.log, request, writer);
  }
}
