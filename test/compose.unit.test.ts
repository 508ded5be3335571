import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import type { z } from 'zod';
import { commandApiEnv } from '../command-api/config';
import { loadConfig, type Env } from '../platform/config';
import { createHttpServer } from '../platform/http/server';
import { createLogger } from '../platform/logger';
import { projectorsEnv } from '../projectors/config';
import { queryApiEnv } from '../query-api/config';
import { sagaProcessEnv } from '../saga/config';
import { paymentSandboxEnv } from '../saga/payment-sandbox/config';
import { createPaymentSandbox } from '../saga/payment-sandbox/server';
import { buildWebOrigin } from '../web/origin/app';
import { webOriginEnv } from '../web/origin/config';

/**
 * docker-compose.yml cannot be run here (no Docker engine), so this checks it against the code:
 * that each container runs what its npm script runs, with variables its zod schema knows and
 * accepts, on the ports it publishes, probed on paths it serves, pointed at the right
 * infrastructure, started in order of health.
 */

const root = new URL('..', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; dependencies: Record<string, string> };

// ---- the compose file, interpolated as `docker compose` does ---------------------------------

/** What the person running compose provides (see .env.example). */
const testEnv: Env = { JWT_SECRET: 'j'.repeat(40), POSTGRES_PASSWORD: 'pg-test-password', PAYMENT_SANDBOX_KEY: 'k'.repeat(40) };

/** Reached only inside the compose network (docs/SECURITY.md): never published on the host. */
const internalServices = new Set(['payment-sandbox', 'saga', 'projectors']);

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$. */
function interpolate(text: string, env: Env, used: Set<string>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, ...groups: (string | undefined)[]) => {
      if (match === '$$') return '$';
      const [braced, operator, argument, bare] = groups;
      const name = (braced ?? bare) as string;
      used.add(name);
      const value = env[name];
      const missing = operator?.startsWith(':') ? value === undefined || value === '' : value === undefined;
      if (!missing) return value!;
      if (operator?.endsWith('?')) throw new Error(`required variable ${name} is missing: ${argument}`);
      if (operator?.endsWith('-')) return argument as string;
      return '';
    },
  );
}

function interpolateAll(value: unknown, env: Env, used: Set<string>): unknown {
  if (typeof value === 'string') return interpolate(value, env, used);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env, used));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env, used)]));
  return value;
}

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: string | number })[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition?: string }> | string[];
  deploy?: { replicas?: number };
}

const rawCompose = read('docker-compose.yml');
const usedVariables = new Set<string>();
const compose = interpolateAll(parse(rawCompose, { merge: true }), testEnv, usedVariables) as { services: Record<string, ComposeService> };
const services = compose.services;

function environmentOf(service: ComposeService): Env {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map((entry) => [entry.split('=')[0]!, entry.slice(entry.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, value === null ? undefined : String(value)]));
}

const commandOf = (service: ComposeService) =>
  typeof service.command === 'string' ? service.command.split(/\s+/) : (service.command ?? []);
const healthTestOf = (service: ComposeService) => {
  const testCommand = service.healthcheck?.test;
  // ["CMD", ...] and ["CMD-SHELL", "..."] are what runs; a plain string is CMD-SHELL's.
  return typeof testCommand === 'string'
    ? testCommand
    : (testCommand ?? []).filter((word, i) => i > 0 || !/^CMD(-SHELL)?$/.test(word)).join(' ');
};

interface PortMapping {
  hostFrom: number;
  hostTo: number;
  target: number;
}
function portsOf(service: ComposeService): PortMapping[] {
  return (service.ports ?? []).map((entry) => {
    if (typeof entry === 'object') {
      const published = Number(entry.published ?? entry.target);
      return { hostFrom: published, hostTo: published, target: entry.target };
    }
    const match = /^(?:\d+\.\d+\.\d+\.\d+:)?(?:(\d+)(?:-(\d+))?:)?(\d+)(?:\/\w+)?$/.exec(String(entry));
    assert.ok(match, `port mapping ${entry} is not one this test understands`);
    const target = Number(match[3]);
    const hostFrom = match[1] ? Number(match[1]) : target;
    return { hostFrom, hostTo: match[2] ? Number(match[2]) : hostFrom, target };
  });
}

// ---- what the code says about each service ---------------------------------------------------

interface ServiceSpec {
  script: string;
  schema: z.ZodObject;
  portVariable: string;
  /** The paths the process answers 200 on with its dependencies up, found by asking a real server. */
  probePaths: () => Promise<string[]>;
}

