import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { lockRow } from '../../db/locks';
import { Checkout, CheckoutStatus, Order, OrderEvent, OrderEventType, OrderStatus as O, Shipment, ShopMemberRole, User } from '../../entities';
import { Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { decodeId } from '../../schema/shared/globalId';
import { recordAudit } from '../platform';
import { moveOrderStock } from '../inventory';
import { refundOrder } from '../payments';
import { checkText, transition, type TransitionTable, FULFIL_ROLES, ORDER_STAFF } from '../shared';

/**
 * The order life cycle, one table. `pay`, `expire`, `autoConfirm` and `complete` are the system's;
 * the rest are people's, and who may take which is decided in `actorsOf`.
 */
export type OrderStep = 'pay' | 'accept' | 'ship' | 'confirmDelivery' | 'complete' | 'cancel' | 'staffCancel' | 'expire';

export const ORDER_TRANSITIONS: TransitionTable<O, OrderStep> = {
  pay: { from: [O.PENDING_PAYMENT], to: O.PAID },
  accept: { from: [O.PAID], to: O.PROCESSING },
  ship: { from: [O.PAID, O.PROCESSING], to: O.SHIPPED },
  confirmDelivery: { from: [O.SHIPPED], to: O.DELIVERED },
  complete: { from: [O.DELIVERED], to: O.COMPLETED },
  // The buyer, or the shop with a reason, before shipping.
  cancel: { from: [O.PENDING_PAYMENT, O.PAID, O.PROCESSING], to: O.CANCELLED },
  // Staff, at any point before completion.
  staffCancel: { from: [O.PENDING_PAYMENT, O.PAID, O.PROCESSING, O.SHIPPED, O.DELIVERED], to: O.CANCELLED },
  expire: { from: [O.PENDING_PAYMENT], to: O.CANCELLED },
};

const EVENT_OF: Record<OrderStep, OrderEventType> = {
  pay: OrderEventType.PAID,
  accept: OrderEventType.ACCEPTED,
  ship: OrderEventType.SHIPPED,
  confirmDelivery: OrderEventType.DELIVERED,
  complete: OrderEventType.COMPLETED,
  cancel: OrderEventType.CANCELLED,
  staffCancel: OrderEventType.CANCELLED,
  expire: OrderEventType.CANCELLED,
};


export function addEvent(em: EntityManager, order: Order, type: OrderEventType, at: Date, note: string | null = null, actorId: string | null = null): void {
  const status = type === OrderEventType.TRACKING || type === OrderEventType.REFUND_REQUESTED ? null : order.status;
  em.persist(em.create(OrderEvent, { order, type, status, note, at, actor: actorId ? em.getReference(User, actorId) : null }));
}

/** Moves an order one step through the table, stamps its time and appends the event. */
export function step(em: EntityManager, order: Order, action: OrderStep, at: Date, note: string | null = null, actorId: string | null = null): void {
  order.status = transition(ORDER_TRANSITIONS, action, order.status, 'order');
  if (action === 'pay') order.paidAt = at;
  if (action === 'ship') order.shippedAt ??= at;
  if (action === 'confirmDelivery') order.deliveredAt = at;
  if (action === 'complete') order.completedAt = at;
  if (order.status === O.CANCELLED) {
    order.cancelledAt = at;
    order.cancelReason = note;
  }
  addEvent(em, order, EVENT_OF[action], at, note, actorId);
}

type Party = 'buyer' | 'shop' | 'staff';

/**
 * Locks the order and works out how the viewer relates to it. Someone with no relation gets
 * NOT_FOUND (another shop's or another buyer's order does not exist for them).
 */
async function lockOrderFor(ctx: Context, em: EntityManager, orderId: string): Promise<{ order: Order; parties: Set<Party>; shopRole?: ShopMemberRole }> {
  const order = await lockRow(em, Order, { id: decodeId('Order', orderId) });
  if (!order) throw new NotFoundError('No such order');
  const parties = new Set<Party>();
  if (order.buyer.id === ctx.viewer.userId) parties.add('buyer');
  if (ctx.viewer.hasStaffRole(...ORDER_STAFF)) parties.add('staff');
  let shopRole: ShopMemberRole | undefined;
  if (ctx.viewer.userId) {
    const [row] = await em.execute<{ role: ShopMemberRole }[]>('select role from shop_member where shop_id = ? and user_id = ? for share', [order.shop.id, ctx.viewer.userId]);
    shopRole = row?.role;
    if (shopRole) parties.add('shop');
  }
  if (parties.size === 0) throw new NotFoundError('No such order');
  return { order, parties, shopRole };
}

function requireFulfiller(shopRole: ShopMemberRole | undefined): void {
  if (!shopRole) throw new NotFoundError('No such order');
  if (!FULFIL_ROLES.includes(shopRole)) throw new ForbiddenError();
}

/** PAID → PROCESSING: the shop accepts the order. */
export function acceptOrder(ctx: Context, orderId: string): Promise<Order> {
  return ctx.em.transactional(async (em) => {
    const { order, shopRole } = await lockOrderFor(ctx, em, orderId);
    requireFulfiller(shopRole);
    step(em, order, 'accept', ctx.now(), null, ctx.viewer.userId);
    await em.flush();
    return order;
  });
}

/** PAID | PROCESSING → SHIPPED with a carrier and tracking number; the shipment is in the timeline. */
export function shipOrder(ctx: Context, input: { orderId: string; carrier: string; trackingNumber: string }): Promise<Order> {
  const problems = new Problems();
  const carrier = checkText(problems, input.carrier, ['input', 'carrier'], 1, 60, 'Carrier');
  const trackingNumber = checkText(problems, input.trackingNumber, ['input', 'trackingNumber'], 4, 40, 'Tracking number');
  if (!/^[A-Za-z0-9-]+$/.test(trackingNumber)) problems.add(UserErrorCode.INVALID_INPUT, 'Tracking numbers are letters, digits and dashes', ['input', 'trackingNumber']);
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const { order, shopRole } = await lockOrderFor(ctx, em, input.orderId);
    requireFulfiller(shopRole);
    const now = ctx.now();
    step(em, order, 'ship', now, `${carrier} ${trackingNumber}`, ctx.viewer.userId);
    em.persist(em.create(Shipment, { order, carrier, trackingNumber, shippedAt: now }));
    await em.flush();
    return order;
  });
}

