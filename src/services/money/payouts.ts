import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { entitiesByIds, entityWhere, lockById, lockOneWhere, rowShape, selectRows } from '../../db/rows';
import { Payout, type PayoutProviderName, PayoutStatus, PostingKind, Settlement, SettlementStatus, User } from '../../entities';
import { Failure, NotFoundError, UserErrorCode } from '../../errors';
import { recordAudit } from '../platform';
import { guardUnique, isAllowed, transition, type TransitionTable } from '../shared';
import { moneyAccess, moneyShopScope } from './finance';
import { postPayout } from './ledger';
import { payoutIdempotencyKey, payoutProvider, type PayoutWebhookEvent } from './payoutProviders';

/**
 * Payouts: finance staff pay a closed settlement to its shop. The payout row, its PAYOUT_CREATED
 * posting and the audit entry commit together; the provider is called after the commit, outside any
 * transaction, with the attempt's idempotency key (`payout_<id>_<attempt>`), and its reference is
 * stored afterwards. A crash in between leaves a PENDING payout without a reference, which the
 * `send-payouts` task sends again with the same key, so nothing is ever paid twice. The provider
 * confirms by webhook (`applyPayoutEvent`); a FAILED payout is retried in place as a new attempt.
 */

export type PayoutStep = 'pay' | 'fail' | 'payAfterFailure' | 'retry';

/** The payout life cycle: the provider pays or fails an attempt; finance staff retry a failed one. */
export const PAYOUT_TRANSITIONS: TransitionTable<PayoutStatus, PayoutStep, 'system' | 'finance'> = {
  pay: { from: [PayoutStatus.PENDING], to: PayoutStatus.PAID, by: ['system'] },
  fail: { from: [PayoutStatus.PENDING], to: PayoutStatus.FAILED, by: ['system'] },
  // The provider paid an attempt after all, after reporting it failed (and before any retry).
  payAfterFailure: { from: [PayoutStatus.FAILED], to: PayoutStatus.PAID, by: ['system'] },
  retry: { from: [PayoutStatus.FAILED], to: PayoutStatus.PENDING, by: ['finance'] },
};

/**
 * How long an attempt handed to the provider stays claimed by whoever sent it (the mutation or a
 * `send-payouts` run): past this, by the business clock, an attempt still without the provider's
 * reference is taken to have lost its sender to a crash and is sent again, with the same key.
 */
export const PAYOUT_SEND_LEASE_MS = 5 * 60_000;

const alreadyExists = () => new Failure(UserErrorCode.PAYOUT_ALREADY_EXISTS, 'This settlement already has a payout; retry it with retryPayout if it failed', ['input', 'settlementId']);

/**
 * Staff FINANCE: pays a CLOSED settlement's payable amount to its shop. One payout per settlement,
 * also under a race (the unique constraint decides). Returns the payout, PENDING; with the
 * provider's reference unless the provider call failed, in which case `send-payouts` sends it.
 */
export async function createPayout(ctx: Context, input: { settlementId: string }): Promise<Payout> {
  const created = await guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        const [settlement] = await entitiesByIds(em, Settlement, [input.settlementId]);
        if (!settlement) throw new NotFoundError('No such settlement');
        if (settlement.status !== SettlementStatus.CLOSED) throw new Failure(UserErrorCode.SETTLEMENT_NOT_CLOSED, 'The settlement is still open', ['input', 'settlementId']);
        if (settlement.payable <= 0) throw new Failure(UserErrorCode.NOTHING_TO_PAY, 'The settlement’s payable amount is not positive', ['input', 'settlementId']);
        if (await entityWhere(em, Payout, 'e.settlement_id = ?', [settlement.id])) throw alreadyExists();
        const now = ctx.now();
        // Claimed for sending from the start: send-payouts leaves it to this request for the lease.
        const payout = em.create(Payout, {
          settlement,
          shop: settlement.shop,
          amount: settlement.payable,
          createdBy: em.getReference(User, ctx.viewer.userId!),
          sendingAt: now,
          createdAt: now,
          updatedAt: now,
        });
        await em.flush();
        await postPayout(em, PostingKind.PAYOUT_CREATED, { payoutId: payout.id, attempt: payout.attempt, shopId: payout.shop.id, amount: payout.amount, at: now, actorId: ctx.viewer.userId });
        recordAudit(ctx, em, { action: 'payout.create', targetType: 'Payout', targetId: payout.id, after: { settlementId: settlement.id, amountMinor: payout.amount } });
        await em.flush();
        return payout;
      }),
    (message) => (message.includes('payout_settlement_unique') ? alreadyExists() : undefined),
  );
  return sendAfterCommit(ctx, created);
}

/**
 * Staff FINANCE: sends a FAILED payout again as its next attempt (PENDING, a new PAYOUT_CREATED
 * posting moving the amount back into transit, a new idempotency key). Anything else is
 * INVALID_TRANSITION.
 */