async function platformProbePaths(): Promise<string[]> {
  const app = await createHttpServer({ logger: createLogger({ service: 'compose-test', level: 'silent' }) });
  try {
    return await answering(app);
  } finally {
    await app.close();
  }
}
async function answering(app: { inject(options: { method: 'GET'; url: string }): Promise<{ statusCode: number }> }): Promise<string[]> {
  const paths: string[] = [];
  for (const path of ['/health', '/ready']) if ((await app.inject({ method: 'GET', url: path })).statusCode === 200) paths.push(path);
  return paths;
}

const specs: Record<string, ServiceSpec> = {
  'command-api': { script: 'start:command-api', schema: commandApiEnv, portVariable: 'COMMAND_API_PORT', probePaths: platformProbePaths },
  'query-api': { script: 'start:query-api', schema: queryApiEnv, portVariable: 'QUERY_API_PORT', probePaths: platformProbePaths },
  projectors: { script: 'start:projectors', schema: projectorsEnv, portVariable: 'PROJECTORS_PORT', probePaths: platformProbePaths },
  saga: { script: 'start:saga', schema: sagaProcessEnv, portVariable: 'SAGA_PORT', probePaths: platformProbePaths },
  'payment-sandbox': {
    script: 'start:payment-sandbox',
    schema: paymentSandboxEnv,
    portVariable: 'PAYMENT_SANDBOX_PORT',
    async probePaths() {
      const sandbox = createPaymentSandbox({ key: testEnv.PAYMENT_SANDBOX_KEY! });
      try {
        return await answering(sandbox.app);
      } finally {
        await sandbox.app.close();
      }
    },
  },
  web: {
    script: 'start:web',
    schema: webOriginEnv,
    portVariable: 'WEB_PORT',
    async probePaths() {
      // Its liveness does not depend on the APIs (nothing listens on port 9), its readiness does.
      const origin = await buildWebOrigin({
        commandApiUrl: 'http://127.0.0.1:9',
        queryApiUrl: 'http://127.0.0.1:9',
        distDir: new URL('web/dist', root).pathname,
        logger: createLogger({ service: 'compose-test', level: 'silent' }),
      });
      try {
        return await answering(origin);
      } finally {
        await origin.close();
      }
    },
  },
};

const appServices = Object.entries(services).filter(([, service]) => service.build !== undefined);
const specOf = (name: string) => {
  const spec = specs[name];
  assert.ok(spec, `compose service ${name} is built from the Dockerfile but this test does not know which service of the code it is`);
  return spec;
};
const configOf = (name: string) => loadConfig(specOf(name).schema, environmentOf(services[name]!)) as Record<string, unknown>;

// ---- the checks --------------------------------------------------------------------------------

test('every service of the code runs as a container built from the Dockerfile', () => {
  assert.equal(appServices.map(([name]) => name).sort(), Object.keys(specs).sort());
  const startScripts = Object.keys(packageJson.scripts).filter((script) => script.startsWith('start:'));
  assert.equal(
    startScripts.sort(),
    Object.values(specs)
      .map((spec) => spec.script)
      .sort(),
    'every start:* script has a container',
  );
});

test('each container runs the file its npm start script runs, the way tsx runs it', () => {
  for (const [name, service] of appServices) {
    const script = packageJson.scripts[specOf(name).script];
    assert.ok(script, `${name}: npm script ${specOf(name).script} does not exist`);
    const scriptFile = /^tsx (\S+\.ts)$/.exec(script)?.[1];
    assert.ok(scriptFile, `${name}: ${specOf(name).script} is not "tsx <file>" (${script})`);
    assert.equal(commandOf(service), ['node', '--import', 'tsx', scriptFile], `${name}: command`);
    assert.ok(existsSync(new URL(scriptFile, root)), `${name}: ${scriptFile} does not exist`);
  }
  // `node --import tsx` in the runtime image, which has production dependencies only.
  assert.ok(packageJson.dependencies.tsx, 'tsx must be a dependency (not a devDependency): the containers run it');
});

test("every variable a container sets is one its service's zod schema knows", () => {
  for (const [name, service] of appServices) {
    const known = Object.keys(specOf(name).schema.shape);
    for (const variable of Object.keys(environmentOf(service))) {
      assert.ok(known.includes(variable), `${name}: ${variable} is not in its configuration schema (known: ${known.join(', ')})`);
    }
  }
});

