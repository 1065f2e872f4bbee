import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { dailyNumbers } from '../../db/numbers';
import { lockById, lockOneWhere, lockWhere, rowShape, selectRows } from '../../db/rows';
import {
  AfterSaleCase,
  AfterSaleCaseLine,
  AfterSaleEventType,
  AfterSaleMessage,
  AfterSaleParty,
  AfterSaleStatus as S,
  AfterSaleType as T,
  ArbitrationRuling,
  Order,
  OrderEventType,
  OrderLine,
  OrderStatus as O,
  Shop,
  ShopMember,
  User,
} from '../../entities';
import { Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { moveCaseStock, moveOrderStock } from '../inventory';
import { releaseDiscounts } from '../promotions/release';
// The orders lifecycle and the refunds module alone (not their indexes): both import after-sales hooks.
import { addEvent, PLATFORM, step as stepOrder } from '../orders/lifecycle';
import { refundOrder } from '../payments/refunds';
import { recordAudit } from '../platform';
import { charLength, checkAttachmentUrls, checkParcel, checkText, money, shareOf, toMinor } from '../shared';
import { addCaseEvent, caseActorKinds, type CaseActorRef, type CaseStep, partyOf, schedule, stepCase, TIMER } from './lifecycle';

/**
 * After-sale cases (售後): the buyer asks, the merchant answers, goods travel back and forth, the
 * platform arbitrates. Every mutation locks the case's order first and then the case (the timeout
 * tasks lock in the same order), so two parties acting at once take turns and the second finds the
 * case already moved on. Refunds go through `refundOrder` (the order's payment, the ledger and
 * `send-refunds`); restocked returns through the stock ledger.
 */

const MAX_LINES = 100;

export interface RequestAfterSaleInput {
  orderId: string;
  type: T;
  lines: { orderLineId: string; quantity: number }[];
  reason: string;
  description?: string | null;
  evidenceUrls?: string[] | null;
  refundAmount?: string | null;
}

/** Units each order line already gave to cases (open, or closed with the goods refunded, replaced or repaired), and whether one is open. */
async function linesTaken(em: EntityManager, lineIds: readonly string[]): Promise<Map<string, { taken: number; open: boolean }>> {
  const rows = await selectRows(
    em,
    rowShape({ order_line_id: 'key', taken: 'int', open: 'bool' }),
    `select order_line_id, coalesce(sum(quantity) filter (where counts), 0)::int as taken, bool_or(open) as open
     from after_sale_case_line where order_line_id in (?) group by order_line_id`,
    [lineIds],
  );
  return new Map(rows.map((r) => [r.order_line_id, { taken: r.taken, open: r.open }]));
}

/** What is still refundable on the order: paid, minus refunds made, minus what other open cases ask and have not yet refunded. */
async function refundable(em: EntityManager, order: Order, exceptCaseId: string | null): Promise<number> {
  const [{ refunded, reserved }] = await selectRows(
    em,
    rowShape({ refunded: 'number', reserved: 'number' }),
    `select (select coalesce(sum(amount), 0) from refund where order_id = ?) as refunded,
            (select coalesce(sum(refund_amount), 0) from after_sale_case where order_id = ? and status <> 'CLOSED' and refund_id is null and id <> coalesce(?::bigint, -1)) as reserved`,
    [order.id, order.id, exceptCaseId],
  );
  return order.total - refunded - reserved;
}

const exceedsPaid = (left: number, currency: string) =>
  new Failure(UserErrorCode.REFUND_EXCEEDS_PAID, `At most ${money(Math.max(left, 0), currency).amount} ${currency} of this order is left to refund`, ['input', 'refundAmount']);

/** The value of `quantity` units of each line: their share of what the buyer paid for the line (its total less its allocated discounts). */
function unitsValue(lines: OrderLine[], wanted: Map<string, number>): number {
  return lines.reduce((sum, line) => sum + shareOf(line.lineTotal - line.discount, wanted.get(line.id) ?? 0, line.quantity), 0);
}

/** Nothing of the order has shipped: a refund cancels it whole (see `refundCase`). */
const unshipped = (order: Order) => order.status === O.PAID || order.status === O.PROCESSING;

/** The buyer opens a case on their order. */
export async function requestAfterSale(ctx: Context, input: RequestAfterSaleInput): Promise<AfterSaleCase> {
  const problems = new Problems();
  const reason = checkText(problems, input.reason, ['input', 'reason'], 2, 200, 'Reason');
  const description = input.description == null ? null : checkText(problems, input.description, ['input', 'description'], 0, 2000, 'Description') || null;
  const evidenceUrls = checkAttachmentUrls(problems, input.evidenceUrls, 'evidenceUrls');
  if (input.lines.length === 0 || input.lines.length > MAX_LINES) problems.add(UserErrorCode.INVALID_INPUT, `Name 1 to ${MAX_LINES} order lines`, ['input', 'lines']);
  const wanted = new Map<string, number>();
  input.lines.forEach((l, i) => {
    if (!Number.isInteger(l.quantity) || l.quantity < 1) problems.add(UserErrorCode.INVALID_INPUT, 'Quantities are whole numbers of at least 1', ['input', 'lines', String(i), 'quantity']);
    if (wanted.has(l.orderLineId)) problems.add(UserErrorCode.INVALID_INPUT, 'Each order line at most once', ['input', 'lines', String(i), 'orderLineId']);
    wanted.set(l.orderLineId, l.quantity);
  });
  const refunds = input.type === T.REFUND_ONLY || input.type === T.RETURN_AND_REFUND;
  let asked: number | null = null;
  if (input.refundAmount != null) {
    if (!refunds) problems.add(UserErrorCode.INVALID_INPUT, 'Only REFUND_ONLY and RETURN_AND_REFUND cases ask for money', ['input', 'refundAmount']);
    asked = toMinor(input.refundAmount, ctx.deps.config.currency, problems, ['input', 'refundAmount']);
    if (asked !== null && asked <= 0) problems.add(UserErrorCode.INVALID_INPUT, 'The refund must be positive', ['input', 'refundAmount']);
  }
  problems.throwIfAny();

  return ctx.em.transactional(async (em) => {
    // The order's lock serialises every case opened on it: the checks below hold until commit.
    const order = await lockById(em, Order, input.orderId);
    if (!order || order.buyer.id !== ctx.viewer.userId) throw new NotFoundError('No such order');
    const now = ctx.now();
    checkOrderTakesCase(ctx, order, input.type, now);
    const lines = await em.find(OrderLine, { order: order.id }, { orderBy: { id: 'asc' } });
    const byId = new Map(lines.map((l) => [l.id, l]));
    const taken = await linesTaken(em, lines.map((l) => l.id));
    input.lines.forEach((l, i) => {
      const line = byId.get(l.orderLineId);
      const field = ['input', 'lines', String(i)];
      if (!line) return problems.add(UserErrorCode.INVALID_INPUT, 'Not a line of this order', [...field, 'orderLineId']);
      const t = taken.get(line.id);
      if (t?.open) return problems.add(UserErrorCode.CASE_ALREADY_OPEN, 'This line already has an open after-sale case', [...field, 'orderLineId']);
      if ((t?.taken ?? 0) + l.quantity > line.quantity) {
        problems.add(UserErrorCode.QUANTITY_EXCEEDED, `At most ${line.quantity - (t?.taken ?? 0)} of ${line.quantity} units are left for a case`, [...field, 'quantity']);
      }
    });
    problems.throwIfAny();
    let refundAmount = 0;
    if (refunds) {
      const left = await refundable(em, order, null);
      if (unshipped(order)) {
        // Before shipping, a refund is the whole order's: it cancels the order, so nothing ships.
        if (lines.some((l) => (taken.get(l.id)?.taken ?? 0) + (wanted.get(l.id) ?? 0) < l.quantity)) {
          problems.add(UserErrorCode.INVALID_INPUT, 'Nothing has shipped: a refund covers every unit of the order', ['input', 'lines']);
        }
        if (asked !== null) problems.add(UserErrorCode.INVALID_INPUT, 'Nothing has shipped: the whole amount paid is refunded', ['input', 'refundAmount']);
        problems.throwIfAny();
        refundAmount = left;
      } else {
        const value = unitsValue(lines, wanted);
        if (asked !== null && asked > value) {
          const currency = ctx.deps.config.currency;
          throw new Failure(UserErrorCode.INVALID_INPUT, `At most the units' value, ${money(value, currency).amount} ${currency}; more is for arbitration`, ['input', 'refundAmount']);
        }
        refundAmount = asked ?? Math.min(value, left);
        if (refundAmount > left) throw exceedsPaid(left, ctx.deps.config.currency);
      }
      if (refundAmount <= 0 && order.total > 0) throw exceedsPaid(left, ctx.deps.config.currency);
    }
    const [number] = await dailyNumbers(em, 'after_sale_number_seq', 1, now, 'AS');
    const c = em.create(AfterSaleCase, {
      number,
      order,
      shop: order.shop,
      buyer: order.buyer,
      type: input.type,
      reason,
      description,
      evidenceUrls,
      refundAmount,
      createdAt: now,
      updatedAt: now,
      ...schedule(S.REQUESTED, now, ctx.deps.config),
    });
    for (const [orderLineId, quantity] of wanted) em.persist(em.create(AfterSaleCaseLine, { afterSaleCase: c, orderLine: byId.get(orderLineId)!, quantity }));
    addCaseEvent(em, c, AfterSaleEventType.REQUESTED, AfterSaleParty.BUYER, now, reason, ctx.viewer.userId);
    await em.flush();
    return c;
  });
}

/** Which orders take which cases: paid and not cancelled; goods must have shipped to go back; after delivery only within the window. */
function checkOrderTakesCase(ctx: Context, order: Order, type: T, now: Date): void {
  const status = order.status;
  if (status === O.PENDING_PAYMENT || status === O.CANCELLED) {
    throw new Failure(UserErrorCode.AFTER_SALES_WINDOW_CLOSED, `A ${status} order takes no after-sale case`, ['input', 'orderId']);
  }
  if ((status === O.PAID || status === O.PROCESSING) && type !== T.REFUND_ONLY) {
    throw new Failure(UserErrorCode.INVALID_INPUT, 'Nothing has shipped yet: ask for REFUND_ONLY', ['input', 'type']);
  }
  if (status === O.SHIPPED && (type === T.EXCHANGE || type === T.REPAIR)) {
    throw new Failure(UserErrorCode.INVALID_INPUT, 'Exchanges and repairs are for delivered goods', ['input', 'type']);
  }
  const closesAt = order.deliveredAt ? order.deliveredAt.getTime() + ctx.deps.config.orders.afterSalesDays * 86_400_000 : Infinity;
  if (now.getTime() >= closesAt) throw new Failure(UserErrorCode.AFTER_SALES_WINDOW_CLOSED, `The after-sales window closed ${ctx.deps.config.orders.afterSalesDays} days after delivery`, ['input', 'orderId']);
}

interface LockedCase {
  c: AfterSaleCase;
  order: Order;
  who: CaseActorRef;
}

/**
 * Locks the case's order and then the case, and works out how the viewer relates to it, reading
 * their shop role under a share lock. Someone who may not see the case gets NOT_FOUND.
 */
async function lockCaseFor(ctx: Context, em: EntityManager, caseKey: string): Promise<LockedCase> {
  const [row] = await selectRows(em, rowShape({ order_id: 'key' }), 'select order_id from after_sale_case where id = ?', [caseKey]);
  if (!row) throw new NotFoundError('No such after-sale case');
  const order = (await lockById(em, Order, row.order_id))!;
  const c = (await lockById(em, AfterSaleCase, caseKey))!;
  const userId = ctx.viewer.userId;
  const member = userId ? await lockOneWhere(em, ShopMember, 'e.shop_id = ? and e.user_id = ?', [c.shop.id, userId], { lock: 'share' }) : null;
  const kinds = caseActorKinds(ctx.viewer, c, member?.role);
  if (kinds.length === 0 && !member) throw new NotFoundError('No such after-sale case');
  return { c, order, who: { kinds, userId, sees: true } };
}

/** Runs `act` on the locked case in one transaction and returns the case. */
function onCase(ctx: Context, caseKey: string, act: (em: EntityManager, locked: LockedCase, now: Date) => Promise<void>): Promise<AfterSaleCase> {
  return ctx.em.transactional(async (em) => {
    const locked = await lockCaseFor(ctx, em, caseKey);
    await act(em, locked, ctx.now());
    await em.flush();
    return locked.c;
  });
}

const needsReason = (text: string, field: string) => () => {
  if (charLength(text) < 3) throw new Failure(UserErrorCode.REASON_REQUIRED, 'Give a reason (at least 3 characters)', ['input', field]);
};

/**
 * Refunds the case's `refundAmount` through the order's payment (REFUNDING until the provider
 * confirms; CLOSED at once when nothing is left to send). Refunding every unit of an order before
 * anything shipped cancels the order, so the shop ships nothing, and puts the units back on hand.
 */
async function refundCase(deps: SystemDeps, em: EntityManager, c: AfterSaleCase, order: Order, at: Date, actorId: string | null): Promise<void> {
  const note = `After-sale case ${c.number}`;
  let refund;
  if (unshipped(order)) {
    // The case covers every unit (requestAfterSale saw to it; shipping waits while it is open):
    // the order is cancelled, its units go back on hand, and everything still paid is refunded.
    stepOrder(em, order, 'refundedCancel', PLATFORM, at, `Refunded in full by after-sale case ${c.number}`);
    await em.flush();
    await moveOrderStock(em, [order.id], 'restock', at, actorId);
    await releaseDiscounts(em, [order.id], at);
    refund = await refundOrder(em, order, note, at);
    c.refundAmount = refund?.amount ?? 0;
  } else {
    refund = c.refundAmount > 0 ? await refundOrder(em, order, note, at, c.refundAmount) : null;
  }
  if (refund) {
    c.refund = refund;
    addEvent(em, order, OrderEventType.REFUND_REQUESTED, at, note);
  } else {
    await stepCase(em, c, 'refunded', TIMER, at, deps.config, 'Nothing was left to refund');
  }
}

/** The case's lines with their order lines. */
function caseLines(em: EntityManager, c: AfterSaleCase): Promise<AfterSaleCaseLine[]> {
  return em.find(AfterSaleCaseLine, { afterSaleCase: c.id }, { populate: ['orderLine'], orderBy: { id: 'asc' } });
}

/** Moves the case's units in stock: a restocked return, or an exchange's replacement. */
async function moveUnits(em: EntityManager, c: AfterSaleCase, move: 'return' | 'replace', at: Date, actorId: string | null): Promise<{ short: string[] }> {
  const units = (await caseLines(em, c)).map((l) => ({ variantId: l.orderLine.variant.id, orderId: c.order.id, quantity: l.quantity }));
  return moveCaseStock(em, units, move, at, actorId);
}

/** The value of the case's units (their share of what was paid for their lines): what a ruling for the buyer refunds by default. */
async function caseUnitsValue(em: EntityManager, c: AfterSaleCase): Promise<number> {
  const lines = await caseLines(em, c);
  return unitsValue(lines.map((l) => l.orderLine), new Map(lines.map((l) => [l.orderLine.id, l.quantity])));
}

/** Approval: where the goods go back (for returns: the merchant's address, else the shop's), and the refund of a REFUND_ONLY case. */
async function approve(deps: SystemDeps, em: EntityManager, { c, order, who }: LockedCase, at: Date, returnAddress: string | null, note: string | null): Promise<void> {
  const auto = who.kinds.includes('system');
  const action: CaseStep = c.type === T.REFUND_ONLY ? (auto ? 'autoApproveRefund' : 'approveRefund') : auto ? 'autoApproveReturn' : 'approveReturn';
  await stepCase(em, c, action, who, at, deps.config, note);
  if (c.type === T.REFUND_ONLY) return refundCase(deps, em, c, order, at, who.userId);
  c.returnAddress = returnAddress ?? (await em.findOneOrFail(Shop, { id: order.shop.id })).address ?? null;
}

/** The goods came back: restocked if the merchant says so (RETURN movements), and a RETURN_AND_REFUND refunded at once. */
async function receive(deps: SystemDeps, em: EntityManager, { c, order, who }: LockedCase, at: Date, restock: boolean, note: string | null): Promise<void> {
  await stepCase(em, c, who.kinds.includes('system') ? 'autoReceive' : 'receive', who, at, deps.config, note, () => {
    if (restock && c.type === T.REPAIR) throw new Failure(UserErrorCode.INVALID_INPUT, 'Repaired goods go back to the buyer: they are not restocked', ['input', 'restock']);
  });
  c.restocked = restock;
  if (restock) await moveUnits(em, c, 'return', at, who.userId);
  if (c.type === T.RETURN_AND_REFUND) {
    await stepCase(em, c, 'refund', TIMER, at, deps.config, `Refund of ${money(c.refundAmount, deps.config.currency).amount} ${deps.config.currency}`);
    await refundCase(deps, em, c, order, at, who.userId);
  }
}

/** The merchant approves (goods go back, or the money does) or rejects with a reason. */
export function respondAfterSale(ctx: Context, input: { caseId: string; decision: 'APPROVE' | 'REJECT'; reason?: string | null; returnAddress?: string | null }): Promise<AfterSaleCase> {
  const problems = new Problems();
  const reason = checkText(problems, input.reason ?? '', ['input', 'reason'], 0, 500, 'Reason');
  const returnAddress = checkText(problems, input.returnAddress ?? '', ['input', 'returnAddress'], 0, 300, 'Return address') || null;
  problems.throwIfAny();
  return onCase(ctx, input.caseId, async (em, locked, now) => {
    if (input.decision === 'REJECT') return stepCase(em, locked.c, 'reject', locked.who, now, ctx.deps.config, reason, needsReason(reason, 'reason'));
    return approve(ctx.deps, em, locked, now, returnAddress, reason || null);
  });
}

/** The buyer ships the goods back with a carrier and tracking number. */
export function submitReturnShipment(ctx: Context, input: { caseId: string; carrier: string; trackingNumber: string }): Promise<AfterSaleCase> {
  const problems = new Problems();
  const parcel = checkParcel(problems, input);
  problems.throwIfAny();
  return onCase(ctx, input.caseId, async (em, { c, who }, now) => {
    await stepCase(em, c, 'submitReturn', who, now, ctx.deps.config, `${parcel.carrier} ${parcel.trackingNumber}`);
    c.returnShipment = { ...parcel, shippedAt: now };
  });
}

/** The merchant confirms the return arrived and was inspected; `restock` puts the units back on hand. */
export function confirmReturnReceived(ctx: Context, input: { caseId: string; restock: boolean; note?: string | null }): Promise<AfterSaleCase> {
  const problems = new Problems();
  const note = checkText(problems, input.note ?? '', ['input', 'note'], 0, 500, 'Note') || null;
  problems.throwIfAny();
  return onCase(ctx, input.caseId, (em, locked, now) => receive(ctx.deps, em, locked, now, input.restock, note));
}

/** The merchant ships the replacement (EXCHANGE) or the repaired goods (REPAIR). */
export function resendAfterSale(ctx: Context, input: { caseId: string; carrier: string; trackingNumber: string }): Promise<AfterSaleCase> {
  const problems = new Problems();
  const parcel = checkParcel(problems, input);
  problems.throwIfAny();
  return onCase(ctx, input.caseId, async (em, { c, who }, now) => {
    await stepCase(em, c, 'resend', who, now, ctx.deps.config, `${parcel.carrier} ${parcel.trackingNumber}`);
    c.resendShipment = { ...parcel, shippedAt: now };
    // An exchange's replacement units leave on-hand stock (EXCHANGE movements); a repair sends back the buyer's own goods.
    if (c.type === T.EXCHANGE && (await moveUnits(em, c, 'replace', now, who.userId)).short.length > 0) {
      throw new Failure(UserErrorCode.INSUFFICIENT_STOCK, 'Not enough stock on hand for the replacement', ['input', 'caseId']);
    }
  });
}

/** The buyer confirms the replacement or repaired goods arrived: the case closes REPLACED or REPAIRED. */
export function confirmAfterSaleReceipt(ctx: Context, caseKey: string): Promise<AfterSaleCase> {
  return onCase(ctx, caseKey, (em, { c, who }, now) => stepCase(em, c, 'confirmResent', who, now, ctx.deps.config));
}

/** Either party takes the case to platform arbitration: the buyer a rejected one, either a stuck one. */
export function escalateAfterSale(ctx: Context, input: { caseId: string; reason: string }): Promise<AfterSaleCase> {
  const problems = new Problems();
  const reason = checkText(problems, input.reason, ['input', 'reason'], 0, 500, 'Reason');
  problems.throwIfAny();
  return onCase(ctx, input.caseId, async (em, { c, who }, now) => {
    await stepCase(em, c, c.status === S.REJECTED ? 'escalateRejected' : 'escalateStuck', who, now, ctx.deps.config, reason, needsReason(reason, 'reason'));
    c.escalatedAt = now;
  });
}

/** Staff CUSTOMER_SERVICE rule on an escalated case; the ruling binds (a refund, or the case closes) and is audited. */
export function arbitrateAfterSale(ctx: Context, input: { caseId: string; ruling: ArbitrationRuling; refundAmount?: string | null; note: string }): Promise<AfterSaleCase> {
  const problems = new Problems();
  const note = checkText(problems, input.note, ['input', 'note'], 0, 2000, 'Note');
  let asked: number | null = null;
  if (input.refundAmount != null) {
    if (input.ruling !== ArbitrationRuling.FOR_BUYER) problems.add(UserErrorCode.INVALID_INPUT, 'Only a ruling for the buyer refunds', ['input', 'refundAmount']);
    asked = toMinor(input.refundAmount, ctx.deps.config.currency, problems, ['input', 'refundAmount']);
    if (asked !== null && asked <= 0) problems.add(UserErrorCode.INVALID_INPUT, 'The refund must be positive', ['input', 'refundAmount']);
  }
  problems.throwIfAny();
  return onCase(ctx, input.caseId, async (em, { c, order, who }, now) => {
    const forBuyer = input.ruling === ArbitrationRuling.FOR_BUYER;
    const before = { status: c.status, refundAmount: c.refundAmount };
    await stepCase(em, c, forBuyer ? 'ruleForBuyer' : 'ruleForMerchant', who, now, ctx.deps.config, `${input.ruling}: ${note}`, needsReason(note, 'note'));
    c.ruling = input.ruling;
    if (forBuyer) {
      if (asked !== null && unshipped(order)) throw new Failure(UserErrorCode.INVALID_INPUT, 'Nothing has shipped: the whole amount paid is refunded', ['input', 'refundAmount']);
      const amount = asked ?? (c.refundAmount > 0 ? c.refundAmount : await caseUnitsValue(em, c));
      const left = await refundable(em, order, c.id);
      if (amount > left) throw exceedsPaid(left, ctx.deps.config.currency);
      c.refundAmount = amount;
      await refundCase(ctx.deps, em, c, order, now, who.userId);
    }
    recordAudit(ctx, em, { action: 'afterSale.arbitrate', targetType: 'AfterSaleCase', targetId: c.id, before, after: { status: c.status, ruling: input.ruling, refundAmount: c.refundAmount, note } });
  });
}

/** The buyer withdraws the case before anything is refunded or sent back to them. */
export function withdrawAfterSale(ctx: Context, caseKey: string): Promise<AfterSaleCase> {
  return onCase(ctx, caseKey, (em, { c, who }, now) => stepCase(em, c, 'withdraw', who, now, ctx.deps.config));
}

/** A message in the case's thread from the buyer, the merchant or platform staff. */
export function addAfterSaleMessage(ctx: Context, input: { caseId: string; body: string; attachmentUrls?: string[] | null }): Promise<AfterSaleCase> {
  const problems = new Problems();
  const body = checkText(problems, input.body, ['input', 'body'], 1, 2000, 'Message');
  const attachmentUrls = checkAttachmentUrls(problems, input.attachmentUrls, 'attachmentUrls');
  problems.throwIfAny();
  return onCase(ctx, input.caseId, async (em, { c, who }, now) => {
    if (who.kinds.length === 0) throw new ForbiddenError('Only the buyer, the shop’s after-sales members and platform staff write in a case');
    if (c.status === S.CLOSED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'The case is closed');
    em.persist(em.create(AfterSaleMessage, { afterSaleCase: c, author: em.getReference(User, who.userId!), role: partyOf(who.kinds), body, attachmentUrls, at: now }));
  });
}

// --- Timeouts: the platform acts for a party that stayed silent past the case's deadline. ---

/**
 * Runs `act` on every case in `statuses` past its deadline, in batches: the cases' orders are
 * claimed first with SKIP LOCKED (the order mutations lock in), then the cases, so workers share
 * the work and a case a person is acting on waits for the next run. Idempotent: a moved case is
 * not selected again.
 */
async function onOverdueCases(deps: SystemDeps, em: EntityManager, statuses: S[], act: (tx: EntityManager, locked: LockedCase, now: Date) => Promise<void>, batch = 50): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await em.fork().transactional(async (tx) => {
      const now = deps.clock.now();
      const orders = await lockWhere(tx, Order, 'e.id in (select order_id from after_sale_case where status in (?) and deadline <= ?)', [statuses, now], { orderBy: 'e.id', limit: batch, skipLocked: true });
      if (orders.length === 0) return 0;
      const byId = new Map(orders.map((o) => [o.id, o]));
      const cases = await lockWhere(tx, AfterSaleCase, 'e.order_id in (?) and e.status in (?) and e.deadline <= ?', [[...byId.keys()], statuses, now], { orderBy: 'e.id' });
      for (const c of cases) await act(tx, { c, order: byId.get(c.order.id)!, who: TIMER }, now);
      await tx.flush();
      total += cases.length;
      return orders.length;
    });
    if (done < batch) return total;
  }
}

