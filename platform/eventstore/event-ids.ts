/**
 * Deterministic event ids. EventStoreDB drops an append whose event ids it has just written at
 * that place in the stream, so a retry (a client repeating a request with the same
 * Idempotency-Key, the saga redelivering an event) that derives the same ids cannot duplicate
 * what it wrote the first time. The ids are name-based UUIDs (version 5, RFC 9562 §5.5): SHA-1
 * of a namespace and a name, so the same key and index give the same id on every machine.
 */
import { createHash } from 'node:crypto';

/** This project's namespace for event ids (a random v4 UUID, fixed forever). */
export const EVENT_ID_NAMESPACE = 'b3f4d0f2-6a53-4c1e-9d38-2f7e0c5a91e4';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Every saga step and command derives ids, so the namespace is parsed once per namespace.
const namespaceBytes = new Map<string, Buffer>();

function bytesOfNamespace(namespace: string): Buffer {
  let bytes = namespaceBytes.get(namespace);
  if (!bytes) {
    if (!uuidPattern.test(namespace)) throw new Error(`namespace ${namespace} is not a UUID`);
    bytes = Buffer.from(namespace.replaceAll('-', ''), 'hex');
    namespaceBytes.set(namespace, bytes);
  }
  return bytes;
}

export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1').update(bytesOfNamespace(namespace)).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of the `index`-th event caused by `key` (an Idempotency-Key, or the id of the event
 * that caused these). The index comes last, after a separator a key may contain but that is
 * read from the end, so two different (key, index) pairs never share a name.
 */
export function deterministicEventId(key: string, index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`event index ${index} is not a whole number ≥ 0`);
  return uuidV5(`${key}#${index}`, EVENT_ID_NAMESPACE);
}

/** Ids for `count` events caused by `key`: index 0, 1, 2... */
export function deterministicEventIds(key: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => deterministicEventId(key, index));
}
