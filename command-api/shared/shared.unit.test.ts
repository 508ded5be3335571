import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson, fingerprintOf, idempotencyRecordKey, idempotencyStream } from './idempotency';
import { CoalescedReads } from './coalesced-reads';
import { streamCategory } from '../observability/eventstore-metrics';

test('canonical JSON sorts keys at every level and keeps array order', () => {
  assert.is(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
  assert.is(canonicalJson({ a: undefined, b: 'x' }), '{"b":"x"}');
  assert.is(canonicalJson(undefined), 'null');
});

const request = {
  principal: 'carla',
  method: 'POST',
  route: '/orders',
  params: {},
  body: { lines: [{ sku: 'A', quantity: 1 }], paymentToken: 't' },
};

test('a fingerprint ignores key order but not values, routes, methods or principals', () => {
  const fingerprint = fingerprintOf(request);
  assert.match(fingerprint, /^[0-9a-f]{64}$/);
  assert.is(fingerprintOf({ ...request, body: { paymentToken: 't', lines: [{ quantity: 1, sku: 'A' }] } }), fingerprint);
  const others = [
    { ...request, body: { ...request.body, paymentToken: 'u' } },
    { ...request, route: '/products' },
    { ...request, method: 'PUT' },
    { ...request, principal: 'dora' },
    { ...request, params: { sku: 'A' } },
  ].map(fingerprintOf);
  assert.is(new Set([fingerprint, ...others]).size, 6);
});

test('the record of a key is per principal, and its stream name is fixed-length', () => {
  assert.is.not(idempotencyRecordKey('carla', 'k'), idempotencyRecordKey('dora', 'k'));
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  assert.is.not(idempotencyRecordKey('ab', 'c'), idempotencyRecordKey('a', 'bc'));
  assert.match(idempotencyStream('carla', 'k'), /^idempotency-[0-9a-f]{64}$/);
});

test('metrics label a stream by its category', () => {
  assert.equal(['inventory-SKU-1', 'order-3f2a', 'idempotency-ab', '$all'].map(streamCategory), [
    'inventory',
    'order',
    'idempotency',
    '$all',
  ]);
});

test('coalesced reads: callers share a read that started after they asked, never an older one', async () => {
  let version = 0;
  const loads: number[] = [];
  const gates: (() => void)[] = [];
  const reads = new CoalescedReads(async (stream) => {
    const seen = version;
    loads.push(seen);
    await new Promise<void>((resolve) => gates.push(resolve));
    return `${stream}@${seen}`;
  });
  const first = reads.read('s');
  version = 1; // a write lands after the first read started
  const second = reads.read('s');
  const third = reads.read('s');
  const other = reads.read('t');
  assert.equal(loads, [0, 1], 'one read for s, one for t; the later callers wait');
  gates.shift()!();
  assert.is(await first, 's@0');
  await sleep(0);
  assert.equal(loads, [0, 1, 1], 'the queued callers get a read of their own, started after they asked');
  gates.shift()!();
  gates.shift()!();
  assert.equal([await second, await third, await other], ['s@1', 's@1', 't@1']);
  assert.is(reads.busy, 0);
});

test('coalesced reads: a failed read fails its callers only; the next caller reads again', async () => {
  let fail = true;
  const reads = new CoalescedReads(async () => {
    if (fail) throw new Error('unavailable');
    return 'ok';
  });
  const failed = await reads.read('s').catch((error: Error) => error.message);
  fail = false;
  assert.equal([failed, await reads.read('s')], ['unavailable', 'ok']);
});

test.run();
