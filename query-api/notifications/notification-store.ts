/**
 * Reading a user's notifications from the `notifications` read model, for GET /notifications and
 * for a socket catching up on connect — one query, so both answer the same thing in the same
 * order.
 *
 * Whose: a customer's own (`audience = customer`, `user_id = sub`); an admin also gets the admin
 * audience's. Order: the log position of the causing event, then audience, then the per-user
 * sequence number — the order the projection wrote them in, which is also the order the notifier
 * publishes them in. Notification ids are UUIDs (derived from the causing event, so stable across
 * a rebuild) and carry no order themselves: "after <id>" means after that notification's place in
 * this order.
 */
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Principal } from '../../platform/auth';
import { iso } from '../shared/views';

/** What a client receives: the notifier's NATS payload, the HTTP item and the socket event alike. */
export const Notification = z
  .object({
    id: z.string().meta({ description: 'Stable notification id (UUID); send the last one you saw to catch up.' }),
    seq: z.number().int().meta({ description: '1, 2, 3… per audience and user.' }),
    audience: z.enum(['customer', 'admin']),
    userId: z.string().meta({ description: "The customer's id; '*' for the admin audience." }),
    type: z.string().meta({ description: 'OrderConfirmed | OrderCancelled | PaymentDeclined | LowStock' }),
    orderId: z.string().nullable(),
    sku: z.string().nullable(),
    at: z.string().meta({ description: 'When it happened (ISO 8601).' }),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Notification' });

export type Notification = z.output<typeof Notification>;

interface NotificationRow {
  notification_id: string;
  audience: 'customer' | 'admin';
  user_id: string;
  seq: number;
  type: string;
  order_id: string | null;
  sku: string | null;
  occurred_at: Date;
  data: Record<string, unknown>;
  position: string;
}

export const ADMIN_USER_ID = '*';

function visibleTo(query: Knex.QueryBuilder, principal: Principal): void {
  query.where((where) => {
    where.where({ audience: 'customer', user_id: principal.sub });
    if (principal.role === 'admin') where.orWhere({ audience: 'admin', user_id: ADMIN_USER_ID });
  });
}

function toNotification(row: NotificationRow): Notification {
  return {
    id: row.notification_id,
    seq: row.seq,
    audience: row.audience,
    userId: row.user_id,
    type: row.type,
    orderId: row.order_id,
    sku: row.sku,
    at: iso(row.occurred_at),
    data: row.data,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type NotificationsPage = { known: true; items: Notification[]; more: boolean } | { known: false };

/**
 * Up to `limit` of the principal's notifications after `afterId` (from the first when undefined),
 * in order. `known: false` when `afterId` is not one of the principal's notifications — another
 * user's id reveals nothing, not even that it exists.
 */
export async function notificationsAfter(
  knex: Knex,
  principal: Principal,
  afterId: string | undefined,
  limit: number,
): Promise<NotificationsPage> {
  const query = knex('notifications').select<NotificationRow[]>('*');
  visibleTo(query, principal);
  if (afterId !== undefined) {
    if (!UUID.test(afterId)) return { known: false };
    const anchor = knex('notifications').select('position', 'audience', 'seq').where({ notification_id: afterId });
    visibleTo(anchor, principal);
    const found = (await anchor.first()) as { position: string; audience: string; seq: number } | undefined;
    if (!found) return { known: false };
    query.whereRaw('(position, audience, seq) > (?::numeric, ?, ?)', [found.position, found.audience, found.seq]);
  }
  const rows = await query.orderBy([{ column: 'position' }, { column: 'audience' }, { column: 'seq' }]).limit(limit + 1);
  return { known: true, items: rows.slice(0, limit).map(toNotification), more: rows.length > limit };
}
