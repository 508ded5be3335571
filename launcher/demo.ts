/**
 * `npm run demo`: drives a running checkout (`npm start`, or any deployment) through every path an
 * order can take, over its public APIs only, and shows what a client sees:
 *
 *   confirmed            tok_ok, in stock
 *   out of stock         more than the shop has
 *   payment declined     tok_decline
 *   payment timed out    tok_timeout: the provider never answers; the saga's payment deadline
 *                        (PAYMENT_DEADLINE_MS, 10 s by default) cancels the order
 *   cancelled            tok_timeout again (so the payment is still pending) and the customer
 *                        cancels at once
 *
 * All five orders are placed at once and each is awaited until it is final, so the demo takes
 * about one payment deadline, not five. It then prints each order's timeline (GET /orders/:id on
 * the query API) and the notifications that a socket.io client of the customer — and one of an
 * admin — received. `--json` prints the same as one JSON document. Exits 1 if any order did not
 * end as its path should.
 *
 * Tokens are signed with JWT_SECRET or, when unset, with the secret `npm start` keeps in its data
 * directory (CHECKOUT_DATA_DIR, default `.data`).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';
import { mintToken, type Role } from '../platform/auth';
import { jwtSecret, loadConfigOrExit, milliseconds, url } from '../platform/config';
import { dataDirectory, readJwtSecret } from '../platform/local-system/data-dir';

const config = loadConfigOrExit(
  z.object({
    COMMAND_API_URL: url(['http', 'https'], 'http://127.0.0.1:3001').default('http://127.0.0.1:3001'),
    QUERY_API_URL: url(['http', 'https'], 'http://127.0.0.1:3002').default('http://127.0.0.1:3002'),
    JWT_SECRET: jwtSecret.optional(),
    CHECKOUT_DATA_DIR: z.string().min(1).default('.data'),
    /** How long one order may take to become final (more than the saga's payment deadline). */
    DEMO_ORDER_TIMEOUT_MS: milliseconds(60_000, { min: 0 }),
  }),
);
const { values: flags } = parseArgs({ options: { json: { type: 'boolean', default: false } }, strict: true });
const print = flags.json ? () => undefined : (line = '') => process.stdout.write(`${line}\n`);

const secret = config.JWT_SECRET ?? readJwtSecret(dataDirectory(config.CHECKOUT_DATA_DIR));
if (!secret) {
  process.stderr.write(
    `No JWT_SECRET set and no secret in ${dataDirectory(config.CHECKOUT_DATA_DIR).jwtSecretFile}: start the system with \`npm start\` first, or set JWT_SECRET to the one it uses.\n`,
  );
  process.exit(1);
}
const token = (sub: string, role: Role) => mintToken({ sub, role, secret, expiresIn: '1h' });

interface Answer<Body> {
  status: number;
  /** The JSON the API answered, taken to be `Body`; none when the answer is empty. */
  body: Body | undefined;
}

interface Request {
  method: 'GET' | 'POST';
  path: string;
  bearer: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The parts of the command API's answer to placing an order that the demo reads. */
interface PlacedOrder {
  orderId: string;
  position: { commit: string };
}

/** The parts of the query API's order that the demo reads. */
interface FinalOrder {
  status: string;
  cancellation: { reason?: string } | null;
  timeline: { type: string; at: string }[];
}

async function call<Body = unknown>(base: string, { method, path, bearer, body, headers = {} }: Request): Promise<Answer<Body>> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Body) : undefined };
}

function expectStatus(answer: Answer<unknown>, expected: number, what: string): void {
  if (answer.status !== expected)
    throw new Error(`${what} answered ${answer.status} (expected ${expected}): ${JSON.stringify(answer.body)}`);
}

interface Notification {
  id: string;
  type: string;
  orderId: string | null;
  sku: string | null;
  at: string;
  data: Record<string, unknown>;
}

/** A socket.io client as a browser would open one: `auth: { token }`, every notification kept. */
function listen(bearer: string): Promise<{ socket: Socket; received: Notification[] }> {
  const socket = io(config.QUERY_API_URL, { auth: { token: bearer }, transports: ['websocket'] });
  const received: Notification[] = [];
  socket.on('notification', (notification: Notification) => {
    if (!received.some(({ id }) => id === notification.id)) received.push(notification);
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, received }));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(new Error(`socket.io at ${config.QUERY_API_URL}: ${error.message}`));
    });
  });
}

