import { z } from 'zod';
import { Money } from '../shared/money';
import { OrderId, Quantity, Sku } from '../shared/values';
import { ProductName } from './events';

export const RegisterProduct = z.object({
  type: z.literal('RegisterProduct'),
  data: z.object({ sku: Sku, name: ProductName, price: Money }),
});
export const ChangeProductPrice = z.object({
  type: z.literal('ChangeProductPrice'),
  data: z.object({ sku: Sku, price: Money }),
});
export const ReceiveStock = z.object({
  type: z.literal('ReceiveStock'),
  data: z.object({ sku: Sku, quantity: Quantity }),
});
export const ReserveStock = z.object({
  type: z.literal('ReserveStock'),
  data: z.object({ sku: Sku, orderId: OrderId, quantity: Quantity }),
});
export const ReleaseStock = z.object({
  type: z.literal('ReleaseStock'),
  data: z.object({ sku: Sku, orderId: OrderId }),
});
export const CommitStock = z.object({
  type: z.literal('CommitStock'),
  data: z.object({ sku: Sku, orderId: OrderId }),
});

export const InventoryCommand = z.discriminatedUnion('type', [
  RegisterProduct,
  ChangeProductPrice,
  ReceiveStock,
  ReserveStock,
  ReleaseStock,
  CommitStock,
]);
export type InventoryCommand = z.output<typeof InventoryCommand>;
export type InventoryCommandType = InventoryCommand['type'];
