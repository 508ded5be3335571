import type { Migration } from '../../platform/postgres';

/** Notifications per user, their outbox toward NATS, and what the notifications projection remembers. */
export const notifications: Migration = {
  name: '0006_notifications',
  async up(knex) {
    await knex.schema.createTable('notifications', (table) => {
      // Derived from the causing event's id: a rebuild gives every notification the same id.
      table.uuid('notification_id').primary();
      table.text('audience').notNullable(); // customer | admin
      table.text('user_id').notNullable(); // the customer's id; '*' for the admin audience
      table.bigInteger('seq').notNullable(); // 1, 2, 3... per (audience, user_id)
      table.text('type').notNullable(); // OrderConfirmed | OrderCancelled | PaymentDeclined | LowStock
      table.text('order_id').nullable();
      table.text('sku').nullable();
      table.timestamp('occurred_at', { useTz: true }).notNullable();
      table.jsonb('data').notNullable();
      table.decimal('position', 20, 0).notNullable(); // of the causing event
      table.unique(['audience', 'user_id', 'seq']);
    });
    await knex.schema.createTable('notification_counters', (table) => {
      table.text('audience').notNullable();
      table.text('user_id').notNullable();
      table.bigInteger('last_seq').notNullable();
      table.primary(['audience', 'user_id']);
    });
    await knex.schema.createTable('notification_outbox', (table) => {
      table.bigIncrements('id').primary(); // publish order
      table.uuid('notification_id').notNullable().unique().references('notification_id').inTable('notifications');
      table.text('subject').notNullable(); // without the deployment's subject prefix
      table.jsonb('payload').notNullable();
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      table.timestamp('sent_at', { useTz: true }).nullable();
      table.integer('attempts').notNullable().defaultTo(0);
      table.text('last_error').nullable();
    });
    await knex.raw('create index notification_outbox_unsent on notification_outbox (id) where sent_at is null');
    // Who each order belongs to, and each SKU's stock: enough to decide whom to tell what.
    await knex.schema.createTable('notification_orders', (table) => {
      table.text('order_id').primary();
      table.text('customer_id').notNullable();
      table.bigInteger('total_amount').notNullable();
      table.specificType('currency', 'char(3)').notNullable();
    });
    await knex.schema.createTable('notification_stock', (table) => {
      table.text('sku').primary();
      table.integer('on_hand').notNullable();
      table.integer('reserved').notNullable();
      table.boolean('low').notNullable();
      table.bigInteger('revision').notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTable('notification_stock');
    await knex.schema.dropTable('notification_orders');
    await knex.schema.dropTable('notification_outbox');
    await knex.schema.dropTable('notification_counters');
    await knex.schema.dropTable('notifications');
  },
};
