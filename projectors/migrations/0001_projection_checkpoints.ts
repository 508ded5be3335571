import type { Migration } from '../../platform/postgres';

/**
 * One row per projection: the last log position whose effects its rows contain. Written in the
 * same transaction as those rows, so rows and checkpoint never disagree.
 */
export const projectionCheckpoints: Migration = {
  name: '0001_projection_checkpoints',
  async up(knex) {
    await knex.schema.createTable('projection_checkpoints', (table) => {
      table.text('projection').primary();
      // Log positions are unsigned 64-bit: numeric, not bigint. Null = nothing applied yet.
      table.decimal('commit_position', 20, 0).nullable();
      table.decimal('prepare_position', 20, 0).nullable();
      table.timestamp('last_event_at', { useTz: true }).nullable();
      table.bigInteger('events_applied').notNullable().defaultTo(0);
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      table.timestamp('failed_at', { useTz: true }).nullable();
      table.text('failure').nullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTable('projection_checkpoints');
  },
};
