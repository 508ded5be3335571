import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * One emulator per data directory: a lock file holding the owner's pid. A lock whose pid is no
 * longer running (a crash, SIGKILL) is stale and taken over; a live one refuses the second emulator.
 */

const LOCK_FILE = 'emulator.lock';
/** Paths this process holds: a second emulator in the same process must be refused too. */
const heldHere = new Set<string>();

export class DirectoryLockedError extends Error {
  override readonly name = 'DirectoryLockedError';
}

export interface DirectoryLock {
  release(): void;
}

export function lockDirectory(directory: string): DirectoryLock {
  const path = join(resolve(directory), LOCK_FILE);
  if (heldHere.has(path)) throw lockedBy(directory, process.pid);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path)) {
      heldHere.add(path);
      return { release: () => release(path) };
    }
    const holder = readHolder(path);
    if (holder === undefined) continue; // vanished between our attempt and the read: try again
    // Our own pid without an entry in `heldHere` is a previous process's (containers reuse pid 1).
    if (holder !== process.pid && isRunning(holder)) throw lockedBy(directory, holder);
    removeStale(path, holder);
  }
  throw new DirectoryLockedError(`could not take ${path}: other processes keep competing for it`);
}

/** Writes the pid to a private file, then links it into place: the lock is never seen half-written. */
function tryCreate(path: string): boolean {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${process.pid}\n`);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Moves the stale lock aside under a private name before deleting it, and checks it is still the
 * stale one: two processes that both judged it stale cannot then delete each other's fresh lock.
 */
function removeStale(path: string, stalePid: number): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (readHolder(aside) !== stalePid) {
    // We moved someone's fresh lock: put it back (link fails, harmlessly, if yet another took its place).
    try {
      linkSync(aside, path);
    } catch {
      // Another lock already took its place: it stands.
    }
  }
  unlinkSync(aside);
}

function release(path: string): void {
  if (!heldHere.delete(path)) return;
  if (readHolder(path) === process.pid) unlinkSync(path);
}

function isRunning(pid: number): boolean {
  if (pid === 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

function lockedBy(directory: string, pid: number): DirectoryLockedError {
  return new DirectoryLockedError(
    `data directory ${directory} is in use by another emulator (pid ${pid}${pid === process.pid ? ', this process' : ''}); ` +
      `two emulators must never write one log.`,
  );
}
