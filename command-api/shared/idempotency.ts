/**
 * Idempotency-Key: the same key and the same request get the same answer, and the command's
 * events are written once, even when the duplicates race each other, arrive after a restart, or
 * land on different command-api instances. The record of a key is itself an event stream, so it
 * is as durable and as shared as the events it guards:
 *
 *   idempotency-{sha256(principal, key)}
 *     IdempotentRequestStarted  { fingerprint, startedAt }        appended with no_stream: first writer wins
 *     IdempotentRequestRenewed  { fingerprint, renewedAt }        the holder is alive (every leaseMs / 4)
 *     IdempotentRequestAnswered { fingerprint, status, body }     the answer every repeat gets
 *     IdempotentRequestReleased { fingerprint, status }           the attempt failed in a way worth retrying
 *
 * The fingerprint (sha256 of method, route, principal, params and canonical body) tells a repeat
 * from a different request that reuses the key (422). A repeat that arrives while the first is
 * still running waits for its answer (bounded, then 409). Only the holder of the claim runs the
 * command, and renews the claim while it runs. A claim is presumed dead when it was neither
 * renewed for `leaseMs` by its own timestamps nor changed while a repeat watched it for `leaseMs`
 * of the repeat's own time (so a clock running ahead on one instance cannot steal a live claim);
 * then a repeat takes over — within `leaseMs` (3 s) of a crash.
 *
 * A taken-over attempt may find that its predecessor already wrote the events (or writes them while
 * this one runs: a holder that stalled past its lease is still alive): the command's event ids
 * derive from the record's key (deterministic ids), and the command handler recognises them
 * whenever it loads the stream, instead of deciding a second time.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Logger } from '../../platform/logger';
import { HttpProblem } from '../../platform/http';
import { VersionConflictError, appendEvents, readStreamEvents, type StreamRevision } from '../../platform/eventstore';
import { commandProblemTypes } from './problems';

export interface IdempotencySettings {
  /** A claim not renewed for this long is presumed dead (its process crashed) and may be taken over. */
  leaseMs: number;
  /** How often the holder renews its claim while the command runs (default a quarter of the lease). */
  renewEveryMs?: number;
  /** How long a repeat waits for the first request's answer before answering 409. */
  waitMs: number;
  /** How often a waiting repeat re-reads the record. */
  pollMs: number;
}

export const defaultIdempotencySettings: IdempotencySettings = { leaseMs: 3_000, waitMs: 5_000, pollMs: 20 };

/** `Idempotency-Key` values: an opaque token of sane length (a UUID is typical). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** An answer as stored and replayed: the status and the JSON body (a problem for status ≥ 400). */
export interface CommandAnswer {
  status: number;
  body: unknown;
}

/** The record of one key as a request writes it: its stream, the request's fingerprint, and the metadata of its events. */
interface KeyRecord {
  stream: string;
  fingerprint: string;
  metadata: { correlationId: string; causationId: string; actor: string };
}

/** How the command runs under a key. */
export interface Execution {
  /** Event ids derive from this (and the stream name), so a repeat of the append is dropped by the store. */
  eventIdKey: string;
}

export interface IdempotentRequest {
  principal: string;
  key: string;
  method: string;
  route: string;
  params: unknown;
  body: unknown;
}

type RecordEvent =
  | { type: 'IdempotentRequestStarted'; data: { fingerprint: string; startedAt: string } }
  | { type: 'IdempotentRequestRenewed'; data: { fingerprint: string; renewedAt: string } }
  | { type: 'IdempotentRequestAnswered'; data: { fingerprint: string; status: number; body: unknown } }
  | { type: 'IdempotentRequestReleased'; data: { fingerprint: string; status: number } };

type RecordState =
  | { status: 'free' }
  | { status: 'started'; fingerprint: string; heldAt: number }
  | { status: 'answered'; fingerprint: string; answer: CommandAnswer }
  | { status: 'released'; fingerprint: string };

function evolve(state: RecordState, event: RecordEvent): RecordState {
  switch (event.type) {
    case 'IdempotentRequestStarted':
      return { status: 'started', fingerprint: event.data.fingerprint, heldAt: Date.parse(event.data.startedAt) };
    case 'IdempotentRequestRenewed':
      return { status: 'started', fingerprint: event.data.fingerprint, heldAt: Date.parse(event.data.renewedAt) };
    case 'IdempotentRequestAnswered':
      return { status: 'answered', fingerprint: event.data.fingerprint, answer: { status: event.data.status, body: event.data.body } };
    case 'IdempotentRequestReleased':
      return { status: 'released', fingerprint: event.data.fingerprint };
  }
}

