/**
 * The launcher's data directory: `eventstore/` (the emulator's log), `postgres/` (PGlite's
 * files), `jwt-secret` (generated when JWT_SECRET is unset), `launcher.lock` and, while it runs,
 * `system.json` (system-file.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isProcessRunning } from '../process';

export interface DataDirectory {
  readonly path: string;
  readonly eventStore: string;
  readonly postgres: string;
  readonly jwtSecretFile: string;
}

export function dataDirectory(path: string): DataDirectory {
  const root = resolve(path);
  return { path: root, eventStore: join(root, 'eventstore'), postgres: join(root, 'postgres'), jwtSecretFile: join(root, 'jwt-secret') };
}

/**
 * The secret in the data directory, created on first use. Kept rather than generated per start
 * so the tokens printed (and any a user minted with `npm run token`) stay valid after a restart.
 * Readable by its owner only: anyone who has it can sign an admin token.
 */
export function storedJwtSecret(directory: DataDirectory): { secret: string; created: boolean } {
  const existing = readJwtSecret(directory);
  if (existing) return { secret: existing, created: false };
  mkdirSync(directory.path, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(directory.jwtSecretFile, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, created: true };
}

/** The stored secret, or undefined when there is none (the demo uses it to mint its tokens). */
export function readJwtSecret(directory: DataDirectory): string | undefined {
  try {
    const secret = readFileSync(directory.jwtSecretFile, 'utf8').trim();
    return secret.length >= 32 ? secret : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export class DataDirectoryInUseError extends Error {
  override readonly name = 'DataDirectoryInUseError';
}

/**
 * One launcher per data directory: PGlite's files must never be opened by two processes (the
 * emulator locks its own directory, but the database has nothing of the kind). A lock left by a
 * process that is gone (a crash, SIGKILL) is taken over.
 */
export function lockDataDirectory(directory: DataDirectory): { release(): void } {
  mkdirSync(directory.path, { recursive: true });
  const path = join(directory.path, 'launcher.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => rmSync(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isProcessRunning(holder)) {
      throw new DataDirectoryInUseError(
        `${directory.path} is in use by another \`npm start\` (pid ${holder}); stop it, or set CHECKOUT_DATA_DIR to another directory`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new DataDirectoryInUseError(`could not lock ${path}`);
}
