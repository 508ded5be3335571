/**
 * A throwaway NATS for one test run: the `nats-server` found on the PATH (Debian's package, a
 * release binary, Homebrew…), with JetStream, its store in a temporary directory removed when
 * stopped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { probeNats } from './probes';
import type { NatsTarget } from './where-tests-look';
import { keepTail, stopServer, waitUntilReady, type StartedServer } from './server-process';

export function findOnPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const directory of path.split(delimiter).filter(Boolean)) {
    const candidate = join(directory, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function startNatsServer(binary: string, target: NatsTarget): Promise<StartedServer> {
  const version = /v?\d+\.\d+\.\d+/.exec(spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '')?.[0];
  const directory = mkdtempSync(join(tmpdir(), 'checkout-test-nats-'));
  const server = spawn(binary, ['-a', target.host, '-p', String(target.port), '-js', '-sd', directory], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = keepTail(server);
  const started: StartedServer = {
    name: `nats-server${version ? ` ${version}` : ''} (JetStream)`,
    shown: target.shown,
    pid: server.pid ?? -1,
    directory,
    stop: () => stopServer(server, directory, 'SIGTERM'),
  };
  try {
    const url = `nats://${target.shown}`;
    await waitUntilReady(server, async () => (await probeNats(url, 1000)).state === 'up', {
      what: 'nats-server',
      timeoutMs: 30_000,
      output,
    });
    return started;
  } catch (error) {
    await started.stop();
    throw error;
  }
}
