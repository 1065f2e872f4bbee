import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { lockById, lockOneWhere, rowShape, selectRows } from '../../db/rows';
import { Checkout, Order, OrderEventType, OrderStatus as O, Shipment, ShopMember } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
// The after-sales hooks alone: the case service steps orders.
import { hasOpenCase } from '../aftersales/hooks';
// The group-buy hooks alone: the group-buy service places orders through this domain.
import { refuseUnformedGroup } from '../campaigns/groupHooks';
import { recordAudit } from '../platform';
import { releaseDiscounts } from '../promotions/release';
import { moveOrderStock } from '../inventory';
// The refunds module alone (not the payments index): payments imports this domain to pay orders.
import { refundOrder } from '../payments/refunds';
// The holds module alone (not the risk index): risk control's holds step orders through this domain.
import { refuseHeldShipment } from '../risk/holds';
import { checkParcel, checkText, isAllowed } from '../shared';
import { addEvent, CANCEL_STEPS, CHECKOUT_TRANSITIONS, ORDER_TRANSITIONS, type OrderActorRef, orderActorKinds, step, stepCheckout } from './lifecycle';

/**
 * The people's order steps. Who may take which is the table in `lifecycle.ts`; here each mutation
 * locks the order, works out how the viewer relates to it, and takes its step.
 */

/**
 * Locks the order and works out how the viewer relates to it, reading their shop role under a
 * share lock (a removal or demotion committed since the shield rule ran counts). Someone with no
 * relation gets NOT_FOUND (another shop's or another buyer's order does not exist for them).
 */
async function lockOrderFor(ctx: Context, em: EntityManager, orderKey: string): Promise<{ order: Order; who: OrderActorRef }> {
  const order = await lockById(em, Order, orderKey);
  if (!order) throw new NotFoundError('No such order');
  const userId = ctx.viewer.userId;
  const member = userId ? await lockOneWhere(em, ShopMember, 'e.shop_id = ? and e.user_id = ?', [order.shop.id, userId], { lock: 'share' }) : null;
  const kinds = orderActorKinds(ctx.viewer, order, member?.role);
  if (kinds.length === 0 && !member) throw new NotFoundError('No such order');
  return { order, who: { kinds, userId, inShop: member !== null } };
}

/** PAID → PROCESSING: the shop accepts the order. */
export function acceptOrder(ctx: Context, orderKey: string): Promise<Order> {
  return ctx.em.transactional(async (em) => {
    const { order, who } = await lockOrderFor(ctx, em, orderKey);
    step(em, order, 'accept', who, ctx.now());
    await refuseUnformedGroup(em, order.id, ['input', 'id']);
    await em.flush();
    return order;
  });
}

/** PAID | PROCESSING → SHIPPED with a carrier and tracking number; the shipment is in the timeline. A held order is ORDER_ON_HOLD. */
export function shipOrder(ctx: Context, input: { orderId: string; carrier: string; trackingNumber: string }): Promise<Order> {
  const problems = new Problems();
  const { carrier, trackingNumber } = checkParcel(problems, input);
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const { order, who } = await lockOrderFor(ctx, em, input.orderId);
    const now = ctx.now();
    step(em, order, 'ship', who, now, `${carrier} ${trackingNumber}`);
    refuseHeldShipment(order);
    await refuseUnformedGroup(em, order.id, ['input', 'orderId']);
    // The buyer asked for their money back before it shipped: the case decides first.
    if (await hasOpenCase(em, order.id)) throw new Failure(UserErrorCode.CASE_ALREADY_OPEN, 'The buyer asked for a refund: answer the after-sale case first', ['input', 'orderId']);
    em.persist(em.create(Shipment, { order, carrier, trackingNumber, shippedAt: now }));
    await em.flush();
    return order;
  });
}

/** SHIPPED → DELIVERED: the buyer confirms receipt (確認收貨). */
export function confirmDelivery(ctx: Context, orderKey: string): Promise<Order> {
  return ctx.em.transactional(async (em) => {
    const { order, who } = await lockOrderFor(ctx, em, orderKey);
    step(em, order, 'confirmDelivery', who, ctx.now());
    await em.flush();
    return order;
  });
}

/**
 * Cancels an order with a reason: the buyer before shipping, the shop (fulfilling roles) before
 * shipping, staff before completion (see CANCEL_STEPS for who acts as which). Stock returns (a
 * reservation is released; units of a paid, unshipped order go back on hand) and a paid order is
 * refunded through its payment provider.
 */
export function cancelOrder(ctx: Context, input: { orderId: string; reason: string }): Promise<Order> {
  const problems = new Problems();
  const reason = checkText(problems, input.reason, ['input', 'reason'], 0, 500, 'Reason');
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const checkout = await lockCheckoutOf(em, input.orderId);
    const { order, who } = await lockOrderFor(ctx, em, input.orderId);
    // An open after-sale case settles what happens to the money first (a refund it creates must find it paid).
    if (who.kinds.length > 0 && (await hasOpenCase(em, order.id))) {
      throw new Failure(UserErrorCode.CASE_ALREADY_OPEN, 'This order has an open after-sale case: settle or withdraw it first', ['input', 'orderId']);
    }
    // Nobody's cancellation falls to the shop's, which refuses a member of a lesser role.
    const action = CANCEL_STEPS.find((s) => ORDER_TRANSITIONS[s].by.some((k) => who.kinds.includes(k))) ?? 'shopCancel';
    const from = order.status;
    const now = ctx.now();
    step(em, order, action, who, now, reason);
    await em.flush();
    await settleCancellation(ctx, em, order, checkout, from, now);
    if (action === 'staffCancel' && !who.kinds.includes('buyer')) {
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
async function lockCheckoutOf(em: EntityManager, orderKey: string): Promise<Checkout> {
  const [row] = await selectRows(em, rowShape({ checkout_id: 'key' }), 'select checkout_id from orders where id = ?', [orderKey]);
  if (!row) throw new NotFoundError('No such order');
  return (await lockById(em, Checkout, row.checkout_id))!;
}

/** Stock, refund and checkout bookkeeping at `at` after an order was cancelled from status `from`. */
export async function settleCancellation(ctx: Context, em: EntityManager, order: Order, checkout: Checkout, from: O, at: Date): Promise<void> {
  const actorId = ctx.viewer.userId;
  if (from === O.PENDING_PAYMENT) {
    await moveOrderStock(em, [order.id], 'release', at, actorId);
    // Coupons and promotion budgets back (after the variants: checkouts lock in that order).
    await releaseDiscounts(em, [order.id], at);
    checkout.total -= order.total;
    const [{ open }] = await selectRows(em, rowShape({ open: 'int' }), "select count(*) as open from orders where checkout_id = ? and status <> 'CANCELLED'", [checkout.id]);
    if (open === 0 && isAllowed(CHECKOUT_TRANSITIONS, 'cancel', checkout.status)) stepCheckout(checkout, 'cancel');
    return;
  }
  // Paid: goods not yet shipped go back on hand; shipped goods come back through after-sales.
  if (from === O.PAID || from === O.PROCESSING) await moveOrderStock(em, [order.id], 'restock', at, actorId);
  // Coupons and promotion budgets back when nothing shipped (after the variants, as checkouts lock).
  await releaseDiscounts(em, [order.id], at);
  const reason = order.cancelReason ?? 'Order cancelled';
  if (await refundOrder(em, order, reason, at)) addEvent(em, order, OrderEventType.REFUND_REQUESTED, at, reason);
}