interface Path {
  name: string;
  lines: { sku: string; quantity: number }[];
  paymentToken: string;
  cancelAtOnce?: boolean;
  expected: { status: 'confirmed' | 'cancelled'; reason: string | null; notifications: string[] };
}

async function main(): Promise<number> {
  const run = randomBytes(3).toString('hex');
  const admin = await token(`demo-admin-${run}`, 'admin');
  const customerId = `demo-customer-${run}`;
  const customer = await token(customerId, 'customer');
  const mug = `DEMO-${run}-MUG`;
  const lamp = `DEMO-${run}-LAMP`;

  print(`Demo run ${run} against ${config.COMMAND_API_URL} (commands) and ${config.QUERY_API_URL} (queries, socket.io)`);
  for (const [sku, name, amount, quantity] of [
    [mug, 'Blue mug', 1299, 20],
    [lamp, 'Desk lamp', 4500, 1],
  ] as const) {
    const product = { sku, name, price: { amount, currency: 'EUR' } };
    expectStatus(
      await call(config.COMMAND_API_URL, { method: 'POST', path: '/products', bearer: admin, body: product }),
      201,
      `registering ${sku}`,
    );
    expectStatus(
      await call(config.COMMAND_API_URL, { method: 'POST', path: `/products/${sku}/stock`, bearer: admin, body: { quantity } }),
      200,
      `receiving stock of ${sku}`,
    );
    print(`  registered ${sku} (${name}, ${(amount / 100).toFixed(2)} EUR), ${quantity} in stock`);
  }

  const customerSocket = await listen(customer);
  const adminSocket = await listen(admin);

  const paths: Path[] = [
    {
      name: 'confirmed',
      lines: [{ sku: mug, quantity: 2 }],
      paymentToken: 'tok_ok',
      expected: { status: 'confirmed', reason: null, notifications: ['OrderConfirmed'] },
    },
    {
      name: 'out of stock',
      lines: [
        { sku: mug, quantity: 1 },
        { sku: lamp, quantity: 3 },
      ],
      paymentToken: 'tok_ok',
      expected: { status: 'cancelled', reason: 'out_of_stock', notifications: ['OrderCancelled'] },
    },
    {
      name: 'payment declined',
      lines: [{ sku: mug, quantity: 1 }],
      paymentToken: 'tok_decline',
      expected: { status: 'cancelled', reason: 'payment_declined', notifications: ['PaymentDeclined', 'OrderCancelled'] },
    },
    {
      name: 'payment timed out',
      lines: [{ sku: mug, quantity: 1 }],
      paymentToken: 'tok_timeout',
      expected: { status: 'cancelled', reason: 'payment_timed_out', notifications: ['OrderCancelled'] },
    },
    {
      name: 'cancelled by the customer',
      lines: [{ sku: mug, quantity: 1 }],
      paymentToken: 'tok_timeout',
      cancelAtOnce: true,
      expected: { status: 'cancelled', reason: 'customer_request', notifications: ['OrderCancelled'] },
    },
  ];

  print('');
  print(
    "Placing one order per path at once; the timed-out one waits for the saga's payment deadline (PAYMENT_DEADLINE_MS, 10 s by default) …",
  );
  const started = Date.now();
  const outcomes = await Promise.all(
    paths.map(async (path) => {
      const placed = await call<PlacedOrder>(config.COMMAND_API_URL, {
        method: 'POST',
        path: '/orders',
        bearer: customer,
        body: { lines: path.lines, paymentToken: path.paymentToken },
        headers: { 'idempotency-key': `demo-${run}-${path.name.replaceAll(' ', '-')}` },
      });
      expectStatus(placed, 202, `placing the "${path.name}" order`);
      const { orderId, position } = placed.body!;
      if (path.cancelAtOnce) {
        expectStatus(
          await call(config.COMMAND_API_URL, { method: 'POST', path: `/orders/${orderId}/cancel`, bearer: customer }),
          202,
          `cancelling order ${orderId}`,
        );
      }
      const order = await untilFinal(orderId, customer, position.commit);
      return { path, orderId, order, settledAfterMs: Date.now() - started };
    }),
  );

  // The last notification of a path is published right after its order's final commit: give the bus a moment.
  const expectedCount = paths.reduce((sum, path) => sum + path.expected.notifications.length, 0);
  for (const deadline = Date.now() + 5_000; customerSocket.received.length < expectedCount && Date.now() < deadline;)
    await new Promise((resolve) => setTimeout(resolve, 50));
  customerSocket.socket.close();
  adminSocket.socket.close();

  const results = outcomes.map(({ path, orderId, order, settledAfterMs }) => {
    const notifications = customerSocket.received.filter((notification) => notification.orderId === orderId);
    const reason = order.cancellation?.reason ?? null;
    const ok =
      order.status === path.expected.status &&
      reason === path.expected.reason &&
      sameList(
        notifications.map(({ type }) => type),
        path.expected.notifications,
      );
    return {
      path: path.name,
      orderId,
      ok,
      expected: path.expected,
      status: order.status,
      reason,
      settledAfterMs,
      timeline: order.timeline.map(({ type, at }) => ({ type, at })),
      notifications: notifications.map(({ type, at, data }) => ({ type, at, data })),
    };
  });
  const adminNotifications = adminSocket.received
    .filter(({ sku }) => sku === mug || sku === lamp)
    .map(({ type, sku, at, data }) => ({ type, sku, at, data }));

  for (const result of results) {
    print('');
    print(
      `${result.ok ? '✓' : '✗'} ${result.path}: order ${result.orderId} is ${result.status}${result.reason ? ` (${result.reason})` : ''}, final after ${(result.settledAfterMs / 1000).toFixed(1)} s`,
    );
    if (!result.ok)
      print(
        `    expected ${result.expected.status}${result.expected.reason ? ` (${result.expected.reason})` : ''}, notified ${result.expected.notifications.join(', ')}`,
      );
    print('    timeline:');
    for (const entry of result.timeline) print(`      ${entry.at}  ${entry.type}`);
    print(`    notifications to ${customerId}: ${result.notifications.length ? '' : '(none)'}`);
    for (const notification of result.notifications)
      print(`      ${notification.at}  ${notification.type} ${JSON.stringify(notification.data)}`);
  }
  print('');
  print(`notifications to the admin: ${adminNotifications.length ? '' : '(none)'}`);
  for (const notification of adminNotifications)
    print(`  ${notification.at}  ${notification.type} ${notification.sku} ${JSON.stringify(notification.data)}`);
  const failed = results.filter(({ ok }) => !ok).length;
  print('');
  print(
    failed === 0
      ? `Every path ended as expected (${results.length} orders).`
      : `${failed} of ${results.length} paths did not end as expected.`,
  );
  if (flags.json) process.stdout.write(`${JSON.stringify({ run, ok: failed === 0, orders: results, adminNotifications }, null, 2)}\n`);
  return failed === 0 ? 0 : 1;
}

