import type { LogRecord } from '../../log/records';
import { persistent, shared } from '../proto';
import type { GroupMessage } from './message';

/** Conversions between the persistent-subscription wire messages and the emulator's values. */

type UuidMessage = InstanceType<typeof shared.UUID>;
type StreamIdentifierMessage = InstanceType<typeof shared.StreamIdentifier>;
export type ReadRespMessage = InstanceType<typeof persistent.ReadResp>;
type RecordedEventMessage = InstanceType<typeof persistent.ReadResp.ReadEvent.RecordedEvent>;

export function streamNameOf(identifier: StreamIdentifierMessage | undefined): string {
  return identifier ? Buffer.from(identifier.getStreamName_asU8()).toString('utf8') : '';
}

/** Ids arrive as strings from client 6.2.1; the structured form is two signed 64-bit halves. */
export function uuidText(uuid: UuidMessage): string {
  const structured = uuid.getStructured();
  if (!uuid.hasStructured() || !structured) return uuid.getString().toLowerCase();
  const bytes = Buffer.alloc(16);
  bytes.writeBigInt64BE(BigInt(structured.getMostSignificantBits()), 0);
  bytes.writeBigInt64BE(BigInt(structured.getLeastSignificantBits()), 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function uuidMessage(id: string, structured: boolean): UuidMessage {
  const uuid = new shared.UUID();
  if (!structured) return uuid.setString(id);
  const bytes = Buffer.from(id.replaceAll('-', ''), 'hex');
  const halves = new shared.UUID.Structured();
  halves.setMostSignificantBits(bytes.readBigInt64BE(0).toString());
  halves.setLeastSignificantBits(bytes.readBigInt64BE(8).toString());
  return uuid.setStructured(halves);
}

/** Both records carry the original (link if present) record's position, as the server sends them. */
function recordedEvent(record: LogRecord, position: bigint, structuredIds: boolean): RecordedEventMessage {
  const recorded = new persistent.ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuidMessage(record.id, structuredIds));
  recorded.setStreamIdentifier(new shared.StreamIdentifier().setStreamName(Buffer.from(record.streamName, 'utf8')));
  recorded.setStreamRevision(record.revision.toString());
  recorded.setCommitPosition(position.toString());
  recorded.setPreparePosition(position.toString());
  recorded
    .getMetadataMap()
    .set('type', record.type)
    .set('created', record.created.toString())
    .set('content-type', record.isJson ? 'application/json' : 'application/octet-stream');
  recorded.setCustomMetadata(record.metadata);
  recorded.setData(record.data);
  return recorded;
}

export function eventResponse(message: GroupMessage, structuredIds: boolean): ReadRespMessage {
  const position = message.original.position;
  const event = new persistent.ReadResp.ReadEvent();
  if (message.event) event.setEvent(recordedEvent(message.event, position, structuredIds));
  if (message.link) event.setLink(recordedEvent(message.link, position, structuredIds));
  event.setCommitPosition(position.toString());
  event.setRetryCount(message.retryCount);
  return new persistent.ReadResp().setEvent(event);
}

export function confirmationResponse(subscriptionId: string): ReadRespMessage {
  const confirmation = new persistent.ReadResp.SubscriptionConfirmation().setSubscriptionId(subscriptionId);
  return new persistent.ReadResp().setSubscriptionConfirmation(confirmation);
}
