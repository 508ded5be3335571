import type { Migration } from '../../platform/postgres';

/** Revenue and units per SKU per day, counted when an order is confirmed (from `order-` streams). */
export const sales: Migration = {
  name: '0005_sales',
  async up(knex) {
    // The projection's memory of each order's lines until it is confirmed; `sold_on` is set once
    // the lines are counted, so counting twice is impossible.
    await knex.schema.createTable('sales_order_lines', (table) => {
      table.text('order_id').notNullable();
      table.text('sku').notNullable();
      table.integer('quantity').notNullable();
      table.bigInteger('unit_price').notNullable();
      table.specificType('currency', 'char(3)').notNullable();
      table.date('sold_on').nullable();
      table.primary(['order_id', 'sku']);
    });
    await knex.schema.createTable('sales_daily', (table) => {
      table.date('day').notNullable(); // UTC day of the order's confirmation
      table.text('sku').notNullable();
      table.specificType('currency', 'char(3)').notNullable();
      table.bigInteger('units').notNullable();
      table.bigInteger('revenue').notNullable(); // minor units
      table.integer('orders').notNullable();
      table.primary(['day', 'sku', 'currency']);
      table.index(['sku', 'day']);
    });
  },
  async down(knex) {
    await knex.schema.dropTable('sales_daily');
    await knex.schema.dropTable('sales_order_lines');
  },
};
