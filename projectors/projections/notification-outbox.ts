/**
 * The outbox writer: notifications are written with a per-user sequence number, and an outbox row
 * each, in the batch's transaction; the notifier (projectors/notifier/) publishes the outbox.
 *
 * A notification's id is derived from the causing event's id, so a replayed event finds its
 * notification already there and adds nothing (no second row, no second outbox message), and a
 * rebuild gives every notification the id it had before.
 */
import type { Knex } from 'knex';
import { uuidV5 } from '../../platform/eventstore/event-ids';
import { subjectToken } from '../../platform/nats/subjects';
import type { ProjectedEvent } from '../framework/types';
import { json } from './support';

/** Namespace of notification ids (a fixed random UUID). */
const NOTIFICATION_ID_NAMESPACE = '5d0c2f43-8f0e-4a4b-93a6-0f7c1e2b8d61';

export type Audience = 'customer' | 'admin';
export const ADMIN_USER_ID = '*';

export type NotificationType = 'OrderConfirmed' | 'OrderCancelled' | 'PaymentDeclined' | 'LowStock';

/** What is published to NATS (and what the query API serves to a client catching up). */
export interface NotificationPayload {
  id: string;
  seq: number;
  audience: Audience;
  userId: string;
  type: NotificationType;
  orderId: string | null;
  sku: string | null;
  at: string;
  data: Record<string, unknown>;
}

/** The subject below the deployment's prefix (`notifications` by default). */
export function subjectFor(audience: Audience, userId: string): string {
  return audience === 'admin' ? 'admin' : `customer.${subjectToken(userId)}`;
}

/** A notification an event causes, before it is numbered. */
export interface Notice {
  notification_id: string;
  audience: Audience;
  user_id: string;
  type: NotificationType;
  order_id: string | null;
  sku: string | null;
  occurred_at: string;
  data: Record<string, unknown>;
  position: string;
}

export interface NoticeContent {
  audience: Audience;
  userId: string;
  type: NotificationType;
  at: string;
  data: Record<string, unknown>;
  orderId?: string;
  sku?: string;
}

/** The notice `projected` causes. */
export function noticeOf(projected: ProjectedEvent, { audience, userId, type, at, data, orderId, sku }: NoticeContent): Notice {
  return {
    notification_id: uuidV5(`${projected.id}/${type}`, NOTIFICATION_ID_NAMESPACE),
    audience,
    user_id: userId,
    type,
    order_id: orderId ?? null,
    sku: sku ?? null,
    occurred_at: at,
    data,
    position: projected.position.commit.toString(),
  };
}

/** Inserts the notifications not already there, numbering them per user, with their outbox rows unless `writeOutbox` is false. */
export async function writeNotifications(trx: Knex.Transaction, notices: readonly Notice[], writeOutbox: boolean): Promise<void> {
  if (notices.length === 0) return;
  const known = new Set(
    (await trx('notifications')
      .whereIn(
        'notification_id',
        notices.map(({ notification_id }) => notification_id),
      )
      .pluck('notification_id')) as string[],
  );
  const fresh = notices.filter(({ notification_id }) => !known.has(notification_id));
  if (fresh.length === 0) return;

  const perUser = new Map<string, { audience: Audience; user_id: string; count: number }>();
  for (const { audience, user_id } of fresh) {
    const key = `${audience}\u0000${user_id}`;
    const entry = perUser.get(key) ?? { audience, user_id, count: 0 };
    entry.count += 1;
    perUser.set(key, entry);
  }
  const counters = (await trx('notification_counters')
    .insert([...perUser.values()].map(({ audience, user_id, count }) => ({ audience, user_id, last_seq: count })))
    .onConflict(['audience', 'user_id'])
    .merge({ last_seq: trx.raw('notification_counters.last_seq + excluded.last_seq') })
    .returning(['audience', 'user_id', 'last_seq'])) as { audience: Audience; user_id: string; last_seq: number }[];
  const nextSeq = new Map<string, number>();
  for (const { audience, user_id, last_seq } of counters) {
    const key = `${audience}\u0000${user_id}`;
    nextSeq.set(key, last_seq - perUser.get(key)!.count + 1);
  }

  const rows = fresh.map((notice) => {
    const key = `${notice.audience}\u0000${notice.user_id}`;
    const seq = nextSeq.get(key)!;
    nextSeq.set(key, seq + 1);
    return { ...notice, seq };
  });
  await trx('notifications').insert(rows.map((row) => ({ ...row, data: json(row.data) })));
  if (!writeOutbox) return;
  await trx('notification_outbox').insert(rows.map(outboxRowFor));
  // Wakes the notifier when (and only if) this transaction commits. The channel is outboxChannel's,
  // named in SQL: asking for the schema first would cost a round trip per batch.
  await trx.raw('select pg_notify(left(? || current_schema(), ?), null)', [OUTBOX_CHANNEL_PREFIX, MAX_CHANNEL_LENGTH]);
}

/** A notification as the outbox holds it: the subject it goes to and the payload subscribers get. */
export interface NotificationRow {
  notification_id: string;
  audience: Audience;
  user_id: string;
  seq: number;
  type: NotificationType;
  order_id: string | null;
  sku: string | null;
  occurred_at: Date | string;
  data: Record<string, unknown>;
}

export function outboxRowFor(row: NotificationRow): { notification_id: string; subject: string; payload: string } {
  const payload: NotificationPayload = {
    id: row.notification_id,
    seq: row.seq,
    audience: row.audience,
    userId: row.user_id,
    type: row.type,
    orderId: row.order_id,
    sku: row.sku,
    at: new Date(row.occurred_at).toISOString(),
    data: row.data,
  };
  return { notification_id: row.notification_id, subject: subjectFor(row.audience, row.user_id), payload: json(payload) };
}

/** The channel a commit with new outbox rows notifies (per schema: tests share one database). */
export function outboxChannel(schema: string): string {
  return `${OUTBOX_CHANNEL_PREFIX}${schema}`.slice(0, MAX_CHANNEL_LENGTH);
}

const OUTBOX_CHANNEL_PREFIX = 'notification_outbox:';
/** PostgreSQL truncates identifiers, channel names among them, to 63 bytes. */
const MAX_CHANNEL_LENGTH = 63;