/** JSON with object keys sorted at every level: the same request always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The record's key: one per principal and Idempotency-Key, so two callers' keys never meet. */
export function idempotencyRecordKey(principal: string, key: string): string {
  return sha256(`${principal}\n${key}`);
}

export function idempotencyStream(principal: string, key: string): string {
  return `idempotency-${idempotencyRecordKey(principal, key)}`;
}

export function fingerprintOf(request: Omit<IdempotentRequest, 'key'>): string {
  return sha256(
    `${request.method} ${request.route}\n${request.principal}\n${canonicalJson({ params: request.params, body: request.body })}`,
  );
}

/**
 * Answers worth keeping: success and the refusals a repeat would get again (404, 422). A conflict
 * (409) or a failure (5xx) is released instead: repeating the request may well succeed.
 */
function isFinalAnswer(status: number): boolean {
  return status < 400 || status === 404 || status === 422;
}

export interface IdempotencyStoreOptions {
  client: EventStoreDBClient;
  clock: () => Date;
  logger: Logger;
  settings?: Partial<IdempotencySettings>;
}

export class IdempotencyStore {
  private readonly settings: IdempotencySettings;

  constructor(private readonly options: IdempotencyStoreOptions) {
    this.settings = { ...defaultIdempotencySettings, ...options.settings };
  }

  /**
   * Runs `execute` at most once per key and answers what it answered. `execute` throws for answers
   * it cannot give (errors); `toAnswer` turns a thrown error into an answer, or rethrows it.
   */
  async run(
    request: IdempotentRequest,
    correlation: { correlationId: string; causationId: string },
    execute: (execution: Execution) => Promise<CommandAnswer>,
    toAnswer: (error: unknown) => CommandAnswer,
  ): Promise<{ answer: CommandAnswer; replayed: boolean }> {
    const eventIdKey = idempotencyRecordKey(request.principal, request.key);
    const stream = `idempotency-${eventIdKey}`;
    const fingerprint = fingerprintOf(request);
    const metadata = { ...correlation, actor: request.principal };
    const record: KeyRecord = { stream, fingerprint, metadata };
    const waitUntil = Date.now() + this.settings.waitMs;

    // The usual case is a fresh key: claim it without reading first.
    let claim = await this.claim(record, 'no_stream');
    // The revision of the record this repeat watches, and since when (its own time) it has not moved.
    let watched: { revision: StreamRevision; since: number } | undefined;
    while (claim === undefined) {
      const { state, revision } = await this.load(stream);
      if (state.status !== 'free' && state.fingerprint !== fingerprint) throw keyReused(request.key);
      if (state.status === 'answered') return { answer: state.answer, replayed: true };
      // Bounded whatever the reason for going round again (a live claim, or losing every race to claim).
      if (Date.now() >= waitUntil) throw stillInProgress(request.key);
      if (watched?.revision !== revision) watched = { revision, since: Date.now() };
      if (state.status === 'started' && this.claimAlive(state.heldAt, watched.since)) {
        await sleep(this.settings.pollMs);
        continue;
      }
      // Free again (released, or its holder presumed dead): take it, unless another repeat is faster.
      claim = await this.claim(record, revision);
    }

    const lease = this.holdLease(record, claim.revision);
    let answer: CommandAnswer;
    try {
      answer = await execute({ eventIdKey });
    } catch (error) {
      try {
        answer = toAnswer(error);
      } catch (unexpected) {
        await this.release(record, 500, await lease.stop());
        throw unexpected;
      }
    }
    const heldRevision = await lease.stop();
    if (!isFinalAnswer(answer.status)) {
      await this.release(record, answer.status, heldRevision);
      return { answer, replayed: false };
    }
    try {
      await appendEvents<RecordEvent>(
        this.options.client,
        stream,
        [{ type: 'IdempotentRequestAnswered', data: { fingerprint, status: answer.status, body: answer.body } }],
        { expectedRevision: heldRevision, metadata },
      );
    } catch (error) {
      // Our claim outlived its lease and a repeat took over: it will store its own (equal) answer.
      if (!(error instanceof VersionConflictError)) throw error;
      this.options.logger.warn({ stream }, 'idempotency claim was taken over before the answer was stored');
    }
    return { answer, replayed: false };
  }

