import type { EntityManager } from '@mikro-orm/postgresql';
import type { SystemDeps } from '../../context';
import { selectRows, rowShape } from '../../db/rows';
import { NotificationKind as K, MessageChannel, type ShopMemberRole, StaffRole } from '../../entities';
import { toGlobalId } from '../../schema/shared/globalId';
import type { LiveMessage } from '../../realtime/bus';
import { MAX_MESSAGE_BYTES } from '../../realtime/messages';
import { audienceOf, DEFAULT_CHANNELS, isTransactional, type PendingEvent, render } from './templates';

/** Events claimed per transaction: a burst is dispatched in a few statements per batch, whatever its size. */
export const DISPATCH_BATCH = 500;
/** The advisory lock that makes one dispatcher at a time, so each recipient's events go out in order. */
const DISPATCH_LOCK = 'outbox-dispatch';

const EVENT_ROW = rowShape({ id: 'key', type: 'text', shop_id: 'key?', user_id: 'key?', subject_type: 'text', subject_id: 'key', data: 'json', created_at: 'date' });
const MEMBER_ROW = rowShape({ shop_id: 'key', user_id: 'key', role: 'text' });
const CONTACT_ROW = rowShape({ id: 'key', email: 'text', phone: 'text?', kind: 'text?', inbox: 'bool?', email_on: 'bool?', sms: 'bool?' });
const NOTIFICATION_ROW = rowShape({ id: 'key', user_id: 'key', event_id: 'key', kind: 'text', title: 'text', body: 'text', link: 'text?', created_at: 'date' });

export interface DispatchResult {
  events: number;
  notifications: number;
  messages: number;
  deliveries: number;
}

/**
 * Dispatches every pending outbox event, oldest first, in batches: inbox notifications for each
 * recipient (by audience and preference), emails and SMS queued for `send-messages`, webhook
 * deliveries queued for `deliver-webhooks`, and live messages for subscriptions. Each batch is one
 * transaction that also marks its events dispatched, so a crash repeats a batch rather than losing
 * it, and the unique keys (event, recipient) make the repeat harmless: at least once, never twice
 * in the inbox. One dispatcher runs at a time (an advisory lock), so one recipient's events arrive
 * in the order they were committed.
 */
export async function dispatchNotifications(deps: SystemDeps, em: EntityManager): Promise<DispatchResult> {
  const total: DispatchResult = { events: 0, notifications: 0, messages: 0, deliveries: 0 };
  for (;;) {
    const live: LiveMessage[] = [];
    const batch = await em.fork().transactional((tx) => dispatchBatch(deps, tx, live));
    // Redis fan-out happens after commit; PostgreSQL's NOTIFY was sent inside the transaction.
    if (live.length > 0 && deps.bus && !deps.bus.transactional) await deps.bus.publish(live);
    total.events += batch.events;
    total.notifications += batch.notifications;
    total.messages += batch.messages;
    total.deliveries += batch.deliveries;
    if (batch.events < DISPATCH_BATCH) return total;
  }
}

