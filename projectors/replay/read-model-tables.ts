/**
 * Which tables each projection owns: what a rebuild replaces and verify compares. Views are not
 * listed; they are found in the catalog and move with the tables they select from.
 */
export const tablesOfProjection: Readonly<Record<string, readonly string[]>> = {
  orders: ['orders'],
  products: ['products'],
  checkout_progress: ['checkout_progress'],
  sales: ['sales_order_lines', 'sales_daily'],
  notifications: ['notifications', 'notification_counters', 'notification_orders', 'notification_stock'],
};

/**
 * Tables that are not a fold of the log, so a rebuild never replaces them: the checkpoints (the
 * swap updates the rows of the rebuilt projections), the outbox (what was and is to be sent to
 * NATS happened live; see docs/REPLAY.md), the migrations' own, and the shadow's bookkeeping.
 */
export const tablesNeverRebuilt: readonly string[] = [
  'projection_checkpoints',
  'notification_outbox',
  'knex_migrations',
  'knex_migrations_lock',
  'replay_shadow',
];

export function tablesOf(projections: readonly string[]): string[] {
  return projections.flatMap((name) => tablesOfProjection[name] ?? []);
}
