import { randomUUID } from 'node:crypto';
import { type GqlResponse, gql, paymentWebhook } from './client';
import type { BenchDatabase } from './database';
import type { Shopper } from './fixtures';
import type { LoadResult } from './load';
import { ADD_TO_CART, CHECKOUT, PAY_CHECKOUT } from './operations';
import { type LatencySummary, Latencies } from './stats';

export const STEPS = ['addToCart', 'checkout', 'payCheckout', 'webhook'] as const;
export type Step = (typeof STEPS)[number];

/** An answer the loop did not expect: an HTTP error, a GraphQL error, a payload error other than running out of stock. */
export class Unexpected extends Error {}

type Outcome = 'bought' | 'sold-out';

export interface Recorder {
  record(step: Step, ms: number): void;
}

export type Payload = { errors?: { code: string }[] } & Record<string, unknown>;

/** The mutation's payload (`data[field]`); an HTTP or GraphQL error throws Unexpected. */
export function payloadOf(res: GqlResponse, field: string, step: Step): Payload {
  if (res.status !== 200 || res.errors?.length || !res.data) throw new Unexpected(`${step}: HTTP ${res.status} ${JSON.stringify(res.errors ?? res.data).slice(0, 300)}`);
  return res.data[field] as Payload;
}

/** Running out is the expected end of the loop; any other payload error is a failure. */
function soldOut(payload: Payload, step: Step): boolean {
  const codes = (payload.errors ?? []).map((e) => e.code);
  if (!codes.length) return false;
  if (codes.every((c) => c === 'INSUFFICIENT_STOCK')) return true;
  throw new Unexpected(`${step}: ${codes.join(', ')}`);
}

/**
 * One purchase as a shopper makes it: add one unit to the cart, check out (with `couponId`, a
 * UserCoupon global ID, when given), pay, and the provider's signed webhook.
 */
async function purchase(base: string, secret: string, shopper: Shopper, variantId: string, rec: Recorder, couponId?: string, onPaid?: OnPaid): Promise<Outcome> {
  const added = await gql(base, ADD_TO_CART, { input: { variantId, quantity: 1 } }, shopper.token);
  rec.record('addToCart', added.ms);
  if (soldOut(payloadOf(added, 'addToCart', 'addToCart'), 'addToCart')) return 'sold-out';

  const placed = await gql(base, CHECKOUT, { input: { addressId: shopper.addressId, ...(couponId ? { couponIds: [couponId] } : {}) }, key: randomUUID() }, shopper.token);
  rec.record('checkout', placed.ms);
  const checkout = payloadOf(placed, 'checkout', 'checkout');
  if (soldOut(checkout, 'checkout')) return 'sold-out';
  const checkoutId = (checkout.checkout as { id: string }).id;
  await payAndConfirm(base, secret, shopper, checkoutId, rec, onPaid);
  return 'bought';
}

/** Told when a checkout's payment webhook answered `processed`: its ID and the wall-clock ms (Date.now()) of the answer. */
export type OnPaid = (checkoutId: string, at: number) => void;

/**
 * Pays a placed checkout as its shopper (MOCK provider) and sends the provider's signed
 * `payment.succeeded` webhook; throws on anything but success.
 */
export async function payAndConfirm(base: string, secret: string, shopper: Shopper, checkoutId: string, rec: Recorder, onPaid?: OnPaid): Promise<void> {
  const paid = await gql(base, PAY_CHECKOUT, { input: { checkoutId, provider: 'MOCK' } }, shopper.token);
  rec.record('payCheckout', paid.ms);
  const payment = payloadOf(paid, 'payCheckout', 'payCheckout');
  if (payment.errors?.length) throw new Unexpected(`payCheckout: ${JSON.stringify(payment.errors)}`);
  const paymentId = (payment.payment as { id: string }).id;

  const hook = await paymentWebhook(base, secret, { eventId: `bench-${randomUUID()}`, type: 'payment.succeeded', paymentId });
  rec.record('webhook', hook.ms);
  if (hook.status !== 200 || !hook.body.includes('"processed"')) throw new Unexpected(`webhook: HTTP ${hook.status} ${hook.body.slice(0, 200)}`);
  onPaid?.(checkoutId, hook.answeredAt);
}

