import type { ReadResp as ReadRespMessage } from '@eventstore/db-client/generated/streams_pb';
import type { EventLog } from '../../log/event-log';
import { SYSTEM_EVENT_TYPES, type LogRecord } from '../../log/records';
import { shared, streams } from '../proto';

/** How the caller asked for event ids (`uuid_option`); client 6.2.1 always asks for strings. */
export type UuidFormat = 'string' | 'structured';

const { ReadResp } = streams;
type RecordedEventMessage = InstanceType<typeof ReadResp.ReadEvent.RecordedEvent>;

/**
 * One log record as a `ReadResp.event`, as the server's `ConvertToReadEvent` builds it (spec 2.3):
 * a `$>` link read with `resolveLinks` carries its target in `event` and itself in `link`; an
 * unresolvable link comes as `link` only. `commit_position` is always the position of the record
 * that was actually read (the link, if there is one).
 */
export function eventResponse(log: EventLog, record: LogRecord, resolveLinks: boolean, uuid: UuidFormat): ReadRespMessage {
  const readEvent = new ReadResp.ReadEvent();
  if (resolveLinks && record.type === SYSTEM_EVENT_TYPES.link) {
    const target = log.resolveLink(record);
    if (target) readEvent.setEvent(recordedEvent(target, uuid));
    readEvent.setLink(recordedEvent(record, uuid));
  } else {
    readEvent.setEvent(recordedEvent(record, uuid));
  }
  readEvent.setCommitPosition(record.position.toString());
  const response = new ReadResp();
  response.setEvent(readEvent);
  return response;
}

function recordedEvent(record: LogRecord, uuid: UuidFormat): RecordedEventMessage {
  const message = new ReadResp.ReadEvent.RecordedEvent();
  message.setId(uuidMessage(record.id, uuid));
  message.setStreamIdentifier(streamIdentifier(record.streamName));
  message.setStreamRevision(record.revision.toString());
  // Every record is self-committed (spec 3.1): commit = prepare = its own position.
  message.setCommitPosition(record.position.toString());
  message.setPreparePosition(record.position.toString());
  const metadata = message.getMetadataMap();
  metadata.set('type', record.type);
  // The server keeps only an is-json flag, so any other content type reads back as octet-stream.
  metadata.set('content-type', record.isJson ? 'application/json' : 'application/octet-stream');
  metadata.set('created', record.created.toString());
  message.setCustomMetadata(record.metadata);
  message.setData(record.data);
  return message;
}

export function streamIdentifier(streamName: string): InstanceType<typeof shared.StreamIdentifier> {
  const identifier = new shared.StreamIdentifier();
  identifier.setStreamName(Buffer.from(streamName, 'utf8'));
  return identifier;
}

/** Canonical string, or the two big-endian halves as signed 64-bit numbers (the server's `Uuid.ToDto`). */
function uuidMessage(id: string, format: UuidFormat): InstanceType<typeof shared.UUID> {
  const message = new shared.UUID();
  if (format === 'string') return message.setString(id);
  const hex = id.replaceAll('-', '');
  const structured = new shared.UUID.Structured();
  structured.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString());
  structured.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
  return message.setStructured(structured);
}

export function confirmationResponse(subscriptionId: string): ReadRespMessage {
  const confirmation = new ReadResp.SubscriptionConfirmation();
  confirmation.setSubscriptionId(subscriptionId);
  return new ReadResp().setConfirmation(confirmation);
}

export function caughtUpResponse(): ReadRespMessage {
  return new ReadResp().setCaughtUp(new ReadResp.CaughtUp());
}

export function checkpointResponse(position: bigint): ReadRespMessage {
  const checkpoint = new ReadResp.Checkpoint();
  checkpoint.setCommitPosition(position.toString());
  checkpoint.setPreparePosition(position.toString());
  return new ReadResp().setCheckpoint(checkpoint);
}

export function streamNotFoundResponse(streamName: string): ReadRespMessage {
  const notFound = new ReadResp.StreamNotFound();
  notFound.setStreamIdentifier(streamIdentifier(streamName));
  return new ReadResp().setStreamNotFound(notFound);
}
