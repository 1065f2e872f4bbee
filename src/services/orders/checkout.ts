import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { entityWhere, lockKeys, lockRowsOf, type RowOf, rowShape, selectRows } from '../../db/rows';
import { dailyNumbers } from '../../db/numbers';
import { Address, Checkout, DiscountSource, Funder, Order, OrderDiscount, OrderEventType, OrderLine, Promotion, type ShippingAddress, Shop, User } from '../../entities';
import { BadInputError, Failure, Problems, UserErrorCode } from '../../errors';
import { lockUser } from '../identity';
import { reserveStock } from '../inventory';
import { FLASH_HELD_SQL, FLASH_LEFT_SQL, LIVE_FLASH_ITEM_SQL, takeFlashUnits } from '../campaigns/flashStock';
import type { CampaignPrice, PromotionRule } from '../promotions/pricing';
import { commissionOn } from '../shared';
import { couponFailure } from './cart';
import { addEvent } from './lifecycle';
import { priceCartLines } from './pricing';
import { pointsByGroup, pointsRedemption, throwPointsProblem } from '../membership/redemption';
import { recordRedemption } from '../membership/points';
// The scoring module alone (not the risk index, whose holds reach this domain).
import { checkoutSignals, scoreCheckout, withBlacklistEvents } from '../risk/scoring';

export interface CheckoutInput {
  /** Database key of an address of the buyer's. */
  addressId: string;
  /** Database keys of the cart lines to buy; all lines when omitted. */
  lineIds?: string[] | null;
  /** A note to every shop of the checkout (訂單備註). */
  note?: string | null;
  /** Database keys of the buyer's coupons to apply: at most one platform coupon and one per shop. */
  couponIds?: string[] | null;
  /** Points to redeem (none when absent or 0). */
  pointsToRedeem?: number | null;
}

const KEY = /^[A-Za-z0-9._:-]{8,100}$/;

const LINE_ROW = rowShape({
  line_id: 'key',
  quantity: 'int',
  variant_id: 'key',
  sku: 'text',
  variant_title: 'text',
  price: 'number',
  archived: 'bool',
  available: 'number',
  product_id: 'key',
  product_title: 'text',
  visible: 'bool',
  shipping_template_id: 'key?',
  shop_id: 'key',
  category_path: 'text',
  commission_rate: 'text',
  flash_item_id: 'key?',
  flash_price: 'number?',
  flash_title: 'text?',
  flash_funded_by: 'text?',
  flash_left: 'int?',
  flash_held: 'int?',
  flash_limit: 'int?',
});
type LineRow = RowOf<typeof LINE_ROW>;

/**
 * Places one order per shop from the buyer's cart, in one transaction: validates the lines, the
 * address and availability; snapshots titles, SKUs, prices, address and fees; reserves stock with
 * one conditional update; scores the orders with the risk rules (a BLOCK blacklist entry refuses
 * the checkout with BLACKLISTED and a risk event); clears the bought cart lines. The same `idempotencyKey` from the same
 * buyer returns the first checkout and creates nothing (requests with one key are serialised by
 * an advisory lock, so a race resolves the same way).
 */
export async function checkout(ctx: Context, input: CheckoutInput, idempotencyKey: string): Promise<Checkout> {
  if (!KEY.test(idempotencyKey)) throw new BadInputError('`idempotencyKey` is 8–100 letters, digits, ".", "_", ":" or "-" (a UUID is ideal)', 'idempotencyKey');
  const buyerId = ctx.viewer.userId!;
  const note = input.note?.trim() || null;
  if (note && [...note].length > 200) throw new Failure(UserErrorCode.INVALID_INPUT, 'A note has at most 200 characters', ['input', 'note']);
  // A blacklist's refusal rolls the transaction back and is recorded after it (risk/scoring.ts).
  return withBlacklistEvents(ctx, () => ctx.em.transactional(async (em) => {
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`checkout:${buyerId}:${idempotencyKey}`]);
    const earlier = await entityWhere(em, Checkout, 'e.buyer_id = ? and e.idempotency_key = ?', [buyerId, idempotencyKey]);
    if (earlier) return earlier;

    // The buyer first (before the cart lines, as addToCart locks them): one checkout of a buyer at
    // a time, so per-user promotion limits and coupons are judged on what the buyer has already used.
    await lockUser(em, buyerId);
    const address = await entityWhere(em, Address, 'e.id = ? and e.user_id = ?', [input.addressId, buyerId]);
    if (!address) throw new Failure(UserErrorCode.ADDRESS_NOT_FOUND, 'No such address in your address book', ['input', 'addressId']);
    const rows = await lockCartLines(em, buyerId, input.lineIds, ctx.deps.config.defaultCommissionRate, ctx.now());
    if (rows.length === 0) throw new Failure(UserErrorCode.EMPTY_CART, 'Your cart has nothing to check out', ['input', 'lineIds']);

    const placed = await placeOrders(ctx, em, { buyerId, idempotencyKey, address, note, rows, couponIds: input.couponIds ?? [], points: input.pointsToRedeem ?? 0 });
    await em.execute('delete from cart_line where id in (?)', [rows.map((r) => r.line_id)]);
    return placed.checkout;
  }));
}

