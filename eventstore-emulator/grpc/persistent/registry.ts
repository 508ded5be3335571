import type { ServiceError } from '@grpc/grpc-js';
import type { EventLog } from '../../log/event-log';
import { errors } from '../errors';
import { writeConfigRecord } from './config-record';
import { SubscriptionGroup } from './group';
import { bufferSizeError, startFromError, strategyError, type GroupSettings } from './settings';
import { ALL_STREAM, eventSourceName, groupKey, type GroupSource } from './source';

/**
 * Every subscription group of one emulator, by key `"{stream}::{group}"` (the server's
 * `PersistentSubscriptionService`). It drives the groups: wakes them when the log grows, ticks
 * them on a timer, and replaces them on update and restart.
 */
export class PersistentSubscriptionRegistry {
  private readonly groups = new Map<string, SubscriptionGroup>();
  /**
   * Event sources that have had a group since the (re)start. The server keeps a source's entry
   * after its last group is deleted, so listing it answers `[]`, not "does not exist".
   */
  private readonly knownSources = new Set<string>();
  private wakeScheduled = false;

  constructor(
    private readonly log: EventLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts the timer and the log listener; returns what stops them. */
  start(tickMs: number): () => void {
    const timer = setInterval(() => {
      for (const group of [...this.groups.values()]) group.tick();
    }, tickMs);
    timer.unref();
    const unsubscribe = this.log.onAppend(() => this.scheduleWake());
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }

  find(eventSource: string, groupName: string): SubscriptionGroup | undefined {
    return this.groups.get(`${eventSource}::${groupName}`);
  }

  create(source: GroupSource, groupName: string, settings: GroupSettings): ServiceError | undefined {
    const eventSource = eventSourceName(source);
    const failure = this.sourceError(source) ?? strategyError(settings) ?? startFromError(settings.startFrom, this.log.lastPosition ?? 0n);
    if (failure) return errors.persistentSubscriptionFailed(eventSource, groupName, failure);
    if (this.groups.has(groupKey(source, groupName))) return errors.persistentSubscriptionExists(eventSource, groupName);
    const sizeFailure = bufferSizeError(settings);
    if (sizeFailure) return errors.persistentSubscriptionFailed(eventSource, groupName, sizeFailure);

    this.install(new SubscriptionGroup(source, groupName, settings, this.environment()));
    this.saveConfiguration();
    return undefined;
  }

  /** `$all` groups keep their filter: `UpdateReq` has none. */
  update(eventSource: string, groupName: string, settings: GroupSettings): ServiceError | undefined {
    const existing = this.find(eventSource, groupName);
    if (!existing) return errors.persistentSubscriptionDoesNotExist(eventSource, groupName);
    const failure =
      this.sourceError(existing.source) ??
      strategyError(settings) ??
      startFromError(settings.startFrom, this.log.lastPosition ?? 0n) ??
      bufferSizeError(settings);
    if (failure) return errors.persistentSubscriptionFailed(eventSource, groupName, failure);

    existing.dropAllConnections();
    this.install(new SubscriptionGroup(existing.source, groupName, settings, this.environment()));
    this.saveConfiguration();
    return undefined;
  }

  delete(eventSource: string, groupName: string): ServiceError | undefined {
    const existing = this.find(eventSource, groupName);
    if (!existing) return errors.persistentSubscriptionDoesNotExist(eventSource, groupName);
    existing.dropAllConnections();
    this.groups.delete(existing.key);
    existing.streams.delete();
    this.saveConfiguration();
    return undefined;
  }

  /** Groups of one source (undefined if it never had any), or of all sources. */
  list(eventSource?: string): SubscriptionGroup[] | undefined {
    const all = [...this.groups.values()];
    if (eventSource === undefined) return all;
    if (!this.knownSources.has(eventSource)) return undefined;
    return all.filter((group) => eventSourceName(group.source) === eventSource);
  }

  /** Drops every connection and reloads every group from its checkpoint (at-least-once). */
  restart(): void {
    const previous = [...this.groups.values()];
    this.groups.clear();
    this.knownSources.clear();
    for (const group of previous) group.dropAllConnections();
    for (const group of previous) this.install(new SubscriptionGroup(group.source, group.groupName, group.settings, this.environment()));
  }

  dispose(): void {
    for (const group of this.groups.values()) group.dropAllConnections();
    this.groups.clear();
  }

  private install(group: SubscriptionGroup): void {
    this.groups.set(group.key, group);
    this.knownSources.add(eventSourceName(group.source));
  }

  private environment() {
    return { log: this.log, now: this.now };
  }

  private sourceError(source: GroupSource): string | undefined {
    if (source.kind === 'all') return undefined;
    if (source.stream === '') return 'Bad stream name.';
    if (source.stream === ALL_STREAM) return 'Persistent subscriptions to $all are only supported over gRPC through gRPC clients';
    return undefined;
  }

  private saveConfiguration(): void {
    const entries = [...this.groups.values()].map((group) => ({
      source: group.source,
      groupName: group.groupName,
      settings: group.settings,
    }));
    writeConfigRecord(this.log, entries, new Date(this.now()));
  }

  /**
   * The log calls back synchronously inside a write, which may be a group's own write (a
   * checkpoint, a parked message): groups catch up once the current operation has finished.
   */
  private scheduleWake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    queueMicrotask(() => {
      this.wakeScheduled = false;
      for (const group of [...this.groups.values()]) group.wake();
    });
  }
}
