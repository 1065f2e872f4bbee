import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { entityWhere, lockById, lockOneWhere, lockWhere } from '../../db/rows';
import { Checkout, Order, OrderStatus, Payment, type PaymentProviderName, PaymentStatus, Refund } from '../../entities';
import { Failure, NotFoundError, UserErrorCode } from '../../errors';
import { moveOrderStock } from '../inventory';
// The ledger module alone (not the money index), like the orders domain's use of refunds.
import { paidOrder, postPayment } from '../money/ledger';
// The group-buy hooks alone: the group-buy service places orders through the orders domain.
import { formGroups } from '../campaigns/groupHooks';
import { CHECKOUT_TRANSITIONS, PLATFORM, step, stepCheckout } from '../orders';
// The holds module alone (not the risk index, which reaches the payments domain).
import { holdPaidOrders } from '../risk/holds';
import { isAllowed, transition, type TransitionTable } from '../shared';
import { type PaymentWebhookEvent, paymentProvider } from './providers';

export type PaymentStep = 'succeed' | 'fail' | 'abandon';

/**
 * The payment life cycle, moved by the provider's webhook events (the platform records them). A
 * success after a failure still counts: the provider took the money.
 */
export const PAYMENT_TRANSITIONS: TransitionTable<PaymentStatus, PaymentStep, 'system'> = {
  succeed: { from: [PaymentStatus.PENDING, PaymentStatus.FAILED], to: PaymentStatus.SUCCEEDED, by: ['system'] },
  fail: { from: [PaymentStatus.PENDING], to: PaymentStatus.FAILED, by: ['system'] },
  // The `repair-payments` task: a payment never opened with the provider (a crash in between) whose
  // checkout can no longer be paid. Money that arrives for it anyway still succeeds it, and is refunded.
  abandon: { from: [PaymentStatus.PENDING], to: PaymentStatus.FAILED, by: ['system'] },
};

/**
 * Pays a checkout (its buyer): one payment for the checkout total. While a payment is pending for
 * the same amount it is returned again rather than opening a second one, so a retried request
 * cannot charge twice.
 */
export async function payCheckout(ctx: Context, input: { checkoutId: string; provider: PaymentProviderName }): Promise<Payment> {
  const payment = await ctx.em.transactional(async (em) => {
    const checkout = await lockById(em, Checkout, input.checkoutId);
    if (!checkout || checkout.buyer.id !== ctx.viewer.userId) throw new NotFoundError('No such checkout');
    if (!isAllowed(CHECKOUT_TRANSITIONS, 'pay', checkout.status)) {
      throw new Failure(UserErrorCode.INVALID_TRANSITION, `The checkout is ${checkout.status}`, ['input', 'checkoutId']);
    }
    if (checkout.expiresAt <= ctx.now()) throw new Failure(UserErrorCode.CHECKOUT_EXPIRED, 'The checkout expired; check out again', ['input', 'checkoutId']);
    const pending = await entityWhere(em, Payment, 'e.checkout_id = ? and e.status = ? and e.provider = ? and e.amount = ? order by e.id desc limit 1', [
      checkout.id,
      PaymentStatus.PENDING,
      input.provider,
      checkout.total,
    ]);
    if (pending) return pending;
    // Created at the business clock's time: the `repair-payments` task measures its grace period on it.
    const created = em.create(Payment, { checkout, provider: input.provider, amount: checkout.total, createdAt: ctx.now() });
    await em.flush();
    return created;
  });
  if (!payment.providerReference) {
    // Outside the transaction: a real provider is a network call, which must not hold row locks.
    // A crash before the reference is stored leaves the payment for the buyer's retry or, failing
    // that, the `repair-payments` task; both open it with the same idempotency key, its id.
    const { reference } = await paymentProvider(ctx.deps.config, payment.provider).createPayment(
      { id: payment.id, amount: payment.amount, currency: ctx.deps.config.currency },
      { em: ctx.em.fork(), now: ctx.now() },
    );
    payment.providerReference = reference;
    await ctx.em.flush();
  }
  return payment;
}

