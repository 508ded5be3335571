import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { ConfigError, databaseUrl, eventStoreUrl, jwtSecret, loadConfig, logLevel, natsUrl, port } from './config';

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
  const problems = problemsOf({ PORT: '1', LOG_LEVEL: 'loud', EVENTSTORE_URL: 'http://127.0.0.1:2113', DATABASE_URL: 'not a url', JWT_SECRET: undefined });
  assert.equal(problems, [
    { variable: 'LOG_LEVEL', problem: 'must be one of fatal, error, warn, info, debug, trace, silent' },
    { variable: 'EVENTSTORE_URL', problem: 'must be a URL starting with esdb:// or esdb+discover:// (e.g. esdb://127.0.0.1:2113?tls=false)' },
    { variable: 'DATABASE_URL', problem: 'must be a URL starting with postgres:// or postgresql:// (e.g. postgres://postgres@127.0.0.1:5432/test)' },
    { variable: 'NATS_URL', problem: 'is required but not set' },
    { variable: 'JWT_SECRET', problem: 'is required but not set' },
  ]);
});

test('only the schema’s variables are read; others in the environment are ignored', () => {
  const config = loadConfig(z.object({ PORT: port() }), { PORT: '0', PATH: '/usr/bin' });
  assert.equal(config, { PORT: 0 });
});

test.run();
