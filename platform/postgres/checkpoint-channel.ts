/**
 * The NOTIFY channel on which a schema's projection checkpoints announce every move (the trigger
 * is a read-model migration; the query API listens). Shared here because both sides must agree.
 */
export const CHECKPOINT_CHANNEL_PREFIX = 'projection_checkpoints:';

export function checkpointChannel(schema: string): string {
  return `${CHECKPOINT_CHANNEL_PREFIX}${schema}`;
}
