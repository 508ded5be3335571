/**
 * The whole checkout as a deployment runs it: each service its own process (its `main.ts`, the
 * same entrypoint `npm run start:*` runs), configured only through its environment variables, on
 * free loopback ports, over the local PostgreSQL and NATS with a schema, subject prefix and
 * JetStream stream of its own. Used where one shared event loop would distort the figures (the
 * read-side bench); the end-to-end tests use the in-process `startSystem` (system.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mintToken } from '../../platform/auth';
import { closeNats, connectNats } from '../../platform/nats';
import { closePostgres, connectPostgres } from '../../platform/postgres';
import { TEST_DATABASE_URL } from '../../platform/testing/postgres-schema';
import { freePort } from '../../platform/testing/ports';
import { DEFAULT_NATS_URL, type ShopEndpoints } from './system';

export interface SystemProcesses extends ShopEndpoints {
  /** Each service's process id, by name (benches read their CPU from /proc). */
  readonly pids: Readonly<Record<string, number>>;
  /** Stops every process (SIGTERM, then SIGKILL after 5 s) and removes the schema and the stream. */
  stop(): Promise<void>;
}

const root = new URL('../..', import.meta.url).pathname;

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<void>;
  output(): string;
}

export async function startSystemProcesses({ natsUrl = DEFAULT_NATS_URL, logLevel = 'warn' } = {}): Promise<SystemProcesses> {
  const tag = randomBytes(4).toString('hex');
  const jwtSecret = `e2e-secret-${randomBytes(16).toString('hex')}`;
  const schema = `e2e_${tag}`;
  const subjectPrefix = `e2e_${tag}.notifications`;
  const streamName = `E2E_${tag}`;
  const [eventStorePort, sandboxPort, sagaPort, projectorsPort, commandPort, queryPort] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const eventStoreUrl = `esdb://127.0.0.1:${eventStorePort}?tls=false`;
  // The sandbox and the saga share its key, as a provider and its merchant do.
  const sandboxKey = randomBytes(24).toString('hex');
  const shared = {
    HOST: '127.0.0.1',
    LOG_LEVEL: logLevel,
    JWT_SECRET: jwtSecret,
    PAYMENT_SANDBOX_KEY: sandboxKey,
    EVENTSTORE_URL: eventStoreUrl,
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    NATS_URL: natsUrl,
  };
  const children: Child[] = [];

  const stop = async () => {
    for (const child of children.splice(0).reverse()) {
      child.process.kill('SIGTERM');
      const killed = setTimeout(() => child.process.kill('SIGKILL'), 5000);
      await child.exited;
      clearTimeout(killed);
    }
    const nats = await connectNats({ url: natsUrl }).catch(() => undefined);
    if (nats) {
      await (await nats.jetstreamManager()).streams.delete(streamName).catch(() => undefined);
      await closeNats(nats);
    }
    const knex = connectPostgres({ url: TEST_DATABASE_URL });
    await knex.raw('drop schema if exists ?? cascade', [schema]).catch(() => undefined);
    await closePostgres(knex);
  };

  const start = (name: string, main: string, env: Record<string, string>) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      cwd: root,
      env: { ...process.env, ...shared, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
    child.stderr?.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    children.push({ name, process: child, exited, output: () => output });
    return { child, exited, output: () => output };
  };

  /** Resolves once `url` answers 200; rejects if the process exits first or after 60 s. */
  const answers = async (name: string, url: string, started: ReturnType<typeof start>) => {
    let gone = false;
    void started.exited.then(() => (gone = true));
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !gone;) {
      const status = await fetch(url).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) return;
      await sleep(100);
    }
    throw new Error(`${name} did not answer ${url}${gone ? ' (it exited)' : ''}:\n${started.output()}`);
  };

  try {
    start('event store emulator', 'eventstore-emulator/main.ts', {
      EVENTSTORE_EMULATOR_PORT: String(eventStorePort),
      EVENTSTORE_EMULATOR_LOG_LEVEL: 'warn',
    });
    const sandbox = start('payment sandbox', 'saga/payment-sandbox/main.ts', {
      PAYMENT_SANDBOX_PORT: String(sandboxPort),
      PAYMENT_SANDBOX_HOST: '127.0.0.1',
    });
    const projectors = start('projectors', 'projectors/main.ts', {
      PROJECTORS_PORT: String(projectorsPort),
      NOTIFICATIONS_SUBJECT_PREFIX: subjectPrefix,
      NOTIFICATIONS_STREAM: streamName,
    });
    const saga = start('saga', 'saga/main.ts', { SAGA_PORT: String(sagaPort), PAYMENT_PROVIDER_URL: `http://127.0.0.1:${sandboxPort}` });
    const command = start('command api', 'command-api/main.ts', { COMMAND_API_PORT: String(commandPort) });
    // The query API reads tables the projectors create: it starts once they are ready.
    await answers('projectors', `http://127.0.0.1:${projectorsPort}/ready`, projectors);
    const query = start('query api', 'query-api/main.ts', {
      QUERY_API_PORT: String(queryPort),
      NOTIFICATIONS_SUBJECT_PREFIX: subjectPrefix,
    });
    await Promise.all([
      answers('command api', `http://127.0.0.1:${commandPort}/ready`, command),
      answers('saga', `http://127.0.0.1:${sagaPort}/ready`, saga),
      answers('payment sandbox', `http://127.0.0.1:${sandboxPort}/health`, sandbox),
      answers('query api', `http://127.0.0.1:${queryPort}/ready`, query),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    pids: Object.fromEntries(children.map((child) => [child.name, child.process.pid!])),
    commandUrl: `http://127.0.0.1:${commandPort}`,
    queryUrl: `http://127.0.0.1:${queryPort}`,
    token: (sub, role = 'customer') => mintToken({ sub, role, secret: jwtSecret }),
    stop,
  };
}
