/**
 * The saga's subscription leaves some checkout events out (UNDELIVERED_CHECKOUT_EVENTS). That is
 * safe only if every append after which something is left to do ends with a delivered event:
 * then, whoever made the append and whatever happens to its process, that event's delivery
 * drives on (saga/checkout-process.ts). This walks every checkout the decider allows for a
 * two-line order (each step answered every way, a cancellation and both deadlines at every
 * point) and checks each append against that rule, and the cases the saga leans on most:
 *
 * - an append made outside a drive (a cancellation, a fired deadline): nothing else would drive
 *   what it started;
 * - a recorded compensation failure: the drive stops there on purpose, and the retry comes with
 *   that event's redelivery;
 * - an append a drive makes going forward (the next step's start): after a crash the redelivery is
 *   of that step's event, so its redelivery count starts afresh with each step;
 * - a line reserved while compensating (a cancellation or a deadline came in meanwhile), which is
 *   recorded on its own.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkoutDecider,
  checkoutSchemaVersion,
  nextAction,
  type CheckoutCommand,
  type CheckoutEvent,
  type CheckoutState,
  type StepOutcome,
} from '../domain/checkout';
import { DELIVERED_EVENT_TYPES, UNDELIVERED_CHECKOUT_EVENTS } from './delivered-events';

const delivered = new Set(DELIVERED_EVENT_TYPES);
const now = '2025-03-01T10:00:01.000Z';
const late = '2025-03-01T11:00:00.000Z';
const eur = (amount: number) => ({ amount, currency: 'EUR' });
const order = {
  orderId: 'o1',
  customerId: 'c1',
  lines: [
    { sku: 'A', quantity: 1, unitPrice: eur(500) },
    { sku: 'B', quantity: 2, unitPrice: eur(250) },
  ],
  total: eur(1000),
  paymentToken: 'tok_ok',
};

/** The commands a drive may record in this state: every answer its next move can get. */
function driveCommands(state: CheckoutState): CheckoutCommand[] {
  const action = nextAction(state);
  const record = (outcome: StepOutcome): CheckoutCommand => ({ type: 'RecordStepOutcome', data: { outcome, now } });
  if (action.kind === 'none') return [];
  if (action.kind === 'compensate') {
    const { compensation } = action;
    return [
      { type: 'RecordCompensationOutcome', data: { compensation, result: { ok: true }, now } },
      { type: 'RecordCompensationOutcome', data: { compensation, result: { ok: false, error: 'HTTP 503' }, now } },
    ];
  }
  const { step } = action;
  switch (step.kind) {
    case 'reserve_stock':
      return [
        record({ step: 'reserve_stock', sku: step.sku, result: 'reserved' }),
        record({ step: 'reserve_stock', sku: step.sku, result: 'rejected', available: 0 }),
      ];
    case 'authorize_payment':
      return [
        record({ step: 'authorize_payment', result: 'approved', providerReference: 'auth_1' }),
        record({ step: 'authorize_payment', result: 'declined', reason: 'card declined' }),
      ];
    case 'capture_payment':
      return [
        record({ step: 'capture_payment', result: 'captured' }),
        record({ step: 'capture_payment', result: 'refused', reason: 'expired' }),
      ];
    case 'confirm_order':
      return [
        record({ step: 'confirm_order', result: 'confirmed' }),
        record({ step: 'confirm_order', result: 'refused', code: 'order_cancellation_requested' }),
      ];
  }
}

const outsideCommands: CheckoutCommand[] = [
  { type: 'RequestCancellation', data: { now } },
  { type: 'FireDeadline', data: { deadline: 'payment', now: late } },
  { type: 'FireDeadline', data: { deadline: 'checkout', now: late } },
];

interface Append {
  by: 'drive' | 'outside';
  command: CheckoutCommand;
  before: CheckoutState;
  events: readonly CheckoutEvent[];
  after: CheckoutState;
}

