/** A checkout as the query API shows it, from a row of `checkout_progress` (with its order's customer). */
import { z } from 'zod';
import { Timestamp, iso } from '../shared/views';

export const checkoutStatuses = ['in_progress', 'compensating', 'completed', 'compensated'] as const;

export const Checkout = z
  .object({
    orderId: z.string(),
    status: z.enum(checkoutStatuses),
    currentStep: z.string().meta({ description: 'The type of the latest saga event.' }),
    steps: z.array(z.object({ type: z.string(), at: Timestamp, revision: z.number().int(), data: z.record(z.string(), z.unknown()) })),
    startedAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Checkout' });

export interface CheckoutRow {
  order_id: string;
  status: (typeof checkoutStatuses)[number];
  current_step: string;
  steps: { type: string; at: string; revision: number; data: Record<string, unknown> }[];
  started_at: Date;
  updated_at: Date;
  /** From `orders`; null while that read model has not seen the order. */
  customer_id: string | null;
}

export function checkoutView(row: CheckoutRow): z.input<typeof Checkout> {
  return {
    orderId: row.order_id,
    status: row.status,
    currentStep: row.current_step,
    steps: row.steps.map((step) => ({ ...step, at: iso(step.at) })),
    startedAt: iso(row.started_at),
    updatedAt: iso(row.updated_at),
  };
}
