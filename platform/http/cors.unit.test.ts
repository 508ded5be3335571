import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../config';
import { corsOrigins, isOrigin } from './cors';

const schema = z.object({ CORS_ORIGINS: corsOrigins.optional() });

test('CORS_ORIGINS: comma-separated exact origins, spaces and repeats tolerated', () => {
  assert.equal(loadConfig(schema, { CORS_ORIGINS: 'http://127.0.0.1:8099, https://shop.example ,http://127.0.0.1:8099' }), {
    CORS_ORIGINS: ['http://127.0.0.1:8099', 'https://shop.example'],
  });
  assert.is(loadConfig(schema, {}).CORS_ORIGINS, undefined);
  assert.is(loadConfig(schema, { CORS_ORIGINS: '' }).CORS_ORIGINS, undefined, 'empty means unset');
});

test('CORS_ORIGINS: anything but an origin is refused, naming the variable and the entry', () => {
  for (const bad of [
    '*',
    'http://127.0.0.1:8099/',
    'http://127.0.0.1:8099/console',
    'ftp://files.example',
    '127.0.0.1:8099',
    'http://Shop.example',
    'http://shop.example:80',
    'null',
  ]) {
    try {
      loadConfig(schema, { CORS_ORIGINS: `http://ok.example,${bad}` });
      assert.unreachable(`${bad} was accepted`);
    } catch (error) {
      assert.instance(error, ConfigError, bad);
      const [problem] = (error as ConfigError).problems;
      assert.is(problem?.variable, 'CORS_ORIGINS', bad);
      assert.match(problem?.problem ?? '', `"${bad}" is not an origin`);
    }
  }
});

test('isOrigin: scheme, host and optional port, as a browser writes Origin', () => {
  assert.ok(isOrigin('http://localhost:5173'));
  assert.ok(isOrigin('https://[::1]:8443'));
  assert.not.ok(isOrigin('https://shop.example:443'));
  assert.not.ok(isOrigin('https://user@shop.example'));
});

test.run();