function everyAppend(): Append[] {
  const appends: Append[] = [];
  const seen = new Set<string>();
  const start: CheckoutCommand = { type: 'StartCheckout', data: { order, paymentDeadlineMs: 2000, checkoutDeadlineMs: 30_000, now } };
  const queue: { state: CheckoutState; history: string }[] = [];
  const apply = (by: Append['by'], command: CheckoutCommand, before: CheckoutState, history: string) => {
    const events = checkoutDecider.decide(command, before);
    if (events.length === 0) return;
    const after = events.reduce(checkoutDecider.evolve, before);
    appends.push({ by, command, before, events, after });
    const key = `${history}|${events.map((event) => event.type).join(',')}`;
    // The same history of event types is the same state: explore it once. Failures repeat forever, so stop at two.
    if (seen.has(key) || (key.match(/CompensationFailed/g)?.length ?? 0) > 2) return;
    seen.add(key);
    queue.push({ state: after, history: key });
  };
  // StartCheckout is the drive of the OrderPlaced delivery.
  apply('drive', start, checkoutDecider.initialState(), '');
  while (queue.length > 0) {
    const { state, history } = queue.shift()!;
    for (const command of driveCommands(state)) apply('drive', command, state, history);
    for (const command of outsideCommands) apply('outside', command, state, history);
  }
  return appends;
}

const appends = everyAppend();
const describe = (append: Append) =>
  `${append.command.type} in ${append.before.status} → ${append.events.map((event) => event.type).join(', ')}`;
const last = (append: Append) => append.events[append.events.length - 1]!.type;

test('the walk covers every checkout event type', () => {
  const types = new Set<string>(appends.flatMap((append) => append.events.map((event) => event.type)));
  for (const type of Object.keys(checkoutSchemaVersion)) assert.ok(types.has(type), `the walk never recorded ${type}`);
  assert.ok(appends.length > 100, `${appends.length} appends`);
});

test('every append made outside a drive (a cancellation, a fired deadline) ends with a delivered event', () => {
  const outside = appends.filter((append) => append.by === 'outside');
  assert.ok(outside.length > 10);
  for (const append of outside) assert.ok(delivered.has(last(append)), describe(append));
});

test('a recorded compensation failure ends with a delivered event', () => {
  const failures = appends.filter((append) => append.command.type === 'RecordCompensationOutcome' && !append.command.data.result.ok);
  assert.ok(failures.length > 5);
  for (const append of failures) assert.ok(delivered.has(last(append)), describe(append));
});

test('every append after which something is left to do ends with a delivered event', () => {
  const pending = appends.filter((append) => nextAction(append.after).kind !== 'none');
  assert.ok(pending.length > 100);
  for (const append of pending) assert.ok(delivered.has(last(append)), describe(append));
});

test('a line reserved while compensating is recorded on its own, and delivered', () => {
  const alone = appends.filter(
    (append) => append.after.status === 'compensating' && append.events.length === 1 && append.events[0]!.type === 'StockReservedForLine',
  );
  assert.ok(alone.length > 0, 'the walk reached a reservation finishing during a compensation');
  for (const append of alone) assert.ok(delivered.has(last(append)), describe(append));
});

test('every append of a drive going forward ends with a delivered event (the next step starts)', () => {
  const forward = appends.filter(
    (append) => append.by === 'drive' && append.after.status === 'running' && nextAction(append.after).kind !== 'none',
  );
  // Start, two reservations, authorization, capture: five forward appends for two lines.
  assert.ok(forward.length >= 5, `${forward.length} forward appends of ${appends.length}`);
  for (const append of forward) assert.ok(delivered.has(last(append)), describe(append));
});

test('the subscription takes orders placed and cancellations, and none of the undelivered types', () => {
  assert.ok(delivered.has('OrderPlaced') && delivered.has('OrderCancellationRequested'));
  for (const type of UNDELIVERED_CHECKOUT_EVENTS) assert.not.ok(delivered.has(type), type);
});

test.run();
