import { setTimeout as sleep } from 'node:timers/promises';
import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { storedEvents, startCommandApi, type CommandApiFixture } from '../testing/fixture';
import { idempotencyStream } from './idempotency';

let now = new Date('2026-03-01T10:00:00.000Z');
let ids = 0;
let api: CommandApiFixture;
let admin: string;
let carla: string;
let dora: string;

test.before(async () => {
  api = await startCommandApi({
    clock: () => now,
    newId: () => `fresh-${++ids}`,
    idempotency: { leaseMs: 1_000, waitMs: 2_000, pollMs: 10 },
  });
  admin = await api.token('ada', 'admin');
  carla = await api.token('carla', 'customer');
  dora = await api.token('dora', 'customer');
  for (const sku of ['MUG', 'PEN']) {
    assert.is(
      (await api.call('POST', '/products', { token: admin, body: { sku, name: sku, price: { amount: 500, currency: 'EUR' } } })).status,
      201,
    );
  }
});
test.after(async () => {
  await api.close();
});

const order = { lines: [{ sku: 'MUG', quantity: 1 }], paymentToken: 'tok_approve' };
const withKey = (key: string) => ({ 'idempotency-key': key });
const receipts = async (client: EventStoreDBClient, sku: string) =>
  (await storedEvents(client, `inventory-${sku}`)).filter((event) => event.type === 'StockReceived').map((event) => event.data);

test('same key and body → the same answer, marked replayed, and one event', async () => {
  const first = await api.call('POST', '/orders', { token: carla, body: order, headers: withKey('k-order-1') });
  const second = await api.call('POST', '/orders', {
    token: carla,
    body: { paymentToken: 'tok_approve', lines: [{ quantity: 1, sku: 'MUG' }] },
    headers: withKey('k-order-1'),
  });
  assert.is(first.status, 202);
  assert.is(second.status, 202);
  assert.equal(second.body, first.body);
  assert.is(first.headers.get('idempotent-replayed'), null);
  assert.is(second.headers.get('idempotent-replayed'), 'true');
  // Under a key the order id comes from the key, not from the id generator.
  assert.is(ids, 0);
  assert.match(first.body.orderId as string, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(
    (await storedEvents(api.client, `order-${first.body.orderId}`)).map((event) => event.type),
    ['OrderPlaced'],
  );
  assert.equal(
    (await storedEvents(api.client, idempotencyStream('carla', 'k-order-1'))).map((event) => event.type),
    ['IdempotentRequestStarted', 'IdempotentRequestAnswered'],
  );

  const stock1 = await api.call('POST', '/products/PEN/stock', { token: admin, body: { quantity: 4 }, headers: withKey('k-stock-1') });
  const stock2 = await api.call('POST', '/products/PEN/stock', { token: admin, body: { quantity: 4 }, headers: withKey('k-stock-1') });
  assert.equal([stock1.status, stock2.status], [200, 200]);
  assert.equal(stock2.body, stock1.body);
  assert.equal(await receipts(api.client, 'PEN'), [{ sku: 'PEN', quantity: 4 }]);
});

test('same key with another body, or another route → 422 idempotency-key-reused, nothing written', async () => {
  await api.call('POST', '/products/MUG/stock', { token: admin, body: { quantity: 1 }, headers: withKey('k-reuse') });
  const otherBody = await api.call('POST', '/products/MUG/stock', { token: admin, body: { quantity: 2 }, headers: withKey('k-reuse') });
  assert.is(otherBody.status, 422);
  assert.equal(
    { type: otherBody.body.type, detail: otherBody.body.detail },
    {
      type: 'urn:checkout:problem:idempotency-key-reused',
      detail: 'The Idempotency-Key k-reuse was already used for a different request; use a new key for a new request',
    },
  );
  const otherSku = await api.call('POST', '/products/PEN/stock', { token: admin, body: { quantity: 1 }, headers: withKey('k-reuse') });
  assert.is(otherSku.status, 422);
  const otherRoute = await api.call('PUT', '/products/MUG/price', {
    token: admin,
    body: { price: { amount: 1, currency: 'EUR' } },
    headers: withKey('k-reuse'),
  });
  assert.is(otherRoute.status, 422);
  assert.equal(await receipts(api.client, 'MUG'), [{ sku: 'MUG', quantity: 1 }]);
  assert.is((await storedEvents(api.client, 'inventory-MUG')).length, 2, 'no price change either');
});

test('a body sent to a route that takes none is not part of the request: any body repeats the answer', async () => {
  const placed = await api.call('POST', '/orders', { token: carla, body: order });
  const path = `/orders/${placed.body.orderId as string}/cancel`;
  const deep = '['.repeat(30) + ']'.repeat(30);
  const first = await fetch(`${api.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${carla}`, 'content-type': 'application/json', ...withKey('k-cancel-1') },
    body: deep,
  });
  const second = await api.call('POST', path, { token: carla, body: { reason: 'other' }, headers: withKey('k-cancel-1') });
  assert.is(first.status, 202);
  assert.is(second.status, 202);
  assert.is(second.headers.get('idempotent-replayed'), 'true');
});

