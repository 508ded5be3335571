/** A product with its stock, from a row of the `products` read model. */
import { z } from 'zod';
import { Money, Timestamp, iso } from '../shared/views';

export const Product = z
  .object({
    sku: z.string(),
    name: z.string(),
    price: Money,
    stock: z.object({
      onHand: z.number().int().meta({ description: 'In the warehouse, reserved units included.' }),
      reserved: z.number().int().meta({ description: 'Held for orders being checked out.' }),
      available: z.number().int().meta({ description: 'On hand minus reserved: what can still be ordered.' }),
      sold: z.number().int(),
    }),
    updatedAt: Timestamp,
  })
  .meta({ id: 'Product' });

export interface ProductRow {
  sku: string;
  name: string;
  price_amount: number;
  currency: string;
  on_hand: number;
  reserved: number;
  available: number;
  sold: number;
  updated_at: Date;
}

export function productView(row: ProductRow): z.input<typeof Product> {
  return {
    sku: row.sku,
    name: row.name,
    price: { amount: row.price_amount, currency: row.currency.trim() },
    stock: { onHand: row.on_hand, reserved: row.reserved, available: row.available, sold: row.sold },
    updatedAt: iso(row.updated_at),
  };
}
