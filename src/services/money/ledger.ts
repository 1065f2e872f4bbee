import type { EntityManager } from '@mikro-orm/postgresql';
import { LedgerAccount as A, type Order, PostingKind, SHOP_ACCOUNTS } from '../../entities';
import { shareOf } from '../shared';

/**
 * The one writer of the double-entry ledger. Every money event of the platform posts here, in the
 * transaction of the change that causes it: a posting and its entries go in as one statement, and
 * the database refuses it unless the entries sum to zero (see the `money` migration's triggers).
 * Entries are signed minor units: a debit is positive, a credit negative.
 */

export interface EntryInput {
  account: A;
  /** Debit > 0, credit < 0; zero entries are dropped. */
  amount: number;
  /** The shop whose account it is (SHOP_PAYABLE, PAYOUTS_IN_TRANSIT), or whose sale it belongs to. */
  shopId?: string | null;
  orderId?: string | null;
}

export interface PostingInput {
  kind: PostingKind;
  at: Date;
  memo?: string | null;
  paymentId?: string | null;
  refundId?: string | null;
  payoutId?: string | null;
  payoutAttempt?: number | null;
  actorId?: string | null;
  entries: EntryInput[];
}

/**
 * Writes one posting with its entries in a single statement and returns the posting's key, or null
 * when every amount is zero (a free order's payment moves no money: nothing is posted). The sum is
 * checked here as well as by the database, so a programming error names its posting kind.
 */
export async function post(em: EntityManager, posting: PostingInput): Promise<string | null> {
  const entries = posting.entries.filter((e) => e.amount !== 0);
  for (const e of entries) {
    if (!Number.isSafeInteger(e.amount)) throw new Error(`${posting.kind} posting: ${e.account} amount ${e.amount} is not a whole number of minor units`);
    if (SHOP_ACCOUNTS.includes(e.account) && !e.shopId) throw new Error(`${posting.kind} posting: ${e.account} needs a shop`);
  }
  const sum = entries.reduce((total, e) => total + e.amount, 0);
  if (sum !== 0) throw new Error(`${posting.kind} posting does not balance (debits − credits = ${sum})`);
  if (entries.length === 0) return null;
  const [row] = await em.execute<{ id: string }[]>(
    `with p as (
       insert into ledger_posting (kind, at, memo, payment_id, refund_id, payout_id, payout_attempt, actor_id)
       values (?, ?, ?, ?, ?, ?, ?, ?) returning id, kind, at
     ), e as (
       insert into ledger_entry (posting_id, kind, account, shop_id, order_id, amount, at)
       select p.id, p.kind, x.account, x.shop_id, x.order_id, x.amount, p.at
       from p, jsonb_to_recordset(?::jsonb) as x(account text, shop_id bigint, order_id bigint, amount bigint)
     )
     select id from p`,
    [
      posting.kind,
      posting.at,
      posting.memo ?? null,
      posting.paymentId ?? null,
      posting.refundId ?? null,
      posting.payoutId ?? null,
      posting.payoutAttempt ?? null,
      posting.actorId ?? null,
      JSON.stringify(entries.map((e) => ({ account: e.account, shop_id: e.shopId ?? null, order_id: e.orderId ?? null, amount: e.amount }))),
    ],
  );
  return String(row.id);
}

/** What a payment posting needs of each order it paid: amounts snapshotted at checkout. */
export interface PaidOrder {
  id: string;
  shopId: string;
  total: number;
  commission: number;
  platformDiscount: number;
}

/** An order's amounts as its postings read them. */
export function paidOrder(order: Order): PaidOrder {
  return { id: order.id, shopId: order.shop.id, total: order.total, commission: order.commission, platformDiscount: order.platformDiscount };
}

/**
 * A payment succeeded: per order, the buyer's money (debit BUYER_PAYMENTS, the order total) is the
 * shop's share (credit SHOP_PAYABLE: total − commission + platform-funded discount), the commission
 * (credit PLATFORM_COMMISSION) and the discount the platform funds (debit PLATFORM_PROMOTIONS).
 * Money beyond the orders paid (a late payment, an order cancelled meanwhile) is owed back to the
 * buyer (credit REFUNDS_PAYABLE).
 */
export function postPayment(em: EntityManager, p: { paymentId: string; amount: number; orders: PaidOrder[]; at: Date }): Promise<string | null> {
  const entries: EntryInput[] = [];
  for (const o of p.orders) {
    const ref = { shopId: o.shopId, orderId: o.id };
    entries.push(
      { account: A.BUYER_PAYMENTS, amount: o.total, ...ref },
      { account: A.SHOP_PAYABLE, amount: -(o.total - o.commission + o.platformDiscount), ...ref },
      { account: A.PLATFORM_COMMISSION, amount: -o.commission, ...ref },
      { account: A.PLATFORM_PROMOTIONS, amount: o.platformDiscount, ...ref },
    );
  }
  const rest = p.amount - p.orders.reduce((sum, o) => sum + o.total, 0);
  if (rest < 0) throw new Error(`payment ${p.paymentId} is short of the orders it pays by ${-rest}`);
  entries.push({ account: A.BUYER_PAYMENTS, amount: rest }, { account: A.REFUNDS_PAYABLE, amount: -rest });
  return post(em, { kind: PostingKind.PAYMENT, at: p.at, paymentId: p.paymentId, entries });
}