export interface DirectOrderInput {
  buyerId: string;
  /** Database key of an address of the buyer's. */
  addressId: string;
  /** Database key of the variant. */
  variantId: string;
  quantity: number;
  /** The campaign's price (a group buy's, a bargain's): the line takes no promotion or coupon besides. */
  campaign: CampaignPrice;
  /** The checkout's key for this buyer (one checkout per key), outside the keys clients may send (`checkout` refuses '#' and '/'): e.g. `#group/<id>`. */
  idempotencyKey: string;
}

/**
 * One order of one variant at a campaign's price, outside the cart (a group buy joined, a bargain
 * bought), in the caller's transaction: the same checks, pricing, snapshots, reservation and
 * bookkeeping as `checkout`. The buyer pays the returned checkout with `payCheckout` as usual.
 */
export async function placeDirectOrder(ctx: Context, em: EntityManager, input: DirectOrderInput): Promise<{ checkout: Checkout; order: Order }> {
  if (!Number.isInteger(input.quantity) || input.quantity < 1 || input.quantity > 999) {
    throw new Failure(UserErrorCode.INVALID_INPUT, 'Quantity must be a whole number from 1 to 999', ['input', 'quantity']);
  }
  await lockUser(em, input.buyerId);
  const address = await entityWhere(em, Address, 'e.id = ? and e.user_id = ?', [input.addressId, input.buyerId]);
  if (!address) throw new Failure(UserErrorCode.ADDRESS_NOT_FOUND, 'No such address in your address book', ['input', 'addressId']);
  const [row] = await selectRows(
    em,
    LINE_ROW,
    `select 'direct' as line_id, ?::int as quantity, ${VARIANT_COLUMNS}, null as flash_item_id, null as flash_price, null as flash_title, null as flash_limit, null as flash_funded_by, null as flash_left, null as flash_held
     ${VARIANT_FROM} where v.id = ?`,
    [input.quantity, ctx.deps.config.defaultCommissionRate, input.variantId],
  );
  if (!row) throw new Failure(UserErrorCode.PRODUCT_UNAVAILABLE, 'This product is not on sale', ['input', 'variantId']);
  try {
    const placed = await placeOrders(ctx, em, { buyerId: input.buyerId, idempotencyKey: input.idempotencyKey, address, note: null, rows: [row], couponIds: [], campaign: input.campaign });
    return { checkout: placed.checkout, order: placed.orders[0] };
  } catch (err) {
    // The one line has no cart line to name: its problems are the variant's.
    if (err instanceof Failure && err.errors.some((e) => e.field?.[0] === 'lines')) throw new Failure(err.errors.map((e) => (e.field?.[0] === 'lines' ? { ...e, field: ['input', 'variantId'] } : e)));
    throw err;
  }
}

interface PlaceOrders {
  buyerId: string;
  idempotencyKey: string;
  address: Address;
  note: string | null;
  rows: LineRow[];
  couponIds: string[];
  /** Points to redeem; checked against the balance here (the buyer is locked) and the cap by the engine. */
  points?: number;
  /** A campaign price for every row (direct orders); cart rows take a live flash sale's price. */
  campaign?: CampaignPrice;
}

/**
 * Places one order per shop for `rows`, in the caller's transaction (the buyer locked): validates
 * availability; prices with the engine (campaign prices, promotions, coupons); snapshots titles,
 * SKUs, prices, address and fees; stores the request's risk signals on the checkout and scores its
 * orders (risk/scoring.ts); takes flash-sale units from the item's buckets and reserves the
 * rest of the stock with one conditional update; consumes coupons and spends budgets.
 */