/** Polls GET /orders/:id until the order is confirmed or cancelled (the first read waits for the order's own write). */
async function untilFinal(orderId: string, bearer: string, placedAt: string): Promise<FinalOrder> {
  const deadline = Date.now() + config.DEMO_ORDER_TIMEOUT_MS;
  let first = true;
  for (;;) {
    const answer = await call<FinalOrder>(config.QUERY_API_URL, {
      method: 'GET',
      path: `/orders/${orderId}`,
      bearer,
      headers: first ? { 'x-min-position': placedAt } : {},
    });
    first = false;
    if (answer.status === 200 && answer.body && (answer.body.status === 'confirmed' || answer.body.status === 'cancelled'))
      return answer.body;
    if (answer.status !== 200 && answer.status !== 404 && answer.status !== 503)
      throw new Error(`GET /orders/${orderId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    if (Date.now() > deadline)
      throw new Error(`order ${orderId} was not final after ${config.DEMO_ORDER_TIMEOUT_MS} ms (last: ${JSON.stringify(answer.body)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

try {
  process.exit(await main());
} catch (error) {
  process.stderr.write(`npm run demo: ${error instanceof Error ? error.message : String(error)}\n`);
  if (/fetch failed|ECONNREFUSED/.test(String((error as Error)?.message) + String((error as { cause?: unknown })?.cause))) {
    process.stderr.write(`Is the system running? Start it with \`npm start\`, or point COMMAND_API_URL and QUERY_API_URL at it.\n`);
  }
  process.exit(1);
}