  /**
   * Alive while renewed within the lease by its holder's clock, and, whatever the clocks say,
   * until this repeat has itself seen the record stand still for a whole lease.
   */
  private claimAlive(heldAt: number, unchangedSince: number): boolean {
    const renewedLately = this.options.clock().getTime() - heldAt < this.settings.leaseMs;
    const movedLately = Date.now() - unchangedSince < this.settings.leaseMs;
    return renewedLately || movedLately;
  }

  /**
   * Renews the claim every `renewEveryMs` until `stop()`, which answers the record's revision for
   * the final append. A renewal that conflicts means a repeat took the claim over (this process
   * stalled past the lease): renewing stops, and the final append will conflict too.
   */
  private holdLease({ stream, fingerprint, metadata }: KeyRecord, revision: bigint): { stop(): Promise<bigint> } {
    let current = revision;
    let renewing: Promise<void> = Promise.resolve();
    let lost = false;
    const renew = async () => {
      try {
        const { nextExpectedRevision } = await appendEvents<RecordEvent>(
          this.options.client,
          stream,
          [{ type: 'IdempotentRequestRenewed', data: { fingerprint, renewedAt: this.options.clock().toISOString() } }],
          { expectedRevision: current, metadata },
        );
        current = nextExpectedRevision;
      } catch (error) {
        if (error instanceof VersionConflictError) {
          lost = true;
          clearInterval(timer);
          this.options.logger.warn({ stream }, 'idempotency claim was taken over while the request ran');
        } else {
          // A missed renewal is not fatal: the next one may land before the lease runs out.
          this.options.logger.warn({ err: error, stream }, 'could not renew an idempotency claim');
        }
      }
    };
    let inFlight = false;
    const timer = setInterval(
      () => {
        // One renewal at a time (each appends at the revision the previous left); a tick that finds
        // one still in flight skips, rather than queueing renewals behind a slow append.
        if (lost || inFlight) return;
        inFlight = true;
        renewing = renew().finally(() => {
          inFlight = false;
        });
      },
      this.settings.renewEveryMs ?? Math.max(1, Math.floor(this.settings.leaseMs / 4)),
    );
    timer.unref();
    return {
      async stop() {
        clearInterval(timer);
        await renewing;
        return current;
      },
    };
  }

  private async claim(
    { stream, fingerprint, metadata }: KeyRecord,
    expectedRevision: StreamRevision,
  ): Promise<{ revision: bigint } | undefined> {
    try {
      const { nextExpectedRevision } = await appendEvents<RecordEvent>(
        this.options.client,
        stream,
        [{ type: 'IdempotentRequestStarted', data: { fingerprint, startedAt: this.options.clock().toISOString() } }],
        { expectedRevision, metadata },
      );
      return { revision: nextExpectedRevision };
    } catch (error) {
      if (error instanceof VersionConflictError) return undefined;
      throw error;
    }
  }

  private async release({ stream, fingerprint, metadata }: KeyRecord, status: number, expectedRevision: bigint): Promise<void> {
    try {
      await appendEvents<RecordEvent>(this.options.client, stream, [{ type: 'IdempotentRequestReleased', data: { fingerprint, status } }], {
        expectedRevision,
        metadata,
      });
    } catch (error) {
      // Best effort: if this fails too, the claim's lease expiry frees the key.
      this.options.logger.warn({ err: error, stream }, 'could not release an idempotency claim');
    }
  }

  private async load(stream: string): Promise<{ state: RecordState; revision: StreamRevision }> {
    const { events, revision } = await readStreamEvents<RecordEvent>(this.options.client, stream);
    let state: RecordState = { status: 'free' };
    for (const { event } of events) state = evolve(state, event);
    return { state, revision };
  }
}

function keyReused(key: string): HttpProblem {
  return new HttpProblem({
    status: 422,
    type: commandProblemTypes.idempotencyKeyReused,
    title: 'Idempotency-Key reused',
    detail: `The Idempotency-Key ${key} was already used for a different request; use a new key for a new request`,
  });
}

function stillInProgress(key: string): HttpProblem {
  return new HttpProblem({
    status: 409,
    type: commandProblemTypes.idempotentRequestInProgress,
    title: 'Request in progress',
    detail: `A request with the Idempotency-Key ${key} is still being handled; repeat it in a moment to get its answer`,
    headers: { 'retry-after': '1' },
  });
}
