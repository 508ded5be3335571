/**
 * Test support for the replay CLI: running it as a child process (as an operator does), a
 * context for calling the commands in-process, and a fresh fold of the log to compare with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { createLogger } from '../../platform/logger';
import { migrateToLatest } from '../../platform/postgres';
import { createTestSchema } from '../../platform/testing/postgres-schema';
import { ProjectionRunner } from '../framework/runner';
import { readModelMigrations } from '../migrations';
import { allProjections } from '../projections';
import { settle, snapshotReadModels, type ProjectorTestFixture } from './fixture';
import { openContext, type OpenContext } from '../replay/context';

const root = new URL('../..', import.meta.url).pathname;

export interface CliRun {
  readonly child: ChildProcess;
  /** Resolves when it exits: the code (or the signal that ended it) and what it wrote. */
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** What it has written to stderr so far. */
  stderr(): string;
}

export function replayEnvironment(f: ProjectorTestFixture, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    EVENTSTORE_URL: f.es.emulator.url,
    DATABASE_URL: f.db.url,
    DATABASE_SCHEMA: f.db.schema,
    LOW_STOCK_THRESHOLD: '5',
    ...overrides,
  };
}

/** `npm run replay -- <args>` as a child process (async: the emulator runs in this process). */
export function startCli(env: Record<string, string>, args: readonly string[]): CliRun {
  const { DATABASE_URL: _url, DATABASE_SCHEMA: _schema, EVENTSTORE_URL: _es, LOW_STOCK_THRESHOLD: _threshold, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'projectors/replay/main.ts', ...args], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => {
      // Let the pipes drain.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    }),
  );
  return { child, done, stderr: () => stderr };
}

export async function runCli(env: Record<string, string>, args: readonly string[]) {
  return startCli(env, args).done;
}

/** A context on the fixture's schema, its output collected. */
export async function testContext(f: ProjectorTestFixture): Promise<OpenContext & { output(): string }> {
  let output = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      output += chunk.toString();
      callback();
    },
  });
  const context = await openContext({
    databaseUrl: f.db.url,
    schema: f.db.schema,
    eventStoreUrl: f.es.emulator.url,
    logger: createLogger({ service: 'replay-test', level: 'silent' }),
    lowStockThreshold: 5,
    defaultBatchSize: 500,
    stdout: sink,
    stderr: sink,
  });
  return Object.assign(context, { output: () => output });
}

/**
 * The read models as a fresh fold of the whole log gives them, the outbox included (written, as
 * live), ordered by notification rather than by outbox id.
 */
export async function freshFold(
  client: EventStoreDBClient,
): Promise<{ snapshot: Record<string, unknown[]>; applied: Record<string, number> }> {
  const db = await createTestSchema('fresh');
  try {
    await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema });
    const logger = createLogger({ service: 'fresh-fold', level: 'silent' });
    const runners = allProjections({ lowStockThreshold: 5 }).map((projection) =>
      new ProjectionRunner(projection, { knex: db.knex, client, databaseUrl: db.url, schema: db.schema, logger }).start(),
    );
    await settle(client, runners, 60_000);
    await Promise.all(runners.map((runner) => runner.stop()));
    return { snapshot: comparable(await snapshotReadModels(db.knex)), applied: await eventsAppliedBy(db.knex) };
  } finally {
    await db.drop();
  }
}

/** snapshotReadModels, with the outbox sorted by notification (its ids depend on commit order). */
export function comparable(snapshot: Record<string, unknown[]>): Record<string, unknown[]> {
  const outbox = [...(snapshot.notification_outbox ?? [])] as { notification_id: string }[];
  outbox.sort((a, b) => a.notification_id.localeCompare(b.notification_id));
  return { ...snapshot, notification_outbox: outbox };
}

export async function eventsAppliedBy(knex: import('knex').Knex): Promise<Record<string, number>> {
  const rows = (await knex('projection_checkpoints').select('projection', 'events_applied')) as {
    projection: string;
    events_applied: number;
  }[];
  return Object.fromEntries(rows.map((row) => [row.projection, Number(row.events_applied)]).sort());
}

/** Drops the shadows a test may leave behind when it fails half-way. */
export async function dropShadows(f: ProjectorTestFixture): Promise<void> {
  for (const suffix of ['_rebuild', '_rebuild_staging', '_verify', '_verify_staging'])
    await f.db.knex.raw('drop schema if exists ?? cascade', [`${f.db.schema}${suffix}`]);
}
