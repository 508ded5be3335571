import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { Client as GrpcClient, Metadata, credentials, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { MaxAppendSizeExceededError, RequiredMetadataPropertyMissingError, convertToCommandError } from '@eventstore/db-client';
import type { AppendReq, AppendResp, BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb';
import { startEmulatorWithClient, type EmulatorFixture } from '../../testing/fixture';
import { emptyPb, shared, streams, timestampPb } from '../proto';
import { jsonEvents, uniqueStream } from '../../testing/events';
import { rawStreamsClient } from '../../testing/raw-grpc';
import { readAllRecords } from '../../testing/client-reads';

/**
 * Input the real client never sends, through a plain grpc-js client: each gets a clear error,
 * nothing partial is written, and the emulator keeps serving.
 */

let fixture: EmulatorFixture;
let raw: ReturnType<typeof rawStreamsClient>;

test.before(async () => {
  fixture = await startEmulatorWithClient();
  raw = rawStreamsClient(fixture.emulator);
});

test.after(async () => {
  raw.close();
  await fixture.close();
});

// ---------------------------------------------------------------------------------------------
// Message builders

function identifier(stream: string) {
  return new shared.StreamIdentifier().setStreamName(Buffer.from(stream, 'utf8'));
}

function appendOptions(stream: string, expected: 'any' | 'none' = 'any'): AppendReq {
  const options = new streams.AppendReq.Options().setStreamIdentifier(identifier(stream));
  if (expected === 'any') options.setAny(new shared.Empty());
  return new streams.AppendReq().setOptions(options);
}

interface MessageShape {
  type?: string;
  contentType?: string;
  data?: Uint8Array;
  id?: string;
}

function fillMessage<M extends AppendReq.ProposedMessage | BatchAppendReq.ProposedMessage>(message: M, shape: MessageShape): M {
  message.setId(new shared.UUID().setString(shape.id ?? randomUUID()));
  if (shape.type !== undefined) message.getMetadataMap().set('type', shape.type);
  if (shape.contentType !== undefined) message.getMetadataMap().set('content-type', shape.contentType);
  message.setData(shape.data ?? Buffer.from('{"ok":true}'));
  return message;
}

const GOOD: MessageShape = { type: 'Good', contentType: 'application/json' };

function appendMessage(shape: MessageShape = GOOD): AppendReq {
  return new streams.AppendReq().setProposedMessage(fillMessage(new streams.AppendReq.ProposedMessage(), shape));
}

function batchMessage(shape: MessageShape = GOOD): BatchAppendReq.ProposedMessage {
  return fillMessage(new streams.BatchAppendReq.ProposedMessage(), shape);
}

function batchRequest(
  correlationId: string | undefined,
  chunk: {
    stream?: string;
    withOptions?: boolean;
    expected?: 'any' | 'none';
    deadline?: Date;
    messages?: BatchAppendReq.ProposedMessage[];
    final?: boolean;
  },
): BatchAppendReq {
  const request = new streams.BatchAppendReq();
  if (correlationId !== undefined) request.setCorrelationId(new shared.UUID().setString(correlationId));
  if (chunk.withOptions ?? true) {
    const options = new streams.BatchAppendReq.Options();
    if (chunk.stream !== undefined) options.setStreamIdentifier(identifier(chunk.stream));
    if ((chunk.expected ?? 'any') === 'any') options.setAny(new emptyPb.Empty());
    options.setDeadline(timestampPb.Timestamp.fromDate(chunk.deadline ?? new Date(Date.now() + 10_000)));
    request.setOptions(options);
  }
  request.setProposedMessagesList(chunk.messages ?? [batchMessage()]);
  request.setIsFinal(chunk.final ?? true);
  return request;
}

// ---------------------------------------------------------------------------------------------
// Calls

/** A client-streaming Append of the given messages; resolves with its error or response. */
function rawAppend(requests: AppendReq[]): Promise<{ error: ServiceError | null; response?: AppendResp }> {
  return new Promise((resolve) => {
    const call = raw.append(new Metadata(), { deadline: Date.now() + 5000 }, (error, response) => resolve({ error, response }));
    call.on('error', () => undefined);
    for (const request of requests) call.write(request);
    call.end();
  });
}

/** Append with hand-made bytes, for what the generated classes cannot express. */
function rawAppendBytes(messages: Uint8Array[]): Promise<ServiceError | null> {
  const generic = new GrpcClient(`${fixture.emulator.host}:${fixture.emulator.port}`, credentials.createInsecure());
  return new Promise((resolve) => {
    const call = generic.makeClientStreamRequest<Uint8Array, Uint8Array>(
      '/event_store.client.streams.Streams/Append',
      (bytes) => Buffer.from(bytes),
      (bytes) => bytes,
      new Metadata(),
      { deadline: Date.now() + 5000 },
      (error) => {
        generic.close();
        resolve(error);
      },
    );
    for (const message of messages) call.write(message);
    call.end();
  });
}

/** One BatchAppend call and the responses it has received, in order. */
class BatchAppendSession {
  readonly responses: BatchAppendResp[] = [];
  private waiters: Array<() => void> = [];
  readonly call: ClientDuplexStream<BatchAppendReq, BatchAppendResp>;
  ended: ServiceError | 'ok' | undefined;

  constructor() {
    this.call = raw.batchAppend(new Metadata());
    this.call.on('data', (response: BatchAppendResp) => {
      this.responses.push(response);
      this.wake();
    });
    this.call.on('error', (error: ServiceError) => {
      this.ended = error;
      this.wake();
    });
    this.call.on('end', () => {
      this.ended ??= 'ok';
      this.wake();
    });
  }

  send(request: BatchAppendReq): void {
    this.call.write(request);
  }

  /** Waits until `count` responses have arrived in total. */
  async waitFor(count: number, timeoutMs = 3000): Promise<BatchAppendResp[]> {
    const giveUp = Date.now() + timeoutMs;
    while (this.responses.length < count) {
      if (this.ended) throw new Error(`BatchAppend call ended: ${this.ended === 'ok' ? 'OK' : this.ended.message}`);
      const left = giveUp - Date.now();
      if (left <= 0) throw new Error(`Only ${this.responses.length} of ${count} responses arrived.`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.responses.slice(0, count);
  }

  close(): void {
    this.call.cancel();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

function describeError(response: BatchAppendResp) {
  const error = response.getError();
  return {
    correlationId: response.getCorrelationId()?.getString(),
    stream: Buffer.from(response.getStreamIdentifier()?.getStreamName_asU8() ?? []).toString(),
    code: error?.getCode(),
    message: error?.getMessage(),
    typeUrl: error?.getDetails()?.getTypeUrl(),
  };
}

function badRequestReason(response: BatchAppendResp): string | undefined {
  return response.getError()?.getDetails()?.unpack(shared.BadRequest.deserializeBinary, 'event_store.client.BadRequest')?.getMessage();
}

// ---------------------------------------------------------------------------------------------

let recordsBefore: number;

test.before.each(() => {
  recordsBefore = fixture.emulator.log.length;
});

function assertNothingWritten(label: string): void {
  assert.is(fixture.emulator.log.length, recordsBefore, `${label}: nothing written`);
}

test('11. Append: a proposed message without type or content-type → missing-required-metadata-property; nothing written', async () => {
  const stream = uniqueStream('no-type');
  for (const [property, shape] of [
    ['type', { contentType: 'application/json' }],
    ['content-type', { type: 'Good' }],
  ] as const) {
    // The bad message comes after a good one: the good one must not be written either.
    const { error } = await rawAppend([appendOptions(stream), appendMessage(), appendMessage(shape)]);
    assert.ok(error, property);
    assert.is(error.code, status.INVALID_ARGUMENT);
    assert.is(error.details, `Required Metadata Property '${property}' is missing`);
    assert.equal(error.metadata.get('exception'), ['missing-required-metadata-property']);
    const converted = convertToCommandError(error);
    assert.instance(converted, RequiredMetadataPropertyMissingError);
    assert.equal((converted as RequiredMetadataPropertyMissingError).requiredMetadataProperties, ['type', 'content-type']);
  }
  assertNothingWritten('missing metadata');
});

test('11. BatchAppend: a proposed message without type → BadRequest for that append only; the call keeps serving', async () => {
  const session = new BatchAppendSession();
  try {
    const stream = uniqueStream('batch-no-type');
    const bad = randomUUID();
    session.send(batchRequest(bad, { stream, messages: [batchMessage(), batchMessage({ contentType: 'application/json' })] }));
    const [response] = await session.waitFor(1);
    assert.equal(describeError(response!), {
      correlationId: bad,
      stream,
      code: status.INVALID_ARGUMENT,
      message: 'BadRequest',
      typeUrl: 'type.googleapis.com/event_store.client.BadRequest',
    });
    assert.is(badRequestReason(response!), "Required Metadata Property 'type' is missing");
    assertNothingWritten('bad append');

    const good = randomUUID();
    session.send(batchRequest(good, { stream }));
    const [, success] = await session.waitFor(2);
    assert.is(success!.getCorrelationId()?.getString(), good);
    assert.is(success!.getSuccess()?.getCurrentRevision(), '0');
  } finally {
    session.close();
  }
});

test('oversize append over Append and BatchAppend → size error, nothing written', async () => {
  const stream = uniqueStream('oversize');
  const half = { ...GOOD, data: new Uint8Array(600_000) };
  const { error } = await rawAppend([appendOptions(stream), appendMessage(half), appendMessage(half)]);
  assert.ok(error);
  assert.is(error.code, status.INVALID_ARGUMENT);
  assert.is(error.details, 'Maximum Append Size of 1048576 Exceeded.');
  const converted = convertToCommandError(error) as MaxAppendSizeExceededError;
  assert.instance(converted, MaxAppendSizeExceededError);
  assert.is(converted.maxAppendSize, 1_048_576);

  const session = new BatchAppendSession();
  try {
    // Split over two chunks: the limit applies to the whole append, not to a chunk.
    const id = randomUUID();
    session.send(batchRequest(id, { stream, messages: [batchMessage(half)], final: false }));
    session.send(batchRequest(id, { withOptions: false, messages: [batchMessage(half)], final: true }));
    const [response] = await session.waitFor(1);
    assert.is(describeError(response!).typeUrl, 'type.googleapis.com/event_store.client.MaximumAppendSizeExceeded');
    const details = response!
      .getError()!
      .getDetails()!
      .unpack(shared.MaximumAppendSizeExceeded.deserializeBinary, 'event_store.client.MaximumAppendSizeExceeded');
    assert.is(details?.getMaxappendsize(), 1_048_576);
    await sleep(100);
    assert.is(session.responses.length, 1, 'one response per append');
  } finally {
    session.close();
  }
  assertNothingWritten('oversize');
});

test('unset or unknown expected-revision option → INVALID_ARGUMENT (Append, Delete, Tombstone) or BadRequest (BatchAppend)', async () => {
  const stream = uniqueStream('no-expected');
  const { error } = await rawAppend([appendOptions(stream, 'none'), appendMessage()]);
  assert.is(error?.code, status.INVALID_ARGUMENT);
  assert.is(error?.details, "'None' is not a valid EventStore.Client.Streams.AppendReq+Types+Options+ExpectedStreamRevisionOneofCase");

  // An option this protocol version does not know (field 9) decodes as "not set".
  const options = new streams.AppendReq.Options().setStreamIdentifier(identifier(stream)).serializeBinary();
  const withUnknownField = Buffer.concat([options, Buffer.from([9 << 3, 1])]);
  const request = Buffer.concat([Buffer.from([(1 << 3) | 2, withUnknownField.length]), withUnknownField]);
  const unknown = await rawAppendBytes([request, appendMessage().serializeBinary()]);
  assert.is(unknown?.code, status.INVALID_ARGUMENT);
  assert.is(unknown?.details, error?.details);

  for (const rpc of ['delete', 'tombstone'] as const) {
    const Request = rpc === 'delete' ? streams.DeleteReq : streams.TombstoneReq;
    const Options = rpc === 'delete' ? streams.DeleteReq.Options : streams.TombstoneReq.Options;
    const req = new Request().setOptions(new Options().setStreamIdentifier(identifier(stream)));
    const failure = await new Promise<ServiceError | null>((resolve) =>
      (raw[rpc] as (r: unknown, m: Metadata, cb: (e: ServiceError | null) => void) => void).call(raw, req, new Metadata(), (e) =>
        resolve(e),
      ),
    );
    assert.is(failure?.code, status.INVALID_ARGUMENT, rpc);
    assert.is(
      failure?.details,
      `'None' is not a valid EventStore.Client.Streams.${rpc === 'delete' ? 'DeleteReq' : 'TombstoneReq'}+Types+Options+ExpectedStreamRevisionOneofCase`,
    );
  }

  const session = new BatchAppendSession();
  try {
    const id = randomUUID();
    session.send(batchRequest(id, { stream, expected: 'none' }));
    const [response] = await session.waitFor(1);
    assert.is(describeError(response!).message, 'BadRequest');
    assert.is(
      badRequestReason(response!),
      "'None' is not a valid EventStore.Client.Streams.BatchAppendReq+Types+Options+ExpectedStreamPositionOneofCase",
    );
  } finally {
    session.close();
  }
  assertNothingWritten('unset expected revision');
});

test('Append whose first message is not options, whose later message is options again, or that is empty → INVALID_ARGUMENT', async () => {
  const stream = uniqueStream('not-options');
  const cases: Array<[string, AppendReq[], string]> = [
    ['proposed message first', [appendMessage(), appendMessage()], 'The first Append request message must carry options.'],
    [
      'options twice',
      [appendOptions(stream), appendMessage(), appendOptions(stream)],
      'Every Append request message after the first must carry a proposed message.',
    ],
    ['no message at all', [], 'The first Append request message must carry options.'],
    [
      'options without a stream',
      [new streams.AppendReq().setOptions(new streams.AppendReq.Options().setAny(new shared.Empty())), appendMessage()],
      'Required field StreamIdentifier not set.',
    ],
    [
      'message without an id',
      [
        appendOptions(stream),
        new streams.AppendReq().setProposedMessage(fillMessage(new streams.AppendReq.ProposedMessage(), GOOD).setId(undefined)),
      ],
      'Event id is missing or is not a UUID.',
    ],
    [
      'message with a bad id',
      [appendOptions(stream), appendMessage({ ...GOOD, id: 'not-a-uuid' })],
      'Event id is missing or is not a UUID.',
    ],
    ['empty event type', [appendOptions(stream), appendMessage({ ...GOOD, type: '' })], 'Event type must not be empty.'],
  ];
  for (const [label, requests, details] of cases) {
    const { error } = await rawAppend(requests);
    assert.is(error?.code, status.INVALID_ARGUMENT, label);
    assert.is(error?.details, details, label);
  }
  assertNothingWritten('malformed Append');
});

test('BatchAppend bad requests each get one BadRequest; the call survives all of them', async () => {
  const session = new BatchAppendSession();
  try {
    const stream = uniqueStream('batch-bad');
    const orphan = randomUUID();
    const noStream = randomUUID();
    const badId = randomUUID();
    session.send(batchRequest(undefined, { stream }));
    session.send(batchRequest(orphan, { withOptions: false, final: false }));
    session.send(batchRequest(orphan, { withOptions: false, final: true }));
    session.send(batchRequest(noStream, {}));
    session.send(batchRequest(badId, { stream, messages: [batchMessage({ ...GOOD, id: 'nope' })] }));
    const responses = await session.waitFor(4);
    assert.equal(
      responses.map((r) => [describeError(r).correlationId, describeError(r).code, badRequestReason(r)]),
      [
        [undefined, status.INVALID_ARGUMENT, 'Required field CorrelationId not set or not a UUID.'],
        [orphan, status.INVALID_ARGUMENT, `The first request of append ${orphan} must carry options.`],
        [noStream, status.INVALID_ARGUMENT, 'Required field StreamIdentifier not set.'],
        [badId, status.INVALID_ARGUMENT, 'Event id is missing or is not a UUID.'],
      ],
    );
    for (const response of responses) assert.ok(response.hasStreamIdentifier(), 'the client reads the stream name of every response');

    const good = randomUUID();
    session.send(batchRequest(good, { stream }));
    const [, , , , success] = await session.waitFor(5);
    assert.is(success!.getCorrelationId()?.getString(), good);
    assert.ok(success!.getSuccess()?.hasPosition());
    assert.is(session.responses.length, 5, 'no second response to the orphan chunks');
    assert.is(fixture.emulator.log.length, recordsBefore + 1, 'only the good append is written');
  } finally {
    session.close();
  }
});

test('BatchAppend deadlines: already past on arrival, and a final chunk that comes too late → Timeout; nothing written', async () => {
  const session = new BatchAppendSession();
  try {
    const stream = uniqueStream('batch-deadline');
    const past = randomUUID();
    session.send(batchRequest(past, { stream, deadline: new Date(Date.now() - 1) }));
    const [onArrival] = await session.waitFor(1);
    assert.equal(describeError(onArrival!), {
      correlationId: past,
      stream,
      code: status.DEADLINE_EXCEEDED,
      message: 'Timeout',
      typeUrl: 'type.googleapis.com/event_store.client.Timeout',
    });

    const late = randomUUID();
    session.send(batchRequest(late, { stream, deadline: new Date(Date.now() + 150), final: false }));
    // The server answers when the deadline passes, without waiting for the final chunk.
    const [, timedOut] = await session.waitFor(2, 1000);
    assert.is(describeError(timedOut!).correlationId, late);
    assert.is(describeError(timedOut!).message, 'Timeout');
    session.send(batchRequest(late, { withOptions: false, final: true }));

    const good = randomUUID();
    session.send(batchRequest(good, { stream }));
    const [, , success] = await session.waitFor(3);
    assert.is(success!.getCorrelationId()?.getString(), good);
    assert.is(success!.getSuccess()?.getCurrentRevision(), '0', 'the timed-out appends wrote nothing');
    assert.is(session.responses.length, 3);
  } finally {
    session.close();
  }
});

test('after all of the above the emulator still serves the real client, and $all holds only complete appends', async () => {
  const stream = uniqueStream('still-serving');
  const result = await fixture.client.appendToStream(stream, jsonEvents(3));
  assert.is(result.nextExpectedRevision, 2n);
  const all = await readAllRecords(fixture.client);
  for (const prefix of ['no-type', 'batch-no-type', 'oversize', 'no-expected', 'not-options', 'batch-bad', 'batch-deadline']) {
    const streamRecords = all.filter((line) => line.startsWith(`${prefix}-`));
    const expected = prefix === 'batch-no-type' || prefix === 'batch-bad' || prefix === 'batch-deadline' ? 1 : 0;
    assert.is(streamRecords.length, expected, prefix);
  }
  assert.is(all.filter((line) => line.startsWith(`${stream}@`)).length, 3);
});

test.run();
