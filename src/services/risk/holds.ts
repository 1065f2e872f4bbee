import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { lockById } from '../../db/rows';
import { NotificationKind, Order, type OrderEvent, OrderEventType, OrderStatus, type RiskLevel, type RiskReasonRow, RiskEventKind, StaffRole, User } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
// The outbox module alone (the notifications index reaches the orders domain).
import { emitEvent } from '../notifications/outbox';
// The life cycle alone: this module is imported by the payments webhook, which the orders index reaches.
import { addEvent } from '../orders/lifecycle';
import { recordAudit } from '../platform';
import { checkText } from '../shared';
import { recordRiskEvents } from './events';
import { requireRiskStaff } from './rules';

/**
 * Holds (訂單攔截): an order whose checkout scored RISK_HOLD_SCORE or more is `held`. Once paid it
 * shows in staff RISK's queue and the shop cannot ship it (ORDER_ON_HOLD) until staff release the
 * hold or cancel the order (refunded). The buyer is never told: the risk fields and the hold's
 * timeline events are shown to the shop's members and staff alone.
 */

/** Paid or accepted, not shipped: the statuses a hold keeps an order in. */
const HOLDING: readonly OrderStatus[] = [OrderStatus.PAID, OrderStatus.PROCESSING];

/** Whether the order is held now: flagged and still waiting to ship. */
export function isOnHold(order: Order): boolean {
  return order.held && HOLDING.includes(order.status);
}

/**
 * Called by the payment webhook in its transaction, after `orders` were stepped to PAID: each held
 * one gets a HELD timeline event (flushed with the PAID ones), an ORDER_HELD outbox event for staff
 * RISK ({number, score}) and an ORDER_HELD risk event. Two statements, and none without a held order.
 */
export async function holdPaidOrders(em: EntityManager, orders: Order[], at: Date): Promise<void> {
  const held = orders.filter((o) => o.held);
  if (held.length === 0) return;
  for (const order of held) addEvent(em, order, OrderEventType.HELD, at, 'Held by risk control');
  await emitEvent(
    em,
    ...held.map((o) => ({ type: NotificationKind.ORDER_HELD, shopId: o.shop.id, userId: null, subjectType: 'Order', subjectId: o.id, data: { number: o.number, score: o.riskScore }, at })),
  );
  await recordRiskEvents(
    em,
    held.map((o) => ({ kind: RiskEventKind.ORDER_HELD, userId: o.buyer.id, detail: { orderId: o.id, number: o.number, score: o.riskScore, rules: o.riskReasons.map((r) => r.name) }, at })),
  );
}

/** Refuses shipping a held order (ORDER_ON_HOLD), in the shipping transaction. */
export function refuseHeldShipment(order: Order): void {
  if (order.held) throw new Failure(UserErrorCode.ORDER_ON_HOLD, 'Risk control holds this order: it cannot ship until staff release it', ['input', 'orderId']);
}

/** Staff RISK's queue: held orders waiting to ship, paid longest ago first (orders_held_idx). */
export async function riskQueue(ctx: Context, args: PageArgs): Promise<Page<Order>> {
  requireRiskStaff(ctx);
  const window = pageWindow(args, ['timestamp', 'id']);
  // Spelled as the partial index's predicate, so the planner proves it.
  const held = () => ctx.em.createQueryBuilder(Order, 'o').where("o.held and o.status in ('PAID', 'PROCESSING')");
  const keys = [
    { column: 'o.paid_at', direction: 'asc' as const },
    { column: 'o.id', direction: 'asc' as const },
  ];
  const rows = await applyKeyset(held().select('*'), keys, window).getResultList();
  return page(rows, window, (o) => [o.paidAt!.toISOString(), o.id], () => held().getCount());
}

/**
 * Staff RISK release a held order waiting to ship (NOT_ON_HOLD otherwise): the shop may ship it.
 * A HOLD_RELEASED timeline event with the reason; audited.
 */
export async function releaseOrderHold(ctx: Context, input: { orderId: string; reason: string }): Promise<Order> {
  requireRiskStaff(ctx);
  const problems = new Problems();
  const reason = checkText(problems, input.reason, ['input', 'reason'], 0, 500, 'Reason');
  problems.throwIfAny();
  if (reason.length < 3) throw new Failure(UserErrorCode.REASON_REQUIRED, 'Give a reason (at least 3 characters)', ['input', 'reason']);
  return ctx.em.transactional(async (em) => {
    const order = await lockById(em, Order, input.orderId);
    if (!order) throw new NotFoundError('No such order');
    if (!isOnHold(order)) throw new Failure(UserErrorCode.NOT_ON_HOLD, 'The order is not held, or no longer waiting to ship', ['input', 'orderId']);
    const now = ctx.now();
    const userId = ctx.viewer.userId!;
    order.held = false;
    order.holdReleasedAt = now;
    order.holdReleasedBy = em.getReference(User, userId);
    // The shop sees the release, not why the order was held: the reason stays in the audit log.
    addEvent(em, order, OrderEventType.HOLD_RELEASED, now, 'Released by risk control', userId);
    recordAudit(ctx, em, { action: 'order.releaseHold', targetType: 'Order', targetId: order.id, before: { held: true, score: order.riskScore }, after: { held: false, reason } });
    await em.flush();
    return order;
  });
}

/** An order's risk as the viewer may see it. */
export interface OrderRiskView {
  level: RiskLevel;
  /** Staff RISK only. */
  score: number | null;
  /** Staff RISK only. */
  reasons: RiskReasonRow[] | null;
  onHold: boolean;
  holdReleasedAt: Date | null;
}

/**
 * The order's risk for its shop's members (any role) and staff: the level and hold; the score and
 * the rules that hit for staff RISK (ADMIN passes). Null for anyone else, the buyer above all.
 */
export async function orderRiskFor(ctx: Context, order: Order): Promise<OrderRiskView | null> {
  if (!(await ctx.viewer.isInsiderOf(order.shop.id))) return null;
  const risk = ctx.viewer.hasStaffRole(StaffRole.RISK);
  return {
    level: order.riskLevel,
    score: risk ? order.riskScore : null,
    reasons: risk ? order.riskReasons : null,
    onHold: isOnHold(order),
    holdReleasedAt: order.holdReleasedAt ?? null,
  };
}

/** The timeline events risk control adds: shown to the shop's members and staff, never to a buyer who is neither. */
const RISK_EVENTS: ReadonlySet<OrderEventType> = new Set([OrderEventType.HELD, OrderEventType.HOLD_RELEASED]);

/** `events` of `order` the viewer may see: the hold's events only for the shop's members and staff. */
export async function visibleOrderEvents(ctx: Context, order: Order, events: OrderEvent[]): Promise<OrderEvent[]> {
  if (!events.some((e) => RISK_EVENTS.has(e.type))) return events;
  return (await ctx.viewer.isInsiderOf(order.shop.id)) ? events : events.filter((e) => !RISK_EVENTS.has(e.type));
}