test("each container's environment satisfies its schema: every required variable set, every value valid", () => {
  for (const [name] of appServices) {
    const schema = specOf(name).schema;
    const required = Object.entries(schema.shape)
      .filter(([, piece]) => !(piece as z.ZodType).safeParse(undefined).success)
      .map(([key]) => key);
    const environment = environmentOf(services[name]!);
    for (const variable of required) assert.ok(environment[variable], `${name}: required ${variable} is not set`);
    try {
      loadConfig(schema, environment);
    } catch (error) {
      assert.unreachable(`${name}: ${(error as Error).message}`);
    }
  }
});

test('published ports are the ports the services listen on, and their health checks probe that port', () => {
  for (const [name, service] of appServices) {
    const port = configOf(name)[specOf(name).portVariable];
    const mappings = portsOf(service);
    if (internalServices.has(name)) {
      assert.equal(mappings, [], `${name}: internal, never published`);
      assert.ok(healthTestOf(service).includes(`//127.0.0.1:${port}/`), `${name}: health check probes another port than ${port}`);
      continue;
    }
    assert.equal(mappings.length, 1, `${name}: publishes one port`);
    const [mapping] = mappings;
    assert.equal(mapping!.target, port, `${name}: container port vs ${specOf(name).portVariable}`);
    const replicas = service.deploy?.replicas ?? 1;
    assert.equal(mapping!.hostTo - mapping!.hostFrom + 1, replicas, `${name}: one host port per replica`);
    if (replicas === 1) assert.equal(mapping!.hostFrom, port, `${name}: host port is the service's usual port`);
    assert.ok(healthTestOf(service).includes(`//127.0.0.1:${port}/`), `${name}: health check probes another port than ${port}`);
  }
  const hostPorts = Object.values(services).flatMap((service) =>
    portsOf(service).flatMap(({ hostFrom, hostTo }) => Array.from({ length: hostTo - hostFrom + 1 }, (_, i) => hostFrom + i)),
  );
  assert.equal(new Set(hostPorts).size, hostPorts.length, 'no host port is published twice');
});

test('health checks probe /health or /ready, on paths the service really serves', async () => {
  for (const [name, service] of appServices) {
    const healthTest = healthTestOf(service);
    const path = /\/\/127\.0\.0\.1:\d+(\/[\w/-]*)/.exec(healthTest)?.[1];
    assert.ok(path === '/health' || path === '/ready', `${name}: health check ${healthTest}`);
    assert.ok((await specOf(name).probePaths()).includes(path), `${name}: does not serve ${path}`);
    // The service images have no curl or wget: the probe is node's own fetch, failing on non-2xx.
    assert.ok(
      healthTest.startsWith('node -e ') && healthTest.includes('r.ok ? 0 : 1'),
      `${name}: health check must fail on a non-2xx answer`,
    );
  }
  // The services that use createHttpServer (and so serve /health and /ready) really do.
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.probePaths !== platformProbePaths) continue;
    const directory = name === 'saga' ? 'saga' : name;
    const sources = ['main.ts', 'app.ts', 'service.ts']
      .filter((file) => existsSync(new URL(`${directory}/${file}`, root)))
      .map((file) => read(`${directory}/${file}`));
    assert.ok(
      sources.some((source) => source.includes('createHttpServer(')),
      `${name}: does not build its server with createHttpServer`,
    );
  }
});

test('infrastructure: the real EventStoreDB (insecure single node), PostgreSQL, NATS with JetStream, each with a health check', () => {
  const eventstore = services.eventstore!;
  assert.ok(eventstore, 'an eventstore service');
  assert.match(
    eventstore.image ?? '',
    /^eventstore\/eventstore:24\.10(\.\d+)?(-[\w.-]+)?$/,
    'the official EventStoreDB 24.10 image, not the emulator',
  );
  const esEnvironment = environmentOf(eventstore);
  assert.is(esEnvironment.EVENTSTORE_INSECURE, 'true');
  assert.is(esEnvironment.EVENTSTORE_CLUSTER_SIZE ?? '1', '1');
  assert.match(healthTestOf(eventstore), /http:\/\/localhost:2113\/health\/live/);

  const postgres = services.postgres!;
  assert.ok(postgres, 'a postgres service');
  assert.match(postgres.image ?? '', /^postgres:/);
  assert.match(healthTestOf(postgres), /pg_isready/);

  const nats = services.nats!;
  assert.ok(nats, 'a nats service');
  assert.match(nats.image ?? '', /^nats:/);
  const natsCommand = commandOf(nats);
  assert.ok(natsCommand.includes('-js'), 'NATS runs with JetStream (-js)');
  assert.equal(natsCommand[natsCommand.indexOf('-m') + 1], '8222', 'NATS monitoring on 8222 (-m 8222)');
  assert.match(healthTestOf(nats), /localhost:8222\/healthz/);
});

