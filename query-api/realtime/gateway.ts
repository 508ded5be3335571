/**
 * The socket.io gateway: pushes each user's notifications to that user's sockets, live from the
 * notification bus (NATS, or in process: platform/notification-bus), and on connect first what
 * the user missed.
 *
 * - Handshake: `auth: { token }` (a bearer JWT) is verified before the connection is accepted; a
 *   missing or bad token gets `connect_error` "unauthorized". The socket joins `user:<sub>` (and
 *   `admin` for an admin) and nothing else, ever.
 * - Live: this instance subscribes to `<prefix>.>` and emits `notification` to the room a subject
 *   names. Every instance does the same for its own sockets, so no socket.io adapter is needed.
 * - Catch-up: `auth.lastNotificationId` (or `?lastNotificationId=`) asks for what came after that
 *   notification. Until the catch-up is sent, the socket is not in its rooms and its live
 *   notifications are held; then it gets the missed ones in order, `caught-up`, and the held ones
 *   it did not already get. A notification sent in a catch-up that the notifier publishes only
 *   afterwards (it publishes after commit, possibly late) is not sent again to that socket.
 */
import type { Server as HttpServer } from 'node:http';
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { Server, type Socket } from 'socket.io';
import { verifyToken, type Principal } from '../../platform/auth';
import type { Logger } from '../../platform/logger';
import type { NotificationSource, NotificationSubscription } from '../../platform/notification-bus';
import { Notification, notificationsAfter } from '../notifications/notification-store';
import { roomOfSubject, roomsOf } from './rooms';

export interface GatewayOptions {
  httpServer: HttpServer;
  knex: Knex;
  /** Where the notifier's messages arrive (NATS: natsNotificationSource). */
  bus: NotificationSource;
  jwtSecret: string;
  /** Subjects are `<prefix>.customer.<id>` and `<prefix>.admin`; default `notifications`. */
  subjectPrefix?: string;
  logger: Logger;
  metricsRegistry?: Registry;
  /** Most notifications sent in one catch-up (default 1000); past it `caught-up` says `more: true`. */
  catchUpLimit?: number;
  /** How long a notification sent in a catch-up is remembered so its late live copy is not sent again (default 60 s). */
  dedupeWindowMs?: number;
  /** Allowed browser origins (socket.io CORS); default none (same origin and non-browser clients). */
  corsOrigin?: string | string[];
}

interface SocketData {
  principal: Principal;
}

/** What the server sends; clients send nothing (the handshake says all). */
export interface ServerToClientEvents {
  notification(notification: Notification): void;
  'caught-up'(caughtUp: CaughtUp): void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type NoEvents = {};
type GatewaySocket = Socket<NoEvents, ServerToClientEvents, NoEvents, SocketData>;

interface CatchingUp {
  socket: GatewaySocket;
  held: Notification[];
}

export interface CaughtUp {
  /** How many missed notifications were sent. */
  count: number;
  /** More were missed than one catch-up sends: fetch the rest with GET /notifications?after=<last id>. */
  more: boolean;
  /** The id sent is not one of this user's notifications: nothing was sent (GET /notifications has them all). */
  unknownLastNotificationId: boolean;
}

export class NotificationGateway {
  readonly io: Server<NoEvents, ServerToClientEvents, NoEvents, SocketData>;
  private subscription: NotificationSubscription | undefined;
  private stopWatchingGaps: (() => void) | undefined;
  private readonly catchingUp = new Map<string, Set<CatchingUp>>();
  /** notification id → sockets that got it in a catch-up, and when to forget. */
  private readonly sentInCatchUp = new Map<string, { sockets: Set<string>; until: number }>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly metrics;

  constructor(private readonly options: GatewayOptions) {
    this.prefix = options.subjectPrefix ?? 'notifications';
    this.logger = options.logger.child({ component: 'socket.io' });
    this.io = new Server(options.httpServer, {
      serveClient: false,
      ...(options.corsOrigin ? { cors: { origin: options.corsOrigin } } : {}),
    });
    const registers = options.metricsRegistry ? [options.metricsRegistry] : [];
    this.metrics = {
      sockets: new Gauge({ name: 'socketio_connected_sockets', help: 'socket.io connections open on this instance', registers }),
      delivered: new Counter({
        name: 'notifications_emitted_total',
        help: 'Notifications emitted to rooms (live) or to one socket (catch-up)',
        labelNames: ['source'] as const,
        registers,
      }),
      refused: new Counter({ name: 'socketio_handshakes_refused_total', help: 'socket.io handshakes refused, by reason', labelNames: ['reason'] as const, registers }),
      emitSeconds: new Histogram({
        name: 'notification_emit_seconds',
        help: 'Time to hand one live notification to every socket of its room on this instance (the fan-out cost)',
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
        registers,
      }),
      dropped: new Counter({ name: 'notifications_dropped_total', help: 'NATS messages not delivered because they were not a valid notification', registers }),
    };
    this.sweeper = setInterval(() => this.forgetOldCatchUps(), 10_000).unref();

    this.io.use((socket, next) => {
      void this.authenticate(socket).then(() => next(), (error: Error) => next(error));
    });
    this.io.on('connection', (socket) => void this.onConnection(socket));
  }