export async function retryPayout(ctx: Context, payoutId: string): Promise<Payout> {
  const retried = await ctx.em.transactional(async (em) => {
    const payout = await lockById(em, Payout, payoutId);
    if (!payout) throw new NotFoundError('No such payout');
    const before = { status: payout.status, attempt: payout.attempt, failureReason: payout.failureReason ?? null };
    payout.status = transition(PAYOUT_TRANSITIONS, 'retry', payout.status, 'payout', { actors: ['finance'] });
    const now = ctx.now();
    payout.attempt += 1;
    payout.providerReference = null;
    payout.sendingAt = now;
    payout.updatedAt = now;
    await em.flush();
    await postPayout(em, PostingKind.PAYOUT_CREATED, { payoutId: payout.id, attempt: payout.attempt, shopId: payout.shop.id, amount: payout.amount, at: now, actorId: ctx.viewer.userId });
    recordAudit(ctx, em, { action: 'payout.retry', targetType: 'Payout', targetId: payout.id, before, after: { status: payout.status, attempt: payout.attempt } });
    await em.flush();
    return payout;
  });
  return sendAfterCommit(ctx, retried);
}

/**
 * Sends a just-committed attempt to the provider, outside any transaction (a real provider is a
 * network call, which must not hold row locks). A failure is logged, not reported: the payout
 * exists and `send-payouts` sends it once the lease lapses. Returns the payout as it now stands.
 */
async function sendAfterCommit(ctx: Context, payout: Payout): Promise<Payout> {
  try {
    await sendAttempt(ctx.deps, ctx.em, { id: payout.id, attempt: payout.attempt, amount: payout.amount, shopId: payout.shop.id, provider: payout.provider }, ctx.now());
  } catch (err) {
    ctx.log.warn({ err, payoutId: payout.id, attempt: payout.attempt }, 'payout provider call failed; send-payouts will send it again');
  }
  return (await entityWhere(ctx.em, Payout, 'e.id = ?', [payout.id]))!;
}

interface Attempt {
  id: string;
  attempt: number;
  amount: number;
  shopId: string;
  provider: PayoutProviderName;
}

/**
 * Hands one attempt to its provider with the attempt's idempotency key and stores the reference on
 * the payout, if it is still that attempt and has none (whatever its status: a fast provider's
 * webhook may have arrived first). Returns whether this call stored it.
 */
async function sendAttempt(deps: SystemDeps, em: EntityManager, a: Attempt, now: Date): Promise<boolean> {
  const { reference } = await payoutProvider(deps.config, a.provider).sendPayout(
    { id: payoutIdempotencyKey(a.id, a.attempt), amount: a.amount, currency: deps.config.currency, shopId: a.shopId },
    { em: em.fork(), now },
  );
  const stored = await em.execute<{ id: string }[]>('update payout set provider_reference = ?, updated_at = ? where id = ? and attempt = ? and provider_reference is null returning id', [
    reference,
    deps.clock.now(),
    a.id,
    a.attempt,
  ]);
  return stored.length > 0;
}

export interface SendPayoutsResult {
  sent: number;
  failed: number;
  firstError?: string;
}

/**
 * `send-payouts`: sends the PENDING payouts a crash (or a failed provider call) left without a
 * provider reference, once their lease has lapsed, one at a time like `processRefunds`: a short
 * transaction claims one (SKIP LOCKED, then a fresh lease, so other workers pass it over), the
 * provider is called outside any transaction with the attempt's own idempotency key, and the
 * reference is stored. A provider failure leaves that payout for a later run; the run goes on.
 */
export async function sendPayouts(deps: SystemDeps, em: EntityManager, limit = 200): Promise<SendPayoutsResult> {
  const result: SendPayoutsResult = { sent: 0, failed: 0 };
  for (let tried = 0; tried < limit; tried++) {
    const now = deps.clock.now();
    const claimed = await em.fork().transactional(async (tx): Promise<Attempt | null> => {
      const payout = await lockOneWhere(tx, Payout, 'e.status = ? and e.provider_reference is null and (e.sending_at is null or e.sending_at <= ?)', [PayoutStatus.PENDING, new Date(now.getTime() - PAYOUT_SEND_LEASE_MS)], {
        orderBy: 'e.id',
        skipLocked: true,
      });
      if (!payout) return null;
      payout.sendingAt = now;
      await tx.flush();
      return { id: payout.id, attempt: payout.attempt, amount: payout.amount, shopId: payout.shop.id, provider: payout.provider };
    });
    if (!claimed) break;
    try {
      if (await sendAttempt(deps, em, claimed, now)) result.sent += 1;
    } catch (err) {
      result.failed += 1;
      result.firstError ??= err instanceof Error ? err.message : String(err);
    }
  }
  return result;
}

export type PayoutWebhookOutcome = 'processed' | 'replayed' | 'ignored' | 'unknown-payout';

/**
 * A verified payout event, end to end: the provider's own record of it first (it paid, or failed,
 * whatever we make of the event), then ours (`applyPayoutEvent`).
 */