/** The console's origin reaches the APIs by these. */
const apiUrls: Record<string, string> = { COMMAND_API_URL: 'command-api', QUERY_API_URL: 'query-api' };

test('EVENTSTORE_URL, DATABASE_URL, NATS_URL, PAYMENT_PROVIDER_URL and the API URLs point at the compose services', () => {
  const postgres = environmentOf(services.postgres!);
  const sandboxPort = configOf('payment-sandbox').PAYMENT_SANDBOX_PORT;
  let checked = 0;
  for (const [name, service] of appServices) {
    const environment = environmentOf(service);
    if (environment.EVENTSTORE_URL !== undefined) {
      const url = new URL(environment.EVENTSTORE_URL);
      assert.is(url.protocol, 'esdb:', `${name}: EVENTSTORE_URL scheme`);
      assert.is(url.hostname, 'eventstore', `${name}: EVENTSTORE_URL host`);
      assert.is(url.port || '2113', environmentOf(services.eventstore!).EVENTSTORE_NODE_PORT ?? '2113', `${name}: EVENTSTORE_URL port`);
      assert.is(url.searchParams.get('tls'), 'false', `${name}: EVENTSTORE_URL must say tls=false (the node is insecure)`);
      checked++;
    }
    if (environment.DATABASE_URL !== undefined) {
      const url = new URL(environment.DATABASE_URL);
      assert.is(url.hostname, 'postgres', `${name}: DATABASE_URL host`);
      assert.is(url.port || '5432', '5432', `${name}: DATABASE_URL port`);
      assert.is(url.username, postgres.POSTGRES_USER, `${name}: DATABASE_URL user`);
      assert.is(decodeURIComponent(url.password), postgres.POSTGRES_PASSWORD, `${name}: DATABASE_URL password`);
      assert.is(url.pathname, `/${postgres.POSTGRES_DB}`, `${name}: DATABASE_URL database`);
      checked++;
    }
    if (environment.NATS_URL !== undefined) {
      const url = new URL(environment.NATS_URL);
      assert.is(url.hostname, 'nats', `${name}: NATS_URL host`);
      assert.is(url.port || '4222', '4222', `${name}: NATS_URL port`);
      checked++;
    }
    if (environment.PAYMENT_PROVIDER_URL !== undefined) {
      const url = new URL(environment.PAYMENT_PROVIDER_URL);
      assert.is(url.hostname, 'payment-sandbox', `${name}: PAYMENT_PROVIDER_URL host`);
      assert.is(Number(url.port), sandboxPort, `${name}: PAYMENT_PROVIDER_URL port`);
      checked++;
    }
    for (const [variable, api] of Object.entries(apiUrls)) {
      if (environment[variable] === undefined) continue;
      const url = new URL(environment[variable]);
      assert.is(url.hostname, api, `${name}: ${variable} host`);
      assert.is(Number(url.port), configOf(api)[specOf(api).portVariable], `${name}: ${variable} port`);
      checked++;
    }
  }
  assert.ok(checked >= 9, 'the URLs were set (defaults would point at 127.0.0.1, i.e. the container itself)');
  // A schema default (127.0.0.1) inside a container is always wrong: every service that has one of
  // these variables in its schema must set it.
  for (const [name] of appServices) {
    const known = Object.keys(specOf(name).schema.shape);
    for (const variable of ['EVENTSTORE_URL', 'DATABASE_URL', 'NATS_URL', 'PAYMENT_PROVIDER_URL', ...Object.keys(apiUrls)]) {
      if (known.includes(variable)) assert.ok(environmentOf(services[name]!)[variable], `${name}: ${variable} must be set`);
    }
  }
});

test('the saga runs as 2 replicas (competing consumers of one subscription group)', () => {
  assert.is(services.saga?.deploy?.replicas, 2);
});

