import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';

const PRINTABLE_ASCII = /^[ -~]*$/;

/**
 * RPC errors as the real server sends them: a status code, the server's wording, and trailing
 * metadata whose `exception` key (plus the keys the client dereferences) selects the client's
 * error class (spec 2.0). A missing key makes the client throw a TypeError, so each builder
 * sets all of its keys.
 */
export function rpcError(code: Status, details: string, trailers: Record<string, string> = {}): ServiceError {
  // Trailer values must be printable ASCII: grpc-js throws on anything else (which would crash
  // the emulator from inside an event handler), and the server's Kestrel refuses such a trailer
  // with an unhandled exception. So an error naming, say, a stream `café-1` reaches the client
  // as a plain UNKNOWN error there, and here too.
  if (Object.values(trailers).some((value) => !PRINTABLE_ASCII.test(value))) {
    return rpcError(Status.UNKNOWN, `Exception was thrown by handler: a trailer of "${details}" is not printable ASCII.`);
  }
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

/** Expected-version numbers on the wire: any −2, no_stream −1, stream_exists −4, else N. */
export function expectedVersionNumber(expected: 'any' | 'no_stream' | 'stream_exists' | bigint): string {
  if (expected === 'any') return '-2';
  if (expected === 'no_stream') return '-1';
  if (expected === 'stream_exists') return '-4';
  return expected.toString();
}

export const errors = {
  streamDeleted: (stream: string) =>
    rpcError(Status.FAILED_PRECONDITION, `Event stream '${stream}' is deleted.`, { exception: 'stream-deleted', 'stream-name': stream }),

  wrongExpectedVersion: (
    op: 'Append' | 'Delete',
    stream: string,
    expected: 'any' | 'no_stream' | 'stream_exists' | bigint,
    current: bigint,
  ) =>
    rpcError(
      Status.FAILED_PRECONDITION,
      `${op} failed due to WrongExpectedVersion. Stream: ${stream}, Expected version: ${expectedVersionNumber(expected)}, Actual version: ${current}`,
      {
        exception: 'wrong-expected-version',
        'stream-name': stream,
        'expected-version': expectedVersionNumber(expected),
        // Empty = the stream does not exist (spec 2.0); Delete reports -1 instead.
        'actual-version': op === 'Append' && current < 0n ? '' : current.toString(),
      },
    ),

  maximumAppendSizeExceeded: (max: number) =>
    rpcError(Status.INVALID_ARGUMENT, `Maximum Append Size of ${max} Exceeded.`, {
      exception: 'maximum-append-size-exceeded',
      'maximum-append-size': String(max),
    }),

  missingRequiredMetadata: (property: string) =>
    rpcError(Status.INVALID_ARGUMENT, `Required Metadata Property '${property}' is missing`, {
      exception: 'missing-required-metadata-property',
      'required-metadata-properties': 'type,content-type',
    }),

  invalidArgument: (details: string) => rpcError(Status.INVALID_ARGUMENT, details),

  timeout: (message: string) => rpcError(Status.ABORTED, `Operation timed out: ${message}`),

  persistentSubscriptionDoesNotExist: (stream: string, group: string) =>
    rpcError(Status.NOT_FOUND, `Subscription group ${group} on stream ${stream} does not exist.`, {
      exception: 'persistent-subscription-does-not-exist',
      'stream-name': stream,
      'group-name': group,
    }),

  persistentSubscriptionExists: (stream: string, group: string) =>
    rpcError(Status.ALREADY_EXISTS, `Subscription group ${group} on stream ${stream} exists.`, {
      exception: 'persistent-subscription-exists',
      'stream-name': stream,
      'group-name': group,
    }),

  persistentSubscriptionFailed: (stream: string, group: string, reason: string) =>
    rpcError(Status.INTERNAL, `Subscription group ${group} on stream ${stream} failed: '${reason}'`, {
      exception: 'persistent-subscription-failed',
      'stream-name': stream,
      'group-name': group,
      reason,
    }),

  maximumSubscribersReached: (stream: string, group: string) =>
    rpcError(Status.FAILED_PRECONDITION, `Maximum subscriptions reached for subscription group ${group} on stream ${stream}.`, {
      exception: 'maximum-subscribers-reached',
      'stream-name': stream,
      'group-name': group,
    }),

  persistentSubscriptionDropped: (stream: string, group: string) =>
    rpcError(Status.CANCELLED, `Subscription group ${group} on stream ${stream} was dropped.`, {
      exception: 'persistent-subscription-dropped',
      'stream-name': stream,
      'group-name': group,
    }),
};