test('concurrent duplicates with one key → one event, and every caller gets its answer', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, () =>
      api.call('POST', '/products/MUG/stock', { token: admin, body: { quantity: 7 }, headers: withKey('k-burst') }),
    ),
  );
  assert.equal(
    answers.map((answer) => answer.status),
    Array(20).fill(200),
  );
  for (const answer of answers) assert.equal(answer.body, answers[0]?.body);
  assert.is(answers.filter((answer) => answer.headers.get('idempotent-replayed') === null).length, 1, 'one of them did the work');
  assert.equal((await receipts(api.client, 'MUG')).filter((data) => (data as { quantity: number }).quantity === 7).length, 1);

  const orders = await Promise.all(
    Array.from({ length: 10 }, () => api.call('POST', '/orders', { token: carla, body: order, headers: withKey('k-order-burst') })),
  );
  assert.equal(
    orders.map((answer) => answer.status),
    Array(10).fill(202),
  );
  assert.is(new Set(orders.map((answer) => JSON.stringify(answer.body))).size, 1);
  assert.equal(
    (await storedEvents(api.client, `order-${orders[0]?.body.orderId}`)).map((event) => event.type),
    ['OrderPlaced'],
  );
});

test('keys belong to their principal: two customers with the same key place two orders', async () => {
  const carlas = await api.call('POST', '/orders', { token: carla, body: order, headers: withKey('k-shared') });
  const doras = await api.call('POST', '/orders', { token: dora, body: order, headers: withKey('k-shared') });
  assert.equal([carlas.status, doras.status], [202, 202]);
  assert.is.not(carlas.body.orderId, doras.body.orderId);
  assert.is(doras.headers.get('idempotent-replayed'), null);
});

test('a refusal is an answer too: replayed as it was, even after the world changed', async () => {
  const first = await api.call('PUT', '/products/LATER/price', {
    token: admin,
    body: { price: { amount: 9, currency: 'EUR' } },
    headers: withKey('k-refused'),
  });
  assert.is(first.status, 404);
  await api.call('POST', '/products', { token: admin, body: { sku: 'LATER', name: 'later', price: { amount: 5, currency: 'EUR' } } });
  const second = await api.call('PUT', '/products/LATER/price', {
    token: admin,
    body: { price: { amount: 9, currency: 'EUR' } },
    headers: withKey('k-refused'),
  });
  assert.is(second.status, 404);
  assert.is(second.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal(second.body, first.body);
  assert.equal(
    (await storedEvents(api.client, 'inventory-LATER')).map((event) => event.type),
    ['ProductRegistered'],
  );
});

test('an invalid key → 400 naming the header', async () => {
  const answer = await api.call('POST', '/products/MUG/stock', { token: admin, body: { quantity: 1 }, headers: withKey('x'.repeat(256)) });
  assert.is(answer.status, 400);
  assert.equal(
    (answer.body.errors as { in: string; path: string }[]).map((e) => [e.in, e.path]),
    [['headers', '/idempotency-key']],
  );
});

test('the record survives a restart: another instance on the same store replays the answer', async () => {
  const first = await api.call('POST', '/orders', { token: carla, body: order, headers: withKey('k-restart') });
  const other = await startCommandApi({ emulator: api.emulator, client: api.emulator.newClient() });
  try {
    const again = await other.call('POST', '/orders', { token: carla, body: order, headers: withKey('k-restart') });
    assert.is(again.status, 202);
    assert.equal(again.body, first.body);
    assert.is(again.headers.get('idempotent-replayed'), 'true');
  } finally {
    await other.close();
  }
});

/** A client that loses the answer of requests: the command's events are written, the record stays "started". */
function crashingBeforeTheAnswer(client: EventStoreDBClient): EventStoreDBClient {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property !== 'appendToStream') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<EventStoreDBClient['appendToStream']>) => {
        const events = Array.isArray(args[1]) ? args[1] : [args[1]];
        if (events[0]?.type === 'IdempotentRequestAnswered') throw new Error('process crashed');
        return target.appendToStream(...args);
      };
    },
  });
}

