/** Small helpers the projections share. */
import { isDomainEventType, readDomainEvent, type DomainEvent } from '../../domain';
import type { RawEvent } from '../framework/types';

/** jsonb parameters must be sent as JSON text: pg would turn a JS array into a Postgres array. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

export function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** What a projection of domain events (inventory, order, payment) knows and how it reads them. */
export const domainEvents = {
  knows: (type: string) => isDomainEventType(type),
  read: (raw: RawEvent): DomainEvent => readDomainEvent({ type: raw.type, data: raw.data, schemaVersion: raw.schemaVersion }),
};

/** A set of event types as a `handles` predicate. */
export function handlesTypes(types: readonly string[]): (type: string) => boolean {
  const set = new Set(types);
  return (type) => set.has(type);
}
