/**
 * Builds the console (web/dist/) when it is missing or older than its sources, so `npm start` and
 * the tests serve what web/ holds now without anyone remembering `npm run web:build`.
 *
 * "Older" is decided by content, not by clocks: a hash of every source of the console (everything
 * under web/ but dist/, origin/ — the server, not the console — node_modules and tests, plus
 * package-lock.json for the libraries) is kept in a stamp file in dist/ by the build that
 * produced it. Checking it reads a few hundred small files: well under a second.
 *
 * Several processes may ask at once (parallel test files, an `npm start` beside them): a lock
 * file lets one build while the others wait and then find it fresh, and each build is written to
 * a directory of its own and swapped in by renames, so a server reading dist/ never sees half a
 * build.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProcessRunning } from '../platform/process';

/** The console's sources, and its build in `dist/`. */
export const consoleRoot = fileURLToPath(new URL('.', import.meta.url));
export const consoleDistDir = join(consoleRoot, 'dist');

const STAMP_FILE = '.sources-hash';
const LOCK_FILE = '.dist-lock';
/** Temporary builds and replaced ones: `.dist-build-*`, `.dist-old-*` (never hashed). */
const TEMPORARY_PREFIX = '.dist-';
const SKIPPED_DIRECTORIES = new Set(['dist', 'origin', 'node_modules', 'testing']);
const isTest = (name: string) => /\.test\.[cm]?[jt]sx?$/.test(name) || /^testing\.[cm]?[jt]sx?$/.test(name);
/** How long to wait for another process's build before giving up. */
const LOCK_WAIT_MS = 5 * 60_000;

export interface EnsureConsoleBuiltOptions {
  /** Receives one line in two parts ("building the console… ", then "done in 3.2 s\n"), only when it builds. */
  log?: (text: string) => void;
  /** The console's directory (default web/); tests point it at a fixture. */
  root?: string;
  /** Hashed with the sources (default: the repository's package-lock.json). */
  lockfile?: string;
}

export interface ConsoleBuild {
  distDir: string;
  /** False when dist/ was already built from these sources. */
  built: boolean;
  sourcesHash: string;
}

export async function ensureConsoleBuilt(options: EnsureConsoleBuiltOptions = {}): Promise<ConsoleBuild> {
  const root = resolve(options.root ?? consoleRoot);
  const distDir = join(root, 'dist');
  const lockfile = options.lockfile ?? resolve(consoleRoot, '..', 'package-lock.json');
  const log = options.log ?? (() => undefined);

  let sourcesHash = hashSources(root, lockfile);
  if (builtFrom(distDir) === sourcesHash) return { distDir, built: false, sourcesHash };

  const lock = await acquireLock(join(root, LOCK_FILE));
  try {
    // Another process may have built it while this one waited, or the sources changed meanwhile.
    sourcesHash = hashSources(root, lockfile);
    if (builtFrom(distDir) === sourcesHash) return { distDir, built: false, sourcesHash };

    // What a builder that died left behind; a live builder's (a lock taken over by mistake) stays.
    for (const name of readdirSync(root)) {
      if (!name.startsWith(TEMPORARY_PREFIX) || name === LOCK_FILE) continue;
      const owner = /^\.dist-(?:build|old|lock-stale)-(\d+)-/.exec(name)?.[1];
      if (owner === undefined || !isProcessRunning(Number(owner))) rmSync(join(root, name), { recursive: true, force: true });
    }
    const started = Date.now();
    log('building the console… ');
    const staging = join(root, `${TEMPORARY_PREFIX}build-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await viteBuild(root, staging);
      writeFileSync(join(staging, STAMP_FILE), `${sourcesHash}\n`);
      swapIn(staging, distDir, root);
    } catch (error) {
      log('failed\n');
      rmSync(staging, { recursive: true, force: true });
      throw error;
    }
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return { distDir, built: true, sourcesHash };
  } finally {
    lock.release();
  }
}

/** The hash of the sources dist/ was built from, or undefined when it is missing or incomplete. */
function builtFrom(distDir: string): string | undefined {
  if (!existsSync(join(distDir, 'index.html'))) return undefined;
  try {
    return readFileSync(join(distDir, STAMP_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function hashSources(root: string, lockfile?: string): string {
  const hash = createHash('sha256');
  const add = (name: string, path: string) => hash.update(`${name}\0`).update(readFileSync(path)).update('\0');
  for (const path of sourceFiles(root)) add(relative(root, path).replaceAll('\\', '/'), path);
  if (lockfile && existsSync(lockfile)) add('package-lock.json', lockfile);
  return hash.digest('hex');
}

function sourceFiles(directory: string): string[] {
  const entries = readdirSync(directory, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return entries.flatMap((entry) => {
    if (entry.name.startsWith(TEMPORARY_PREFIX)) return [];
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRECTORIES.has(entry.name) ? [] : sourceFiles(path);
    return entry.isFile() && !isTest(entry.name) ? [path] : [];
  });
}

async function viteBuild(root: string, outDir: string): Promise<void> {
  const configFile = join(root, 'vite.config.ts');
  if (!existsSync(configFile) || !existsSync(join(root, 'index.html'))) {
    throw new Error(`the console's sources are incomplete: ${configFile} and ${join(root, 'index.html')} must exist`);
  }
  // Imported only when a build is needed: loading Vite costs more than checking the stamp.
  const { build } = await import('vite');
  await build({ configFile, root, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

/** dist/ is replaced by two renames: it is briefly absent, never half written. */
function swapIn(staging: string, distDir: string, root: string): void {
  const old = join(root, `${TEMPORARY_PREFIX}old-${process.pid}-${randomBytes(4).toString('hex')}`);
  let moved = false;
  try {
    renameSync(distDir, old);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  renameSync(staging, distDir);
  if (moved) rmSync(old, { recursive: true, force: true });
}

async function acquireLock(path: string): Promise<{ release(): void }> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => rmSync(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = lockHolder(path);
    if (holder === 'gone') continue;
    // A lock left by a process that is gone (a crash, SIGKILL mid-build) is taken over: moved
    // aside atomically, so of two waiters only one removes it; if what was moved is not the dead
    // holder's (another waiter took over and locked in between), it is put back.
    if (holder !== 'writing' && !isProcessRunning(holder)) {
      const aside = `${path}-stale-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        renameSync(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      if (lockHolder(aside) === holder) rmSync(aside, { force: true });
      else restoreLock(aside, path);
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`another process (pid ${holder}) has been building the console for over ${LOCK_WAIT_MS / 60_000} minutes (${path})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Puts back a live lock moved aside by mistake (unless yet another one was taken meanwhile: then both build, each in its own staging directory). */
function restoreLock(aside: string, path: string): void {
  try {
    linkSync(aside, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  rmSync(aside, { force: true });
}

/** The pid in the lock file; `writing` while its creator has not written it yet, `gone` once released. */
function lockHolder(path: string): number | 'writing' | 'gone' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 'writing';
}