test('a request whose process died after writing: repeats wait, then one takes over and answers from what was written', async () => {
  const crashing = await startCommandApi({
    emulator: api.emulator,
    client: crashingBeforeTheAnswer(api.emulator.newClient()),
    clock: () => now,
  });
  try {
    const crashedOrder = await crashing.call('POST', '/orders', { token: carla, body: order, headers: withKey('k-crash-order') });
    const crashedStock = await crashing.call('POST', '/products/PEN/stock', {
      token: admin,
      body: { quantity: 11 },
      headers: withKey('k-crash-stock'),
    });
    assert.equal([crashedOrder.status, crashedStock.status], [500, 500]);
  } finally {
    await crashing.close();
  }
  // Meanwhile the stream moves on: a takeover must not decide again on the newer state.
  await api.call('POST', '/products/PEN/stock', { token: admin, body: { quantity: 1 } });

  // Within the lease the claim may still be alive: a repeat waits for it, then says "in progress".
  const impatient = await startCommandApi({
    emulator: api.emulator,
    client: api.emulator.newClient(),
    clock: () => now,
    idempotency: { leaseMs: 1_000, waitMs: 100, pollMs: 10 },
  });
  try {
    const waiting = await impatient.call('POST', '/orders', { token: carla, body: order, headers: withKey('k-crash-order') });
    assert.is(waiting.status, 409);
    assert.is(waiting.body.type, 'urn:checkout:problem:idempotent-request-in-progress');
    assert.is(waiting.headers.get('retry-after'), '1');
  } finally {
    await impatient.close();
  }

  now = new Date(now.getTime() + 5_000); // past the lease
  const order1 = await api.call('POST', '/orders', { token: carla, body: order, headers: withKey('k-crash-order') });
  assert.is(order1.status, 202);
  const placed = await storedEvents(api.client, `order-${order1.body.orderId}`);
  assert.equal(
    placed.map((event) => event.type),
    ['OrderPlaced'],
    'the order written before the crash, not a second one',
  );
  assert.is(order1.body.revision, '0');

  const stock = await api.call('POST', '/products/PEN/stock', { token: admin, body: { quantity: 11 }, headers: withKey('k-crash-stock') });
  assert.is(stock.status, 200);
  const pen = await storedEvents(api.client, 'inventory-PEN');
  assert.equal(pen.filter((event) => (event.data as { quantity?: number }).quantity === 11).length, 1, 'received once');
  const elevenAt = pen.findIndex((event) => (event.data as { quantity?: number }).quantity === 11);
  assert.is(stock.body.revision, String(elevenAt), 'answered with the revision of the write before the crash');

  const replay = await api.call('POST', '/products/PEN/stock', { token: admin, body: { quantity: 11 }, headers: withKey('k-crash-stock') });
  assert.equal(replay.body, stock.body);
});

test('a claim whose holder died is taken over within the default lease: the retry is answered with the original order', async () => {
  // Real clocks and the shipped settings (3 s lease, 5 s wait): a retry after a crash must get the
  // original answer, not a 409, within its 5 s wait.
  const crashing = await startCommandApi({ emulator: api.emulator, client: crashingBeforeTheAnswer(api.emulator.newClient()) });
  const live = await startCommandApi({ emulator: api.emulator, client: api.emulator.newClient() });
  try {
    const crashed = await crashing.call('POST', '/orders', { token: carla, body: order, headers: withKey('k-dead-holder') });
    assert.is(crashed.status, 500, 'the holder died after writing the order, before storing the answer');
    await crashing.close();
    const retry = await live.call('POST', '/orders', { token: carla, body: order, headers: withKey('k-dead-holder') });
    assert.is(retry.status, 202, `answered, not left in progress: ${JSON.stringify(retry.body)}`);
    const placed = await storedEvents(api.client, `order-${retry.body.orderId}`);
    assert.equal(
      placed.map((event) => event.type),
      ['OrderPlaced'],
      'the order written before the crash, not a second one',
    );
    assert.is(retry.body.revision, '0');
    const record = await storedEvents(api.client, idempotencyStream('carla', 'k-dead-holder'));
    assert.equal(record.filter((event) => event.type === 'IdempotentRequestStarted').length, 2, 'taken over once');
  } finally {
    await live.close();
  }
});

