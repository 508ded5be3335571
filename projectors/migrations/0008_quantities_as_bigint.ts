import type { Migration } from '../../platform/postgres';

/**
 * Unit counts as bigint, like money already is. The domain takes any whole quantity a
 * JavaScript number holds exactly, so stock on hand can pass 2^31 − 1 (a warehouse of screws),
 * and one such event would stop the products projection with "integer out of range".
 */
export const quantitiesAsBigint: Migration = {
  name: '0008_quantities_as_bigint',
  async up(knex) {
    // A generated column cannot outlive a change of the columns it reads: drop it, then add it back.
    await knex.raw('alter table products drop column available');
    await knex.raw(
      'alter table products alter column on_hand type bigint, alter column reserved type bigint, alter column sold type bigint',
    );
    await knex.raw('alter table products add column available bigint generated always as (on_hand - reserved) stored');
    await knex.raw('alter table sales_order_lines alter column quantity type bigint');
    await knex.raw('alter table notification_stock alter column on_hand type bigint, alter column reserved type bigint');
  },
  async down(knex) {
    await knex.raw('alter table notification_stock alter column on_hand type integer, alter column reserved type integer');
    await knex.raw('alter table sales_order_lines alter column quantity type integer');
    await knex.raw('alter table products drop column available');
    await knex.raw(
      'alter table products alter column on_hand type integer, alter column reserved type integer, alter column sold type integer',
    );
    await knex.raw('alter table products add column available integer generated always as (on_hand - reserved) stored');
  },
};