async function placeOrders(ctx: Context, em: EntityManager, q: PlaceOrders): Promise<{ checkout: Checkout; orders: Order[] }> {
  const { buyerId, rows } = q;
  const problems = new Problems();
  for (const r of rows) {
    const field = ['lines', r.line_id];
    // `visible`: an approved version on sale in an ACTIVE shop. Flash-sale units are the item's, checked when taken.
    if (!r.visible || r.archived) {
      problems.add(UserErrorCode.PRODUCT_UNAVAILABLE, `${r.product_title} is not on sale`, field);
    } else if (!r.flash_item_id && r.quantity > r.available) {
      problems.add(UserErrorCode.INSUFFICIENT_STOCK, `Only ${Math.max(r.available, 0)} of ${r.sku} available`, field);
    } else if (r.flash_item_id && r.quantity > r.flash_left!) {
      // Sold out as read (no lock): answered before any work, so a crowd arriving after the last
      // unit costs little; units freed meanwhile are found by the next try.
      problems.add(UserErrorCode.FLASH_SALE_SOLD_OUT, `This flash-sale item is sold out`, field);
    }
  }
  problems.throwIfAny();
  checkFlashLimits(rows);

  const now = ctx.now();
  const { couponIds } = q;
  const { config } = ctx.deps;
  const { redemption } = await pointsRedemption(em, buyerId, q.points, config);
  const { pricing, rules, problems: couponProblems } = await priceCartLines(em, {
    buyerId,
    lines: rows.map((r) => ({
      key: r.line_id,
      variantId: r.variant_id,
      productId: r.product_id,
      shopId: r.shop_id,
      categoryPath: r.category_path,
      unitPrice: r.price,
      quantity: r.quantity,
      templateId: r.shipping_template_id,
      campaign:
        q.campaign ??
        (r.flash_item_id
          ? { source: DiscountSource.FLASH_SALE, id: r.flash_item_id, title: r.flash_title!, unitPrice: r.flash_price!, fundedBy: r.flash_funded_by as Funder }
          : null),
    })),
    province: q.address.province,
    couponIds,
    now,
    points: redemption,
  });
  if (couponProblems.length > 0) throw couponFailure(couponProblems);
  throwPointsProblem(pricing);

  // The placing date in China time and a cluster-wide sequence, e.g. 20261123000042.
  const numbers = await dailyNumbers(em, 'order_number_seq', pricing.groups.length, now);
  const address = q.address;
  const snapshot: ShippingAddress = {
    recipientName: address.recipientName,
    phone: address.phone,
    province: address.province,
    city: address.city,
    district: address.district,
    line1: address.line1,
    postalCode: address.postalCode ?? null,
  };
  const checkoutRow = em.create(Checkout, {
    buyer: em.getReference(User, buyerId),
    idempotencyKey: q.idempotencyKey,
    total: pricing.total,
    expiresAt: new Date(now.getTime() + ctx.deps.config.orders.checkoutTtlMinutes * 60_000),
    // The business clock's time: the risk rules' velocity windows are measured on it.
    createdAt: now,
    ...checkoutSignals(ctx, address),
  });
  const rowByKey = new Map(rows.map((r) => [r.line_id, r]));
  const wanted: { variantId: string; quantity: number; orderId: string }[] = [];
  const orders = pricing.groups.map((g, i) => {
    const order = em.create(Order, {
      number: numbers[i],
      checkout: checkoutRow,
      shop: em.getReference(Shop, g.shopId),
      buyer: em.getReference(User, buyerId),
      subtotal: g.subtotal,
      shippingFee: g.shippingFee,
      discountTotal: g.discountTotal,
      platformDiscount: g.platformDiscount,
      shippingDiscount: g.shippingDiscount,
      total: g.total,
      shippingAddress: snapshot,
      note: q.note,
      placedAt: now,
    });
    for (const line of g.lines) {
      const r = rowByKey.get(line.key)!;
      // Commission is charged on what the shop sells for: the line less the discounts the shop funds.
      const commission = commissionOn(line.lineTotal - (line.discount - line.platformDiscount), r.commission_rate);
      order.commission += commission;
      em.create(OrderLine, {
        order,
        variant: r.variant_id,
        productId: r.product_id,
        productTitle: r.product_title,
        variantTitle: r.variant_title,
        sku: r.sku,
        unitPrice: r.price,
        quantity: r.quantity,
        lineTotal: line.lineTotal,
        discount: line.discount,
        platformDiscount: line.platformDiscount,
        commissionRate: r.commission_rate,
        commission,
        flashSaleItem: q.campaign ? null : r.flash_item_id,
      });
    }
    for (const gift of g.gifts) {
      const v = rules.gifts.get(gift.variantId)!;
      em.create(OrderLine, {
        order,
        variant: v.variantId,
        productId: v.productId,
        productTitle: v.productTitle,
        variantTitle: v.title,
        sku: v.sku,
        unitPrice: 0,
        quantity: gift.quantity,
        lineTotal: 0,
        gift: true,
      });
    }
    for (const d of g.discounts) {
      em.create(OrderDiscount, {
        order,
        source: d.source,
        promotion: d.promotionId,
        userCoupon: d.couponId,
        campaignId: d.campaignId,
        title: d.title,
        fundedBy: d.fundedBy,
        amount: d.amount,
        shippingAmount: d.shippingAmount,
      });
    }
    addEvent(em, order, OrderEventType.PLACED, now);
    return order;
  });
  await em.flush();
  // Scored (and refused by a blacklist) before anything is locked for long: one statement.
  await scoreCheckout(ctx, em, { checkoutId: checkoutRow.id, buyerId, province: address.province, now });
  orders.forEach((order, i) => {
    const g = pricing.groups[i];
    for (const line of g.lines) {
      const r = rowByKey.get(line.key)!;
      if (!r.flash_item_id || q.campaign) wanted.push({ variantId: r.variant_id, quantity: r.quantity, orderId: order.id });
    }
    for (const gift of g.gifts) wanted.push({ variantId: gift.variantId, quantity: gift.quantity, orderId: order.id });
  });
  if (redemption.points > 0) {
    const byGroup = pointsByGroup(pricing, redemption);
    await recordRedemption(
      em,
      buyerId,
      orders.map((o, i) => ({ orderId: o.id, number: o.number, ...byGroup[i] })),
      now,
    );
  }
  if (couponIds.length > 0) {
    const used = await selectRows(
      em,
      rowShape({ id: 'key' }),
      "update user_coupon set status = 'USED', used_at = ?, checkout_id = ?, updated_at = ? where user_id = ? and id in (?) and status = 'AVAILABLE' returning id",
      [now, checkoutRow.id, now, buyerId, couponIds],
    );
    // The buyer's row lock serialises their checkouts, so only an unlocked path could race here.
    if (used.length !== new Set(couponIds).size) throw new Failure(UserErrorCode.COUPON_NOT_APPLICABLE, 'A coupon was used meanwhile', ['input', 'couponIds']);
  }
  // Flash-sale units come out of the item's buckets (SKIP LOCKED: no queue on one row).
  if (!q.campaign) {
    // In item order, so two checkouts of the same items take their buckets in the same order.
    const flash = rows.filter((r) => r.flash_item_id).sort((a, b) => Number(a.flash_item_id) - Number(b.flash_item_id));
    for (const r of flash) await takeFlashUnits(em, r.flash_item_id!, r.quantity, ['lines', r.line_id]);
  }

  // The reservation comes (nearly) last: it locks the variants, which every other buyer of them
  // waits for, so they stay locked only for its statement, the budgets' and the commit.
  const reservation = await reserveStock(em, mergeWanted(wanted), now, buyerId);
  if (reservation.short.length > 0) {
    // Someone bought the last units between the read and the reservation: nothing was reserved,
    // and the rollback undoes the orders above.
    const short = new Set(reservation.short);
    const lines = rows.filter((r) => short.has(r.variant_id));
    const gifts = [...short].filter((v) => !lines.some((r) => r.variant_id === v));
    throw new Failure([
      ...lines.map((r) => ({ code: UserErrorCode.INSUFFICIENT_STOCK, message: `Not enough ${r.sku} available`, field: ['lines', r.line_id] })),
      ...gifts.map(() => ({ code: UserErrorCode.INSUFFICIENT_STOCK, message: 'A gift with purchase ran out meanwhile: review your quote and try again', field: ['input'] })),
    ]);
  }
  // Budgets last, after the variants (cancellations and the expiry job lock in that order too):
  // a budgeted promotion's row is held only for this statement and the commit.
  await spendBudgets(em, pricing.byPromotion, rules.promotions);
  return { checkout: checkoutRow, orders };
}