test('a live holder renews its claim: a repeat on another instance waits past the lease and never takes over', async () => {
  // The first instance's order append is held for three leases; its claim is renewed meanwhile.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const stalling = new Proxy(api.emulator.newClient(), {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property !== 'appendToStream') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<EventStoreDBClient['appendToStream']>) => {
        if (String(args[0]).startsWith('order-')) await held;
        return target.appendToStream(...args);
      };
    },
  });
  // Renewals every 100 ms against a 2.5 s lease: a stall of the busy machine two dozen renewals
  // long would be needed to let the repeat take over, so a failure here means the renewal is broken.
  const settings = { leaseMs: 2_500, renewEveryMs: 100, waitMs: 20_000, pollMs: 10 };
  const slow = await startCommandApi({ emulator: api.emulator, client: stalling, idempotency: settings });
  const other = await startCommandApi({ emulator: api.emulator, client: api.emulator.newClient(), idempotency: settings });
  try {
    const first = slow.call('POST', '/orders', { token: dora, body: order, headers: withKey('k-live-holder') });
    const stream = idempotencyStream('dora', 'k-live-holder');
    // Wait until the claim exists and has been renewed a few times (the holder is alive and slow).
    for (let i = 0; i < 500; i++) {
      const events = await storedEvents(api.client, stream);
      if (events.filter((event) => event.type === 'IdempotentRequestRenewed').length >= 3) break;
      await sleep(20);
    }
    const repeat = other.call('POST', '/orders', { token: dora, body: order, headers: withKey('k-live-holder') });
    // Let the repeat watch the record for more than two leases before the holder may finish.
    const watchedUntil = Date.now() + 2 * settings.leaseMs + 500;
    while (Date.now() < watchedUntil) await sleep(50);
    release();
    const [original, repeated] = await Promise.all([first, repeat]);
    assert.is(original.status, 202);
    assert.is(repeated.status, 202);
    assert.is(repeated.headers.get('idempotent-replayed'), 'true', 'the repeat was answered from the record, it did not run the command');
    assert.equal(repeated.body, original.body);
    const record = await storedEvents(api.client, stream);
    assert.equal(record.filter((event) => event.type === 'IdempotentRequestStarted').length, 1, 'never taken over');
    assert.equal(
      (await storedEvents(api.client, `order-${original.body.orderId}`)).map((event) => event.type),
      ['OrderPlaced'],
    );
  } finally {
    release();
    await slow.close();
    await other.close();
  }
});

test('a conflict is not stored: the key is released and a repeat runs the command', async () => {
  const other = api.emulator.newClient();
  let interfere = true;
  const interfering = new Proxy(api.emulator.newClient(), {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property !== 'appendToStream') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<EventStoreDBClient['appendToStream']>) => {
        if (interfere && args[0] === 'inventory-MUG') {
          await other.appendToStream(
            'inventory-MUG',
            jsonEvent({ type: 'StockReceived', data: { sku: 'MUG', quantity: 100 }, metadata: { schemaVersion: 1 } }),
          );
        }
        return target.appendToStream(...args);
      };
    },
  });
  const racing = await startCommandApi({
    emulator: api.emulator,
    client: interfering,
    retryPolicy: { maxAttempts: 3, backoff: { initialMs: 1, maxMs: 5 } },
  });
  try {
    const lost = await racing.call('POST', '/products/MUG/stock', { token: admin, body: { quantity: 3 }, headers: withKey('k-conflict') });
    assert.is(lost.status, 409);
    assert.equal(
      { type: lost.body.type, attempts: lost.body.attempts, stream: lost.body.stream },
      { type: 'urn:checkout:problem:version-conflict', attempts: 3, stream: 'inventory-MUG' },
    );
    interfere = false;
    const retried = await racing.call('POST', '/products/MUG/stock', {
      token: admin,
      body: { quantity: 3 },
      headers: withKey('k-conflict'),
    });
    assert.is(retried.status, 200);
    assert.is(retried.headers.get('idempotent-replayed'), null);
    assert.equal((await receipts(api.client, 'MUG')).filter((data) => (data as { quantity: number }).quantity === 3).length, 1);
    assert.equal(
      (await storedEvents(api.client, idempotencyStream('ada', 'k-conflict'))).map((event) => event.type),
      ['IdempotentRequestStarted', 'IdempotentRequestReleased', 'IdempotentRequestStarted', 'IdempotentRequestAnswered'],
    );
  } finally {
    await racing.close();
  }
});

test.run();
