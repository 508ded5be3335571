import { status, type handleUnaryCall, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import type { DeleteReq, DeleteResp, TombstoneReq, TombstoneResp } from '@eventstore/db-client/generated/streams_pb';
import type { DeleteOutcome } from '../../log/event-log';
import type { ExpectedRevision } from '../../log/expected-revision';
import type { EmulatorContext } from '../context';
import { errors, rpcError } from '../errors';
import { streams } from '../proto';
import { expectedRevisionFromProto, unsetExpectedRevisionMessage } from './expected-revision-proto';
import { EMPTY_STREAM_NAME, streamNameFromProto } from './proposed-event-proto';

/**
 * `Streams.Delete` (soft delete) and `Streams.Tombstone` (hard delete), spec 2.4 and 3.4. Both
 * report a version conflict as a `Delete` failure with the actual version (-1 for none), as the
 * server does for both.
 */

type DeleteOptions = DeleteReq.Options | TombstoneReq.Options;

/** The stream a delete is for and the revision it expects. */
interface DeleteTarget {
  streamName: string;
  expected: ExpectedRevision;
}

type ParsedOptions = { error: ServiceError } | ({ error?: undefined } & DeleteTarget);

function parseOptions(options: DeleteOptions | undefined, request: 'DeleteReq' | 'TombstoneReq'): ParsedOptions {
  if (!options) return { error: errors.invalidArgument(`Required field Options not set.`) };
  const streamName = streamNameFromProto(options.getStreamIdentifier());
  if (streamName === undefined) return { error: errors.invalidArgument('Required field StreamIdentifier not set.') };
  if (streamName === '') return { error: errors.invalidArgument(EMPTY_STREAM_NAME) };
  const expected = expectedRevisionFromProto(options.getExpectedStreamRevisionCase(), () => options.getRevision());
  if (expected === undefined) return { error: errors.invalidArgument(unsetExpectedRevisionMessage(request)) };
  return { streamName, expected };
}

function answer<Response>(
  operation: () => DeleteOutcome,
  { streamName, expected }: DeleteTarget,
  respond: (position: bigint) => Response,
  callback: sendUnaryData<Response>,
): void {
  let outcome: DeleteOutcome;
  try {
    outcome = operation();
  } catch (error) {
    return callback(rpcError(status.INTERNAL, `Delete failed in the emulator: ${(error as Error).message}`));
  }
  switch (outcome.kind) {
    case 'success':
      return callback(null, respond(outcome.position));
    case 'wrong-expected-version':
      return callback(errors.wrongExpectedVersion('Delete', streamName, expected, outcome.currentRevision));
    case 'stream-deleted':
      return callback(errors.streamDeleted(streamName));
  }
}

export function deleteHandler(context: EmulatorContext): handleUnaryCall<DeleteReq, DeleteResp> {
  return (call: ServerUnaryCall<DeleteReq, DeleteResp>, callback: sendUnaryData<DeleteResp>) => {
    const parsed = parseOptions(call.request.getOptions(), 'DeleteReq');
    if (parsed.error) return callback(parsed.error);
    const { streamName, expected } = parsed;
    const respond = (at: bigint) => {
      const position = new streams.DeleteResp.Position();
      position.setCommitPosition(at.toString());
      position.setPreparePosition(at.toString());
      return new streams.DeleteResp().setPosition(position);
    };
    answer(() => context.log.deleteStream(streamName, expected), parsed, respond, callback);
  };
}

export function tombstoneHandler(context: EmulatorContext): handleUnaryCall<TombstoneReq, TombstoneResp> {
  return (call: ServerUnaryCall<TombstoneReq, TombstoneResp>, callback: sendUnaryData<TombstoneResp>) => {
    const parsed = parseOptions(call.request.getOptions(), 'TombstoneReq');
    if (parsed.error) return callback(parsed.error);
    const { streamName, expected } = parsed;
    const respond = (at: bigint) => {
      const position = new streams.TombstoneResp.Position();
      position.setCommitPosition(at.toString());
      position.setPreparePosition(at.toString());
      return new streams.TombstoneResp().setPosition(position);
    };
    answer(() => context.log.tombstoneStream(streamName, expected), parsed, respond, callback);
  };
}
