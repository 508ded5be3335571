import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../config';
import { z } from 'zod';
import { clientAddress, forwardedChain, requestedHost, trustedProxies, trustProxy, trustsNobody } from './client-address';

const env = z.object({ TRUST_PROXY: trustProxy.optional() });

test('TRUST_PROXY: addresses, CIDR ranges and named ranges; anything else names itself', () => {
  assert.equal(loadConfig(env, { TRUST_PROXY: 'loopback, 172.28.0.10,10.0.0.0/8,fd00::/8' }).TRUST_PROXY, [
    'loopback',
    '172.28.0.10',
    '10.0.0.0/8',
    'fd00::/8',
  ]);
  assert.equal(loadConfig(env, {}).TRUST_PROXY, undefined);
  for (const bad of ['web', '10.0.0.0/33', '1.2.3', '*', 'true']) {
    assert.throws(
      () => loadConfig(env, { TRUST_PROXY: bad }),
      (error: Error) => error.message.includes('TRUST_PROXY') && error.message.includes('CIDR'),
      bad,
    );
  }
});

test('trust: exact addresses, ranges, loopback (IPv4-mapped too), nothing else', () => {
  const trusted = trustedProxies(['loopback', '172.28.0.10', '10.1.0.0/16']);
  for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '::1', '172.28.0.10', '10.1.200.3']) assert.ok(trusted(address), address);
  for (const address of ['172.28.0.11', '10.2.0.1', '8.8.8.8', 'garbage', '']) assert.not.ok(trusted(address), address);
  assert.not.ok(trustedProxies([])('127.0.0.1'));
});

test('the walk stops at the first untrusted address: a client cannot prepend its way in', () => {
  const trusted = trustedProxies(['172.28.0.10']);
  // The origin (trusted) forwarded 203.0.113.7, which wrote a forged entry itself.
  assert.equal(forwardedChain('172.28.0.10', '1.1.1.1, 203.0.113.7', trusted), ['203.0.113.7', '172.28.0.10']);
  assert.is(
    clientAddress({ socket: { remoteAddress: '172.28.0.10' }, headers: { 'x-forwarded-for': '1.1.1.1, 203.0.113.7' } }, trusted),
    '203.0.113.7',
  );
  // From anyone else, the header is ignored.
  assert.is(
    clientAddress({ socket: { remoteAddress: '198.51.100.1' }, headers: { 'x-forwarded-for': '203.0.113.7' } }, trusted),
    '198.51.100.1',
  );
  assert.is(clientAddress({ socket: { remoteAddress: '::ffff:198.51.100.1' }, headers: {} }, trustsNobody), '198.51.100.1');
  // Repeated header lines count as one list.
  assert.equal(forwardedChain('172.28.0.10', ['9.9.9.9', '203.0.113.8'], trusted), ['203.0.113.8', '172.28.0.10']);
});

test("the host asked for: a trusted proxy's X-Forwarded-Host, else Host", () => {
  const trusted = trustedProxies(['loopback']);
  const headers = { host: 'query-api:3002', 'x-forwarded-host': 'Shop.Example:3000' };
  assert.is(requestedHost({ socket: { remoteAddress: '127.0.0.1' }, headers }, trusted), 'shop.example:3000');
  assert.is(requestedHost({ socket: { remoteAddress: '203.0.113.7' }, headers }, trusted), 'query-api:3002');
});

test.run();
