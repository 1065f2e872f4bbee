import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { Checkout, CheckoutStatus, Order, OrderEventType, OrderStatus, Payment, type PaymentProviderName, PaymentStatus, Refund, RefundStatus } from '../../entities';
import { Failure, NotFoundError, UserErrorCode } from '../../errors';
import { decodeId, parseGlobalId } from '../../schema/shared/globalId';
import { moveOrderStock } from '../inventory';
import { addEvent, step } from '../orders';
import { type PaymentWebhookEvent, paymentProvider } from './providers';
import { lockRows } from '../../db/locks';
import { entitiesWhere, entityWhere, lockById } from '../../db/rows';

/**
 * Pays a checkout (its buyer): one payment for the checkout total. While a payment is pending for
 * the same amount it is returned again rather than opening a second one, so a retried request
 * cannot charge twice.
 */
export async function payCheckout(ctx: Context, input: { checkoutId: string; provider: PaymentProviderName }): Promise<Payment> {
  const payment = await ctx.em.transactional(async (em) => {
    const checkout = await lockById(em, Checkout, decodeId('Checkout', input.checkoutId));
    if (!checkout || checkout.buyer.id !== ctx.viewer.userId) throw new NotFoundError('No such checkout');
    if (checkout.status !== CheckoutStatus.PENDING_PAYMENT) {
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
 * Applies a verified provider event, once: the event id is recorded in the same transaction, so a
 * replay changes nothing. A success pays every unpaid order of the checkout and turns their
 * reservations into sales. Money that arrives for a checkout that expired or was cancelled never
 * revives it: the payment is flagged and refunded.
 */
export async function applyPaymentEvent(deps: SystemDeps, em: EntityManager, provider: PaymentProviderName, event: PaymentWebhookEvent): Promise<WebhookOutcome> {
  const parsed = parseGlobalId(event.paymentId);
  if (!parsed || parsed.type !== 'Payment' || !/^\d{1,18}$/.test(parsed.key)) return 'unknown-payment';
  return em.transactional(async (tx) => {
    const payment = await entityWhere(tx, Payment, 'e.id = ? and e.provider = ? for no key update', [parsed.key, provider]);
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
    const checkout = (await lockById(tx, Checkout, payment.checkout.id))!;
    if (checkout.status !== CheckoutStatus.PENDING_PAYMENT) {
      payment.refundRequired = true;
      tx.persist(tx.create(Refund, { payment, order: null, amount: payment.amount, reason: `Payment arrived for a checkout that is ${checkout.status}` }));
      await tx.flush();
      return 'processed';
    }
    const orders = await entitiesWhere(tx, Order, 'e.checkout_id = ? and e.status = ? order by e.id for no key update', [checkout.id, OrderStatus.PENDING_PAYMENT]);
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

/**
 * Records the refund of a cancelled paid order against the payment that paid its checkout (not
 * one already flagged for refund), never for more than is left of that payment; the `send-refunds`
 * job sends it to the provider.
 */
export async function refundOrder(em: EntityManager, order: Order, reason: string, at: Date): Promise<void> {
  const [payment] = await lockRows(em, Payment, { checkout: order.checkout.id, status: PaymentStatus.SUCCEEDED, refundRequired: false }, { orderBy: { id: 'asc' }, limit: 1 });
  if (!payment || order.total === 0) return;
  const [{ refunded }] = await em.execute<{ refunded: string }[]>('select coalesce(sum(amount), 0) as refunded from refund where payment_id = ?', [payment.id]);
  const amount = Math.min(order.total, payment.amount - Number(refunded));
  if (amount <= 0) return;
  em.persist(em.create(Refund, { payment, order, amount, reason }));
  addEvent(em, order, OrderEventType.REFUND_REQUESTED, at, reason);
  await em.flush();
}

/**
 * Sends pending refunds to their providers, one per transaction: a refund row is claimed with
 * SKIP LOCKED (several workers never send the same one at once), sent with its id as the
 * provider's idempotency key (a retry after a crash cannot pay out twice), and its result recorded
 * in the same transaction. Only the refund row is locked while the provider answers, and a failure
 * leaves that one refund pending for the next run without undoing the others.
 */
export async function processRefunds(deps: SystemDeps, em: EntityManager, limit = 200): Promise<number> {
  let sent = 0;
  while (sent < limit) {
    const done = await em.fork().transactional(async (tx) => {
      const [refund] = await lockRows(tx, Refund, { status: RefundStatus.PENDING, providerReference: null }, { orderBy: { id: 'asc' }, limit: 1, skipLocked: true });
      if (!refund) return false;
      const payment = await tx.findOneOrFail(Payment, { id: refund.payment.id });
      const result = await paymentProvider(deps.config, payment.provider).refund({
        id: refund.id,
        paymentReference: payment.providerReference ?? '',
        amount: refund.amount,
        currency: deps.config.currency,
      });
      refund.providerReference = result.reference;
      if (result.settled) refund.status = RefundStatus.SUCCEEDED;
      await tx.flush();
      return true;
    });
    if (!done) break;
    sent += 1;
  }
  return sent;
}
