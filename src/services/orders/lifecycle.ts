import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { type Checkout, CheckoutStatus as C, type Order, OrderCanceller, OrderEvent, OrderEventType as E, OrderStatus as O, type ShopMemberRole, StaffRole, User } from '../../entities';
import { Failure, ForbiddenError, NotFoundError, UserErrorCode } from '../../errors';
import { OrderAction } from '../../schema/orders/orders';
import type { Viewer } from '../../viewer';
import { allowedActions, FULFIL_ROLES, ORDER_STAFF, transition, type TransitionRule, type TransitionTable } from '../shared';

/**
 * Who acts on an order: its buyer, its shop (a member in FULFIL_ROLES), order staff (ORDER_STAFF),
 * or the platform itself (jobs and payment webhooks).
 */
export type OrderActor = 'buyer' | 'shop' | 'staff' | 'system';

export type OrderStep = 'pay' | 'accept' | 'ship' | 'confirmDelivery' | 'autoConfirm' | 'complete' | 'buyerCancel' | 'shopCancel' | 'staffCancel' | 'expire' | 'refundedCancel';

interface OrderRule extends TransitionRule<O, OrderActor> {
  by: readonly OrderActor[];
  /** The timeline event the step appends. */
  event: E;
  /** The API action that takes the step (for `Order.nextActions`); none for the platform's own steps. */
  action?: OrderAction;
  /** The step needs a reason of at least 3 characters (REASON_REQUIRED). */
  reasonRequired?: boolean;
  /** The note recorded when none is given. */
  defaultNote?: string;
}

/** The order life cycle, one table: the states each step leaves from and leads to, and who may take it. */
export const ORDER_TRANSITIONS: Record<OrderStep, OrderRule> = {
  pay: { from: [O.PENDING_PAYMENT], to: O.PAID, by: ['system'], event: E.PAID },
  accept: { from: [O.PAID], to: O.PROCESSING, by: ['shop'], event: E.ACCEPTED, action: OrderAction.ACCEPT },
  ship: { from: [O.PAID, O.PROCESSING], to: O.SHIPPED, by: ['shop'], event: E.SHIPPED, action: OrderAction.SHIP },
  confirmDelivery: { from: [O.SHIPPED], to: O.DELIVERED, by: ['buyer'], event: E.DELIVERED, action: OrderAction.CONFIRM_DELIVERY },
  // AUTO_CONFIRM_DAYS after shipping, for the buyer.
  autoConfirm: { from: [O.SHIPPED], to: O.DELIVERED, by: ['system'], event: E.DELIVERED },
  // AFTER_SALES_DAYS after delivery.
  complete: { from: [O.DELIVERED], to: O.COMPLETED, by: ['system'], event: E.COMPLETED },
  buyerCancel: { from: [O.PENDING_PAYMENT, O.PAID, O.PROCESSING], to: O.CANCELLED, by: ['buyer'], event: E.CANCELLED, action: OrderAction.CANCEL, defaultNote: 'Cancelled by the buyer' },
  shopCancel: { from: [O.PENDING_PAYMENT, O.PAID, O.PROCESSING], to: O.CANCELLED, by: ['shop'], event: E.CANCELLED, action: OrderAction.CANCEL, reasonRequired: true },
  // Staff may cancel at any point before completion; the cancellation is audited.
  staffCancel: { from: [O.PENDING_PAYMENT, O.PAID, O.PROCESSING, O.SHIPPED, O.DELIVERED], to: O.CANCELLED, by: ['staff'], event: E.CANCELLED, action: OrderAction.CANCEL, reasonRequired: true },
  // Its checkout was not paid in time.
  expire: { from: [O.PENDING_PAYMENT], to: O.CANCELLED, by: ['system'], event: E.CANCELLED },
  // An after-sale case refunds every unit before anything shipped: nothing is left to ship.
  refundedCancel: { from: [O.PAID, O.PROCESSING], to: O.CANCELLED, by: ['system'], event: E.CANCELLED },
};

/**
 * The cancellation a person takes, by precedence: staff cancel as staff even on their own orders
 * (with a reason, and later than a buyer could), then the buyer, then the shop.
 */
export const CANCEL_STEPS: readonly OrderStep[] = ['staffCancel', 'buyerCancel', 'shopCancel'];

export type CheckoutStep = 'pay' | 'expire' | 'cancel';

/**
 * The checkout life cycle, the platform's alone: the payment webhook pays it, the expiry job
 * expires it, and it is cancelled when the last of its open orders is (whoever cancelled that).
 */
export const CHECKOUT_TRANSITIONS: TransitionTable<C, CheckoutStep, 'system'> = {
  pay: { from: [C.PENDING_PAYMENT], to: C.PAID, by: ['system'] },
  expire: { from: [C.PENDING_PAYMENT], to: C.EXPIRED, by: ['system'] },
  cancel: { from: [C.PENDING_PAYMENT], to: C.CANCELLED, by: ['system'] },
};

/**
 * Who takes a step: the kinds they act as, the person (null for the platform) and whether they
 * belong to the order's shop in any role (a shop step refused to them is FORBIDDEN, to an
 * outsider NOT_FOUND: another shop's order does not exist for them).
 */
