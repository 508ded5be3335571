import type { handleBidiStreamingCall, ServerDuplexStream } from '@grpc/grpc-js';
import type { Status } from '@eventstore/db-client/generated/status_pb';
import type { UUID } from '@eventstore/db-client/generated/shared_pb';
import type { BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb';
import type { AppendOutcome } from '../../log/event-log';
import type { ExpectedRevision } from '../../log/expected-revision';
import { eventSize, type ProposedEvent } from '../../log/records';
import type { EmulatorContext } from '../context';
import { emptyPb, shared, streams } from '../proto';
import { batchAppendErrors } from './batch-append-status';
import { expectedRevisionFromProto, unsetExpectedRevisionMessage } from './expected-revision-proto';
import { EMPTY_STREAM_NAME, proposedEventFromProto, streamIdentifierOf, streamNameFromProto, uuidFromProto } from './proposed-event-proto';

/**
 * The server's `WriteTimeoutMs` default. It caps the time from an append's first chunk to its
 * final one, whatever deadline the client asked for (and stands in for a missing deadline).
 */
const WRITE_TIMEOUT_MS = 2_000;

/** An append whose final chunk has not arrived yet. */
interface PendingAppend {
  readonly streamName: string;
  readonly expected: ExpectedRevision;
  readonly events: ProposedEvent[];
  size: number;
  /** Epoch ms after which the final chunk is too late. */
  readonly expiresAt: number;
  readonly timer: NodeJS.Timeout;
}

/**
 * `Streams.BatchAppend` (spec 2.2): one long-lived call per client channel, appends multiplexed
 * by correlation id. Chunks are buffered until `is_final`, then applied at once, so appends are
 * applied in arrival order of their final chunks. Every append gets exactly one response, and a
 * failed append never ends the call — the client rejects every pending append if it does.
 */
export function batchAppendHandler(context: EmulatorContext): handleBidiStreamingCall<BatchAppendReq, BatchAppendResp> {
  return (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => {
    const pending = new Map<string, PendingAppend>();
    // Appends already answered (timeout, size, bad request) before their final chunk: the rest
    // of their chunks are dropped quietly instead of getting a second response.
    const answeredEarly = new Set<string>();
    let closed = false;

    const respond = (correlationId: UUID | undefined, streamName: string, result: Status | BatchAppendResp.Success) => {
      if (closed) return;
      const response = new streams.BatchAppendResp();
      if (correlationId) response.setCorrelationId(correlationId);
      // The client reads the stream name of every response, errors included.
      response.setStreamIdentifier(streamIdentifierOf(streamName));
      if (result instanceof streams.BatchAppendResp.Success) response.setSuccess(result);
      else response.setError(result);
      call.write(response);
    };

    /** Answers before the final chunk; later chunks of this append are then ignored. */
    const answerEarly = (id: string, request: BatchAppendReq, streamName: string, error: Status) => {
      const append = pending.get(id);
      if (append) {
        clearTimeout(append.timer);
        pending.delete(id);
      }
      if (!request.getIsFinal()) answeredEarly.add(id);
      respond(request.getCorrelationId(), streamName, error);
    };

    const start = (id: string, request: BatchAppendReq, options: BatchAppendReq.Options): PendingAppend | undefined => {
      const streamName = streamNameFromProto(options.getStreamIdentifier());
      if (streamName === undefined)
        return void answerEarly(id, request, '', batchAppendErrors.badRequest('Required field StreamIdentifier not set.'));
      if (streamName === '') return void answerEarly(id, request, '', batchAppendErrors.badRequest(EMPTY_STREAM_NAME));
      const expected = expectedRevisionFromProto(options.getExpectedStreamPositionCase(), () => options.getStreamPosition());
      if (expected === undefined)
        return void answerEarly(id, request, streamName, batchAppendErrors.badRequest(unsetExpectedRevisionMessage('BatchAppendReq')));
      const deadline = options.getDeadline();
      const untilDeadline = deadline ? deadline.getSeconds() * 1000 + Math.floor(deadline.getNanos() / 1e6) - Date.now() : Infinity;
      const timeout = Math.min(untilDeadline, WRITE_TIMEOUT_MS);
      if (timeout <= 0) return void answerEarly(id, request, streamName, batchAppendErrors.timeout());
      const correlationId = request.getCorrelationId();
      const timer = setTimeout(() => {
        if (pending.get(id)?.timer !== timer) return;
        pending.delete(id);
        answeredEarly.add(id);
        respond(correlationId, streamName, batchAppendErrors.timeout());
      }, timeout);
      const append: PendingAppend = { streamName, expected, events: [], size: 0, expiresAt: Date.now() + timeout, timer };
      pending.set(id, append);
      return append;
    };

    const receive = (request: BatchAppendReq) => {
      const id = uuidFromProto(request.getCorrelationId());
      const options = request.getOptions();
      const streamName = streamNameFromProto(options?.getStreamIdentifier()) ?? '';
      if (id === undefined) {
        // Cannot be correlated, so it cannot be buffered either; answer it on its own.
        return respond(
          request.getCorrelationId(),
          streamName,
          batchAppendErrors.badRequest('Required field CorrelationId not set or not a UUID.'),
        );
      }
      if (answeredEarly.has(id)) {
        if (request.getIsFinal()) answeredEarly.delete(id);
        return;
      }
      // A repeated options chunk does not restart an append, as on the server.
      let append = pending.get(id);
      if (!append && options) append = start(id, request, options);
      if (!append) {
        if (options) return; // start() has answered
        return answerEarly(id, request, streamName, batchAppendErrors.badRequest(`The first request of append ${id} must carry options.`));
      }

      for (const message of request.getProposedMessagesList()) {
        const conversion = proposedEventFromProto(message);
        if (conversion.kind !== 'event') {
          const reason =
            conversion.kind === 'missing-metadata' ? `Required Metadata Property '${conversion.property}' is missing` : conversion.message;
          return answerEarly(id, request, append.streamName, batchAppendErrors.badRequest(reason));
        }
        append.size += eventSize(conversion.event);
        append.events.push(conversion.event);
      }
      if (append.size > context.log.maxAppendSize) {
        return answerEarly(id, request, append.streamName, batchAppendErrors.maximumAppendSizeExceeded(context.log.maxAppendSize));
      }
      if (!request.getIsFinal()) return;

      clearTimeout(append.timer);
      pending.delete(id);
      // The timer can lag behind a busy event loop; the final chunk's arrival time decides.
      const result = Date.now() > append.expiresAt ? batchAppendErrors.timeout() : apply(context, append);
      respond(request.getCorrelationId(), append.streamName, result);
    };

    const release = () => {
      closed = true;
      for (const append of pending.values()) clearTimeout(append.timer);
      pending.clear();
      answeredEarly.clear();
    };

    call.on('data', (request: BatchAppendReq) => {
      try {
        receive(request);
      } catch (error) {
        // An emulator fault must not take down the call every other append of this client shares.
        respond(
          request.getCorrelationId(),
          '',
          batchAppendErrors.internal(`BatchAppend failed in the emulator: ${(error as Error).message}`),
        );
      }
    });
    call.on('end', () => {
      // The client half-closed: nothing more can complete, so finish the call cleanly.
      const wasClosed = closed;
      release();
      if (!wasClosed) call.end();
    });
    call.on('cancelled', release);
    call.on('error', release);
  };
}

function apply(context: EmulatorContext, append: PendingAppend): Status | BatchAppendResp.Success {
  let outcome: AppendOutcome;
  try {
    outcome = context.log.append(append.streamName, append.expected, append.events);
  } catch (error) {
    // A fault in the emulator fails this append only, not the call every other append shares.
    return batchAppendErrors.internal(`Append failed in the emulator: ${(error as Error).message}`);
  }
  switch (outcome.kind) {
    case 'success': {
      const success = new streams.BatchAppendResp.Success();
      if (outcome.currentRevision < 0n) success.setNoStream(new emptyPb.Empty());
      else success.setCurrentRevision(outcome.currentRevision.toString());
      if (outcome.position === undefined) {
        success.setNoPosition(new emptyPb.Empty());
      } else {
        const position = new shared.AllStreamPosition();
        position.setCommitPosition(outcome.position.toString());
        position.setPreparePosition(outcome.position.toString());
        success.setPosition(position);
      }
      return success;
    }
    case 'wrong-expected-version':
      return batchAppendErrors.wrongExpectedVersion(outcome.currentRevision, append.expected);
    case 'stream-deleted':
      return batchAppendErrors.streamDeleted(append.streamName);
    case 'too-large':
      return batchAppendErrors.maximumAppendSizeExceeded(outcome.maxAppendSize);
    case 'bad-request':
      return batchAppendErrors.badRequest(outcome.message);
  }
}
