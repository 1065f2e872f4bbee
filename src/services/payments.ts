import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../context';
import { Checkout, CheckoutStatus, Order, OrderEventType, OrderStatus, Payment, type PaymentProviderName, PaymentStatus, Refund, RefundStatus } from '../entities';
import { Failure, NotFoundError, UserErrorCode } from '../errors';
import { decodeId, parseGlobalId } from '../schema/globalId';
import { moveOrderStock } from './orderStock';
import { addEvent, step } from './orders';
import { type PaymentWebhookEvent, paymentProvider } from './paymentProviders';

/**
 * Pays a checkout (its buyer): one payment for the checkout total. While a payment is pending for
 * the same amount it is returned again rather than opening a second one, so a retried request
 * cannot charge twice.
 */
export async function payCheckout(ctx: Context, input: { checkoutId: string; provider: PaymentProviderName }): Promise<Payment> {
  const payment = await ctx.em.transactional(async (em) => {
    const checkout = await em.findOne(Checkout, { id: decodeId('Checkout', input.checkoutId) }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!checkout || checkout.buyer.id !== ctx.viewer.userId) throw new NotFoundError('No such checkout');
    if (checkout.status !== CheckoutStatus.PENDING_PAYMENT) {
      throw new Failure(UserErrorCode.INVALID_TRANSITION, `The checkout is ${checkout.status}`, ['input', 'checkoutId']);
    }
    if (checkout.expiresAt <= ctx.deps.clock.now()) throw new Failure(UserErrorCode.CHECKOUT_EXPIRED, 'The checkout expired; check out again', ['input', 'checkoutId']);
    const pending = await em.findOne(Payment, { checkout, status: PaymentStatus.PENDING, provider: input.provider, amount: checkout.total }, { orderBy: { id: 'desc' } });
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
 * Applies a verified provider event, once: the event id is recorded in the same transaction, so a
 * replay changes nothing. A success pays every unpaid order of the checkout and turns their
 * reservations into sales. Money that arrives for a checkout that expired or was cancelled never
 * revives it: the payment is flagged and refunded.
 */
export async function applyPaymentEvent(deps: SystemDeps, em: EntityManager, provider: PaymentProviderName, event: PaymentWebhookEvent): Promise<WebhookOutcome> {
  const parsed = parseGlobalId(event.paymentId);
  if (!parsed || parsed.type !== 'Payment' || !/^\d{1,18}$/.test(parsed.key)) return 'unknown-payment';
  return em.transactional(async (tx) => {
    const payment = await tx.findOne(Payment, { id: parsed.key, provider }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!payment) return 'unknown-payment';
    const inserted = await tx.execute<{ id: string }[]>(
      'insert into payment_event (provider, event_id, type, payment_id, body, received_at) values (?, ?, ?, ?, ?, now()) on conflict (provider, event_id) do nothing returning id',
      [provider, event.eventId, event.type, payment.id, JSON.stringify(event)],
    );
    if (inserted.length === 0) return 'replayed';
    const now = deps.clock.now();
    if (event.type === 'payment.failed') {
      if (payment.status === PaymentStatus.PENDING) payment.status = PaymentStatus.FAILED;
      await tx.flush();
      return 'processed';
    }
    if (payment.status === PaymentStatus.SUCCEEDED) return 'processed';
    payment.status = PaymentStatus.SUCCEEDED;
    const checkout = await tx.findOneOrFail(Checkout, { id: payment.checkout.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (checkout.status !== CheckoutStatus.PENDING_PAYMENT) {
      payment.refundRequired = true;
      tx.persist(tx.create(Refund, { payment, order: null, amount: payment.amount, reason: `Payment arrived for a checkout that is ${checkout.status}` }));
      await tx.flush();
      return 'processed';
    }
    const orders = await tx.find(Order, { checkout, status: OrderStatus.PENDING_PAYMENT }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
    for (const order of orders) step(tx, order, 'pay', now);
    checkout.status = CheckoutStatus.PAID;
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

/** Records the refund of a cancelled paid order; the `refunds` job sends it to the provider. */
export async function refundOrder(em: EntityManager, order: Order, reason: string, at: Date): Promise<void> {
  const payment = await em.findOne(Payment, { checkout: order.checkout, status: PaymentStatus.SUCCEEDED }, { orderBy: { id: 'asc' } });
  if (!payment || order.total === 0) return;
  em.persist(em.create(Refund, { payment, order, amount: order.total, reason }));
  addEvent(em, order, OrderEventType.REFUND_REQUESTED, at, reason);
  await em.flush();
}

/**
 * Sends pending refunds to their providers, a batch at a time. Rows are claimed with SKIP LOCKED,
 * so several workers never send the same refund twice.
 */
export async function processRefunds(deps: SystemDeps, em: EntityManager, batch = 50): Promise<number> {
  let sent = 0;
  for (;;) {
    const done = await em.transactional(async (tx) => {
      const refunds = await tx.find(Refund, { status: RefundStatus.PENDING, providerReference: null }, { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE, limit: batch, orderBy: { id: 'asc' }, populate: ['payment'] });
      for (const refund of refunds) {
        const provider = paymentProvider(deps.config, refund.payment.provider);
        const result = await provider.refund({ id: refund.id, paymentReference: refund.payment.providerReference ?? '', amount: refund.amount, currency: deps.config.currency });
        refund.providerReference = result.reference;
        if (result.settled) refund.status = RefundStatus.SUCCEEDED;
      }
      await tx.flush();
      return refunds.length;
    });
    sent += done;
    if (done < batch) return sent;
  }
}
