import { spawn } from 'node:child_process';
import { freePort } from '../../platform/testing/ports';

/**
 * The emulator in its own process, as services meet it: the client's encoding work then does
 * not share an event loop (or, on a small machine, a core) with the server's.
 */

const MAIN = new URL('../../eventstore-emulator/main.ts', import.meta.url).pathname;

export interface EmulatorProcess {
  readonly url: string;
  /** For reading its memory from /proc. */
  readonly pid: number;
  stop(): Promise<void>;
}

export async function spawnEmulator(environment: Record<string, string> = {}): Promise<EmulatorProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, EVENTSTORE_EMULATOR_PORT: String(port), ...environment },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('listening on')) resolve();
    });
    child.once('close', (code) => reject(new Error(`emulator exited (${code}) before listening: ${output}`)));
  });
  return {
    url: `esdb://127.0.0.1:${port}?tls=false`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