test('start order: depends_on waits for healthy dependencies, and each service waits for what it uses', () => {
  const needs: Record<string, string> = {
    EVENTSTORE_URL: 'eventstore',
    DATABASE_URL: 'postgres',
    NATS_URL: 'nats',
    PAYMENT_PROVIDER_URL: 'payment-sandbox',
    ...apiUrls,
  };
  for (const [name, service] of Object.entries(services)) {
    const dependsOn = service.depends_on ?? {};
    assert.ok(!Array.isArray(dependsOn), `${name}: depends_on must be the long form with conditions`);
    for (const [dependency, { condition }] of Object.entries(dependsOn)) {
      assert.is(condition, 'service_healthy', `${name} → ${dependency}: condition`);
      assert.ok(services[dependency]?.healthcheck, `${name} → ${dependency}: ${dependency} has no health check`);
    }
    const environment = environmentOf(service);
    for (const [variable, dependency] of Object.entries(needs)) {
      if (environment[variable] !== undefined)
        assert.ok(dependency in dependsOn, `${name}: uses ${dependency} (${variable}) but does not wait for it`);
    }
  }
  // The query API reads tables that the projectors' migrations create.
  assert.ok(services['query-api']?.depends_on && 'projectors' in services['query-api'].depends_on, 'query-api waits for the projectors');
});