export async function receivePayoutEvent(deps: SystemDeps, em: EntityManager, provider: PayoutProviderName, event: PayoutWebhookEvent, payoutKey: string): Promise<PayoutWebhookOutcome> {
  const [row] = await selectRows(em, rowShape({ attempt: 'int', reference: 'text?' }), 'select attempt, provider_reference as reference from payout where id = ? and provider = ?', [payoutKey, provider]);
  if (!row) return 'unknown-payout';
  const about = event.attempt ?? row.attempt;
  const attempt = { idempotencyKey: payoutIdempotencyKey(payoutKey, about), reference: about === row.attempt ? row.reference : null };
  await payoutProvider(deps.config, provider).recordEvent(event, attempt, { em: em.fork(), now: deps.clock.now() });
  return applyPayoutEvent(deps, em, provider, event, payoutKey);
}

/**
 * Applies a verified provider event about the payout with database key `payoutKey`, once: the payout
 * row is locked and the event id recorded in the same transaction, so a replay changes nothing.
 * paid: PENDING → PAID, PAYOUT_PAID posted; failed: PENDING → FAILED, PAYOUT_FAILED posted (the
 * amount back in SHOP_PAYABLE). An event for a payout that is no longer PENDING is recorded and
 * ignored, and so is one naming an earlier attempt than the current one. A payment the provider
 * reports after failing the same attempt (and before any retry) is applied: the payout becomes
 * PAID from SHOP_PAYABLE, and `retryPayout` no longer sends it. Without `attempt`, an event is about
 * the current attempt.
 */
export async function applyPayoutEvent(deps: SystemDeps, em: EntityManager, provider: PayoutProviderName, event: PayoutWebhookEvent, payoutKey: string): Promise<PayoutWebhookOutcome> {
  return em.fork().transactional(async (tx) => {
    const payout = await lockOneWhere(tx, Payout, 'e.id = ? and e.provider = ?', [payoutKey, provider]);
    if (!payout) return 'unknown-payout';
    const now = deps.clock.now();
    const inserted = await tx.execute<{ id: string }[]>(
      'insert into payout_event (provider, event_id, type, payout_id, body, received_at) values (?, ?, ?, ?, ?, ?) on conflict (provider, event_id) do nothing returning id',
      [provider, event.eventId, event.type, payout.id, JSON.stringify(event), now],
    );
    if (inserted.length === 0) return 'replayed';
    // About an earlier attempt (one retried since): recorded, not applied to the current one. If the
    // provider paid it after all, reconciliation shows that payment missing from the ledger.
    if (event.attempt !== undefined && event.attempt !== payout.attempt) return 'ignored';
    const step = event.type === 'payout.failed' ? 'fail' : payout.status === PayoutStatus.FAILED ? 'payAfterFailure' : 'pay';
    if (!isAllowed(PAYOUT_TRANSITIONS, step, payout.status)) return 'ignored';
    payout.status = transition(PAYOUT_TRANSITIONS, step, payout.status, 'payout', { actors: ['system'] });
    payout.updatedAt = now;
    if (step === 'fail') {
      payout.failedAt = now;
      payout.failureReason = event.reason ?? 'The payout provider gave no reason';
    } else {
      payout.paidAt = now;
    }
    await tx.flush();
    await postPayout(tx, step === 'fail' ? PostingKind.PAYOUT_FAILED : PostingKind.PAYOUT_PAID, {
      payoutId: payout.id,
      attempt: payout.attempt,
      shopId: payout.shop.id,
      amount: payout.amount,
      at: now,
      memo: step === 'fail' ? payout.failureReason : null,
      // Its failure had put the amount back in SHOP_PAYABLE: it leaves from there.
      fromPayable: step === 'payAfterFailure',
    });
    return 'processed';
  });
}

export interface PayoutFilterInput {
  /** Database key of the shop. */
  shopId?: string | null;
  status?: PayoutStatus | null;
}

/** Payouts newest first (keyset on id; the shop and status filters each have an index). */
export async function listPayouts(ctx: Context, args: PageArgs & { filter?: PayoutFilterInput | null }): Promise<Page<Payout>> {
  const window = pageWindow(args, ['id']);
  const f = args.filter ?? {};
  const shops = await moneyShopScope(ctx, f.shopId);
  const base = () => {
    const qb = ctx.em.createQueryBuilder(Payout, 'e');
    if (shops) qb.andWhere({ shop: { $in: shops } });
    if (f.status) qb.andWhere({ status: f.status });
    return qb;
  };
  const rows = await applyKeyset(base(), [{ column: 'e.id', direction: 'desc' }], window).getResultList();
  return page(rows, window, (p) => [p.id], () => base().getCount());
}

/** One payout, for finance staff and its shop's OWNER and FINANCE members; null for anyone else. */
export async function visiblePayout(ctx: Context, key: string): Promise<Payout | null> {
  const payout = await ctx.em.findOne(Payout, { id: key });
  return payout && (await moneyAccess(ctx.viewer, payout.shop.id)) === 'ALLOWED' ? payout : null;
}

/** A payout's settlement (a page of payouts loads theirs in one query). */
export async function payoutSettlement(ctx: Context, payout: Payout): Promise<Settlement> {
  return (await ctx.loaders.settlementById.load(payout.settlement.id))!;
}