/** SHIPPED → DELIVERED: the buyer confirms receipt (確認收貨). */
export function confirmDelivery(ctx: Context, orderId: string): Promise<Order> {
  return ctx.em.transactional(async (em) => {
    const { order, parties } = await lockOrderFor(ctx, em, orderId);
    if (!parties.has('buyer')) throw new ForbiddenError('Only the buyer confirms delivery');
    step(em, order, 'confirmDelivery', ctx.now(), null, ctx.viewer.userId);
    await em.flush();
    return order;
  });
}

/**
 * Cancels an order with a reason: the buyer before shipping, the shop (fulfilling roles) before
 * shipping, staff before completion. Stock returns (a reservation is released; units of a paid,
 * unshipped order go back on hand) and a paid order is refunded through its payment provider.
 */
export function cancelOrder(ctx: Context, input: { orderId: string; reason: string }): Promise<Order> {
  const problems = new Problems();
  const reason = checkText(problems, input.reason, ['input', 'reason'], 0, 500, 'Reason');
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const checkout = await lockCheckoutOf(em, input.orderId);
    const { order, parties, shopRole } = await lockOrderFor(ctx, em, input.orderId);
    let action: OrderStep;
    if (parties.has('staff')) action = 'staffCancel';
    else if (parties.has('buyer')) action = 'cancel';
    else {
      requireFulfiller(shopRole);
      action = 'cancel';
    }
    if (action !== 'cancel' || !parties.has('buyer')) {
      if (reason.length < 3) throw new Failure(UserErrorCode.REASON_REQUIRED, 'Give a reason (at least 3 characters)', ['input', 'reason']);
    }
    const from = order.status;
    step(em, order, action, ctx.now(), reason || 'Cancelled by the buyer', ctx.viewer.userId);
    await em.flush();
    await settleCancellation(ctx, em, order, checkout, from);
    if (parties.has('staff') && !parties.has('buyer')) {
      recordAudit(ctx, em, { action: 'order.cancel', targetType: 'Order', targetId: order.id, before: { status: from }, after: { status: order.status, reason } });
    }
    await em.flush();
    return order;
  });
}

/**
 * Locks the checkout of an order, before the order itself: the payment webhook and the expiry job
 * lock the checkout first and then its orders, so a cancellation racing them must take the same
 * order or the two deadlock.
 */
async function lockCheckoutOf(em: EntityManager, orderId: string): Promise<Checkout> {
  const [row] = await em.execute<{ checkout_id: string }[]>('select checkout_id from orders where id = ?', [decodeId('Order', orderId)]);
  if (!row) throw new NotFoundError('No such order');
  return (await lockRow(em, Checkout, { id: String(row.checkout_id) }))!;
}

/** Stock, refund and checkout bookkeeping after an order was cancelled from status `from`. */
export async function settleCancellation(ctx: Context | null, em: EntityManager, order: Order, checkout: Checkout, from: O): Promise<void> {
  const actorId = ctx?.viewer.userId ?? null;
  if (from === O.PENDING_PAYMENT) {
    await moveOrderStock(em, [order.id], 'release', actorId);
    checkout.total -= order.total;
    const [{ open }] = await em.execute<{ open: number }[]>("select count(*)::int as open from orders where checkout_id = ? and status <> 'CANCELLED'", [checkout.id]);
    if (open === 0 && checkout.status === CheckoutStatus.PENDING_PAYMENT) checkout.status = CheckoutStatus.CANCELLED;
    return;
  }
  // Paid: goods not yet shipped go back on hand; shipped goods come back through after-sales.
  if (from === O.PAID || from === O.PROCESSING) await moveOrderStock(em, [order.id], 'restock', actorId);
  await refundOrder(em, order, order.cancelReason ?? 'Order cancelled', ctx?.deps.clock.now() ?? new Date());
}
