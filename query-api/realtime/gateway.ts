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
 * - Read-model changes (read-model-changes.ts): when a checkpoint moves, the changed rows go out
 *   as `product` (to every socket), `order` and `checkout` (to the owner's room and `admin`),
 *   each exactly what its GET route answers. Best effort: the read API is the truth.
 * - A socket lives no longer than its token: when the token's `exp` passes, the socket is sent
 *   `token-expired` and disconnected (the client sees the reason "io server disconnect"). Before
 *   that, the client may hand over a fresh token of the same user with `refresh-token`: the socket
 *   keeps its rooms and goes on receiving, under the new expiry.
 * - Handshakes refused for a bad token are counted per client address (behind a proxy listed in
 *   `trustProxy`, the address it forwards, as on HTTP); past the limit they are refused
 *   `too_many_failures` (with `retryAfter` seconds) until the window ends.
 * - A handshake (polling or websocket) whose `Origin` is neither in `corsOrigins` nor this host
 *   (a trusted proxy's X-Forwarded-Host, else Host) is refused 403 before any token is read;
 *   without `Origin` (not a browser) it goes on.
 */
import type { Server as HttpServer } from 'node:http';
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { decodeJwt } from 'jose';
import { Server, type Socket } from 'socket.io';
import { IdentityProviderUnavailable, verifyToken, type Principal, type TokenVerifier } from '../../platform/auth';
import { clientAddress, requestedHost, trustedProxies, trustsNobody, type TrustedProxies } from '../../platform/http/client-address';
import type { FailureLimiter } from '../../platform/http/rate-limits';
import type { Logger } from '../../platform/logger';
import type { NotificationSource, NotificationSubscription } from '../../platform/notification-bus';
import { Notification, notificationsAfter } from '../notifications/notification-store';
import { ReadModelChanges, type CheckoutChange, type CheckpointMoves, type OrderChange, type ProductChange } from './read-model-changes';
import { ADMIN_ROOM, roomOfSubject, roomsOf, userRoom } from './rooms';

export interface GatewayOptions {
  httpServer: HttpServer;
  knex: Knex;
  /** Where the notifier's messages arrive (NATS: natsNotificationSource). */
  bus: NotificationSource;
  /** Checks the handshake's and refresh-token's tokens (an HS256 secret in some tests). */
  tokens: string | TokenVerifier;
  /** Subjects are `<prefix>.customer.<id>` and `<prefix>.admin`; default `notifications`. */
  subjectPrefix?: string;
  logger: Logger;
  metricsRegistry?: Registry;
  /** Most notifications sent in one catch-up (default 1000); past it `caught-up` says `more: true`. */
  catchUpLimit?: number;
  /** How long a notification sent in a catch-up is remembered so its late live copy is not sent again (default 60 s). */
  dedupeWindowMs?: number;
  /** Browser origins allowed to connect from another origin (`CORS_ORIGINS`); default none. */
  corsOrigins?: readonly string[];
  /** Checkpoint moves (the query API's CheckpointWatcher): with them, read-model changes are pushed too. */
  checkpointMoves?: CheckpointMoves;
  /** Rows read per read model and round of changes (default 200). */
  maxChangedRowsPerQuery?: number;
  /**
   * Counts refused handshakes (and refused refresh tokens) per client address; past its limit a
   * handshake is refused `too_many_failures` (the query API passes one built on
   * @fastify/rate-limit's store); default: no limit.
   */
  handshakeFailures?: FailureLimiter;
  /**
   * Proxies whose X-Forwarded-For names the client (for the failure count, as on HTTP) and whose
   * X-Forwarded-Host names the host a page asked for (the origin check): the console's origin.
   */
  trustProxy?: readonly string[];
}

interface SocketData {
  principal: Principal;
  /** When the token the socket lives on expires (ms since the epoch). */
  expiresAt: number;
}

/** What a client may send. */
export interface ClientToServerEvents {
  /**
   * A fresh token of the same user (same `sub` and role) before the current one expires: the
   * socket keeps its rooms, and now lives until the new token's `exp`.
   */
  'refresh-token'(request: { token: string }, ack: (answer: RefreshAnswer) => void): void;
}

export type RefreshAnswer = { ok: true; expiresAt: string } | { ok: false; error: RefreshRefusal; detail: string };
export type RefreshRefusal = 'invalid_request' | 'invalid_token' | 'expired_token' | 'other_user';

export interface TokenExpired {
  reason: 'expired_token';
  detail: string;
  /** ISO time the token expired at. */
  expiredAt: string;
}

/** What the server sends. */
export interface ServerToClientEvents {
  notification(notification: Notification): void;
  'caught-up'(caughtUp: CaughtUp): void;
  /** A product changed: what `GET /products/:sku` answers now. To every socket. */
  product(product: ProductChange): void;
  /** An order changed: what `GET /orders/:orderId` answers now. To its customer and to admins. */
  order(order: OrderChange): void;
  /** A checkout moved: what `GET /checkouts/:orderId` answers now. To the order's customer and to admins. */
  checkout(checkout: CheckoutChange): void;
  /** The socket's token expired: the server disconnects the socket right after this. */
  'token-expired'(expired: TokenExpired): void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type NoEvents = {};
type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, NoEvents, SocketData>;

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
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, NoEvents, SocketData>;
  private subscription: NotificationSubscription | undefined;
  private stopWatchingGaps: (() => void) | undefined;
  private readonly catchingUp = new Map<string, Set<CatchingUp>>();
  /** notification id → sockets that got it in a catch-up, and when to forget. */
  private readonly sentInCatchUp = new Map<string, { sockets: Set<string>; until: number }>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly metrics;
  private readonly trusted: TrustedProxies;
  private changes: ReadModelChanges | undefined;

  constructor(private readonly options: GatewayOptions) {
    this.prefix = options.subjectPrefix ?? 'notifications';
    this.logger = options.logger.child({ component: 'socket.io' });
    this.trusted = options.trustProxy?.length ? trustedProxies(options.trustProxy) : trustsNobody;
    const allowedOrigins = new Set(options.corsOrigins ?? []);
    this.io = new Server(options.httpServer, {
      serveClient: false,
      // CORS binds only what a page may read over HTTP: a websocket upgrade is never preflighted,
      // so a page on any origin could open one with a token it holds. A browser always sends
      // Origin on both; what is neither allowed nor this host is refused before the handshake.
      allowRequest: (request, answer) => {
        const origin = request.headers.origin;
        if (origin === undefined || allowedOrigins.has(origin) || isSameOrigin(origin, requestedHost(request, this.trusted)))
          return answer(null, true);
        this.metrics.refused.inc({ reason: 'origin' });
        answer('Origin not allowed', false);
      },
      // The same allow-list as the HTTP routes; no credentials (the token is in the handshake's auth).
      ...(options.corsOrigins?.length ? { cors: { origin: [...options.corsOrigins], methods: ['GET', 'POST'], credentials: false } } : {}),
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
      refused: new Counter({
        name: 'socketio_handshakes_refused_total',
        help: 'socket.io handshakes refused, by reason',
        labelNames: ['reason'] as const,
        registers,
      }),
      emitSeconds: new Histogram({
        name: 'notification_emit_seconds',
        help: 'Time to hand one live notification to every socket of its room on this instance (the fan-out cost)',
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
        registers,
      }),
      expired: new Counter({ name: 'socketio_tokens_expired_total', help: 'Sockets disconnected because their token expired', registers }),
      refreshes: new Counter({
        name: 'socketio_token_refreshes_total',
        help: 'In-band token refreshes, by outcome',
        labelNames: ['outcome'] as const,
        registers,
      }),
      dropped: new Counter({
        name: 'notifications_dropped_total',
        help: 'NATS messages not delivered because they were not a valid notification',
        registers,
      }),
      changes: new Counter({
        name: 'read_model_changes_emitted_total',
        help: 'Changed read-model rows emitted to sockets (product, order, checkout)',
        labelNames: ['kind'] as const,
        registers,
      }),
    };
    this.sweeper = setInterval(() => this.forgetOldCatchUps(), 10_000).unref();

    this.io.use((socket, next) => {
      void this.authenticate(socket).then(
        () => next(),
        (error: Error) => next(error),
      );
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
    if (this.options.checkpointMoves) {
      this.changes = new ReadModelChanges({
        knex: this.options.knex,
        moves: this.options.checkpointMoves,
        logger: this.logger,
        ...(this.options.maxChangedRowsPerQuery ? { maxRowsPerQuery: this.options.maxChangedRowsPerQuery } : {}),
        onEmitted: (kind, count) => this.metrics.changes.inc({ kind }, count),
        sink: {
          product: (product) => this.io.emit('product', product),
          order: (order, customerId) => this.io.to([userRoom(customerId), ADMIN_ROOM]).emit('order', order),
          checkout: (checkout, customerId) =>
            this.io.to(customerId === null ? [ADMIN_ROOM] : [userRoom(customerId), ADMIN_ROOM]).emit('checkout', checkout),
        },
      });
    }
    return this;
  }

  /** Resolves once read-model changes are being watched (at once without `checkpointMoves`). */
  async watchingReadModels(): Promise<void> {
    await this.changes?.ready;
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
    await this.changes?.close();
    this.io.engine.close();
  }

  private async authenticate(socket: GatewaySocket): Promise<void> {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token === '')
      throw this.refusal('missing_token', 'Send a bearer token in the handshake: io(url, { auth: { token } })');
    const result = await verifyToken(token, this.options.tokens).catch((error: unknown) => {
      if (!(error instanceof IdentityProviderUnavailable)) throw error;
      this.logger.error({ err: error }, 'identity provider unavailable');
      throw this.refusal('unavailable', "The identity provider's keys cannot be fetched; try again shortly");
    });
    // A genuine token of someone without a role of the shop: refused, but not an attempt.
    if (!result.ok && result.reason === 'no_role') throw this.refusal(result.reason, result.detail);
    if (!result.ok) {
      // A missing token is a client that forgot; a bad one is an attempt, and attempts are counted.
      const now = await this.options.handshakeFailures?.count(clientAddress(socket.request, this.trusted));
      if (now?.limited) throw this.tooManyFailures(now.retryAfterSeconds);
      throw this.refusal(result.reason, result.detail);
    }
    socket.data.principal = result.principal;
    socket.data.expiresAt = expiryOf(token);
  }

  private refusal(reason: string, detail: string): Error {
    this.metrics.refused.inc({ reason });
    // socket.io sends `message` and `data` to the client as its connect_error.
    return Object.assign(new Error('unauthorized'), { data: { reason, detail } });
  }

  private tooManyFailures(retryAfterSeconds: number): Error {
    this.metrics.refused.inc({ reason: 'too_many_failures' });
    return Object.assign(new Error('unauthorized'), {
      data: {
        reason: 'too_many_failures',
        detail: `Too many refused handshakes from this address; try again in ${retryAfterSeconds} s`,
        retryAfter: retryAfterSeconds,
      },
    });
  }

  /** Disconnects the socket when its token expires (re-armed by each accepted refresh). */
  private armExpiry(socket: GatewaySocket): void {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      // setTimeout takes at most 2^31−1 ms (~24.8 days): a longer token re-arms on the way.
      const wait = Math.min(Math.max(0, socket.data.expiresAt - Date.now()), MAX_TIMER_MS);
      timer = setTimeout(() => {
        if (socket.data.expiresAt > Date.now()) return arm();
        const expired: TokenExpired = {
          reason: 'expired_token',
          detail: 'Your token expired: connect again with a fresh one (send refresh-token before expiry to keep the socket)',
          expiredAt: new Date(socket.data.expiresAt).toISOString(),
        };
        socket.emit('token-expired', expired);
        this.metrics.expired.inc();
        socket.disconnect(true);
      }, wait);
      timer.unref();
    };
    arm();
    socket.on('disconnect', () => clearTimeout(timer));
    socket.on('refresh-token', (request, ack) => {
      if (typeof ack !== 'function') return;
      void this.refresh(socket, request)
        .catch((error: unknown) => {
          this.logger.error({ err: error, user: socket.data.principal.sub }, 'token refresh failed');
          return refused('invalid_token', 'The token could not be checked; try again');
        })
        .then((answer) => {
          if (answer.ok) arm();
          else if (answer.error !== 'other_user') this.metrics.refreshes.inc({ outcome: 'refused' });
          ack(answer);
        });
    });
  }

  private async refresh(socket: GatewaySocket, request: unknown): Promise<RefreshAnswer> {
    const token = (request as { token?: unknown } | null | undefined)?.token;
    if (typeof token !== 'string' || token === '') return refused('invalid_request', 'Send refresh-token with { token }');
    const result = await verifyToken(token, this.options.tokens);
    if (!result.ok) {
      const now = await this.options.handshakeFailures?.count(clientAddress(socket.request, this.trusted));
      if (now?.limited) {
        socket.disconnect(true);
        return refused('invalid_token', 'Too many refused tokens from this address');
      }
      return refused(result.reason === 'expired_token' ? 'expired_token' : 'invalid_token', result.detail);
    }
    const { principal } = socket.data;
    // The socket's rooms were chosen for one user and role: another user's token, or the same user
    // with another role, must open a socket of its own.
    if (result.principal.sub !== principal.sub || result.principal.role !== principal.role) {
      this.metrics.refreshes.inc({ outcome: 'other_user' });
      return refused('other_user', 'The token is not of the user (and role) this socket was opened for; open a new socket with it');
    }
    if (!socket.connected) return refused('expired_token', 'The socket was already closed');
    socket.data.expiresAt = expiryOf(token);
    this.metrics.refreshes.inc({ outcome: 'ok' });
    return { ok: true, expiresAt: new Date(socket.data.expiresAt).toISOString() };
  }

  private async onConnection(socket: GatewaySocket): Promise<void> {
    this.metrics.sockets.inc();
    socket.on('disconnect', () => this.metrics.sockets.dec());
    this.armExpiry(socket);
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
      const caughtUp: CaughtUp = {
        count: page.known ? page.items.length : 0,
        more: page.known && page.more,
        unknownLastNotificationId: !page.known,
      };
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
      this.logger.error(
        { err: error, user: principal.sub },
        'catch-up failed; disconnecting the socket so its client reconnects and retries',
      );
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

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A page on the host it connects to. The host only, not the scheme: behind a TLS-terminating
 * proxy this server cannot know which one the page used, and both are the same operator's.
 */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || !URL.canParse(origin)) return false;
  const page = new URL(origin);
  return (page.protocol === 'http:' || page.protocol === 'https:') && page.host === host;
}

/** The verified token's `exp` in ms (verifyToken requires it). */
function expiryOf(token: string): number {
  return (decodeJwt(token).exp ?? 0) * 1000;
}

function refused(error: RefreshRefusal, detail: string): RefreshAnswer {
  return { ok: false, error, detail };
}

function lastNotificationIdOf(socket: GatewaySocket): string | undefined {
  const fromAuth = (socket.handshake.auth as { lastNotificationId?: unknown } | undefined)?.lastNotificationId;
  if (typeof fromAuth === 'string' && fromAuth !== '') return fromAuth;
  const fromQuery = socket.handshake.query.lastNotificationId;
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined;
}
