import {
  status,
  type handleClientStreamingCall,
  type sendUnaryData,
  type ServerErrorResponse,
  type ServerReadableStream,
} from '@grpc/grpc-js';
import type { AppendReq, AppendResp } from '@eventstore/db-client/generated/streams_pb';
import type { AppendOutcome } from '../../log/event-log';
import type { ExpectedRevision } from '../../log/expected-revision';
import { eventSize, type ProposedEvent } from '../../log/records';
import type { EmulatorContext } from '../context';
import { errors, rpcError } from '../errors';
import { shared, streams } from '../proto';
import { expectedRevisionFromProto, unsetExpectedRevisionMessage } from './expected-revision-proto';
import { EMPTY_STREAM_NAME, proposedEventFromProto, streamNameFromProto } from './proposed-event-proto';

/**
 * `Streams.Append` (spec 2.1): one options message, then one proposed message per event, then
 * half-close. Input errors answer at once, as the server does while the client is still sending;
 * the append itself is applied on half-close, unless the call was cancelled (deadline) first.
 */
export function appendHandler(context: EmulatorContext): handleClientStreamingCall<AppendReq, AppendResp> {
  return (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) => {
    let target: { streamName: string; expected: ExpectedRevision } | undefined;
    const events: ProposedEvent[] = [];
    let size = 0;
    let answered = false;

    const answer = (error: ServerErrorResponse | null, response?: AppendResp) => {
      if (answered) return;
      answered = true;
      callback(error, response);
    };

    call.on('data', (request: AppendReq) => {
      try {
        receive(request);
      } catch (error) {
        answer(rpcError(status.INTERNAL, `Append failed in the emulator: ${(error as Error).message}`));
      }
    });

    function receive(request: AppendReq): void {
      if (answered) return;
      if (!target) {
        const options = request.getOptions();
        if (!options) return answer(errors.invalidArgument('The first Append request message must carry options.'));
        const streamName = streamNameFromProto(options.getStreamIdentifier());
        if (streamName === undefined) return answer(errors.invalidArgument('Required field StreamIdentifier not set.'));
        if (streamName === '') return answer(errors.invalidArgument(EMPTY_STREAM_NAME));
        const expected = expectedRevisionFromProto(options.getExpectedStreamRevisionCase(), () => options.getRevision());
        if (expected === undefined) return answer(errors.invalidArgument(unsetExpectedRevisionMessage('AppendReq')));
        target = { streamName, expected };
        return;
      }
      const message = request.getProposedMessage();
      if (!message) return answer(errors.invalidArgument('Every Append request message after the first must carry a proposed message.'));
      const conversion = proposedEventFromProto(message);
      if (conversion.kind === 'missing-metadata') return answer(errors.missingRequiredMetadata(conversion.property));
      if (conversion.kind === 'invalid') return answer(errors.invalidArgument(conversion.message));
      // Checked per message, so an oversize append fails before the client has sent all of it.
      size += eventSize(conversion.event);
      if (size > context.log.maxAppendSize) return answer(errors.maximumAppendSizeExceeded(context.log.maxAppendSize));
      events.push(conversion.event);
    }

    // A client that gives up mid-stream (its deadline fired) can show up here as a premature
    // half-close with only part of the batch, followed by the cancellation: wait one turn so a
    // pending cancellation lands before anything is written.
    call.on('end', () =>
      setImmediate(() => {
        if (answered || call.cancelled) return;
        // grpc-js cancels on its deadline timer, which a busy event loop can run after the last
        // message; a late append must not be written either way.
        if (deadlinePassed(call.getDeadline())) return answer(rpcError(status.DEADLINE_EXCEEDED, 'Deadline Exceeded'));
        if (!target) return answer(errors.invalidArgument('The first Append request message must carry options.'));
        const { streamName, expected } = target;
        let outcome: AppendOutcome;
        try {
          outcome = context.log.append(streamName, expected, events);
        } catch (error) {
          return answer(rpcError(status.INTERNAL, `Append failed in the emulator: ${(error as Error).message}`));
        }
        if (outcome.kind === 'success' || outcome.kind === 'wrong-expected-version') return answer(null, appendResponse(outcome, expected));
        if (outcome.kind === 'stream-deleted') return answer(errors.streamDeleted(streamName));
        if (outcome.kind === 'too-large') return answer(errors.maximumAppendSizeExceeded(outcome.maxAppendSize));
        return answer(errors.invalidArgument(outcome.message));
      }),
    );

    // A cancelled call (client gone, deadline passed) must not write: the client has given up on it.
    call.on('cancelled', () => {
      answered = true;
    });
    call.on('error', () => {
      answered = true;
    });
  };
}

function deadlinePassed(deadline: Date | number): boolean {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  // gRPC: a deadline is exceeded once it is reached.
  return Number.isFinite(at) && Date.now() >= at;
}

type AnsweredOutcome = Extract<AppendOutcome, { kind: 'success' | 'wrong-expected-version' }>;

function appendResponse(outcome: AnsweredOutcome, expected: ExpectedRevision): AppendResp {
  const response = new streams.AppendResp();
  if (outcome.kind === 'success') {
    const success = new streams.AppendResp.Success();
    if (outcome.currentRevision < 0n) success.setNoStream(new shared.Empty());
    else success.setCurrentRevision(outcome.currentRevision.toString());
    if (outcome.position === undefined) {
      success.setNoPosition(new shared.Empty());
    } else {
      const position = new streams.AppendResp.Position();
      position.setCommitPosition(outcome.position.toString());
      position.setPreparePosition(outcome.position.toString());
      success.setPosition(position);
    }
    response.setSuccess(success);
  } else {
    response.setWrongExpectedVersion(wrongExpectedVersion(outcome.currentRevision, expected));
  }
  return response;
}

/**
 * Fields 6–11 are what clients read; the server also fills the 20.6.0 fields 1–5. Those are
 * uint64 numbers in these generated classes, so they are filled only when a JS number holds the
 * value exactly (the server's "expected no stream" there is ulong.MaxValue, which does not fit).
 */
function wrongExpectedVersion(current: bigint, expected: ExpectedRevision): AppendResp.WrongExpectedVersion {
  const wev = new streams.AppendResp.WrongExpectedVersion();
  if (current < 0n) {
    wev.setCurrentNoStream(new shared.Empty());
    wev.setNoStream2060(new shared.Empty());
  } else {
    wev.setCurrentRevision(current.toString());
    if (current <= BigInt(Number.MAX_SAFE_INTEGER)) wev.setCurrentRevision2060(Number(current));
  }
  if (expected === 'any') {
    wev.setExpectedAny(new shared.Empty());
    wev.setAny2060(new shared.Empty());
  } else if (expected === 'stream_exists') {
    wev.setExpectedStreamExists(new shared.Empty());
    wev.setStreamExists2060(new shared.Empty());
  } else if (expected === 'no_stream') {
    wev.setExpectedNoStream(new shared.Empty());
  } else {
    wev.setExpectedRevision(expected.toString());
    if (expected <= BigInt(Number.MAX_SAFE_INTEGER)) wev.setExpectedRevision2060(Number(expected));
  }
  return wev;
}
