/**
 * An embedded PostgreSQL (PGlite: Postgres compiled to WebAssembly, in this process) behind the
 * same knex API as the server, so `npm start` needs no database server. It is addressed by a
 * `pglite:` URL, which `connectPostgres` understands once `openEmbeddedPostgres` has opened it in
 * this process: the services keep connecting "by URL", as they do to a server.
 *
 * PGlite is ONE session. Every knex instance on it therefore shares one lease on that session
 * (a pool of exactly one connection for the whole process, handed to knex as its external pool):
 * a transaction holds the lease from BEGIN to COMMIT, so no other query can fall into it, and
 * queries queue instead of interleaving. What would be per-connection state on a server is
 * per-process here:
 * - search_path: set at each lease when the knex instance asks for another schema;
 * - LISTEN: one registration serves every listener of the process (notifications are then
 *   dispatched by channel); a session receives its own NOTIFYs, so the trigger-based wake-ups
 *   work as on a server;
 * - session-level advisory locks would be granted to everyone (same session): see
 *   projectors/framework/advisory-lock.ts for the in-process lock used instead.
 * A caller that holds the lease (inside a transaction) and waits for another query outside it
 * would wait for itself: such a wait times out (`acquireConnectionTimeout`) with a
 * KnexTimeoutError rather than hanging. No code of ours does that; the test shows the timeout.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { PGlite, types as pgliteTypes, type Results } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';

const EMBEDDED_SCHEME = 'pglite:';
const INT8_OID = pgliteTypes.INT8;

/** As for the server (connection.ts): bigint → number, refusing what a number cannot hold. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`bigint ${text} does not fit a JavaScript number exactly`);
  return value;
}

export interface EmbeddedPostgres {
  /** `pglite:<absolute data dir>`, or `pglite:memory:<n>` for a database that lives only in memory. */
  readonly url: string;
  readonly dataDir: string | undefined;
  /** Runs `work` with the session to itself: nothing else runs on it meanwhile. */
  exclusive<T>(work: (db: PGlite) => Promise<T>, timeoutMs?: number): Promise<T>;
  /** LISTENs on `channel` (once per process) and calls `onNotification` with each payload; answers an unsubscribe. */
  listen(channel: string, onNotification: (payload: string) => void): Promise<() => void>;
  /** Called once when the database closes (e.g. to drop in-process locks). */
  onClose(listener: () => void): void;
  readonly closed: boolean;
  close(): Promise<void>;
}

const open = new Map<string, EmbeddedDatabase>();
let memoryCount = 0;

export function isEmbeddedPostgresUrl(url: string): boolean {
  return url.startsWith(EMBEDDED_SCHEME);
}

/** The embedded database this process opened at `url`; throws when it has none there. */
export function embeddedPostgresAt(url: string): EmbeddedPostgres {
  const database = open.get(url);
  if (!database || database.closed) throw new Error(`no embedded database is open at ${url} in this process (openEmbeddedPostgres first)`);
  return database;
}

/**
 * Opens (creating it if needed) the database in `dataDir`, or one in memory without it. One
 * process may open a directory once: PGlite keeps the files open, and two instances would
 * corrupt them (the launcher also locks its data directory against a second process).
 */
export async function openEmbeddedPostgres({ dataDir }: { dataDir?: string } = {}): Promise<EmbeddedPostgres> {
  const directory = dataDir === undefined ? undefined : resolve(dataDir);
  const url = directory === undefined ? `${EMBEDDED_SCHEME}memory:${++memoryCount}` : `${EMBEDDED_SCHEME}${directory}`;
  if (open.has(url)) throw new Error(`the embedded database at ${url} is already open in this process`);
  if (directory !== undefined) mkdirSync(directory, { recursive: true });
  const db = new PGlite({ ...(directory === undefined ? {} : { dataDir: directory }), parsers: { [INT8_OID]: parseInt8 } });
  await db.waitReady;
  const [{ server_version: version }] = (await db.query<{ server_version: string }>('show server_version')).rows as [
    { server_version: string },
  ];
  const database = new EmbeddedDatabase(url, directory, db, version);
  open.set(url, database);
  return database;
}

/** A lease on the one session: a FIFO mutex, with a bounded wait. */
class SessionLease {
  private held = false;
  private readonly waiting: { grant: () => void; timer: NodeJS.Timeout | undefined }[] = [];

  acquire(timeoutMs: number): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((grantLease, refuse) => {
      const entry = {
        grant: () => {
          clearTimeout(entry.timer);
          grantLease();
        },
        timer: undefined as NodeJS.Timeout | undefined,
      };
      entry.timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        // Named as knex names its own, so callers treat it alike (retry; see isTransientPostgresError).
        refuse(
          Object.assign(
            new Error(
              `Knex: Timeout acquiring the embedded database session after ${timeoutMs} ms. Is a query waiting outside a transaction that is still open?`,
            ),
            { name: 'KnexTimeoutError' },
          ),
        );
      }, timeoutMs);
      this.waiting.push(entry);
    });
  }

  get busy(): boolean {
    return this.held;
  }

  get queued(): number {
    return this.waiting.length;
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.held = false;
  }
}

class EmbeddedDatabase implements EmbeddedPostgres {
  readonly lease = new SessionLease();
  /** The search path the session has now, so a lease only sets it when it changes. */
  searchPath: string | undefined;
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private readonly closeListeners: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  /** The one "connection" every knex instance borrows (knex marks it with ids of its own). */
  readonly connection: { readonly db: PGlite };

