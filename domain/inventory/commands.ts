import { z } from 'zod';
import { Money } from '../shared/money';
import { OrderId, Quantity, Sku, withoutControlCharacters } from '../shared/values';
import { ProductName } from './events';

/** A name a new product may be given (stricter than ProductRegistered's, which must read every event already written). */
export const NewProductName = withoutControlCharacters(ProductName, 'name');

export const RegisterProduct = z.object({
  type: z.literal('RegisterProduct'),
  data: z.object({ sku: Sku, name: NewProductName, price: Money }),
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
