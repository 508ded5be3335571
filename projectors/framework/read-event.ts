/** How a projection reads an event of the log, wherever it is read from (a feed, a range fold). */
import { storableEvent } from './storable-text';
import { CannotApplyEventError, type ProjectedEvent, type Projection, type RawEvent } from './types';

/** `raw` as `projection` applies it; undefined when the projection passes it by; the error when it cannot read it. */
export function readFor(projection: Projection, raw: RawEvent): ProjectedEvent | CannotApplyEventError | undefined {
  if (!projection.handles(raw.type)) {
    if (projection.knows(raw.type)) return undefined;
    return new CannotApplyEventError(
      projection.name,
      raw,
      `unknown event type '${raw.type}' in a stream this projection follows (written by a newer release?)`,
    );
  }
  try {
    const event = projection.read(storableEvent(raw));
    return { event, id: raw.id, streamName: raw.streamName, revision: raw.revision, position: raw.position, recordedAt: raw.recordedAt };
  } catch (error) {
    return new CannotApplyEventError(projection.name, raw, error instanceof Error ? error.message : String(error), { cause: error });
  }
}