export interface StockProof {
  variant: string;
  stockAtStart: number;
  onHandBefore: number;
  reservedBefore: number;
  onHandAfter: number;
  reservedAfter: number;
  /** Units in order lines of the orders placed during the loop, by order status. */
  unitsPaid: number;
  unitsPending: number;
  /** Earlier reservations the expiry job released while the loop ran. */
  releasedMeanwhile: number;
  orders: number;
  /** The stock ledger (stock_movement) adds up to the variant's on_hand and reserved. */
  ledgerOnHand: number;
  ledgerReserved: number;
  oversold: boolean;
  problems: string[];
}

export interface CheckoutResult extends LoadResult {
  purchases: number;
  /** Purchases whose checkout passed a coupon (see `coupons`). */
  withCoupon: number;
  /** INSUFFICIENT_STOCK payload answers once the stock ran out: expected, not errors. */
  insufficientStock: number;
  soldOut: boolean;
  steps: Record<Step, LatencySummary & { requests: number }>;
  stock?: StockProof;
  failures: string[];
}

/**
 * Every shopper loops over `purchase` until the variant runs out (or `untilMs` passes). Latency is
 * per HTTP request, all four kinds together, with each kind's own figures under `steps`.
 */
export async function checkoutLoop(opts: {
  base: string;
  secret: string;
  shoppers: Shopper[];
  variantId: string;
  seconds: number;
  stopAtSoldOut: boolean;
  /** Purchases per shopper at most. */
  perShopper?: number;
  /**
   * Unused coupons (UserCoupon global IDs) per shopper's user key: each checkout passes the first
   * one left in `couponIds`, and a placed checkout uses it up (coupons are single-use); a shopper
   * with none left checks out without.
   */
  coupons?: Map<string, string[]>;
  /** Told of each payment confirmed (the `feed` scenario times its live events from here). */
  onPaid?: OnPaid;
}): Promise<CheckoutResult> {
  const all = new Latencies();
  const perStep = Object.fromEntries(STEPS.map((s) => [s, new Latencies()])) as Record<Step, Latencies>;
  const rec: Recorder = {
    record(step, ms) {
      all.record(ms);
      perStep[step].record(ms);
    },
  };
  const failures: string[] = [];
  let purchases = 0;
  let withCoupon = 0;
  let insufficientStock = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  await Promise.all(
    opts.shoppers.map(async (shopper) => {
      for (let n = 0; n < (opts.perShopper ?? Infinity) && performance.now() < deadline && failures.length < 10; n++) {
        try {
          const left = opts.coupons?.get(shopper.userId);
          const couponId = left?.[0];
          const outcome = await purchase(opts.base, opts.secret, shopper, opts.variantId, rec, couponId, opts.onPaid);
          if (outcome === 'bought') {
            purchases++;
            if (couponId) {
              left!.shift();
              withCoupon++;
            }
          } else {
            insufficientStock++;
            if (opts.stopAtSoldOut) return;
          }
        } catch (err) {
          errors++;
          failures.push(err instanceof Error ? err.message : String(err));
          return;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const soldOut = insufficientStock >= opts.shoppers.length;
  return {
    ...all.result(seconds),
    errors,
    non2xx: 0,
    gqlErrors: 0,
    sample: failures[0],
    purchases,
    withCoupon,
    insufficientStock,
    soldOut,
    steps: Object.fromEntries(STEPS.map((s) => [s, { ...perStep[s].summary(), requests: perStep[s].count }])) as CheckoutResult['steps'],
    failures,
  };
}

export interface StockBefore {
  onHand: number;
  reserved: number;
  lastOrderId: string;
  lastMovementId: string;
}

export async function stockBefore(db: BenchDatabase, variantKey: string): Promise<StockBefore> {
  const [v] = await db.sql<{ on_hand: number; reserved: number }>('select on_hand, reserved from product_variant where id = ?', [variantKey]);
  const [o] = await db.sql<{ order_id: string; movement_id: string }>(
    'select (select coalesce(max(id), 0) from orders)::text as order_id, (select coalesce(max(id), 0) from stock_movement)::text as movement_id',
  );
  return { onHand: v.on_hand, reserved: v.reserved, lastOrderId: o.order_id, lastMovementId: o.movement_id };
}

/**
 * The proof after the loop, from the database: the variant's on_hand and reserved, the units in the
 * order lines placed during the loop, and the stock ledger all agree, and no more units were sold or
 * reserved than were available when the loop started. (Reservations of unpaid checkouts from earlier
 * runs may be released by the expiry job meanwhile: the ledger's RELEASE rows account for them.)
 */
export async function proveStock(db: BenchDatabase, variant: { key: string; sku: string }, before: StockBefore, purchases: number): Promise<StockProof> {
  const stock = before.onHand - before.reserved;
  const [v] = await db.sql<{ on_hand: number; reserved: number }>('select on_hand, reserved from product_variant where id = ?', [variant.key]);
  const [lines] = await db.sql<{ paid: number; pending: number; orders: number }>(
    `select coalesce(sum(l.quantity) filter (where o.status not in ('PENDING_PAYMENT', 'CANCELLED')), 0)::int as paid,
       coalesce(sum(l.quantity) filter (where o.status = 'PENDING_PAYMENT'), 0)::int as pending,
       count(distinct o.id)::int as orders
     from order_line l join orders o on o.id = l.order_id where l.variant_id = ? and o.id > ?`,
    [variant.key, before.lastOrderId],
  );
  const [ledger] = await db.sql<{ on_hand: number; reserved: number }>(
    'select coalesce(sum(delta_on_hand), 0)::int as on_hand, coalesce(sum(delta_reserved), 0)::int as reserved from stock_movement where variant_id = ?',
    [variant.key],
  );
  const [{ released }] = await db.sql<{ released: number }>(
    "select coalesce(-sum(delta_reserved), 0)::int as released from stock_movement where variant_id = ? and id > ? and reason = 'RELEASE'",
    [variant.key, before.lastMovementId],
  );
  const sold = before.onHand - v.on_hand;
  const reservedNow = v.reserved - before.reserved;
  const problems: string[] = [];
  if (sold + reservedNow > stock) problems.push(`oversold: ${sold} sold + ${reservedNow} reserved > ${stock} available at the start`);
  if (v.on_hand < 0 || v.reserved < 0 || v.reserved > v.on_hand) problems.push(`impossible stock: on_hand ${v.on_hand}, reserved ${v.reserved}`);
  if (lines.paid !== sold) problems.push(`order lines paid (${lines.paid}) ≠ units gone from on_hand (${sold})`);
  if (lines.pending !== reservedNow + released) problems.push(`order lines awaiting payment (${lines.pending}) ≠ units newly reserved (${reservedNow + released})`);
  if (lines.orders !== purchases) problems.push(`orders in the database (${lines.orders}) ≠ purchases the loop completed (${purchases})`);
  if (ledger.on_hand !== v.on_hand || ledger.reserved !== v.reserved) problems.push(`stock ledger (${ledger.on_hand}/${ledger.reserved}) ≠ variant (${v.on_hand}/${v.reserved})`);
  return {
    variant: variant.sku,
    stockAtStart: stock,
    onHandBefore: before.onHand,
    reservedBefore: before.reserved,
    onHandAfter: v.on_hand,
    reservedAfter: v.reserved,
    unitsPaid: lines.paid,
    unitsPending: lines.pending,
    releasedMeanwhile: released,
    orders: lines.orders,
    ledgerOnHand: ledger.on_hand,
    ledgerReserved: ledger.reserved,
    oversold: sold + reservedNow > stock,
    problems,
  };
}