async function dispatchBatch(deps: SystemDeps, tx: EntityManager, live: LiveMessage[]): Promise<DispatchResult> {
  await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [DISPATCH_LOCK]);
  const events: PendingEvent[] = (
    await selectRows(tx, EVENT_ROW, 'select id, type, shop_id, user_id, subject_type, subject_id, data, created_at from outbox_event where dispatched_at is null order by id limit ?', [DISPATCH_BATCH])
  ).map((r) => ({ id: r.id, type: r.type as K, shopId: r.shop_id, userId: r.user_id, subjectType: r.subject_type, subjectId: r.subject_id, data: (r.data ?? {}) as Record<string, unknown>, createdAt: r.created_at }));
  if (events.length === 0) return { events: 0, notifications: 0, messages: 0, deliveries: 0 };
  const now = deps.clock.now();
  const ids = events.map((e) => e.id);

  // Who hears of each event.
  const audiences = events.map(audienceOf);
  const shopIds = [...new Set(events.filter((e, i) => e.shopId && audiences[i].shopRoles.length > 0).map((e) => e.shopId!))];
  const members = shopIds.length > 0 ? await selectRows(tx, MEMBER_ROW, 'select shop_id, user_id, role from shop_member where shop_id in (?) order by user_id', [shopIds]) : [];
  const risk = audiences.some((a) => a.riskStaff)
    ? (await selectRows(tx, rowShape({ id: 'key' }), 'select id from users where ? = any(staff_roles) order by id', [StaffRole.RISK])).map((r) => r.id)
    : [];
  const recipients: { event: PendingEvent; userId: string; side: 'user' | 'shop' }[] = [];
  events.forEach((event, i) => {
    const seen = new Set<string>();
    const add = (userId: string, side: 'user' | 'shop') => {
      if (seen.has(userId)) return;
      seen.add(userId);
      recipients.push({ event, userId, side });
    };
    const audience = audiences[i];
    if (audience.user && event.userId) add(event.userId, 'user');
    for (const m of members) if (m.shop_id === event.shopId && audience.shopRoles.includes(m.role as ShopMemberRole)) add(m.user_id, 'shop');
    if (audience.riskStaff) for (const id of risk) add(id, 'shop');
  });

  // Their channels: preferences where they chose, the kind's defaults where not.
  const userIds = [...new Set(recipients.map((r) => r.userId))];
  const kinds = [...new Set(events.map((e) => e.type))];
  const contacts = userIds.length > 0
    ? await selectRows(
        tx,
        CONTACT_ROW,
        `select u.id, u.email, u.phone, p.kind, p.inbox, p.email as email_on, p.sms
         from users u left join notification_preference p on p.user_id = u.id and p.kind in (?)
         where u.id in (?)`,
        [kinds, userIds],
      )
    : [];
  const contactOf = new Map<string, { email: string; phone: string | null }>();
  const chosen = new Map<string, { inbox: boolean; email: boolean; sms: boolean }>();
  for (const c of contacts) {
    contactOf.set(c.id, { email: c.email, phone: c.phone });
    if (c.kind) chosen.set(`${c.id}:${c.kind}`, { inbox: c.inbox ?? true, email: c.email_on ?? false, sms: c.sms ?? false });
  }

  const inbox: Record<string, unknown>[] = [];
  const messages: Record<string, unknown>[] = [];
  for (const r of recipients) {
    const contact = contactOf.get(r.userId);
    if (!contact) continue;
    const channels = chosen.get(`${r.userId}:${r.event.type}`) ?? DEFAULT_CHANNELS[r.event.type];
    const { title, body } = render(r.event, r.side);
    const base = { user_id: r.userId, event_id: r.event.id, kind: r.event.type };
    if (channels.inbox) inbox.push({ ...base, title, body, link: toGlobalId(r.event.subjectType, r.event.subjectId), created_at: r.event.createdAt.toISOString() });
    const transactional = isTransactional(r.event, r.side === 'user');
    // A receipt is sent whatever the preferences say.
    if (channels.email || transactional) messages.push({ ...base, channel: MessageChannel.EMAIL, recipient: contact.email, subject: title, body, transactional, created_at: now.toISOString() });
    if (channels.sms && contact.phone) messages.push({ ...base, channel: MessageChannel.SMS, recipient: contact.phone, subject: null, body: `${title}. ${body}`, transactional, created_at: now.toISOString() });
  }

  const notifications = inbox.length > 0
    ? await selectRows(
        tx,
        NOTIFICATION_ROW,
        `insert into notification (user_id, event_id, kind, title, body, link, created_at)
         select n.user_id, n.event_id, n.kind, n.title, n.body, n.link, n.created_at
         from jsonb_to_recordset(?::jsonb) as n(user_id bigint, event_id bigint, kind text, title text, body text, link text, created_at timestamptz)
         on conflict (event_id, user_id) do nothing
         returning id, user_id, event_id, kind, title, body, link, created_at`,
        [JSON.stringify(inbox)],
      )
    : [];
  const [queued] = messages.length > 0
    ? await tx.execute<{ n: number }[]>(
        `with queued as (
           insert into outbound_message (user_id, event_id, kind, channel, recipient, subject, body, transactional, status, created_at)
           select m.user_id, m.event_id, m.kind, m.channel, m.recipient, m.subject, m.body, m.transactional, 'PENDING', m.created_at
           from jsonb_to_recordset(?::jsonb) as m(user_id bigint, event_id bigint, kind text, channel text, recipient text, subject text, body text, transactional boolean, created_at timestamptz)
           on conflict (event_id, user_id, channel) do nothing returning 1)
         select count(*)::int as n from queued`,
        [JSON.stringify(messages)],
      )
    : [{ n: 0 }];
  const [deliveries] = await tx.execute<{ n: number }[]>(
    `with queued as (
       insert into webhook_delivery (subscription_id, event_id, status, attempts, next_attempt_at, created_at)
       select s.id, e.id, 'PENDING', 0, ?, ?
       from outbox_event e join webhook_subscription s on s.shop_id = e.shop_id and s.disabled_at is null and e.type = any(s.events)
       where e.id in (?)
       on conflict (subscription_id, event_id) do nothing returning 1)
     select count(*)::int as n from queued`,
    [now, now, ids],
  );
  await tx.execute('update outbox_event set dispatched_at = ? where id in (?)', [now, ids]);
  await markSourcesNotified(tx, events, now);

  for (const e of events) {
    const message = orderMessage(e);
    if (message) live.push(message);
  }
  for (const n of notifications) {
    live.push({ t: 'notification', userId: n.user_id, id: n.id, eventId: n.event_id, kind: n.kind, title: n.title, body: n.body, link: n.link, createdAt: n.created_at.toISOString() });
  }
  // Texts are clipped when rendered, so this never drops one; if it did, the inbox keeps it and
  // dispatch carries on rather than fail the batch (and every batch after it) forever.
  const sendable = live.filter((m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= MAX_MESSAGE_BYTES);
  live.splice(0, live.length, ...sendable);
  // PostgreSQL's NOTIFY is transactional: sent here, delivered to listeners exactly when this commits.
  if (live.length > 0 && deps.bus?.transactional) await deps.bus.publish(live, tx);
  return { events: events.length, notifications: notifications.length, messages: queued.n, deliveries: deliveries.n };
}

