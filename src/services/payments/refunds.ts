import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import type { SystemDeps } from '../../context';
import { lockById, lockOneWhere, rowShape, selectRows } from '../../db/rows';
import { Order, OrderStatus, Payment, PaymentStatus, Refund, RefundStatus } from '../../entities';
// The points ledger alone (not the membership index, which reaches orders).
import { reverseOnRefund } from '../membership/points';
// The ledger module alone (not the money index): money's settlements read orders and refunds.
import { paidOrder, postRefund, postRefundSent } from '../money/ledger';
// The after-sales hooks alone (not its index): the case service refunds through this module.
import { caseRefundSettled } from '../aftersales/hooks';
import { transition, type TransitionTable } from '../shared';
import { paymentProvider } from './providers';

/**
 * Refunds: recorded when a paid order is cancelled (or money arrives for a checkout that can no
 * longer be paid) and sent to the provider by the `send-refunds` job. This module knows payments
 * and refunds only, so the orders domain can request a refund without importing the payment
 * webhook's module (which pays orders).
 */

export type RefundStep = 'settle';

/** The refund life cycle: the provider confirms it (the platform records that). */
export const REFUND_TRANSITIONS: TransitionTable<RefundStatus, RefundStep, 'system'> = {
  settle: { from: [RefundStatus.PENDING], to: RefundStatus.SUCCEEDED, by: ['system'] },
};

/**
 * Records a refund of a paid order (its whole total, or `amount`) against the payment that paid its
 * checkout (not one already flagged for refund), and posts its reversal to the ledger in the same
 * transaction. The payment row is locked first, so concurrent refunds of one order (or of one
 * checkout's orders) take turns, and none takes the order's or the payment's refunds past what was
 * paid. The `send-refunds` job sends it to the provider. Returns the refund, or null when nothing
 * is left to refund.
 */
export async function refundOrder(em: EntityManager, order: Order, reason: string, at: Date, amount?: number): Promise<Refund | null> {
  // Never paid (say, cancelled before the rest of its checkout was paid): nothing of it to refund.
  if (!order.paidAt) return null;
  const payment = await lockOneWhere(em, Payment, 'e.checkout_id = ? and e.status = ? and e.refund_required = false', [order.checkout.id, PaymentStatus.SUCCEEDED], { orderBy: 'e.id' });
  if (!payment || order.total === 0) return null;
  // Every refund of the order is against this payment, the one payment of the checkout not flagged for refund.
  const [{ refunded, refunded_before: refundedBefore }] = await selectRows(
    em,
    rowShape({ refunded: 'number', refunded_before: 'number' }),
    'select coalesce(sum(amount), 0) as refunded, coalesce(sum(amount) filter (where order_id = ?), 0) as refunded_before from refund where payment_id = ?',
    [order.id, payment.id],
  );
  const wanted = amount ?? order.total;
  const due = Math.min(wanted, order.total - refundedBefore, payment.amount - refunded);
  if (due <= 0) return null;
  const refund = em.create(Refund, { payment, order, amount: due, reason, createdAt: at });
  await em.flush();
  await postRefund(em, {
    refundId: refund.id,
    amount: due,
    refundedBefore,
    order: paidOrder(order),
    at,
    memo: reason,
  });
  // Points the order earned when it completed go back in proportion.
  if (order.status === OrderStatus.COMPLETED) await reverseOnRefund(em, order.id, refund.id, at);
  return refund;
}

/**
 * How long a refund handed to its provider stays claimed by the worker that sent it: past this
 * (by the business clock) a refund still without the provider's answer is taken to have lost its
 * worker to a crash and is sent again, with the same idempotency key.
 */
export const REFUND_SEND_LEASE_MS = 5 * 60_000;

/**
 * Sends pending refunds to their providers, one at a time, never holding a row lock while a
 * provider answers: a short transaction claims a refund (SKIP LOCKED, then a lease stamped on it,
 * so other workers pass it over), the provider is called outside any transaction with the refund's
 * id as its idempotency key (a resend after a crash pays nothing twice), and a second short
 * transaction records the answer — the reference and, when the provider confirms at once, the
 * REFUND_SENT posting. A provider failure leaves that refund for a later run and the run goes on.
 */
export async function processRefunds(deps: SystemDeps, em: EntityManager, limit = 200): Promise<number> {
  let sent = 0;
  for (let tried = 0; tried < limit; tried++) {
    const now = deps.clock.now();
    const claimed = await em.fork().transactional(async (tx) => {
      const refund = await lockOneWhere(tx, Refund, 'e.status = ? and e.provider_reference is null and (e.sending_at is null or e.sending_at <= ?)', [RefundStatus.PENDING, new Date(now.getTime() - REFUND_SEND_LEASE_MS)], {
        orderBy: 'e.id',
        skipLocked: true,
      });
      if (!refund) return null;
      refund.sendingAt = now;
      const payment = await tx.findOneOrFail(Payment, { id: refund.payment.id });
      await tx.flush();
      return { id: refund.id, amount: refund.amount, provider: payment.provider, paymentReference: payment.providerReference ?? '' };
    });
    if (!claimed) break;
    let result: { reference: string; settled: boolean };
    try {
      result = await paymentProvider(deps.config, claimed.provider).refund(
        { id: claimed.id, paymentReference: claimed.paymentReference, amount: claimed.amount, currency: deps.config.currency },
        { em: em.fork(), now },
      );
    } catch {
      continue;
    }
    const recorded = await em.fork().transactional(async (tx) => {
      const refund = await lockById(tx, Refund, claimed.id);
      if (!refund || refund.status !== RefundStatus.PENDING || refund.providerReference) return false;
      refund.providerReference = result.reference;
      if (result.settled) await settleRefund(tx, refund, deps.clock.now(), deps.config);
      await tx.flush();
      return true;
    });
    if (recorded) sent += 1;
  }
  return sent;
}

/**
 * PENDING → SUCCEEDED: the provider sent the money back; posted to the ledger in the caller's
 * transaction, and the after-sale case it was created for (if any) closes REFUNDED.
 */
export async function settleRefund(em: EntityManager, refund: Refund, at: Date, config: Config): Promise<void> {
  refund.status = transition(REFUND_TRANSITIONS, 'settle', refund.status, 'refund', { actors: ['system'] });
  const order = refund.order ? await em.findOneOrFail(Order, { id: refund.order.id }) : null;
  await postRefundSent(em, { refundId: refund.id, amount: refund.amount, shopId: order?.shop.id ?? null, orderId: order?.id ?? null, at });
  await caseRefundSettled(em, refund.id, at, config);
}
