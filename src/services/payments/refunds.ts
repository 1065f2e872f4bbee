import type { EntityManager } from '@mikro-orm/postgresql';
import type { SystemDeps } from '../../context';
import { lockOneWhere, rowShape, selectRows } from '../../db/rows';
import { type Order, Payment, PaymentStatus, Refund, RefundStatus } from '../../entities';
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
 * Records the refund of a cancelled paid order against the payment that paid its checkout (not
 * one already flagged for refund), never for more than is left of that payment; the `send-refunds`
 * job sends it to the provider. Returns the refund, or null when nothing is left to refund.
 */
export async function refundOrder(em: EntityManager, order: Order, reason: string): Promise<Refund | null> {
  const payment = await lockOneWhere(em, Payment, 'e.checkout_id = ? and e.status = ? and e.refund_required = false', [order.checkout.id, PaymentStatus.SUCCEEDED], { orderBy: 'e.id' });
  if (!payment || order.total === 0) return null;
  const [{ refunded }] = await selectRows(em, rowShape({ refunded: 'number' }), 'select coalesce(sum(amount), 0) as refunded from refund where payment_id = ?', [payment.id]);
  const amount = Math.min(order.total, payment.amount - refunded);
  if (amount <= 0) return null;
  const refund = em.create(Refund, { payment, order, amount, reason });
  em.persist(refund);
  return refund;
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
      const refund = await lockOneWhere(tx, Refund, 'e.status = ? and e.provider_reference is null', [RefundStatus.PENDING], { orderBy: 'e.id', skipLocked: true });
      if (!refund) return false;
      const payment = await tx.findOneOrFail(Payment, { id: refund.payment.id });
      const result = await paymentProvider(deps.config, payment.provider).refund({
        id: refund.id,
        paymentReference: payment.providerReference ?? '',
        amount: refund.amount,
        currency: deps.config.currency,
      });
      refund.providerReference = result.reference;
      if (result.settled) refund.status = transition(REFUND_TRANSITIONS, 'settle', refund.status, 'refund', { actors: ['system'] });
      await tx.flush();
      return true;
    });
    if (!done) break;
    sent += 1;
  }
  return sent;
}
