import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../platform/config';
import { sagaEnv } from '../saga/config';
import { DEFAULT_SAGA_GROUP, commandApiEnv } from './config';

const required = { EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false', JWT_SECRET: 'x'.repeat(32) };

test("SAGA_GROUP defaults to the saga's own default, so the parked events shown are the saga's", () => {
  assert.is(loadConfig(sagaEnv, {}).SAGA_GROUP, DEFAULT_SAGA_GROUP);
  assert.is(loadConfig(commandApiEnv, required).SAGA_GROUP, DEFAULT_SAGA_GROUP);
  assert.is(loadConfig(commandApiEnv, { ...required, SAGA_GROUP: 'other-saga' }).SAGA_GROUP, 'other-saga');
});

test('CORS_ORIGINS: a list of origins, or a start refused naming the variable', () => {
  assert.equal(loadConfig(commandApiEnv, { ...required, CORS_ORIGINS: 'http://127.0.0.1:8099,https://shop.example' }).CORS_ORIGINS, [
    'http://127.0.0.1:8099',
    'https://shop.example',
  ]);
  assert.is(loadConfig(commandApiEnv, required).CORS_ORIGINS, undefined);
  assert.throws(
    () => loadConfig(commandApiEnv, { ...required, CORS_ORIGINS: 'https://shop.example/console' }),
    (error: unknown) => error instanceof ConfigError && error.problems.length === 1 && error.problems[0]!.variable === 'CORS_ORIGINS',
  );
});

test.run();
