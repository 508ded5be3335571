/**
 * Prometheus metrics of the projections. Lag is measured when scraped: the newest records of
 * `$all` (up to `LAG_SCAN_LIMIT`, read backwards) are compared with each projection's position,
 * giving the events still to apply and how much older its last applied event is than the newest
 * one it follows (0 when it has applied everything).
 */
import { BACKWARDS, END, type EventStoreDBClient } from '@eventstore/db-client';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Position } from './types';

/** Beyond this many events behind, lag is reported as this many (a lower bound). */
export const LAG_SCAN_LIMIT = 1000;

export interface ProjectionStatus {
  readonly name: string;
  readonly streamPrefixes: readonly string[];
  readonly state: ProjectionState;
  readonly position: Position | undefined;
  readonly lastEventAt: Date | undefined;
}

export type ProjectionState = 'starting' | 'waiting_for_lock' | 'catching_up' | 'live' | 'retrying' | 'failed' | 'stopped';
const states: readonly ProjectionState[] = ['starting', 'waiting_for_lock', 'catching_up', 'live', 'retrying', 'failed', 'stopped'];

export interface Lag {
  events: number;
  seconds: number;
}

interface HeadRecord {
  streamName: string;
  type: string;
  commit: bigint;
  created: Date;
}

export class ProjectorMetrics {
  readonly eventsApplied: Counter<'projection'>;
  readonly batchSize: Histogram<'projection'>;
  readonly batchSeconds: Histogram<'projection'>;
  readonly errors: Counter<'projection' | 'kind'>;
  private readonly projections: (() => ProjectionStatus)[] = [];
  private probe: { at: number; records: Promise<HeadRecord[]> } | undefined;

  constructor(
    registry: Registry,
    private readonly client: EventStoreDBClient,
  ) {
    const statuses = () => this.projections.map((status) => status());
    this.eventsApplied = new Counter({
      name: 'projector_events_applied_total',
      help: 'Events applied to read models',
      labelNames: ['projection'],
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'projector_batch_events',
      help: 'Events per committed batch (one transaction each)',
      labelNames: ['projection'],
      buckets: [0, 1, 2, 5, 10, 50, 100, 250, 500, 1000],
      registers: [registry],
    });
    this.batchSeconds = new Histogram({
      name: 'projector_batch_duration_seconds',
      help: 'Time to apply and commit one batch',
      labelNames: ['projection'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'projector_errors_total',
      help: 'Errors by kind: transient (retried) or fatal (the projection stopped)',
      labelNames: ['projection', 'kind'],
      registers: [registry],
    });
    new Gauge({
      name: 'projector_failed',
      help: '1 when the projection stopped on an event it cannot apply',
      labelNames: ['projection'],
      registers: [registry],
      collect() {
        for (const { name, state } of statuses()) this.set({ projection: name }, state === 'failed' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'projector_state',
      help: 'The state each projection is in (1 for the current one)',
      labelNames: ['projection', 'state'],
      registers: [registry],
      collect() {
        for (const { name, state } of statuses())
          for (const each of states) this.set({ projection: name, state: each }, each === state ? 1 : 0);
      },
    });
    new Gauge({
      name: 'projector_checkpoint_position',
      help: 'Commit position of the last event each projection has applied',
      labelNames: ['projection'],
      registers: [registry],
      collect() {
        for (const { name, position } of statuses()) this.set({ projection: name }, position ? Number(position.commit) : -1);
      },
    });
    const lags = async () => this.lags();
    new Gauge({
      name: 'projector_lag_events',
      help: `Events in the projection's streams not yet applied (at most ${LAG_SCAN_LIMIT} counted)`,
      labelNames: ['projection'],
      registers: [registry],
      async collect() {
        for (const [name, lag] of await lags()) this.set({ projection: name }, lag.events);
      },
    });
    new Gauge({
      name: 'projector_lag_seconds',
      help: 'How much older the last applied event is than the newest event of the projection’s streams',
      labelNames: ['projection'],
      registers: [registry],
      async collect() {
        for (const [name, lag] of await lags()) this.set({ projection: name }, lag.seconds);
      },
    });
  }

  register(status: () => ProjectionStatus): void {
    this.projections.push(status);
  }

  /** Lag of every registered projection, from one backwards read of `$all` (cached for a second). */
  async lags(): Promise<Map<string, Lag>> {
    const now = Date.now();
    if (!this.probe || now - this.probe.at > 1000) this.probe = { at: now, records: this.readHead() };
    let records: HeadRecord[];
    try {
      records = await this.probe.records;
    } catch {
      this.probe = undefined;
      return new Map();
    }
    const result = new Map<string, Lag>();
    for (const { name, streamPrefixes, position, lastEventAt } of this.projections.map((status) => status())) {
      const behind = records.filter(
        (record) =>
          !record.type.startsWith('$') &&
          streamPrefixes.some((prefix) => record.streamName.startsWith(prefix)) &&
          (!position || record.commit > position.commit),
      );
      const newest = behind[0];
      const seconds = newest
        ? Math.max(0, (newest.created.getTime() - (lastEventAt?.getTime() ?? behind.at(-1)!.created.getTime())) / 1000)
        : 0;
      result.set(name, { events: behind.length, seconds });
    }
    return result;
  }

  private async readHead(): Promise<HeadRecord[]> {
    const records: HeadRecord[] = [];
    for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: LAG_SCAN_LIMIT })) {
      const event = resolved.event;
      if (event?.position)
        records.push({ streamName: event.streamId, type: event.type, commit: event.position.commit, created: event.created });
    }
    return records;
  }
}