/**
 * How long a new payment is left to `payCheckout`, which opens it with the provider within the
 * request, before the `repair-payments` task takes it for a crashed one: longer than any request.
 */
export const PAYMENT_REPAIR_GRACE_MS = 2 * 60_000;

export interface PaymentRepair {
  /** Payments opened with their provider, their reference stored. */
  opened: number;
  /** Payments of checkouts that can no longer be paid, moved to FAILED without reaching the provider. */
  abandoned: number;
  /** Payments whose provider call failed: left as they were, for the next run. */
  failed: number;
  /** The first provider failure's message. */
  firstError?: string;
}

/**
 * Finishes what `payCheckout` began when its process died between committing a payment and
 * storing the provider's reference: PENDING payments without a reference, older than
 * PAYMENT_REPAIR_GRACE_MS by the business clock. One payment a transaction, claimed with SKIP
 * LOCKED (a webhook or another worker holding it is passed over) and held while the provider
 * answers. A payment its checkout can still pay (PENDING_PAYMENT, unexpired, for the checkout's
 * total: the one the buyer's retry would return) is opened with its id as the idempotency key,
 * the same call the buyer's retry makes, and the reference stored; any other is abandoned. A
 * provider failure leaves that payment for the next run and the run goes on past it.
 */
export async function repairPayments(deps: SystemDeps, em: EntityManager, limit = 200): Promise<PaymentRepair> {
  const repair: PaymentRepair = { opened: 0, abandoned: 0, failed: 0 };
  const now = deps.clock.now();
  const createdBy = new Date(now.getTime() - PAYMENT_REPAIR_GRACE_MS);
  let after = '0';
  for (let seen = 0; seen < limit; seen++) {
    const claimed = await em.fork().transactional(async (tx): Promise<{ id: string; outcome: 'opened' | 'abandoned' | Error } | null> => {
      const payment = await lockOneWhere(tx, Payment, 'e.status = ? and e.provider_reference is null and e.created_at <= ? and e.id > ?', [PaymentStatus.PENDING, createdBy, after], {
        orderBy: 'e.id',
        skipLocked: true,
      });
      if (!payment) return null;
      // Not locked: every state in which a checkout can no longer be paid is final, and its total only falls.
      const checkout = (await entityWhere(tx, Checkout, 'e.id = ?', [payment.checkout.id]))!;
      if (!isAllowed(CHECKOUT_TRANSITIONS, 'pay', checkout.status) || checkout.expiresAt <= now || checkout.total !== payment.amount) {
        payment.status = transition(PAYMENT_TRANSITIONS, 'abandon', payment.status, 'payment', { actors: ['system'] });
        await tx.flush();
        return { id: payment.id, outcome: 'abandoned' };
      }
      let reference: string;
      try {
        ({ reference } = await paymentProvider(deps.config, payment.provider).createPayment({ id: payment.id, amount: payment.amount, currency: deps.config.currency }, { em: em.fork(), now }));
      } catch (err) {
        return { id: payment.id, outcome: err instanceof Error ? err : new Error(String(err)) };
      }
      payment.providerReference = reference;
      await tx.flush();
      return { id: payment.id, outcome: 'opened' };
    });
    if (claimed === null) break;
    after = claimed.id;
    if (claimed.outcome === 'opened') repair.opened += 1;
    else if (claimed.outcome === 'abandoned') repair.abandoned += 1;
    else {
      repair.failed += 1;
      repair.firstError ??= claimed.outcome.message;
    }
  }
  return repair;
}

export type WebhookOutcome = 'processed' | 'replayed' | 'unknown-payment';

/**
 * A verified payment event, end to end: the provider's own record of it first (it charged, or
 * failed, whatever we make of the event), then ours (`applyPaymentEvent`). The webhook route and
 * the demo seed take this path.
 */
