import type { Migration } from '../../platform/postgres';

/** Each order's checkout as the saga recorded it (from `checkout-` streams). */
export const checkoutProgress: Migration = {
  name: '0004_checkout_progress',
  async up(knex) {
    await knex.schema.createTable('checkout_progress', (table) => {
      table.text('order_id').primary();
      table.text('status').notNullable(); // in_progress | compensating | completed | compensated
      table.text('current_step').notNullable(); // type of the latest saga event
      table.jsonb('steps').notNullable(); // [{ type, at, revision, data }] in order (data without payment token, lines)
      table.timestamp('started_at', { useTz: true }).notNullable();
      table.timestamp('updated_at', { useTz: true }).notNullable();
      table.bigInteger('revision').notNullable(); // of checkout-{orderId}
      table.decimal('last_position', 20, 0).notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTable('checkout_progress');
  },
};