/** A variant's columns for an order line, over `v` (variant), `p` (product) and `s` (shop). */
const VARIANT_COLUMNS = `v.id as variant_id, v.sku, v.title as variant_title, v.price, v.archived,
  v.on_hand - v.reserved as available, p.id as product_id, p.title as product_title,
  p.visible, p.shipping_template_id, p.shop_id, p.category_path,
  -- The commission rate: the shop's own, else the nearest category up the product's path that has one, else the default.
  coalesce(
    s.commission_rate,
    (select cat.own_commission_rate from category cat
     where cat.id = any(string_to_array(trim(both '/' from p.category_path), '/')::bigint[]) and cat.own_commission_rate is not null
     order by cat.depth desc limit 1),
    ?::numeric
  )::text as commission_rate`;
const VARIANT_FROM = 'from product_variant v join product p on p.id = v.product_id join shop s on s.id = p.shop_id';

/**
 * The buyer's cart lines to buy (`keys`, or all), locked in id order (a concurrent checkout of the
 * same lines waits, then finds them gone), with their variants and products as they are now, and
 * the approved item of a flash sale live at `now` for each variant (its price applies).
 */
async function lockCartLines(em: EntityManager, buyerId: string, keys: string[] | null | undefined, defaultRate: string, now: Date): Promise<LineRow[]> {
  if (keys && keys.length === 0) return [];
  const rows = await lockRowsOf(
    em,
    LINE_ROW,
    `select c.id as line_id, c.quantity, ${VARIANT_COLUMNS},
            f.id as flash_item_id, f.sale_price as flash_price, f.title as flash_title, f.per_user_limit as flash_limit, f.funded_by as flash_funded_by,
            ${FLASH_LEFT_SQL('f.id')} as flash_left, ${FLASH_HELD_SQL('f.id')} as flash_held
     from cart_line c
     join product_variant v on v.id = c.variant_id
     join product p on p.id = v.product_id
     join shop s on s.id = p.shop_id
     left join lateral (${LIVE_FLASH_ITEM_SQL('v.id')}) f on true
     where c.user_id = ? ${keys ? 'and c.id in (?)' : ''}
     order by c.id`,
    keys ? [defaultRate, buyerId, now, now, buyerId, keys] : [defaultRate, buyerId, now, now, buyerId],
    { of: 'c' },
  );
  if (keys && rows.length !== new Set(keys).size) throw new Failure(UserErrorCode.INVALID_INPUT, 'A line is not in your cart', ['input', 'lineIds']);
  return rows;
}