export async function receivePaymentEvent(deps: SystemDeps, em: EntityManager, provider: PaymentProviderName, event: PaymentWebhookEvent, paymentKey: string): Promise<WebhookOutcome> {
  await paymentProvider(deps.config, provider).recordEvent(event, paymentKey, { em: em.fork(), now: deps.clock.now() });
  return applyPaymentEvent(deps, em, provider, event, paymentKey);
}

/**
 * Applies a verified provider event about the payment with database key `paymentKey`, once: the
 * event id is recorded in the same transaction, so a replay changes nothing. A success pays every
 * unpaid order of the checkout and turns their reservations into sales. Money that arrives for a
 * checkout that expired or was cancelled never revives it: the payment is flagged and refunded.
 */
export async function applyPaymentEvent(deps: SystemDeps, em: EntityManager, provider: PaymentProviderName, event: PaymentWebhookEvent, paymentKey: string): Promise<WebhookOutcome> {
  return em.transactional(async (tx) => {
    const payment = await lockOneWhere(tx, Payment, 'e.id = ? and e.provider = ?', [paymentKey, provider]);
    if (!payment) return 'unknown-payment';
    const now = deps.clock.now();
    const inserted = await tx.execute<{ id: string }[]>(
      'insert into payment_event (provider, event_id, type, payment_id, body, received_at) values (?, ?, ?, ?, ?, ?) on conflict (provider, event_id) do nothing returning id',
      [provider, event.eventId, event.type, payment.id, JSON.stringify(event), now],
    );
    if (inserted.length === 0) return 'replayed';
    if (event.type === 'payment.failed') {
      if (isAllowed(PAYMENT_TRANSITIONS, 'fail', payment.status)) payment.status = transition(PAYMENT_TRANSITIONS, 'fail', payment.status, 'payment', { actors: ['system'] });
      await tx.flush();
      return 'processed';
    }
    // Already succeeded: a second success event for the same money changes nothing.
    if (!isAllowed(PAYMENT_TRANSITIONS, 'succeed', payment.status)) return 'processed';
    payment.status = transition(PAYMENT_TRANSITIONS, 'succeed', payment.status, 'payment', { actors: ['system'] });
    const checkout = (await lockById(tx, Checkout, payment.checkout.id))!;
    if (!isAllowed(CHECKOUT_TRANSITIONS, 'pay', checkout.status)) {
      payment.refundRequired = true;
      tx.persist(tx.create(Refund, { payment, order: null, amount: payment.amount, reason: `Payment arrived for a checkout that is ${checkout.status}`, createdAt: now }));
      await tx.flush();
      // All of it is owed back: BUYER_PAYMENTS to REFUNDS_PAYABLE.
      await postPayment(tx, { paymentId: payment.id, amount: payment.amount, orders: [], at: now });
      return 'processed';
    }
    const orders = await lockWhere(tx, Order, 'e.checkout_id = ? and e.status = ?', [checkout.id, OrderStatus.PENDING_PAYMENT], { orderBy: 'e.id' });
    for (const order of orders) step(tx, order, 'pay', PLATFORM, now);
    stepCheckout(checkout, 'pay');
    await tx.flush();
    // Orders risk control scored for a hold: HELD in their timelines, staff RISK told.
    await holdPaidOrders(tx, orders, now);
    // Groups before variants, as joining a group takes them: the groups these orders complete form.
    await formGroups(tx, orders.map((o) => o.id), now);
    await moveOrderStock(tx, orders.map((o) => o.id), 'sale', now, null);
    const due = orders.reduce((sum, o) => sum + o.total, 0);
    if (payment.amount > due) {
      // An order was cancelled after the payment was opened: the difference goes back.
      tx.persist(tx.create(Refund, { payment, order: null, amount: payment.amount - due, reason: 'Paid more than the orders still open', createdAt: now }));
    }
    await tx.flush();
    await postPayment(tx, {
      paymentId: payment.id,
      amount: payment.amount,
      orders: orders.map(paidOrder),
      at: now,
    });
    return 'processed';
  });
}