/** The records earlier capabilities kept for a notifier (low stock, review invitations, scorecard changes) are now notified. */
async function markSourcesNotified(tx: EntityManager, events: PendingEvent[], now: Date): Promise<void> {
  const keysOf = (kind: K, pick: (e: PendingEvent) => unknown) =>
    events.filter((e) => e.type === kind).map(pick).filter((v): v is string => typeof v === 'string');
  const alerts = keysOf(K.LOW_STOCK, (e) => e.data.alertId);
  const invitations = keysOf(K.REVIEW_INVITATION, (e) => e.subjectId);
  const changes = keysOf(K.SCORECARD_LEVEL_CHANGED, (e) => e.data.changeId);
  if (alerts.length > 0) await tx.execute('update stock_alert set notified_at = ? where id in (?) and notified_at is null', [now, alerts]);
  if (invitations.length > 0) await tx.execute('update review_invitation set notified_at = ? where order_line_id in (?) and notified_at is null', [now, invitations]);
  if (changes.length > 0) await tx.execute('update scorecard_level_change set notified_at = ? where id in (?) and notified_at is null', [now, changes]);
}

/** Order events the live feeds carry: from payment on (an unpaid order is no work for the shop yet). */
const ORDER_KINDS: ReadonlySet<K> = new Set([K.ORDER_PAID, K.ORDER_ACCEPTED, K.ORDER_SHIPPED, K.ORDER_DELIVERED, K.ORDER_COMPLETED, K.ORDER_CANCELLED]);

/** The live order-feed message of an event: order transitions, and an after-sale case being opened. */
function orderMessage(e: PendingEvent): LiveMessage | null {
  if (ORDER_KINDS.has(e.type) && e.shopId && e.userId) {
    return {
      t: 'order',
      eventId: e.id,
      type: String(e.data.orderEventType),
      orderId: e.subjectId,
      shopId: e.shopId,
      buyerId: e.userId,
      status: typeof e.data.status === 'string' ? e.data.status : null,
      note: typeof e.data.note === 'string' ? e.data.note : null,
      at: e.createdAt.toISOString(),
    };
  }
  if (e.type === K.AFTER_SALE_UPDATED && e.data.step === 'REQUESTED' && e.shopId && e.userId && typeof e.data.orderId === 'string') {
    return {
      t: 'order',
      eventId: e.id,
      type: 'AFTER_SALE_REQUESTED',
      orderId: e.data.orderId,
      shopId: e.shopId,
      buyerId: e.userId,
      status: null,
      note: typeof e.data.number === 'string' ? e.data.number : null,
      at: e.createdAt.toISOString(),
    };
  }
  return null;
}
