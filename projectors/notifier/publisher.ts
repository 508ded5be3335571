/**
 * The notifier: publishes the notification outbox on the notification bus (NATS JetStream, or the
 * in-process bus of `npm start`: platform/notification-bus), in outbox order, and marks each row
 * sent once the bus has acknowledged it (JetStream: stored it in the stream).
 *
 * At least once: a row is marked only after its publish ack, so a crash or outage between the
 * two publishes it again. The message id (`Nats-Msg-Id` = the notification id) lets JetStream
 * drop a repeat within its duplicate window, and receivers deduplicate by the payload's `id`.
 * Nothing is lost while NATS is down: rows stay unsent, and the loop retries with backoff.
 *
 * One publisher writes at a time (advisory lock `notifier`), so messages leave in outbox order.
 * It wakes on the projection's `pg_notify` at commit, and polls as a fallback.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Knex } from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadinessCheck } from '../../platform/http/readiness';
import type { Logger } from '../../platform/logger';
import { natsNotificationSink, type NotificationSink, type PublishingSession } from '../../platform/notification-bus';
import { backoffDelay, type Backoff } from '../../platform/retry';
import { acquireAdvisoryLock, type AdvisoryLock } from '../framework/advisory-lock';
import { outboxChannel } from '../projections/notification-outbox';

export interface NotifierOptions {
  knex: Knex;
  databaseUrl: string;
  schema: string;
  /** Where notifications go; default JetStream at `natsUrl` (stream `streamName` over `<subjectPrefix>.>`). */
  bus?: NotificationSink;
  /** For the default bus. */
  natsUrl?: string;
  logger: Logger;
  registry?: Registry;
  /** Subjects are `<prefix>.customer.<id>` and `<prefix>.admin` (default `notifications`). */
  subjectPrefix?: string;
  /** The JetStream stream holding `<prefix>.>` (default `NOTIFICATIONS`), for the default bus. */
  streamName?: string;
  /** Rows per round (default 100). */
  batchSize?: number;
  /** Fallback poll when no commit notification arrives (default 1000 ms). */
  pollMs?: number;
  /** Per publish ack (default 2000 ms). */
  publishTimeoutMs?: number;
  /** The wait after a failure doubles from `initialMs` (default 200) up to `maxMs` (default 5000). */
  retry?: { initialMs?: number; maxMs?: number };
}

interface OutboxRow {
  id: number;
  notification_id: string;
  subject: string;
  payload: unknown;
}

export type NotifierState = 'starting' | 'waiting_for_lock' | 'connecting' | 'publishing' | 'retrying' | 'stopped';

export class OutboxPublisher {
  private stopping = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** A commit notification came while not sleeping: the next sleep returns at once. */
  private nudged = false;
  private publishing: PublishingSession | undefined;
  private readonly bus: NotificationSink;
  private currentState: NotifierState = 'starting';
  private readonly logger: Logger;
  private readonly published: Counter | undefined;
  private readonly failures: Counter | undefined;

  constructor(private readonly options: NotifierOptions) {
    this.logger = options.logger.child({ component: 'notifier' });
    if (!options.bus && !options.natsUrl) throw new Error('the notifier needs a bus or a NATS URL');
    this.bus =
      options.bus ??
      natsNotificationSink({
        url: options.natsUrl!,
        ...(options.subjectPrefix ? { subjectPrefix: options.subjectPrefix } : {}),
        ...(options.streamName ? { streamName: options.streamName } : {}),
      });
    if (options.registry) {
      this.published = new Counter({
        name: 'notifier_published_total',
        help: 'Notifications published to NATS and acknowledged',
        registers: [options.registry],
      });
      this.failures = new Counter({
        name: 'notifier_errors_total',
        help: 'Failed connections or publishes (retried)',
        registers: [options.registry],
      });
      const knex = options.knex;
      new Gauge({
        name: 'notifier_outbox_unsent',
        help: 'Outbox rows not yet published',
        registers: [options.registry],
        async collect() {
          const row = await knex('notification_outbox')
            .whereNull('sent_at')
            .count({ count: '*' })
            .first()
            .catch(() => undefined);
          if (row) this.set(Number(row.count));
        },
      });
    }
  }

  get state(): NotifierState {
    return this.currentState;
  }

