/**
 * What every command works with: the live schema's connection, the event store, the settings
 * the projections are built with, and where to write. Opening it checks that PostgreSQL and the
 * event store answer and that the live read models are migrated, so a command fails with one
 * clear line before it touches anything.
 */
import { BACKWARDS, END, type EventStoreDBClient } from '@eventstore/db-client';
import type { Knex } from 'knex';
import { closeEventStore, connectEventStore } from '../../platform/eventstore';
import type { Logger } from '../../platform/logger';
import { closePostgres, connectPostgres, dedicatedPostgresClient } from '../../platform/postgres';
import type { Projection } from '../framework/types';
import { readModelMigrations } from '../migrations';
import { allProjections } from '../projections';
import { ExitCode, ReplayError } from './errors';

export interface ReplayContext {
  readonly databaseUrl: string;
  /** The live schema. */
  readonly schema: string;
  /** Connected to the live schema. */
  readonly knex: Knex;
  readonly client: EventStoreDBClient;
  readonly logger: Logger;
  readonly lowStockThreshold: number;
  readonly defaultBatchSize: number;
  /** Human output and --json documents. */
  readonly stdout: NodeJS.WritableStream;
  /** Progress, prompts and errors. */
  readonly stderr: NodeJS.WritableStream;
  /** A person at a terminal: a progress bar, and a prompt before a swap. */
  readonly interactive: boolean;
  /** Asks `question` on the terminal; answers the line typed. */
  ask(question: string): Promise<string>;
}

export interface ContextSettings {
  databaseUrl: string;
  schema: string;
  eventStoreUrl: string;
  logger: Logger;
  lowStockThreshold: number;
  defaultBatchSize: number;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  interactive?: boolean;
  ask?: (question: string) => Promise<string>;
}

export interface OpenContext extends ReplayContext {
  close(): Promise<void>;
}

/** Where a URL points, for messages: never the password. */
export function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
  } catch {
    return 'the configured address';
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}

export async function openContext(settings: ContextSettings): Promise<OpenContext> {
  const knex = connectPostgres({
    url: settings.databaseUrl,
    schema: settings.schema,
    applicationName: `replay:${settings.schema}`,
    pool: { max: 4 },
  });
  let client: EventStoreDBClient | undefined;
  try {
    await checkDatabase(knex, settings);
    client = connectEventStore(settings.eventStoreUrl);
    await checkEventStore(client, settings.eventStoreUrl);
  } catch (error) {
    if (client) await closeEventStore(client).catch(() => undefined);
    await closePostgres(knex).catch(() => undefined);
    throw error;
  }
  const eventStore = client;
  return {
    databaseUrl: settings.databaseUrl,
    schema: settings.schema,
    knex,
    client: eventStore,
    logger: settings.logger,
    lowStockThreshold: settings.lowStockThreshold,
    defaultBatchSize: settings.defaultBatchSize,
    stdout: settings.stdout ?? process.stdout,
    stderr: settings.stderr ?? process.stderr,
    interactive: settings.interactive ?? false,
    ask: settings.ask ?? (async () => ''),
    async close() {
      await closeEventStore(eventStore).catch(() => undefined);
      await closePostgres(knex).catch(() => undefined);
    },
  };
}

async function checkDatabase(knex: Knex, { databaseUrl, schema }: ContextSettings): Promise<void> {
  // A plain client first: knex's pool would print its own stack for an unreachable server.
  const probe = dedicatedPostgresClient({ url: databaseUrl, applicationName: 'replay' });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.query('select 1');
  } catch (error) {
    throw new ReplayError(`cannot reach PostgreSQL at ${hostOf(databaseUrl)}: ${reason(error)}`, ExitCode.unavailable);
  } finally {
    await probe.end().catch(() => undefined);
  }
  let ran: string[];
  try {
    const { rows } = (await knex.raw('select to_regclass(?) is not null as migrated', [`${schema}.knex_migrations`])) as {
      rows: { migrated: boolean }[];
    };
    if (!rows[0]?.migrated)
      throw new ReplayError(
        `schema ${schema} has no read models: run npm run migrate (or start the projectors) first`,
        ExitCode.unavailable,
      );
    ran = (await knex.withSchema(schema).table('knex_migrations').pluck('name')) as string[];
  } catch (error) {
    if (error instanceof ReplayError) throw error;
    throw new ReplayError(`cannot reach PostgreSQL at ${hostOf(databaseUrl)}: ${reason(error)}`, ExitCode.unavailable);
  }
  const missing = readModelMigrations.map(({ name }) => name).filter((name) => !ran.includes(name));
  if (missing.length > 0)
    throw new ReplayError(
      `schema ${schema} lacks read-model migrations ${missing.join(', ')}: run npm run migrate first`,
      ExitCode.unavailable,
    );
}

async function checkEventStore(client: EventStoreDBClient, url: string): Promise<void> {
  try {
    for await (const _ of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, deadline: 3000 })) {
      // Draining the read is the check.
    }
  } catch (error) {
    throw new ReplayError(`cannot reach the event store at ${hostOf(url)}: ${reason(error)}`, ExitCode.unavailable);
  }
}

/** The projections as a rebuild runs them: the outbox is left alone (docs/REPLAY.md). */
export function rebuildProjections(context: Pick<ReplayContext, 'lowStockThreshold'>, names: readonly string[]): Projection[] {
  return allProjections({ lowStockThreshold: context.lowStockThreshold, writeOutbox: false }).filter(({ name }) => names.includes(name));
}

export function projectionNames(): string[] {
  return allProjections({ lowStockThreshold: 0 }).map(({ name }) => name);
}
