/**
 * `<data>/system.json`: where a running `npm start` can be reached, so `npm run replay` and
 * `npm run token` work with no variables set. Written (atomically, owner-only) once everything
 * has started, removed on a clean stop; one left by a launcher that is gone (a crash, SIGKILL)
 * is recognised by the data directory's lock (launcher.lock holds the running launcher's pid)
 * and ignored. It holds addresses only: never the JWT secret, never a password.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isProcessRunning } from '../process';
import { dataDirectory, readJwtSecret, type DataDirectory } from './data-dir';

const systemFileSchema = z.object({
  pid: z.number().int().positive(),
  startedAt: z.string(),
  dataDir: z.string(),
  commandUrl: z.string(),
  queryUrl: z.string(),
  consoleUrl: z.string().optional(),
  projectorsUrl: z.string(),
  sagaUrl: z.string(),
  eventStoreUrl: z.string(),
  /** The embedded database's wire-protocol socket, or the server's URL without its password. */
  databaseUrl: z.string(),
  databaseSchema: z.string(),
  busUrl: z.string(),
  embedded: z.object({ eventStore: z.boolean(), database: z.boolean(), bus: z.boolean() }),
  /** The launcher generated the JWT secret and keeps it in the data directory (not set with JWT_SECRET). */
  jwtSecretInDataDir: z.boolean(),
});

export type SystemFile = z.output<typeof systemFileSchema>;

export function systemFilePath(directory: DataDirectory): string {
  return join(directory.path, 'system.json');
}

/** A URL as it may be written down: without a password. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

export function writeSystemFile(directory: DataDirectory, system: SystemFile): void {
  const path = systemFilePath(directory);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(system, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Removes the file if this process wrote it (a second launcher refused at the lock must not remove the first one's). */
export function removeSystemFile(directory: DataDirectory): void {
  const path = systemFilePath(directory);
  try {
    const { pid } = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    if (pid === process.pid) rmSync(path, { force: true });
  } catch {
    // Nothing (or nothing readable) to remove.
  }
}

export type FoundSystem = { found: SystemFile } | { none: true; note?: string };

function lockHolder(directory: DataDirectory): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(directory.path, 'launcher.lock'), 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The `npm start` running on `dataDir` (default `.data`, as the launcher resolves it), if any. */
export function findRunningSystem(dataDir: string): FoundSystem {
  const directory = dataDirectory(dataDir);
  const path = systemFilePath(directory);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { none: true };
    throw error;
  }
  let system: SystemFile;
  try {
    system = systemFileSchema.parse(JSON.parse(text));
  } catch {
    return { none: true, note: `ignoring ${path}: not a system file this version understands` };
  }
  if (lockHolder(directory) !== system.pid || !isProcessRunning(system.pid)) {
    return { none: true, note: `ignoring ${path}: its launcher (pid ${system.pid}) is no longer running` };
  }
  return { found: system };
}

/** The JWT secret of a running system, when its launcher generated it (never one set with JWT_SECRET). */
export function runningSystemJwtSecret(system: SystemFile): string | undefined {
  return system.jwtSecretInDataDir ? readJwtSecret(dataDirectory(system.dataDir)) : undefined;
}

/** What to tell someone who has neither a running system nor the variables. */
export function nothingRunningHint(dataDir: string, variables: string): string {
  return `no running \`npm start\` found in ${dataDirectory(dataDir).path} and ${variables} not set: start the checkout with \`npm start\` (in this directory, or set CHECKOUT_DATA_DIR to its data directory), or set ${variables}`;
}

export type Env = Record<string, string | undefined>;

/**
 * `env` with the variables it lacks taken from the `npm start` running on CHECKOUT_DATA_DIR (set
 * variables always win). `fromSystem` maps the system to variables. Answers the variables that
 * were missing and whether a system filled them; a stale system.json gives a one-line note.
 */
export function withRunningSystem(
  env: Env,
  variables: readonly string[],
  fromSystem: (system: SystemFile) => Env,
  note: (line: string) => void,
): { env: Env; missing: string[]; system: SystemFile | undefined; dataDir: string } {
  const dataDir = env.CHECKOUT_DATA_DIR || '.data';
  const missing = variables.filter((name) => !env[name]);
  if (missing.length === 0) return { env, missing, system: undefined, dataDir };
  const running = findRunningSystem(dataDir);
  if ('none' in running) {
    if (running.note) note(running.note);
    return { env, missing, system: undefined, dataDir };
  }
  const filled: Env = { ...env };
  for (const [name, value] of Object.entries(fromSystem(running.found))) if (!env[name] && value !== undefined) filled[name] = value;
  return { env: filled, missing, system: running.found, dataDir };
}
