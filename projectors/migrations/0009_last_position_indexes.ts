import type { Migration } from '../../platform/postgres';

/**
 * The query API's live changes (query-api/realtime/read-model-changes.ts) read, on every
 * checkpoint move, the rows whose `(last_position, key)` passed what it last sent: a range scan
 * on these indexes, instead of a scan of the whole table per move.
 */
const indexed = [
  { table: 'products', key: 'sku' },
  { table: 'orders', key: 'order_id' },
  { table: 'checkout_progress', key: 'order_id' },
] as const;

export const lastPositionIndexes: Migration = {
  name: '0009_last_position_indexes',
  async up(knex) {
    for (const { table, key } of indexed) {
      await knex.schema.alterTable(table, (builder) => builder.index(['last_position', key], `${table}_by_last_position`));
    }
  },
  async down(knex) {
    for (const { table, key } of indexed) {
      await knex.schema.alterTable(table, (builder) => builder.dropIndex(['last_position', key], `${table}_by_last_position`));
    }
  },
};
