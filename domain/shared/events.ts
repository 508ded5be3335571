import { z } from 'zod';
import { EventSchemaError } from './errors';

/**
 * How one event type is stored. `schemaVersion` is the version new events are written with (the
 * adapter puts it in the event's metadata). When an event's data changes shape, bump the version
 * and add an upcaster from the old version, so events already in the log stay readable:
 * `upcasters[1]` turns v1 data into v2 data, `upcasters[2]` v2 into v3, and so on.
 */
export interface EventDefinition<Data extends z.ZodType = z.ZodType> {
  readonly schemaVersion: number;
  readonly data: Data;
  readonly upcasters?: Readonly<Record<number, (older: unknown) => unknown>>;
}

export type EventCatalogue = Readonly<Record<string, EventDefinition>>;

/** The union of `{ type, data }` events a catalogue describes. */
export type EventOf<C extends EventCatalogue> = {
  [T in keyof C & string]: { type: T; data: z.output<C[T]['data']> };
}[keyof C & string];

/** `{ StockReserved: 'StockReserved', ... }`, so code can name an event type without a string typo. */
export function eventTypeNames<C extends EventCatalogue>(catalogue: C): { readonly [T in keyof C & string]: T } {
  return Object.fromEntries(Object.keys(catalogue).map((type) => [type, type])) as { [T in keyof C & string]: T };
}

/** `{ StockReserved: 1, ... }`: the version each event type is written with today. */
export function schemaVersionsOf<C extends EventCatalogue>(catalogue: C): { readonly [T in keyof C & string]: number } {
  return Object.fromEntries(Object.entries(catalogue).map(([type, definition]) => [type, definition.schemaVersion])) as {
    [T in keyof C & string]: number;
  };
}

/**
 * The shape of every event: a type naming what happened and its data. Deciders, codecs and the
 * event store adapter are generic over it, so the adapter needs to know no particular event.
 */
export interface DomainEvent {
  readonly type: string;
  readonly data: unknown;
}

/** An event as read back from the store, before its data is trusted. */
export interface StoredEvent {
  readonly type: string;
  readonly data: unknown;
  /** From the event's metadata; `undefined` when the event has none. */
  readonly schemaVersion: unknown;
  /** The whole metadata as stored, when the reader has it. */
  readonly metadata?: unknown;
}

/**
 * How events are written and read back: the schema version each new event is stamped with, and
 * how a stored event becomes a typed one (upcast old versions, validate).
 */
export interface EventCodec<Event extends DomainEvent> {
  schemaVersionOf(event: Event): number;
  /** Throws when the stored event is not one this code understands. */
  decode(stored: StoredEvent): Event;
}

/**
 * Builds the function that turns a stored event into a typed one: it upcasts old versions to the
 * current shape, then validates the data. It throws EventSchemaError, naming the event type and
 * version, for a type the catalogue does not hold, a version it does not know, or invalid data.
 */
export function eventReader<C extends EventCatalogue>(catalogue: C): (stored: StoredEvent) => EventOf<C> {
  return ({ type, data, schemaVersion }) => {
    const definition = Object.hasOwn(catalogue, type) ? catalogue[type] : undefined;
    if (!definition) {
      throw new EventSchemaError(type, schemaVersion, `unknown event type '${type}'`);
    }
    if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1) {
      throw new EventSchemaError(type, schemaVersion, `${type} has no valid schemaVersion in its metadata (got ${String(schemaVersion)})`);
    }
    if (schemaVersion > definition.schemaVersion) {
      throw new EventSchemaError(
        type,
        schemaVersion,
        `${type} v${schemaVersion} was written by a newer release; this code reads up to v${definition.schemaVersion}`,
      );
    }
    let current = data;
    for (let version = schemaVersion; version < definition.schemaVersion; version++) {
      const upcast = definition.upcasters?.[version];
      if (!upcast) {
        throw new EventSchemaError(type, schemaVersion, `${type} v${schemaVersion} is not supported: no upcaster from v${version}`);
      }
      current = upcast(current);
    }
    const parsed = definition.data.safeParse(current);
    if (!parsed.success) {
      throw new EventSchemaError(type, schemaVersion, `${type} v${schemaVersion} has invalid data:\n${z.prettifyError(parsed.error)}`);
    }
    return { type, data: parsed.data } as EventOf<C>;
  };
}

/** The codec of a catalogue's events: written with their current version, read through `eventReader`. */
export function eventCodec<C extends EventCatalogue>(catalogue: C): EventCodec<EventOf<C>> {
  return {
    schemaVersionOf: (event) => catalogue[event.type]!.schemaVersion,
    decode: eventReader(catalogue),
  };
}