/**
 * A refund of `amount` of an order was decided: the refunded share of each part of the order is
 * reversed into REFUNDS_PAYABLE (owed to the buyer until the provider sends it). Shares are
 * proportional to the amount and computed on the running total refunded (round_half_even of
 * part × refunded-so-far / total, minus the same before this refund), so the refunds of an order
 * add up to exactly its parts and a full refund leaves every account of the order at zero.
 * `refundedBefore`: what earlier refunds of the order came to.
 */
export function postRefund(
  em: EntityManager,
  r: { refundId: string; amount: number; refundedBefore: number; order: PaidOrder; at: Date; memo?: string | null },
): Promise<string | null> {
  const { order, amount, refundedBefore } = r;
  if (amount <= 0 || refundedBefore + amount > order.total) throw new Error(`refund ${r.refundId} of ${amount} exceeds what is left of order ${order.id}`);
  const after = refundedBefore + amount;
  const commission = shareOf(order.commission, after, order.total) - shareOf(order.commission, refundedBefore, order.total);
  const discount = shareOf(order.platformDiscount, after, order.total) - shareOf(order.platformDiscount, refundedBefore, order.total);
  const ref = { shopId: order.shopId, orderId: order.id };
  return post(em, {
    kind: PostingKind.REFUND,
    at: r.at,
    memo: r.memo,
    refundId: r.refundId,
    entries: [
      { account: A.SHOP_PAYABLE, amount: amount - commission + discount, ...ref },
      { account: A.PLATFORM_COMMISSION, amount: commission, ...ref },
      { account: A.PLATFORM_PROMOTIONS, amount: -discount, ...ref },
      { account: A.REFUNDS_PAYABLE, amount: -amount, ...ref },
    ],
  });
}

/** The provider sent a refund back to the buyer: REFUNDS_PAYABLE to BUYER_PAYMENTS. */
export function postRefundSent(em: EntityManager, r: { refundId: string; amount: number; shopId?: string | null; orderId?: string | null; at: Date }): Promise<string | null> {
  const ref = { shopId: r.shopId ?? null, orderId: r.orderId ?? null };
  return post(em, {
    kind: PostingKind.REFUND_SENT,
    at: r.at,
    refundId: r.refundId,
    entries: [
      { account: A.REFUNDS_PAYABLE, amount: r.amount, ...ref },
      { account: A.BUYER_PAYMENTS, amount: -r.amount, ...ref },
    ],
  });
}

/**
 * Finance adjusts a shop's open settlement: a positive amount is owed to the shop (credit
 * SHOP_PAYABLE, debit PLATFORM_ADJUSTMENTS), a negative one charged to it.
 */
export function postAdjustment(em: EntityManager, a: { shopId: string; amount: number; at: Date; memo: string; actorId: string }): Promise<string | null> {
  return post(em, {
    kind: PostingKind.ADJUSTMENT,
    at: a.at,
    memo: a.memo,
    actorId: a.actorId,
    entries: [
      { account: A.SHOP_PAYABLE, amount: -a.amount, shopId: a.shopId },
      { account: A.PLATFORM_ADJUSTMENTS, amount: a.amount, shopId: a.shopId },
    ],
  });
}

/**
 * A payout's steps: created (SHOP_PAYABLE to PAYOUTS_IN_TRANSIT), paid (the money leaves the
 * platform: PAYOUTS_IN_TRANSIT to BUYER_PAYMENTS, the platform's money at the provider) or failed
 * (back to SHOP_PAYABLE). Each attempt of a payout posts each step at most once.
 */
export function postPayout(
  em: EntityManager,
  kind: PostingKind.PAYOUT_CREATED | PostingKind.PAYOUT_PAID | PostingKind.PAYOUT_FAILED,
  p: { payoutId: string; attempt: number; shopId: string; amount: number; at: Date; actorId?: string | null; memo?: string | null; fromPayable?: boolean },
): Promise<string | null> {
  const shop = { shopId: p.shopId };
  // Paid after the provider had failed it: the failure put the amount back in SHOP_PAYABLE.
  const paidFrom = p.fromPayable ? A.SHOP_PAYABLE : A.PAYOUTS_IN_TRANSIT;
  const entries: Record<typeof kind, EntryInput[]> = {
    [PostingKind.PAYOUT_CREATED]: [
      { account: A.SHOP_PAYABLE, amount: p.amount, ...shop },
      { account: A.PAYOUTS_IN_TRANSIT, amount: -p.amount, ...shop },
    ],
    [PostingKind.PAYOUT_PAID]: [
      { account: paidFrom, amount: p.amount, ...shop },
      { account: A.BUYER_PAYMENTS, amount: -p.amount, ...shop },
    ],
    [PostingKind.PAYOUT_FAILED]: [
      { account: A.PAYOUTS_IN_TRANSIT, amount: p.amount, ...shop },
      { account: A.SHOP_PAYABLE, amount: -p.amount, ...shop },
    ],
  };
  return post(em, { kind, at: p.at, memo: p.memo, payoutId: p.payoutId, payoutAttempt: p.attempt, actorId: p.actorId, entries: entries[kind] });
}
