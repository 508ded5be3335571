/**
 * Checkout progress: each order's saga history (stream `checkout-{orderId}`) as a list of steps,
 * each the event's type, time and details, plus where the checkout stands now.
 *
 * Built on the saga's event catalogue only for reading (validating, upcasting) and for the few
 * types that end or turn a checkout; every other step is recorded as it comes, so a new saga step
 * shows up without a change here.
 */
import { checkoutEvents, readCheckoutEvent } from '../../domain/checkout/events';
import type { ProjectedEvent, Projection } from '../framework/types';
import { applyToRows, json } from './support';

export type CheckoutStatus = 'in_progress' | 'compensating' | 'completed' | 'compensated';

export interface CheckoutStep {
  type: string;
  at: string;
  revision: number;
  /** The event's data without what a reader must not see or does not need (payment token, lines). */
  data: Record<string, unknown>;
}

interface CheckoutRow {
  order_id: string;
  status: CheckoutStatus;
  current_step: string;
  steps: CheckoutStep[];
  started_at: Date | string;
  updated_at: Date | string;
  revision: number;
  last_position: string;
}

const STREAM_PREFIX = 'checkout-';
const hiddenKeys = new Set(['orderId', 'paymentToken', 'idempotencyKey', 'lines']);

const statusAfter: Readonly<Record<string, CheckoutStatus>> = {
  CheckoutCompensationStarted: 'compensating',
  CheckoutCompleted: 'completed',
  CheckoutCompensated: 'compensated',
};

type CheckoutEvent = { type: string; data: unknown };

export const checkoutProgressProjection: Projection<CheckoutEvent> = {
  name: 'checkout_progress',
  streamPrefixes: [STREAM_PREFIX],
  handles: (type) => Object.hasOwn(checkoutEvents, type),
  knows: (type) => Object.hasOwn(checkoutEvents, type),
  read: (raw) => readCheckoutEvent({ type: raw.type, data: raw.data, schemaVersion: raw.schemaVersion }),
  apply: applyToRows<CheckoutEvent, CheckoutRow, 'order_id'>({
    table: 'checkout_progress',
    key: 'order_id',
    keyOf: ({ streamName }) => streamName.slice(STREAM_PREFIX.length),
    evolve: evolveRow,
    toRecord: (row) => ({ ...row, steps: json(row.steps) }),
  }),
};

function evolveRow(row: CheckoutRow | undefined, projected: ProjectedEvent<CheckoutEvent>): CheckoutRow | undefined {
  const rev = Number(projected.revision);
  if (row && rev <= row.revision) return undefined;
  const step = stepOf(projected);
  return {
    order_id: projected.streamName.slice(STREAM_PREFIX.length),
    status: statusAfter[step.type] ?? (row?.status === 'compensating' ? 'compensating' : 'in_progress'),
    current_step: step.type,
    steps: [...(row?.steps ?? []), step],
    started_at: row?.started_at ?? step.at,
    updated_at: step.at,
    revision: rev,
    last_position: projected.position.commit.toString(),
  };
}

function stepOf({ event, revision, recordedAt }: ProjectedEvent<CheckoutEvent>): CheckoutStep {
  const data: Record<string, unknown> = {};
  let at: string | undefined;
  for (const [key, value] of Object.entries((event.data ?? {}) as Record<string, unknown>)) {
    if (hiddenKeys.has(key)) continue;
    // Every saga event carries its time in one `...At` field (dueAt is a deadline, not the time).
    if (at === undefined && key.endsWith('At') && key !== 'dueAt' && typeof value === 'string') at = value;
    data[key] = value;
  }
  return { type: event.type, at: at ?? recordedAt.toISOString(), revision: Number(revision), data };
}
