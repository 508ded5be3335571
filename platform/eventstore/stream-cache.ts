/**
 * The folded state of the streams a process writes over and over, each with the revision it
 * reflects, so that a command costs one append instead of a read of an ever longer stream. At
 * most `maxStreams` are kept; the one written or read longest ago goes first.
 */
import type { FoldedStream } from './read-stream';
import type { StreamRevision } from './types';

const isLater = (a: StreamRevision, b: StreamRevision) => a !== 'no_stream' && (b === 'no_stream' || a > b);

export class StreamCache<State> {
  private readonly entries = new Map<string, FoldedStream<State>>();

  constructor(private readonly maxStreams: number) {}

  get(streamName: string): FoldedStream<State> | undefined {
    return this.entries.get(streamName);
  }

  /**
   * Keeps `folded` as the stream's state, unless a later revision is known already (a read that
   * ended after a newer write was remembered); returns the state kept.
   */
  remember(streamName: string, folded: FoldedStream<State>): FoldedStream<State> {
    const known = this.entries.get(streamName);
    const kept = known && isLater(known.revision, folded.revision) ? known : folded;
    this.entries.delete(streamName);
    this.entries.set(streamName, kept);
    if (this.entries.size > this.maxStreams) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return kept;
  }
}