/**
 * FLASH_SALE_LIMIT_REACHED when a flash-sale line would take its buyer past the item's per-user
 * limit, counting the units of their orders not cancelled, paid or not (`flash_held`, read with
 * the lines after the buyer was locked, so their own concurrent checkouts take turns).
 */
function checkFlashLimits(rows: LineRow[]): void {
  const problems = new Problems();
  for (const r of rows.filter((x) => x.flash_item_id)) {
    const before = r.flash_held!;
    if (before + r.quantity > r.flash_limit!) {
      problems.add(UserErrorCode.FLASH_SALE_LIMIT_REACHED, `At most ${r.flash_limit} of ${r.sku} at the flash-sale price per buyer; you have ${before}`, ['lines', r.line_id]);
    }
  }
  problems.throwIfAny();
}

/** Reservation units summed per variant and order (a gift may be a variant the cart also buys). */
function mergeWanted(wanted: { variantId: string; quantity: number; orderId: string }[]) {
  const merged = new Map<string, { variantId: string; quantity: number; orderId: string }>();
  for (const w of wanted) {
    const key = `${w.orderId}:${w.variantId}`;
    const seen = merged.get(key);
    if (seen) seen.quantity += w.quantity;
    else merged.set(key, { ...w });
  }
  return [...merged.values()];
}

/**
 * Adds what each promotion with a budget gave to its `spent`, in one conditional statement: a
 * budget that another checkout spent meanwhile (the price was capped at what was left when read)
 * refuses the checkout with PROMOTION_BUDGET_EXHAUSTED, and the rollback undoes everything.
 */
async function spendBudgets(em: EntityManager, given: Map<string, number>, promotions: PromotionRule[]): Promise<void> {
  const budgeted = promotions.filter((p) => p.budgetLeft !== null && (given.get(p.id) ?? 0) > 0);
  if (budgeted.length === 0) return;
  await lockKeys(em, Promotion, budgeted.map((p) => p.id));
  const spent = await selectRows(
    em,
    rowShape({ id: 'key' }),
    `update promotion p set spent = p.spent + u.amount, updated_at = now()
     from (select unnest(array[?]::bigint[]) as id, unnest(array[?]::bigint[]) as amount) u
     where p.id = u.id and p.budget is not null and p.spent + u.amount <= p.budget
     returning p.id`,
    [budgeted.map((p) => p.id), budgeted.map((p) => given.get(p.id)!)],
  );
  if (spent.length < budgeted.length) {
    const short = budgeted.find((p) => !spent.some((s) => s.id === p.id))!;
    throw new Failure(UserErrorCode.PROMOTION_BUDGET_EXHAUSTED, `The budget of "${short.title}" ran out meanwhile: review your quote and try again`, ['input']);
  }
}
