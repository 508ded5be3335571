import type { Migration } from '../../platform/postgres';

/** Products and their stock (from `inventory-` streams). */
export const products: Migration = {
  name: '0003_products',
  async up(knex) {
    await knex.schema.createTable('products', (table) => {
      table.text('sku').primary();
      table.text('name').notNullable();
      table.bigInteger('price_amount').notNullable(); // minor units
      table.specificType('currency', 'char(3)').notNullable();
      table.integer('on_hand').notNullable(); // in the warehouse, reserved units included
      table.integer('reserved').notNullable(); // held for orders being checked out
      table.specificType('available', 'integer generated always as (on_hand - reserved) stored');
      table.integer('sold').notNullable();
      table.timestamp('updated_at', { useTz: true }).notNullable();
      table.bigInteger('revision').notNullable(); // of inventory-{sku}
      table.decimal('last_position', 20, 0).notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTable('products');
  },
};
