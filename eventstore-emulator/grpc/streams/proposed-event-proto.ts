import type { Map as ProtoMap } from 'google-protobuf';
import type { StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import type { ProposedEvent } from '../../log/records';
import { shared } from '../proto';

/**
 * Conversions shared by Append and BatchAppend: what a proposed message, a stream identifier
 * and a UUID look like on the wire, and what the log wants instead.
 */

/** Both `AppendReq.ProposedMessage` and `BatchAppendReq.ProposedMessage` have this shape. */
export interface ProposedMessage {
  getId(): UUID | undefined;
  getMetadataMap(): ProtoMap<string, string>;
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}

export type ProposedEventConversion =
  | { kind: 'event'; event: ProposedEvent }
  | { kind: 'missing-metadata'; property: 'type' | 'content-type' }
  | { kind: 'invalid'; message: string };

const JSON_CONTENT_TYPE = 'application/json';

export function proposedEventFromProto(message: ProposedMessage): ProposedEventConversion {
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  if (type === undefined) return { kind: 'missing-metadata', property: 'type' };
  const contentType = metadata.get('content-type');
  if (contentType === undefined) return { kind: 'missing-metadata', property: 'content-type' };
  const id = uuidFromProto(message.getId());
  if (id === undefined) return { kind: 'invalid', message: 'Event id is missing or is not a UUID.' };
  return {
    kind: 'event',
    // The server keeps only "is it JSON"; any other content type reads back as octet-stream.
    event: {
      id,
      type,
      isJson: contentType === JSON_CONTENT_TYPE,
      data: message.getData_asU8(),
      metadata: message.getCustomMetadata_asU8(),
    },
  };
}

const HEX_32 = /^[0-9a-f]{32}$/;

/**
 * Canonical lower-case form of a wire UUID. The server parses ids as .NET Guids, so upper case,
 * braces and the 32-digit form are accepted; the structured form is two int64 halves, big-endian.
 */
export function uuidFromProto(uuid: UUID | undefined): string | undefined {
  if (!uuid) return undefined;
  let hex: string;
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    const half = (text: string) => (/^-?\d+$/.test(text) ? BigInt.asUintN(64, BigInt(text)).toString(16).padStart(16, '0') : '');
    hex = half(structured.getMostSignificantBits()) + half(structured.getLeastSignificantBits());
  } else {
    hex = uuid
      .getString()
      .toLowerCase()
      .replace(/^\{(.*)\}$/, '$1')
      .replaceAll('-', '');
    const text = uuid.getString().replace(/^\{(.*)\}$/, '$1');
    // Hyphens only in the canonical places (or none at all).
    if (text.includes('-') && !/^[^-]{8}-[^-]{4}-[^-]{4}-[^-]{4}-[^-]{12}$/.test(text)) return undefined;
  }
  if (!HEX_32.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const EMPTY_STREAM_NAME = 'Stream name must not be empty.';

/** `undefined` when the identifier is missing (the caller rejects both that and an empty name). */
export function streamNameFromProto(identifier: StreamIdentifier | undefined): string | undefined {
  return identifier ? Buffer.from(identifier.getStreamName_asU8()).toString('utf8') : undefined;
}

export function streamIdentifierOf(streamName: string): StreamIdentifier {
  const identifier = new shared.StreamIdentifier();
  identifier.setStreamName(Buffer.from(streamName, 'utf8'));
  return identifier;
}
