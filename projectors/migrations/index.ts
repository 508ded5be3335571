/** The read models' schema, in order. Add a file per change; never edit one that has run. */
import type { Migration } from '../../platform/postgres';
import { projectionCheckpoints } from './0001_projection_checkpoints';
import { orders } from './0002_orders';
import { products } from './0003_products';
import { checkoutProgress } from './0004_checkout_progress';
import { sales } from './0005_sales';
import { notifications } from './0006_notifications';
import { checkpointNotifications } from './0007_checkpoint_notifications';
import { quantitiesAsBigint } from './0008_quantities_as_bigint';
import { lastPositionIndexes } from './0009_last_position_indexes';

export const readModelMigrations: readonly Migration[] = [
  projectionCheckpoints,
  orders,
  products,
  checkoutProgress,
  sales,
  notifications,
  checkpointNotifications,
  quantitiesAsBigint,
  lastPositionIndexes,
];
