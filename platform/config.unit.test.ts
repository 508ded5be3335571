import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { ConfigError, count, databaseUrl, eventStoreUrl, jwtSecret, loadConfig, logLevel, milliseconds, natsUrl, port } from './config';

const schema = z.object({
  PORT: port(3000),
  LOG_LEVEL: logLevel,
  EVENTSTORE_URL: eventStoreUrl,
  DATABASE_URL: databaseUrl,
  NATS_URL: natsUrl,
  JWT_SECRET: jwtSecret,
});

const good = {
  PORT: '8080',
  LOG_LEVEL: 'debug',
  EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  NATS_URL: 'nats://127.0.0.1:4222',
  JWT_SECRET: 'x'.repeat(32),
};

function problemsOf(env: Record<string, string | undefined>) {
  try {
    loadConfig(schema, env);
  } catch (error) {
    assert.instance(error, ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

test('parses a good environment into typed values', () => {
  assert.equal(loadConfig(schema, good), { ...good, PORT: 8080, LOG_LEVEL: 'debug' });
});

test('defaults apply when a variable is unset or empty', () => {
  const config = loadConfig(schema, { ...good, PORT: '', LOG_LEVEL: undefined });
  assert.is(config.PORT, 3000);
  assert.is(config.LOG_LEVEL, 'info');
});

test('a bad port names PORT and the problem', () => {
  assert.equal(problemsOf({ ...good, PORT: 'eighty' }), [{ variable: 'PORT', problem: 'must be a whole number between 0 and 65535' }]);
  assert.equal(problemsOf({ ...good, PORT: '70000' }), [{ variable: 'PORT', problem: 'must be between 0 and 65535' }]);
});

test('a short JWT secret names JWT_SECRET without echoing its value', () => {
  let message = '';
  try {
    loadConfig(schema, { ...good, JWT_SECRET: 'hunter2' });
  } catch (error) {
    message = (error as Error).message;
  }
  assert.is(message, 'Invalid configuration (1 problem):\n  - JWT_SECRET: must be at least 32 characters (HS256 needs a 256-bit secret)');
  assert.not.match(message, 'hunter2');
});

test('every bad or missing variable is named in one error', () => {
  const problems = problemsOf({
    PORT: '1',
    LOG_LEVEL: 'loud',
    EVENTSTORE_URL: 'http://127.0.0.1:2113',
    DATABASE_URL: 'not a url',
    JWT_SECRET: undefined,
  });
  assert.equal(problems, [
    { variable: 'LOG_LEVEL', problem: 'must be one of fatal, error, warn, info, debug, trace, silent' },
    {
      variable: 'EVENTSTORE_URL',
      problem: 'must be a URL starting with esdb:// or esdb+discover:// (e.g. esdb://127.0.0.1:2113?tls=false)',
    },
    {
      variable: 'DATABASE_URL',
      problem: 'must be a URL starting with postgres:// or postgresql:// (e.g. postgres://postgres@127.0.0.1:5432/test)',
    },
    { variable: 'NATS_URL', problem: 'is required but not set' },
    { variable: 'JWT_SECRET', problem: 'is required but not set' },
  ]);
});

test('only the schema’s variables are read; others in the environment are ignored', () => {
  const config = loadConfig(z.object({ PORT: port() }), { PORT: '0', PATH: '/usr/bin' });
  assert.equal(config, { PORT: 0 });
});

test('numbers are digits only, within their bounds, the bound named', () => {
  const numbers = z.object({ BATCH: count(500), THRESHOLD: count(5, { min: 0 }), TIMEOUT_MS: milliseconds(5000, { min: 0, max: 60_000 }) });
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(numbers, env);
      return [];
    } catch (error) {
      return (error as ConfigError).problems.map(({ variable, problem }) => `${variable}: ${problem}`);
    }
  };
  assert.equal(loadConfig(numbers, {}), { BATCH: 500, THRESHOLD: 5, TIMEOUT_MS: 5000 });
  assert.equal(loadConfig(numbers, { BATCH: '1', THRESHOLD: '0', TIMEOUT_MS: '60000' }), { BATCH: 1, THRESHOLD: 0, TIMEOUT_MS: 60_000 });
  assert.equal(problems({ BATCH: '0', THRESHOLD: '-1', TIMEOUT_MS: '60001' }), [
    'BATCH: must be at least 1',
    'THRESHOLD: must be a whole number',
    'TIMEOUT_MS: must be at most 60000',
  ]);
  assert.equal(problems({ BATCH: '1e3', THRESHOLD: '2.5', TIMEOUT_MS: ' 10' }), [
    'BATCH: must be a whole number',
    'THRESHOLD: must be a whole number',
    'TIMEOUT_MS: must be a whole number of milliseconds',
  ]);
});

test.run();
