import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { entityWhere, lockById, lockOneWhere, lockWhere } from '../../db/rows';
import { Checkout, Order, OrderStatus, Payment, type PaymentProviderName, PaymentStatus, Refund } from '../../entities';
import { Failure, NotFoundError, UserErrorCode } from '../../errors';
import { moveOrderStock } from '../inventory';
import { CHECKOUT_TRANSITIONS, PLATFORM, step, stepCheckout } from '../orders';
import { isAllowed, transition, type TransitionTable } from '../shared';
import { type PaymentWebhookEvent, paymentProvider } from './providers';

export type PaymentStep = 'succeed' | 'fail';

/**
 * The payment life cycle, moved by the provider's webhook events (the platform records them). A
 * success after a failure still counts: the provider took the money.
 */
export const PAYMENT_TRANSITIONS: TransitionTable<PaymentStatus, PaymentStep, 'system'> = {
  succeed: { from: [PaymentStatus.PENDING, PaymentStatus.FAILED], to: PaymentStatus.SUCCEEDED, by: ['system'] },
  fail: { from: [PaymentStatus.PENDING], to: PaymentStatus.FAILED, by: ['system'] },
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
    const created = em.create(Payment, { checkout, provider: input.provider, amount: checkout.total });
    await em.flush();
    return created;
  });
  if (!payment.providerReference) {
    // Outside the transaction: a real provider is a network call, which must not hold row locks.
    const { reference } = await paymentProvider(ctx.deps.config, payment.provider).createPayment({ id: payment.id, amount: payment.amount, currency: ctx.deps.config.currency });
    payment.providerReference = reference;
    await ctx.em.flush();
  }
  return payment;
}

export type WebhookOutcome = 'processed' | 'replayed' | 'unknown-payment';

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
      if (isAllowed(PAYMENT_TRANSITIONS, 'fail', payment.status)) payment.status = transition(PAYMENT_TRANSITIONS, 'fail', payment.status, ['system'], 'payment');
      await tx.flush();
      return 'processed';
    }
    // Already succeeded: a second success event for the same money changes nothing.
    if (!isAllowed(PAYMENT_TRANSITIONS, 'succeed', payment.status)) return 'processed';
    payment.status = transition(PAYMENT_TRANSITIONS, 'succeed', payment.status, ['system'], 'payment');
    const checkout = (await lockById(tx, Checkout, payment.checkout.id))!;
    if (!isAllowed(CHECKOUT_TRANSITIONS, 'pay', checkout.status)) {
      payment.refundRequired = true;
      tx.persist(tx.create(Refund, { payment, order: null, amount: payment.amount, reason: `Payment arrived for a checkout that is ${checkout.status}` }));
      await tx.flush();
      return 'processed';
    }
    const orders = await lockWhere(tx, Order, 'e.checkout_id = ? and e.status = ?', [checkout.id, OrderStatus.PENDING_PAYMENT], { orderBy: 'e.id' });
    for (const order of orders) step(tx, order, 'pay', PLATFORM, now);
    stepCheckout(checkout, 'pay');
    await tx.flush();
    await moveOrderStock(tx, orders.map((o) => o.id), 'sale', null);
    const due = orders.reduce((sum, o) => sum + o.total, 0);
    if (payment.amount > due) {
      // An order was cancelled after the payment was opened: the difference goes back.
      tx.persist(tx.create(Refund, { payment, order: null, amount: payment.amount - due, reason: 'Paid more than the orders still open' }));
    }
    await tx.flush();
    return 'processed';
  });
}