export interface OrderActorRef {
  kinds: readonly OrderActor[];
  userId: string | null;
  inShop: boolean;
}

/** The platform: jobs and payment webhooks. */
export const PLATFORM: OrderActorRef = { kinds: ['system'], userId: null, inShop: false };

/**
 * The kinds `viewer` acts as on `order`, given their role in its shop (undefined: not a member).
 * Staff RISK act as staff on an order risk control holds: they cancel it (refunded) instead of releasing it.
 */
export function orderActorKinds(viewer: Viewer, order: Order, shopRole: ShopMemberRole | undefined): OrderActor[] {
  const kinds: OrderActor[] = [];
  if (viewer.userId !== null && order.buyer.id === viewer.userId) kinds.push('buyer');
  if (shopRole !== undefined && FULFIL_ROLES.includes(shopRole)) kinds.push('shop');
  const onHold = order.held && (order.status === O.PAID || order.status === O.PROCESSING);
  if (viewer.hasStaffRole(...ORDER_STAFF) || (onHold && viewer.hasStaffRole(StaffRole.RISK))) kinds.push('staff');
  return kinds;
}

export function addEvent(em: EntityManager, order: Order, type: E, at: Date, note: string | null = null, actorId: string | null = null): void {
  const status = type === E.TRACKING || type === E.REFUND_REQUESTED ? null : order.status;
  em.persist(em.create(OrderEvent, { order, type, status, note, at, actor: actorId ? em.getReference(User, actorId) : null }));
}

/** The time the order reached its new status, and a cancellation's reason. */
function stamp(order: Order, at: Date, note: string | null): void {
  switch (order.status) {
    case O.PAID:
      order.paidAt = at;
      break;
    case O.SHIPPED:
      order.shippedAt ??= at;
      break;
    case O.DELIVERED:
      order.deliveredAt = at;
      break;
    case O.COMPLETED:
      order.completedAt = at;
      break;
    case O.CANCELLED:
      order.cancelledAt = at;
      order.cancelReason = note;
      break;
    default:
  }
}

/**
 * Moves an order one step through the table, as `who` at `at` (the business clock's time): checks
 * the actor, then the reason the step needs, then the state; stamps the time and appends the event.
 */
/** Who a cancelling step names as the canceller. */
const CANCELLERS: Partial<Record<OrderStep, OrderCanceller>> = {
  buyerCancel: OrderCanceller.BUYER,
  shopCancel: OrderCanceller.SHOP,
  staffCancel: OrderCanceller.STAFF,
  expire: OrderCanceller.PLATFORM,
  refundedCancel: OrderCanceller.PLATFORM,
};

export function step(em: EntityManager, order: Order, action: OrderStep, who: OrderActorRef, at: Date, note: string | null = null): void {
  const rule = ORDER_TRANSITIONS[action];
  order.status = transition(ORDER_TRANSITIONS, action, order.status, 'order', {
    actors: who.kinds,
    refuse: (refused) => (ORDER_TRANSITIONS[refused].by.includes('shop') && !who.inShop ? new NotFoundError('No such order') : new ForbiddenError(`You may not ${refused} this order`)),
    guard: () => {
      if (rule.reasonRequired && (note ?? '').length < 3) throw new Failure(UserErrorCode.REASON_REQUIRED, 'Give a reason (at least 3 characters)', ['input', 'reason']);
    },
  });
  const text = note || rule.defaultNote || null;
  stamp(order, at, text);
  if (order.status === O.CANCELLED) order.cancelledBy = CANCELLERS[action] ?? OrderCanceller.PLATFORM;
  addEvent(em, order, rule.event, at, text, who.userId);
}

/** Moves a checkout one step through its table (the platform's). */
export function stepCheckout(checkout: Checkout, action: CheckoutStep): void {
  checkout.status = transition(CHECKOUT_TRANSITIONS, action, checkout.status, 'checkout', { actors: ['system'] });
}

/**
 * What the viewer may do next with `order` through the API, from the table: its buyer, a member
 * of its shop (the fulfilling roles) and order staff see their actions; anyone else none.
 */
export async function nextOrderActions(ctx: Context, order: Order): Promise<OrderAction[]> {
  const kinds = orderActorKinds(ctx.viewer, order, await ctx.viewer.roleIn(order.shop.id));
  const actions = [...new Set(allowedActions(ORDER_TRANSITIONS, order.status, kinds).flatMap((s) => ORDER_TRANSITIONS[s].action ?? []))];
  // A group buy's order waits for its group to form (GROUP_NOT_FORMED): asked only when the shop could act.
  const unformed = actions.some((a) => a === OrderAction.ACCEPT || a === OrderAction.SHIP) && (await ctx.loaders.awaitingGroupByOrderId.load(order.id));
  if (unformed) return actions.filter((a) => a !== OrderAction.ACCEPT && a !== OrderAction.SHIP);
  // Risk control's hold stops shipping only (ORDER_ON_HOLD): the shop may still accept it.
  return order.held ? actions.filter((a) => a !== OrderAction.SHIP) : actions;
}
