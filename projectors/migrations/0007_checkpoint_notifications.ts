import { CHECKPOINT_CHANNEL_PREFIX, type Migration } from '../../platform/postgres';

/**
 * Every change of a checkpoint row is announced with NOTIFY, delivered when its transaction
 * commits, so a reader waiting for a log position (the query API's read-your-writes) learns the
 * moment a projection passes it instead of polling the table. A trigger rather than a NOTIFY in
 * the projector's code: every writer of the table (a runner, a rebuild's swap, an operator's
 * reset) is covered, and the schema in the channel name follows the table if it is moved.
 */
export const checkpointNotifications: Migration = {
  name: '0007_checkpoint_notifications',
  async up(knex) {
    await knex.raw(`
      create function notify_checkpoint_moved() returns trigger language plpgsql as $$
      begin
        perform pg_notify(
          '${CHECKPOINT_CHANNEL_PREFIX}' || tg_table_schema,
          json_build_object(
            'projection', new.projection,
            'commit', new.commit_position::text,
            'prepare', new.prepare_position::text,
            'failed', new.failed_at is not null
          )::text
        );
        return null;
      end $$`);
    await knex.raw(`
      create trigger checkpoint_moved after insert or update on projection_checkpoints
      for each row execute function notify_checkpoint_moved()`);
  },
  async down(knex) {
    await knex.raw('drop trigger checkpoint_moved on projection_checkpoints');
    await knex.raw('drop function notify_checkpoint_moved()');
  },
};
