import type { Migration } from '../../platform/postgres';

/** Orders (from `order-` and `payment-` streams) and the per-customer list over them. */
export const orders: Migration = {
  name: '0002_orders',
  async up(knex) {
    await knex.schema.createTable('orders', (table) => {
      table.text('order_id').primary();
      table.text('customer_id').notNullable();
      table.text('status').notNullable(); // placed | cancellation_requested | confirmed | cancelled
      table.jsonb('lines').notNullable(); // [{ sku, quantity, unitPrice: { amount, currency } }]
      table.bigInteger('total_amount').notNullable(); // minor units
      table.specificType('currency', 'char(3)').notNullable();
      table.text('payment_status').notNullable(); // pending | authorized | declined | timed_out | captured | voided | refunded
      table.text('payment_reference').nullable();
      table.text('payment_decline_reason').nullable();
      table.text('cancellation_reason').nullable(); // out_of_stock | payment_declined | payment_timed_out | customer_request
      table.text('cancellation_sku').nullable(); // for out_of_stock
      table.timestamp('placed_at', { useTz: true }).notNullable();
      table.timestamp('cancellation_requested_at', { useTz: true }).nullable();
      table.timestamp('confirmed_at', { useTz: true }).nullable();
      table.timestamp('cancelled_at', { useTz: true }).nullable();
      table.timestamp('updated_at', { useTz: true }).notNullable();
      table.jsonb('timeline').notNullable(); // [{ type, at, stream, revision }] in log order
      // The stream revisions this row reflects: an event at or below them changes nothing.
      table.bigInteger('order_revision').notNullable();
      table.bigInteger('payment_revision').notNullable().defaultTo(-1);
      table.decimal('last_position', 20, 0).notNullable();
      table.index(['customer_id', 'placed_at'], 'orders_by_customer');
      table.index(['status']);
    });
    await knex.raw(`
      create view customer_orders as
      select customer_id, order_id, status, total_amount, currency, payment_status, cancellation_reason,
             placed_at, updated_at, jsonb_array_length(lines) as line_count
      from orders`);
  },
  async down(knex) {
    await knex.raw('drop view customer_orders');
    await knex.schema.dropTable('orders');
  },
};