  /** Subscribes to the bus; call once. */
  start(): this {
    this.subscription = this.options.bus.subscribe(this.prefix, (subject, body) => this.onPublished(subject, body));
    // NATS does not keep messages for a subscriber that was away: whatever was published while
    // this instance was reconnecting never reaches its sockets. So after a reconnect every
    // connection is cut; the clients reconnect by themselves with their last notification id and
    // are sent what they missed from the notifications read model.
    this.stopWatchingGaps = this.options.bus.onGap(() => {
      const count = this.dropConnections();
      this.logger.warn({ sockets: count }, 'reconnected to NATS; cut every socket so its client reconnects and catches up');
    });
    return this;
  }

  /** Cuts every connection of this instance (clients reconnect and catch up); answers how many. */
  dropConnections(): number {
    let count = 0;
    for (const socket of this.io.of('/').sockets.values()) {
      socket.conn.close();
      count++;
    }
    return count;
  }

  /**
   * Stops listening to the bus and closes every connection (the HTTP server is its owner's to close).
   * The connections are cut rather than told "server disconnect", so clients reconnect by
   * themselves — to another instance, or to this one once it is back — and catch up.
   */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.subscription?.unsubscribe();
    this.stopWatchingGaps?.();
    this.io.engine.close();
  }

  private async authenticate(socket: GatewaySocket): Promise<void> {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token === '') throw this.refusal('missing_token', 'Send a bearer token in the handshake: io(url, { auth: { token } })');
    const result = await verifyToken(token, this.options.jwtSecret);
    if (!result.ok) throw this.refusal(result.reason, result.detail);
    socket.data.principal = result.principal;
  }

  private refusal(reason: string, detail: string): Error {
    this.metrics.refused.inc({ reason });
    // socket.io sends `message` and `data` to the client as its connect_error.
    return Object.assign(new Error('unauthorized'), { data: { reason, detail } });
  }

  private async onConnection(socket: GatewaySocket): Promise<void> {
    this.metrics.sockets.inc();
    socket.on('disconnect', () => this.metrics.sockets.dec());
    const { principal } = socket.data;
    const rooms = roomsOf(principal);
    const lastId = lastNotificationIdOf(socket);
    if (lastId === undefined) {
      await socket.join(rooms);
      return;
    }

    const entry: CatchingUp = { socket, held: [] };
    for (const room of rooms) {
      const waiting = this.catchingUp.get(room) ?? new Set();
      waiting.add(entry);
      this.catchingUp.set(room, waiting);
    }
    try {
      const page = await notificationsAfter(this.options.knex, principal, lastId, this.options.catchUpLimit ?? 1000);
      if (!socket.connected) return;
      const sent = new Set<string>();
      if (page.known) {
        const until = Date.now() + (this.options.dedupeWindowMs ?? 60_000);
        for (const notification of page.items) {
          socket.emit('notification', notification);
          sent.add(notification.id);
          const remembered = this.sentInCatchUp.get(notification.id) ?? { sockets: new Set<string>(), until };
          remembered.sockets.add(socket.id);
          remembered.until = until;
          this.sentInCatchUp.set(notification.id, remembered);
        }
        this.metrics.delivered.inc({ source: 'catch_up' }, page.items.length);
      }
      const caughtUp: CaughtUp = { count: page.known ? page.items.length : 0, more: page.known && page.more, unknownLastNotificationId: !page.known };
      socket.emit('caught-up', caughtUp);
      // Synchronously from here on: join the rooms and flush what was held, with no gap a live
      // notification could fall into.
      void socket.join(rooms);
      for (const notification of entry.held) {
        if (sent.has(notification.id)) continue;
        sent.add(notification.id);
        socket.emit('notification', notification);
        this.metrics.delivered.inc({ source: 'live' });
      }
    } catch (error) {
      this.logger.error({ err: error, user: principal.sub }, 'catch-up failed; disconnecting the socket so its client reconnects and retries');
      socket.disconnect(true);
    } finally {
      for (const room of rooms) {
        const waiting = this.catchingUp.get(room);
        waiting?.delete(entry);
        if (waiting?.size === 0) this.catchingUp.delete(room);
      }
    }
  }

  private onPublished(subject: string, body: string): void {
    const target = roomOfSubject(subject, this.prefix);
    let notification: Notification | undefined;
    try {
      const parsed = Notification.safeParse(JSON.parse(body));
      if (parsed.success) notification = parsed.data;
    } catch {
      notification = undefined;
    }
    // The subject decides the room; a payload naming someone else is a bug upstream, not a delivery.
    if (!target || !notification || notification.audience !== target.audience || notification.userId !== target.userId) {
      this.metrics.dropped.inc();
      this.logger.warn({ subject }, 'dropped a NATS message that is not a notification for its subject');
      return;
    }
    for (const entry of this.catchingUp.get(target.room) ?? []) entry.held.push(notification);
    const already = this.sentInCatchUp.get(notification.id);
    const broadcast = already ? this.io.to(target.room).except([...already.sockets]) : this.io.to(target.room);
    const started = performance.now();
    broadcast.emit('notification', notification);
    this.metrics.emitSeconds.observe((performance.now() - started) / 1000);
    this.metrics.delivered.inc({ source: 'live' });
  }

  private forgetOldCatchUps(): void {
    const now = Date.now();
    for (const [id, { until }] of this.sentInCatchUp) if (until < now) this.sentInCatchUp.delete(id);
  }
}

function lastNotificationIdOf(socket: GatewaySocket): string | undefined {
  const fromAuth = (socket.handshake.auth as { lastNotificationId?: unknown } | undefined)?.lastNotificationId;
  if (typeof fromAuth === 'string' && fromAuth !== '') return fromAuth;
  const fromQuery = socket.handshake.query.lastNotificationId;
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined;
}
