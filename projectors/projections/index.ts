/** Every read model the projector service keeps. */
import type { Projection } from '../framework/types';
import { checkoutProgressProjection } from './checkout-progress';
import { notificationsProjection } from './notifications';
import { ordersProjection } from './orders';
import { productsProjection } from './products';
import { salesProjection } from './sales';

export interface ProjectionSettings {
  /** Available units at or below which admins hear about a SKU. */
  lowStockThreshold: number;
  /** False when rebuilding into empty tables: old notifications are recorded, not sent again. */
  writeOutbox?: boolean;
}

export function allProjections({ lowStockThreshold, writeOutbox = true }: ProjectionSettings): Projection[] {
  return [
    ordersProjection,
    productsProjection,
    checkoutProgressProjection,
    salesProjection,
    notificationsProjection({ lowStockThreshold, writeOutbox }),
  ];
}

export { checkoutProgressProjection, notificationsProjection, ordersProjection, productsProjection, salesProjection };