test('no secrets in the repository: they come from the environment, documented in .env.example', () => {
  for (const secret of ['POSTGRES_PASSWORD', 'PAYMENT_SANDBOX_KEY']) {
    for (const match of rawCompose.matchAll(new RegExp(`\\$\\{${secret}([^}]*)\\}`, 'g'))) {
      assert.ok(
        match[1]!.startsWith(':?'),
        `${secret} must be required from the environment (\${${secret}:?...}), not defaulted: ${match[0]}`,
      );
    }
  }
  assert.throws(
    () => interpolateAll(parse(rawCompose, { merge: true }), { POSTGRES_PASSWORD: 'x', JWT_SECRET: 'x' }, new Set()),
    /PAYMENT_SANDBOX_KEY/,
  );
  // JWT_SECRET or an identity provider (OIDC_ISSUER): either may be empty in compose, so each
  // service's own schema is what refuses a start with neither — naming JWT_SECRET.
  const uninterpolated = (parse(rawCompose, { merge: true }) as { services: Record<string, ComposeService> }).services;
  for (const [name] of appServices) {
    const jwtSecret = environmentOf(uninterpolated[name]!).JWT_SECRET;
    if (jwtSecret === undefined) continue;
    assert.is(jwtSecret, '${JWT_SECRET:-}', `${name}: JWT_SECRET comes from the environment, with no value of its own`);
    const withNeither = interpolateAll(
      parse(rawCompose, { merge: true }),
      { POSTGRES_PASSWORD: 'x', PAYMENT_SANDBOX_KEY: 'k'.repeat(40) },
      new Set(),
    ) as { services: Record<string, ComposeService> };
    assert.throws(
      () => loadConfig(specOf(name).schema, environmentOf(withNeither.services[name]!)),
      /JWT_SECRET: is required but not set \(or set OIDC_ISSUER/,
      name,
    );
  }
  const example = read('.env.example');
  for (const variable of usedVariables) assert.match(example, new RegExp(`^${variable}=`, 'm'), `.env.example documents ${variable}`);
  assert.not.match(example, /^(JWT_SECRET|POSTGRES_PASSWORD|PAYMENT_SANDBOX_KEY)=\S/m, '.env.example holds no value for a secret');
  assert.ok(read('.dockerignore').split('\n').includes('.env'), '.env stays out of the image build context');
});

test('with an identity provider instead of JWT_SECRET (the keycloak profile), every service and the console origin accept their environment', () => {
  const keycloakEnv: Env = {
    POSTGRES_PASSWORD: 'pg-test-password',
    PAYMENT_SANDBOX_KEY: 'k'.repeat(40),
    OIDC_ISSUER: 'http://localhost:8080/realms/checkout',
    OIDC_AUDIENCE: 'checkout-apis',
    OIDC_JWKS_URL: 'http://keycloak:8080/realms/checkout/protocol/openid-connect/certs',
    OIDC_ROLES_CLAIM: 'realm_access.roles',
    OIDC_CONSOLE_CLIENT_ID: 'checkout-console',
  };
  const withKeycloak = (
    interpolateAll(parse(rawCompose, { merge: true }), keycloakEnv, new Set()) as { services: Record<string, ComposeService> }
  ).services;
  for (const [name] of appServices) {
    const config = loadConfig(specOf(name).schema, environmentOf(withKeycloak[name]!)) as Record<string, unknown>;
    if ('OIDC_ISSUER' in specOf(name).schema.shape) assert.is(config.OIDC_ISSUER, keycloakEnv.OIDC_ISSUER, name);
  }
  // Both ways at once is refused.
  const both = (
    interpolateAll(parse(rawCompose, { merge: true }), { ...keycloakEnv, JWT_SECRET: 'j'.repeat(40) }, new Set()) as {
      services: Record<string, ComposeService>;
    }
  ).services;
  assert.throws(
    () => loadConfig(commandApiEnv, environmentOf(both['command-api']!)),
    /JWT_SECRET: must not be set together with OIDC_ISSUER/,
  );

  const keycloak = services.keycloak as ComposeService & { profiles?: string[]; volumes?: string[] };
  assert.ok(keycloak, 'a keycloak service');
  assert.equal(keycloak.profiles, ['keycloak'], 'optional: only with --profile keycloak');
  assert.match(keycloak.image ?? '', /^quay\.io\/keycloak\/keycloak:/);
  assert.ok(commandOf(keycloak).includes('--import-realm'));
  const realmFile = (keycloak.volumes ?? []).map((volume) => volume.split(':')[0]!).find((path) => path.endsWith('.json'));
  assert.ok(realmFile && existsSync(new URL(realmFile, root)), `the realm file ${realmFile} exists`);
  const realm = JSON.parse(read(realmFile)) as {
    realm: string;
    roles: { realm: { name: string }[] };
    clients: {
      clientId: string;
      publicClient: boolean;
      attributes: Record<string, string>;
      redirectUris: string[];
      webOrigins: string[];
      defaultClientScopes: string[];
    }[];
    clientScopes: { name: string; protocolMappers: { protocolMapper: string; config: Record<string, string> }[] }[];
    users: { realmRoles: string[] }[];
  };
  assert.is(realm.realm, 'checkout');
  assert.is(`http://localhost:8080/realms/${realm.realm}`, keycloakEnv.OIDC_ISSUER);
  assert.equal(realm.roles.realm.map((role) => role.name).sort(), ['admin', 'customer']);
  const console = realm.clients.find((client) => client.clientId === keycloakEnv.OIDC_CONSOLE_CLIENT_ID)!;
  assert.ok(console?.publicClient, 'the console is a public client');
  assert.is(console.attributes['pkce.code.challenge.method'], 'S256');
  assert.ok(
    console.redirectUris.includes('http://localhost:3000/') && console.webOrigins.includes('http://localhost:3000'),
    "the console's origin may sign in and exchange codes",
  );
  const audience = realm.clientScopes.find(
    (scope) =>
      console.defaultClientScopes.includes(scope.name) &&
      scope.protocolMappers.some((mapper) => mapper.protocolMapper === 'oidc-audience-mapper'),
  );
  assert.is(audience?.protocolMappers[0]!.config['included.custom.audience'], keycloakEnv.OIDC_AUDIENCE);
  assert.equal(
    realm.users
      .map((user) => user.realmRoles.filter((role) => role === 'customer' || role === 'admin'))
      .flat()
      .sort(),
    ['admin', 'customer'],
  );
});

test('Dockerfile: build stage, production-only runtime stage, non-root, NODE_ENV=production', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  assert.ok(stages.length >= 2, 'multi-stage');
  const runtime = stages.at(-1)!;
  assert.match(stages[0]!, /RUN npm ci\b(?! --omit)/, 'the build stage installs every dependency');
  assert.match(runtime, /RUN npm ci --omit=dev/, 'the runtime stage has production dependencies only');
  assert.match(runtime, /^ENV NODE_ENV=production$/m);
  const user = /^USER (\S+)$/m.exec(runtime)?.[1];
  assert.ok(user && user !== 'root' && user !== '0', 'the runtime runs as a non-root user');
  // The shared code and every directory a container's entry file lives in (or one above it) are in the runtime stage.
  const copied = [...runtime.matchAll(/^COPY --from=build \/app\/(\S+) /gm)].map((match) => match[1]!);
  const entryDirectories = appServices.map(([, service]) => commandOf(service).at(-1)!.split('/').slice(0, -1).join('/'));
  for (const directory of ['domain', 'platform', ...entryDirectories]) {
    assert.ok(
      copied.some((path) => directory === path || directory.startsWith(`${path}/`)),
      `${directory} is in the runtime image`,
    );
  }
  // What the web service serves: the console, built in the build stage.
  assert.ok(copied.includes('web/dist'), 'the built console (web/dist) is in the runtime image');
  assert.match(stages[0]!, /npm run web:build/, 'the build stage builds the console');
});

test.run();