/** `after-sale-auto-approve`: requests the merchant left unanswered for AFTER_SALE_RESPONSE_HOURS are approved. */
export function autoApproveCases(deps: SystemDeps, em: EntityManager): Promise<number> {
  const note = `Approved automatically: the merchant did not answer within ${deps.config.afterSales.responseHours} hours`;
  return onOverdueCases(deps, em, [S.REQUESTED], (tx, locked, now) => approve(deps, tx, locked, now, null, note));
}

/**
 * `after-sale-auto-close`: approved returns the buyer never shipped (RETURN_SHIP_DAYS) close
 * WITHDRAWN; rejections not escalated within ESCALATION_DAYS close REJECTED; replacements and
 * repairs not confirmed within AUTO_CONFIRM_DAYS close as received.
 */
export function autoCloseCases(deps: SystemDeps, em: EntityManager): Promise<number> {
  const steps: Partial<Record<S, [CaseStep, string]>> = {
    [S.AWAITING_RETURN]: ['closeUnshipped', `The return was not shipped within ${deps.config.afterSales.returnShipDays} days`],
    [S.REJECTED]: ['closeRejected', `Not escalated within ${deps.config.afterSales.escalationDays} days of the rejection`],
    [S.RESENT]: ['autoConfirmResent', `Received automatically after ${deps.config.orders.autoConfirmDays} days`],
  };
  return onOverdueCases(deps, em, [S.AWAITING_RETURN, S.REJECTED, S.RESENT], (tx, { c, who }, now) => {
    const [action, note] = steps[c.status as S]!;
    return stepCase(tx, c, action, who, now, deps.config, note);
  });
}

/** `after-sale-auto-receive`: returns the merchant did not confirm within RETURN_RECEIVE_DAYS of shipping are received (not restocked). */
export function autoReceiveCases(deps: SystemDeps, em: EntityManager): Promise<number> {
  const note = `Received automatically: the merchant did not confirm within ${deps.config.afterSales.returnReceiveDays} days`;
  return onOverdueCases(deps, em, [S.RETURN_SHIPPED], (tx, locked, now) => receive(deps, tx, locked, now, false, note));
}
