/**
 * Notifications: what a user should hear about, written as a notification row (with a per-user
 * sequence number) and an outbox row in the same transaction as the projection's checkpoint. The
 * notifier (projectors/notifier/) publishes the outbox to NATS.
 *
 * - customer `<customerId>`: OrderConfirmed, OrderCancelled (with its reason), PaymentDeclined;
 * - admin audience (user id `*`): LowStock, when a SKU's available stock falls to the threshold
 *   or below (once per fall: it must rise above the threshold before it is reported again).
 *
 * A notification's id is derived from the causing event's id, so a replayed event finds its
 * notification already there and adds nothing (no second row, no second outbox message), and a
 * rebuild gives every notification the id it had before.
 */
import type { Knex } from 'knex';
import type { DomainEvent, InventoryEvent, OrderEvent, PaymentEvent } from '../../domain';
import { uuidV5 } from '../../platform/eventstore/event-ids';
import { subjectToken } from '../../platform/nats/subjects';
import type { ProjectedEvent, Projection } from '../framework/types';
import { InconsistentEventError } from '../framework/types';
import { domainEvents, handlesTypes, json, unique } from './support';

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

interface Candidate {
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

interface OrderOwner {
  order_id: string;
  customer_id: string;
  total_amount: number;
  currency: string;
}

interface StockRow {
  sku: string;
  on_hand: number;
  reserved: number;
  low: boolean;
  revision: number;
}

const handled = [
  'OrderPlaced',
  'OrderConfirmed',
  'OrderCancelled',
  'PaymentDeclined',
  'ProductRegistered',
  'StockReceived',
  'StockReserved',
  'StockReleased',
  'StockCommitted',
] as const;
type Handled = Extract<DomainEvent, { type: (typeof handled)[number] }>;

export interface NotificationsSettings {
  lowStockThreshold: number;
  /**
   * Default true. A rebuild into empty tables passes false: the notifications of the past are
   * recorded (a client catching up can read them) but not published again.
   */
  writeOutbox?: boolean;
}

export function notificationsProjection({ lowStockThreshold, writeOutbox = true }: NotificationsSettings): Projection<DomainEvent> {
  return {
    name: 'notifications',
    streamPrefixes: ['order-', 'payment-', 'inventory-'],
    handles: handlesTypes(handled),
    ...domainEvents,
    async apply(trx, events) {
      const typed = events as ProjectedEvent<Handled>[];
      const orderIds = unique(typed.flatMap(({ event }) => ('orderId' in event.data && !event.type.startsWith('Stock') ? [event.data.orderId] : [])));
      const skus = unique(typed.flatMap(({ event }) => (event.type.startsWith('Stock') || event.type === 'ProductRegistered' ? [(event.data as { sku: string }).sku] : [])));
      const owners = new Map(((await trx('notification_orders').whereIn('order_id', orderIds)) as OrderOwner[]).map((row) => [row.order_id, row]));
      const stock = new Map(((await trx('notification_stock').whereIn('sku', skus)) as StockRow[]).map((row) => [row.sku, row]));
      const newOwners: OrderOwner[] = [];
      const changedStock = new Set<string>();
      const candidates: Candidate[] = [];

      for (const projected of typed) {
        const { event } = projected;
        const position = projected.position.commit.toString();
        const notify = (audience: Audience, userId: string, type: NotificationType, at: string, data: Record<string, unknown>, ids: { orderId?: string; sku?: string }) =>
          candidates.push({
            notification_id: uuidV5(`${projected.id}/${type}`, NOTIFICATION_ID_NAMESPACE),
            audience,
            user_id: userId,
            type,
            order_id: ids.orderId ?? null,
            sku: ids.sku ?? null,
            occurred_at: at,
            data,
            position,
          });
        const ownerOf = (orderId: string) => {
          const owner = owners.get(orderId);
          if (!owner) throw new InconsistentEventError(projected, `${event.type} for order ${orderId}, which was never placed`);
          return owner;
        };

        switch (event.type) {
          case 'OrderPlaced': {
            const { orderId, customerId, total } = event.data;
            if (owners.has(orderId)) break;
            const owner = { order_id: orderId, customer_id: customerId, total_amount: total.amount, currency: total.currency };
            owners.set(orderId, owner);
            newOwners.push(owner);
            break;
          }
          case 'OrderConfirmed': {
            const owner = ownerOf(event.data.orderId);
            notify('customer', owner.customer_id, 'OrderConfirmed', event.data.confirmedAt, { total: { amount: owner.total_amount, currency: owner.currency } }, { orderId: owner.order_id });
            break;
          }
          case 'OrderCancelled': {
            const owner = ownerOf(event.data.orderId);
            const { orderId: _orderId, cancelledAt, ...why } = event.data;
            notify('customer', owner.customer_id, 'OrderCancelled', cancelledAt, why, { orderId: owner.order_id });
            break;
          }
          case 'PaymentDeclined': {
            const owner = ownerOf(event.data.orderId);
            notify('customer', owner.customer_id, 'PaymentDeclined', event.data.declinedAt, { reason: event.data.reason }, { orderId: owner.order_id });
            break;
          }
          default: {
            const inventory = event as InventoryEvent;
            const rev = Number(projected.revision);
            const current = stock.get(inventory.data.sku);
            if (inventory.type === 'ProductRegistered') {
              if (current) break;
              // A new product has no stock yet; that is not news to the admin who registered it.
              stock.set(inventory.data.sku, { sku: inventory.data.sku, on_hand: 0, reserved: 0, low: true, revision: rev });
              changedStock.add(inventory.data.sku);
              break;
            }
            if (!current) throw new InconsistentEventError(projected, `${inventory.type} for SKU ${inventory.data.sku}, which was never registered`);
            if (rev <= current.revision) break;
            const next = { ...current, revision: rev, ...stockChange(current, inventory) };
            const available = next.on_hand - next.reserved;
            next.low = available <= lowStockThreshold;
            if (next.low && !current.low) {
              notify(
                'admin',
                ADMIN_USER_ID,
                'LowStock',
                projected.recordedAt.toISOString(),
                { available, onHand: next.on_hand, reserved: next.reserved, threshold: lowStockThreshold },
                { sku: next.sku },
              );
            }
            stock.set(next.sku, next);
            changedStock.add(next.sku);
          }
        }
      }

      if (newOwners.length > 0) await trx('notification_orders').insert(newOwners).onConflict('order_id').ignore();
      if (changedStock.size > 0) {
        await trx('notification_stock')
          .insert([...changedStock].map((sku) => stock.get(sku)!))
          .onConflict('sku')
          .merge();
      }
      await writeNotifications(trx, candidates, writeOutbox);
    },
  };
}

function stockChange(current: StockRow, event: InventoryEvent): Partial<StockRow> {
  switch (event.type) {
    case 'StockReceived':
      return { on_hand: current.on_hand + event.data.quantity };
    case 'StockReserved':
      return { reserved: current.reserved + event.data.quantity };
    case 'StockReleased':
      return { reserved: current.reserved - event.data.quantity };
    case 'StockCommitted':
      return { on_hand: current.on_hand - event.data.quantity, reserved: current.reserved - event.data.quantity };
    default:
      return {};
  }
}

/** Inserts the notifications not already there, numbering them per user, with their outbox rows. */
async function writeNotifications(trx: Knex.Transaction, candidates: Candidate[], writeOutbox: boolean): Promise<void> {
  if (candidates.length === 0) return;
  const known = new Set(
    (await trx('notifications')
      .whereIn(
        'notification_id',
        candidates.map(({ notification_id }) => notification_id),
      )
      .pluck('notification_id')) as string[],
  );
  const fresh = candidates.filter(({ notification_id }) => !known.has(notification_id));
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

  const rows = fresh.map((candidate) => {
    const key = `${candidate.audience}\u0000${candidate.user_id}`;
    const seq = nextSeq.get(key)!;
    nextSeq.set(key, seq + 1);
    return { ...candidate, seq };
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
