/**
 * The embedded database served over PostgreSQL's wire protocol on a TCP port, so other processes
 * (the replay CLI, `npm run token`'s neighbours, psql) reach the database `npm start` holds open.
 *
 * `@electric-sql/pglite-socket` frames the protocol (startup, SSL refusal, cancel requests); the
 * turns are ours. PGlite is one session shared with the launcher's own knex instances, so a
 * client takes the same lease they take (embedded.ts) and keeps it for a whole exchange: from its
 * first message until PGlite answers ReadyForQuery with the session idle ('I'). A client's
 * transaction (BEGIN..COMMIT, or an extended-protocol exchange up to its Sync) therefore never
 * interleaves with the launcher's, nor with another client's; between turns everyone queues on
 * the one FIFO lease.
 *
 * What would be per-connection state on a server is kept per client here: its search_path is
 * saved at the end of its turn and restored at the start of the next, and the launcher's cached
 * search_path is forgotten so its next lease sets its own. A client that disconnects mid-turn is
 * rolled back and its exchange closed with a Sync. Session-level advisory locks cannot be told
 * apart by client on one session: they are all released when the last client disconnects (the
 * launcher takes none on an embedded database: it uses in-process locks).
 *
 * A client idle inside a transaction holds everyone up, so it is disconnected (and rolled back)
 * after `idleInTransactionMs`.
 */
import { createServer, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import type { EmbeddedPostgres } from './embedded';

/** The parts of the embedded database (embedded.ts's EmbeddedDatabase) a turn works with. */
interface SharedSession {
  readonly db: PGlite;
  readonly lease: { acquire(timeoutMs: number): Promise<void>; release(): void };
  searchPath: string | undefined;
}

export interface EmbeddedPostgresServer {
  /** `postgres://postgres@<host>:<port>/postgres` (no password: loopback only, like the rest of `npm start`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  host?: string;
  /** 0: a free port. */
  port: number;
  /** How long a client's message may wait for the session (the launcher's transactions are short). */
  turnTimeoutMs?: number;
  idleInTransactionMs?: number;
}

const READY_FOR_QUERY = 0x5a; // 'Z', length 5, then the transaction status
const IDLE = 0x49; // 'I'
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);

/** What the handlers of pglite-socket call (its own queue's shape, which it does not export). */
class Turns {
  private owner: number | undefined;
  private readonly chains = new Map<number, Promise<unknown>>();
  private readonly searchPaths = new Map<number, string>();
  readonly connections = new Map<number, Socket>();
  private readonly closed = new Set<number>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly session: SharedSession,
    private readonly turnTimeoutMs: number,
    private readonly idleInTransactionMs: number,
  ) {}

  /** In the order each client sent them; across clients, in the lease's order. */
  private inOrder<T>(handlerId: number, work: () => Promise<T>): Promise<T> {
    const next = (this.chains.get(handlerId) ?? Promise.resolve()).then(work, work);
    this.chains.set(
      handlerId,
      next.catch(() => undefined),
    );
    return next;
  }

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return this.inOrder(handlerId, async () => {
      if (this.closed.has(handlerId)) throw new Error('Handler disconnected');
      if (this.owner !== handlerId) await this.beginTurn(handlerId);
      clearTimeout(this.idleTimer);
      const tail: number[] = [];
      let bytes = 0;
      try {
        await this.session.db.runExclusive(() =>
          this.session.db.execProtocolRawStream(message, {
            onRawData: (data) => {
              bytes += data.length;
              for (const byte of data.length > 6 ? data.subarray(data.length - 6) : data) tail.push(byte);
              tail.splice(0, Math.max(0, tail.length - 6));
              onData(data);
            },
          }),
        );
      } catch (error) {
        await this.endTurn(handlerId, { abandon: true });
        throw error;
      }
      const idle = tail.length === 6 && tail[0] === READY_FOR_QUERY && tail[4] === 5 && tail[5] === IDLE;
      if (idle) await this.endTurn(handlerId, { abandon: false });
      else this.idleTimer = setTimeout(() => this.connections.get(handlerId)?.destroy(), this.idleInTransactionMs);
      return bytes;
    });
  }

  private async beginTurn(handlerId: number): Promise<void> {
    await this.session.lease.acquire(this.turnTimeoutMs);
    if (this.closed.has(handlerId)) {
      this.session.lease.release();
      throw new Error('Handler disconnected');
    }
    this.owner = handlerId;
    const saved = this.searchPaths.get(handlerId);
    await this.session.db.exec(saved === undefined ? 'reset search_path' : `set search_path to ${saved}`);
  }

  private async endTurn(handlerId: number, { abandon }: { abandon: boolean }): Promise<void> {
    if (this.owner !== handlerId) return;
    clearTimeout(this.idleTimer);
    try {
      if (abandon) {
        // Ends an extended-protocol exchange left half-way, so the launcher's next query starts clean.
        await this.session.db.execProtocolRaw(SYNC);
        if (this.session.db.isInTransaction()) await this.session.db.exec('rollback');
      }
      const { rows } = await this.session.db.query<{ path: string }>(`select current_setting('search_path') as path`);
      if (rows[0]) this.searchPaths.set(handlerId, rows[0].path);
      // The launcher's knex instances without a schema rely on the default.
      await this.session.db.exec('reset search_path');
    } finally {
      this.session.searchPath = undefined;
      this.owner = undefined;
      this.session.lease.release();
    }
  }

  clearQueueForHandler(handlerId: number): void {
    this.closed.add(handlerId);
  }

  /** Called by the handler when its socket closes or fails. */
  clearTransactionIfNeeded(handlerId: number): Promise<void> {
    this.closed.add(handlerId);
    return this.inOrder(handlerId, async () => {
      await this.endTurn(handlerId, { abandon: true });
      this.searchPaths.delete(handlerId);
      this.chains.delete(handlerId);
      if (!this.connections.delete(handlerId) || this.connections.size > 0) return;
      // The last client gone: what they locked is theirs, never the launcher's (in-process locks).
      await this.session.lease.acquire(this.turnTimeoutMs);
      try {
        await this.session.db.exec('select pg_advisory_unlock_all()');
      } finally {
        this.session.lease.release();
      }
    }).catch(() => undefined);
  }
}

export async function serveEmbeddedPostgres(
  database: EmbeddedPostgres,
  { host = '127.0.0.1', port, turnTimeoutMs = 60_000, idleInTransactionMs = 30_000 }: ServeOptions,
): Promise<EmbeddedPostgresServer> {
  const session = database as unknown as SharedSession;
  const turns = new Turns(session, turnTimeoutMs, idleInTransactionMs);
  const handlers = new Set<PGLiteSocketHandler>();
  const server = createServer((socket) => {
    // pglite-socket types its queue as its own (unexported) class; Turns has the same shape.
    const handler = new PGLiteSocketHandler({ queryQueue: turns as never, closeOnDetach: true });
    handlers.add(handler);
    turns.connections.set(handler.handlerId, socket);
    handler.addEventListener('close', () => handlers.delete(handler));
    handler.addEventListener('error', () => handlers.delete(handler));
    void handler.attach(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${urlHost}:${boundPort}/postgres`,
    host,
    port: boundPort,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([...handlers].map((handler) => handler.detach(true)));
        for (const socket of turns.connections.values()) socket.destroy();
        await stopped;
      })();
      return closing;
    },
  };
}