  /** Ready while a publishing session is open and the bus answers. */
  readinessCheck(name = 'nats'): ReadinessCheck {
    return {
      name,
      timeoutMs: 1000,
      check: async () => {
        const publishing = this.publishing;
        if (!publishing || publishing.isClosed) throw new Error('not connected to the notification bus');
        await publishing.ping();
      },
    };
  }

  start(): this {
    this.running ??= this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.currentState = 'stopped';
  }

  private setState(state: NotifierState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.logger.info({ state }, `notifier is ${state.replaceAll('_', ' ')}`);
  }

  private async run(): Promise<void> {
    const { initialMs = 200, maxMs = 5000 } = this.options.retry ?? {};
    const backoff: Backoff = { initialMs, maxMs, jitter: 'none' };
    let failures = 0;
    while (!this.stopping) {
      let lock: AdvisoryLock | undefined;
      try {
        this.setState('waiting_for_lock');
        lock = acquireAdvisoryLock({ url: this.options.databaseUrl, schema: this.options.schema, name: 'notifier' });
        const stopped = new Promise<'stopped'>((resolve) => (this.wake = () => resolve('stopped')));
        if ((await Promise.race([lock.acquired, stopped])) === 'stopped') break;
        await lock.listen(outboxChannel(this.options.schema), () => {
          this.nudged = true;
          this.wake?.();
        });
        const session = { over: false };
        const lockLost = lock.lost.then((error) => {
          session.over = true;
          throw error;
        });
        lockLost.catch(() => undefined);
        await Promise.race([this.publishUntilFailure(session, () => (failures = 0)), lockLost]);
      } catch (error) {
        if (this.stopping) break;
        this.failures?.inc();
        const delay = backoffDelay(backoff, ++failures);
        this.logger.warn({ err: error, retryInMs: delay }, 'notifier interrupted; unsent notifications stay in the outbox');
        this.setState('retrying');
        await this.pause(delay);
      } finally {
        if (this.publishing) await this.publishing.close().catch(() => undefined);
        this.publishing = undefined;
        await lock?.release();
      }
    }
  }

  /** Connects (if needed) and publishes rounds of the outbox; returns only when stopping, throws on failure. */
  private async publishUntilFailure(session: { over: boolean }, onSuccess: () => void): Promise<void> {
    if (!this.publishing || this.publishing.isClosed) {
      this.setState('connecting');
      this.publishing = await this.bus.open();
    }
    const bus = this.publishing;
    this.setState('publishing');
    while (!this.stopping && !session.over) {
      const sent = await this.publishRound(bus);
      onSuccess();
      if (sent === 0) await this.pause(this.options.pollMs ?? 1000);
    }
  }

  /** One round: up to `batchSize` unsent rows, each published and acknowledged, then marked sent. */
  private async publishRound(bus: PublishingSession): Promise<number> {
    const { knex, subjectPrefix = 'notifications', batchSize = 100, publishTimeoutMs = 2000 } = this.options;
    const rows = (await knex('notification_outbox')
      .whereNull('sent_at')
      .orderBy('id')
      .limit(batchSize)
      .select('id', 'notification_id', 'subject', 'payload')) as OutboxRow[];
    const sent: number[] = [];
    try {
      for (const row of rows) {
        await bus.publish(`${subjectPrefix}.${row.subject}`, JSON.stringify(row.payload), {
          id: row.notification_id,
          timeoutMs: publishTimeoutMs,
        });
        sent.push(row.id);
      }
    } catch (error) {
      const failed = rows[sent.length];
      if (failed) {
        await knex('notification_outbox')
          .where({ id: failed.id })
          .update({ attempts: knex.raw('attempts + 1'), last_error: String((error as Error).message).slice(0, 500) })
          .catch(() => undefined);
      }
      throw error;
    } finally {
      if (sent.length > 0) {
        await knex('notification_outbox').whereIn('id', sent).update({ sent_at: knex.fn.now() });
        this.published?.inc(sent.length);
      }
    }
    return sent.length;
  }

  /** Waits `ms`, less when stopping or nudged (a nudge that came before returns at once). */
  private async pause(ms: number): Promise<void> {
    if (!this.nudged) {
      const woken = new AbortController();
      this.wake = () => woken.abort();
      await sleep(ms, undefined, { signal: woken.signal }).catch(() => undefined);
      this.wake = undefined;
    }
    this.nudged = false;
  }
}
