/** Test support: the saga as a child process (`saga/main.ts`), for crash-recovery and multi-process tests. */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../platform/testing/ports';

export interface SagaChild {
  readonly child: ChildProcess;
  readonly port: number;
  /** Resolves when `/health` answers. */
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly output: () => string;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const root = new URL('../..', import.meta.url).pathname;

/** The payment sandbox's key in the saga's tests (the fixture's sandbox wants it). */
export const TEST_SANDBOX_KEY = 'saga-tests-sandbox-key-0123456789abcdef';
/** Signs the admin tokens of the saga's operations endpoints in tests. */
export const TEST_SAGA_JWT_SECRET = 'saga-tests-jwt-secret-0123456789abcdef';

export async function spawnSaga(env: Record<string, string>): Promise<SagaChild> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'saga/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      SAGA_PORT: String(port),
      JWT_SECRET: TEST_SAGA_JWT_SECRET,
      PAYMENT_SANDBOX_KEY: TEST_SANDBOX_KEY,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  child.stderr?.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const ready = (async () => {
    for (let i = 0; i < 600 && !gone; i++) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    if (!gone) throw new Error(`saga child did not start:\n${output}`);
  })();
  ready.catch(() => {});
  return {
    child,
    port,
    ready,
    exited,
    output: () => output,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
}
