/**
 * A server the preflight started for one run: its process, its scratch directory, and a stop that
 * always ends both (a graceful signal, then SIGKILL), so a run never leaves a server behind.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface StartedServer {
  /** e.g. `embedded PostgreSQL 18.4`, `nats-server v2.9.10`. */
  readonly name: string;
  readonly shown: string;
  readonly pid: number;
  readonly directory: string;
  stop(): Promise<void>;
}

/** The last few KiB a process wrote, to quote when it fails. */
export function keepTail(child: ChildProcess, limit = 8_000): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-limit));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A spawn that fails (not found, not permitted) emits only 'error': it must not crash the runner.
  child.on('error', (error) => (tail += `\n${error.message}`));
  return () => tail;
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/** Ends the process (the signal, then SIGKILL after `graceMs`) and removes its directory. */
export async function stopServer(child: ChildProcess, directory: string, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  const gone = exited(child);
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
  rmSync(directory, { recursive: true, force: true });
}

export interface ReadyWait {
  /** The server's name in the error, e.g. `postgres`. */
  what: string;
  timeoutMs: number;
  /** What the process wrote so far, to quote its last line. */
  output: () => string;
}

/** Calls `ready` until it answers true, the process exits, or the deadline passes. */
export async function waitUntilReady(
  child: ChildProcess,
  ready: () => Promise<boolean>,
  { what, timeoutMs, output }: ReadyWait,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let hasExited = false;
  void exited(child).then(() => (hasExited = true));
  while (Date.now() < deadline) {
    if (hasExited) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}): ${lastLine(output())}`);
    if (await ready()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000} s: ${lastLine(output())}`);
}

export function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => line.trim())
      .at(-1)
      ?.trim() ?? '(no output)'
  );
}