  constructor(
    readonly url: string,
    readonly dataDir: string | undefined,
    readonly db: PGlite,
    readonly version: string,
  ) {
    this.connection = { db };
    db.onNotification((channel, payload) => {
      for (const listener of this.channels.get(channel) ?? []) listener(payload ?? '');
    });
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  async exclusive<T>(work: (db: PGlite) => Promise<T>, timeoutMs = 10_000): Promise<T> {
    await this.lease.acquire(timeoutMs);
    try {
      return await work(this.db);
    } finally {
      this.lease.release();
    }
  }

  async listen(channel: string, onNotification: (payload: string) => void): Promise<() => void> {
    let listeners = this.channels.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.channels.set(channel, listeners);
      // Under the lease: a LISTEN run inside someone else's open transaction would be undone by its rollback.
      await this.exclusive((db) => db.exec(`listen "${channel.replaceAll('"', '""')}"`));
    }
    listeners.add(onNotification);
    // The LISTEN stays: another listener of this process may come, and a stray notification costs nothing.
    return () => void listeners.delete(onNotification);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const listener of this.closeListeners.splice(0)) listener();
      // After whatever holds the session now has finished with it.
      await this.lease.acquire(30_000).catch(() => undefined);
      try {
        await this.db.close();
      } finally {
        open.delete(this.url);
      }
    })();
    return this.closing;
  }
}

// ---- knex ---------------------------------------------------------------------------------

type ClientConstructor = new (config: Knex.Config) => Knex.Client;
// knex's own PostgreSQL dialect (query compiler, bindings, responses), minus the `pg` driver.
const PostgresClient = createRequire(import.meta.url)('knex/lib/dialects/postgres/index.js') as ClientConstructor;

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  options?: Record<string, unknown>;
  response?: unknown;
  method?: string;
}

/**
 * What `listenToChannel` (listen.ts) opens with `acquireRawConnection`: on a server a session of
 * its own; here a view of the one session that receives the notifications of the channels it
 * LISTENs to.
 */
class ListeningConnection extends EventEmitter {
  private readonly unsubscribes: (() => void)[] = [];
  constructor(private readonly database: EmbeddedDatabase) {
    super();
  }

  async query(sql: string): Promise<unknown> {
    const listen = /^\s*listen\s+"((?:[^"]|"")+)"\s*;?\s*$/i.exec(sql);
    if (!listen) return this.database.exclusive((db) => db.exec(sql));
    const channel = listen[1]!.replaceAll('""', '"');
    this.unsubscribes.push(await this.database.listen(channel, (payload) => this.emit('notification', { channel, payload })));
    return undefined;
  }

  async end(): Promise<void> {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    this.emit('end');
  }
}

function embeddedClient(database: EmbeddedDatabase, schema: string | undefined): ClientConstructor {
  const searchPath = schema === undefined ? undefined : `"${schema.replaceAll('"', '""')}"`;
  return class EmbeddedPostgresClient extends PostgresClient {
    override async acquireConnection(): Promise<unknown> {
      const connection: unknown = await super.acquireConnection();
      if (searchPath !== undefined && database.searchPath !== searchPath) {
        try {
          await database.db.exec(`set search_path to ${searchPath}`);
          database.searchPath = searchPath;
        } catch (error) {
          database.lease.release();
          throw error;
        }
      }
      return connection;
    }

    override acquireRawConnection(): Promise<unknown> {
      return Promise.resolve(new ListeningConnection(database));
    }

    override async destroyRawConnection(connection: unknown): Promise<void> {
      if (connection instanceof ListeningConnection) await connection.end();
    }

    async _query(_connection: unknown, obj: QueryObject): Promise<QueryObject> {
      if (!obj.sql) throw new Error('The query is empty');
      if (obj.bindings && obj.bindings.length > 0) {
        obj.response = await database.db.query(obj.sql, obj.bindings);
      } else {
        // The simple protocol, as `pg` uses without parameters: a migration may hold several statements.
        const results: Results[] = await database.db.exec(obj.sql);
        obj.response = results.length === 1 ? results[0] : results;
      }
      return obj;
    }

    async _stream(connection: unknown, obj: QueryObject, stream: NodeJS.WritableStream): Promise<void> {
      try {
        const { response } = await this._query(connection, obj);
        for (const row of (response as Results).rows) stream.write(row as never);
        stream.end();
      } catch (error) {
        stream.emit('error', error);
        throw error;
      }
    }

    // knex's runner chains `.catch` on what cancelQuery returns, so it must be a promise; knex's type says void.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    override async cancelQuery(): Promise<void> {
      // One session, one query at a time: nothing can run beside a query to cancel it.
    }
  };
}

/** A knex instance on the embedded database; closing it (knex.destroy) leaves the database open. */
export function connectEmbeddedPostgres(
  database: EmbeddedPostgres,
  { schema, acquireConnectionTimeoutMs = 10_000 }: { schema?: string; acquireConnectionTimeoutMs?: number } = {},
): Knex {
  const embedded = database as EmbeddedDatabase;
  // Given to knex as an external pool: every knex instance of the process shares its one connection.
  const sharedPool = {
    acquire: () => ({ promise: embedded.lease.acquire(acquireConnectionTimeoutMs).then(() => embedded.connection) }),
    release: () => {
      embedded.lease.release();
      return true;
    },
    destroy: async () => undefined,
    numFree: () => (embedded.lease.busy ? 0 : 1),
    numUsed: () => (embedded.lease.busy ? 1 : 0),
    numPendingAcquires: () => embedded.lease.queued,
  };
  return knexFactory({
    client: embeddedClient(embedded, schema),
    version: embedded.version,
    connectionPool: sharedPool,
  } as unknown as Knex.Config);
}
