import { toGlobalId } from '../src/schema/shared/globalId';
import type { BenchDatabase } from './database';
import { MERCHANT_SHOP, type Shopper } from './fixtures';

/**
 * The promotions of the `cart-promotions` and `checkout-promotions` scenarios, straight in the bench
 * database (plain SQL, as tests/helpers/promotions.ts inserts them): a platform-wide 滿減 with two
 * tiers and, in every shop the cart and checkout scenarios buy from, a stackable 10% off with a
 * cap; and a platform coupon campaign (5.00 off, no minimum) whose coupons are granted to the
 * shoppers. Everything is titled "bench: …", so a run cancels what an interrupted one left live.
 * Amounts in minor units.
 */

const PREFIX = 'bench: ';
/** The platform coupon: 5.00 off, no minimum spend. */
export const COUPON_AMOUNT_OFF = 500;
const DAY_MS = 86_400_000;

export interface BenchPromotions {
  /** Database keys and titles of the promotions inserted. */
  promotions: { id: string; title: string; shopId: string | null }[];
  /** The coupon campaign the shoppers' coupons belong to. */
  campaignId: string;
  /** The newest promotion or order key before they were inserted, to scope the checks. */
  since: { orderId: string };
}

/** Cancels every bench promotion still live and expires every bench coupon still unused. */
export async function removeBenchPromotions(db: BenchDatabase): Promise<{ promotions: number; coupons: number }> {
  const promotions = await db.sql<{ id: string }>(`update promotion set cancelled_at = now(), updated_at = now() where title like ? and cancelled_at is null returning id`, [`${PREFIX}%`]);
  const coupons = await db.sql<{ id: string }>(
    `update user_coupon set status = 'EXPIRED', valid_until = greatest(now(), valid_from + interval '1 millisecond'), updated_at = now()
     where status = 'AVAILABLE' and campaign_id in (select id from coupon_campaign where title like ?) returning id`,
    [`${PREFIX}%`],
  );
  await db.sql(`update coupon_campaign set ended_at = now(), updated_at = now() where title like ? and ended_at is null`, [`${PREFIX}%`]);
  return { promotions: promotions.length, coupons: coupons.length };
}

/** A round figure at or below `minor`: whole yuan, two significant digits. */
function round2(minor: number): number {
  const yuan = Math.max(1, Math.floor(minor / 100));
  const step = 10 ** Math.max(0, String(yuan).length - 2);
  return Math.floor(yuan / step) * step * 100;
}

/**
 * Inserts the promotions for the shops of the cart shoppers' lines and the merchant's shop (where
 * the checkout loop buys), and an empty coupon campaign. The platform 滿減's first tier is set at
 * half the cheapest thing the scenarios price (one unit of the limited or warm-up variant, a whole
 * cart), so every cart and every checkout reaches it after the shop's 10%.
 */
export async function insertBenchPromotions(db: BenchDatabase, fx: { cartShoppers: Shopper[]; limited: { variantKey: string }; warmup: { variantKey: string } }): Promise<BenchPromotions> {
  await removeBenchPromotions(db);
  const [{ order_id: orderId }] = await db.sql<{ order_id: string }>('select coalesce(max(id), 0)::text as order_id from orders');
  const shops = await db.sql<{ id: string }>(
    `select distinct p.shop_id::text as id from cart_line c join product_variant v on v.id = c.variant_id join product p on p.id = v.product_id where c.user_id in (?)
     union select id::text from shop where slug = ? order by 1`,
    [fx.cartShoppers.length ? fx.cartShoppers.map((s) => s.userId) : ['0'], MERCHANT_SHOP],
  );
  const [prices] = await db.sql<{ unit: string; cart: string | null }>(
    `select (select min(price) from product_variant where id in (?, ?))::text as unit,
            (select min(t) from (select sum(v.price * c.quantity) as t from cart_line c join product_variant v on v.id = c.variant_id where c.user_id in (?) group by c.user_id) x)::text as cart`,
    [fx.limited.variantKey, fx.warmup.variantKey, fx.cartShoppers.length ? fx.cartShoppers.map((s) => s.userId) : ['0']],
  );
  const cheapest = Math.min(Number(prices.unit), prices.cart == null ? Infinity : Number(prices.cart));
  const threshold = round2(cheapest / 2);
  const tiers = [
    { threshold, amountOff: Math.max(100, round2(threshold * 0.08)) },
    { threshold: threshold * 3, amountOff: Math.max(300, round2(threshold * 0.3)) },
  ];
  const yuan = (minor: number) => String(minor / 100);
  const cap = Math.max(1000, round2(cheapest * 0.2));
  const window = [new Date(Date.now() - DAY_MS), new Date(Date.now() + DAY_MS)];
  const creator = `coalesce((select id from users where email = 'ops@demo.test'), (select id from users order by id limit 1))`;
  const all = JSON.stringify({ all: true, productIds: [], categoryIds: [] });
  const inserted: BenchPromotions['promotions'] = [];
  const insert = async (shopId: string | null, title: string, kind: string, tierList: object[], maxDiscount: number | null) => {
    const [row] = await db.sql<{ id: string }>(
      `insert into promotion (shop_id, title, kind, tiers, every, max_discount, scope, starts_at, ends_at, per_user_limit, budget, stackable, created_by_id)
       values (?, ?, ?, ?::jsonb, false, ?, ?::jsonb, ?, ?, null, null, true, ${creator}) returning id::text as id`,
      [shopId, PREFIX + title, kind, JSON.stringify(tierList), maxDiscount, all, window[0], window[1]],
    );
    inserted.push({ id: row.id, title: PREFIX + title, shopId });
  };
  await insert(null, `平台滿${yuan(tiers[0].threshold)}減${yuan(tiers[0].amountOff)}, 滿${yuan(tiers[1].threshold)}減${yuan(tiers[1].amountOff)}`, 'AMOUNT_OFF_THRESHOLD', tiers, null);
  for (const shop of shops) await insert(shop.id, `店鋪 9 折 (最多減 ${yuan(cap)})`, 'PERCENT_OFF', [{ threshold: 0, percentOffBp: 1000 }], cap);
  const [campaign] = await db.sql<{ id: string }>(
    `insert into coupon_campaign (shop_id, title, kind, amount_off, percent_off_bp, max_discount, min_subtotal, scope, total_quantity, claimed, per_user_limit,
                                  claim_starts_at, claim_ends_at, valid_until, audience, created_by_id)
     values (null, ?, 'AMOUNT_OFF', ?, null, null, 0, ?::jsonb, 1000000, 0, 1000000, ?, ?, ?, 'ALL', ${creator}) returning id::text as id`,
    [`${PREFIX}平台券 ${yuan(COUPON_AMOUNT_OFF)} 元`, COUPON_AMOUNT_OFF, all, window[0], window[1], window[1]],
  );
  return { promotions: inserted, campaignId: campaign.id, since: { orderId } };
}

/**
 * Tops each shopper's unused coupons of the campaign up to `count`, and returns them per user key
 * as global IDs, oldest first (one statement each way, whatever the number of shoppers).
 */
export async function grantCoupons(db: BenchDatabase, campaignId: string, shoppers: Shopper[], count: number): Promise<Map<string, string[]>> {
  const users = shoppers.map((s) => s.userId);
  if (users.length && count > 0) {
    await db.sql(
      `with have as (select u.id as user_id, (select count(*) from user_coupon uc where uc.campaign_id = ? and uc.user_id = u.id and uc.status = 'AVAILABLE')::int as n
                     from users u where u.id in (?)),
            granted as (insert into user_coupon (campaign_id, user_id, status, claimed_at, valid_from, valid_until)
                        select ?::bigint, h.user_id, 'AVAILABLE', now(), now() - interval '1 hour', c.valid_until
                        from have h cross join generate_series(1, ?::int) g(i) join coupon_campaign c on c.id = ? where g.i <= ?::int - h.n
                        returning 1)
       update coupon_campaign set claimed = claimed + (select count(*) from granted) where id = ?`,
      [campaignId, users, campaignId, count, campaignId, count, campaignId],
    );
  }
  const rows = await db.sql<{ user_id: string; id: string }>(
    `select user_id::text as user_id, id::text as id from user_coupon where campaign_id = ? and status = 'AVAILABLE' and user_id in (?) order by id`,
    [campaignId, users.length ? users : ['0']],
  );
  const byUser = new Map<string, string[]>(users.map((u) => [u, []]));
  for (const r of rows) byUser.get(r.user_id)?.push(toGlobalId('UserCoupon', r.id));
  return byUser;
}

export interface DiscountProof {
  promotions: string[];
  couponsGranted: number;
  orders: number;
  /** Orders with a discount, and those discounted by both the platform 滿減 and their shop's 10%. */
  ordersDiscounted: number;
  ordersWithBoth: number;
  /** order_discount rows of the orders, by source. */
  promotionDiscounts: number;
  couponDiscounts: number;
  /** Checkouts that passed a coupon and were placed; coupons of the campaign now USED by them. */
  checkoutsWithCoupon: number;
  couponsUsed: number;
  /** Σ discount_total of the orders, minor units; Σ of their platform-funded part. */
  discountTotal: number;
  platformDiscount: number;
  problems: string[];
}

/**
 * After the checkout loop: every order placed since the promotions went live is discounted by the
 * platform 滿減 and its shop's 10%; orders' discount totals are the sum of their discount rows; the
 * coupons the loop passed were used once each and appear as COUPON discounts; and each paid
 * order's PAYMENT entries carry its platform-funded discount to PLATFORM_PROMOTIONS.
 */
export async function proveDiscounts(db: BenchDatabase, promos: BenchPromotions, checkoutsWithCoupon: number): Promise<DiscountProof> {
  const since = promos.since.orderId;
  const platform = promos.promotions.filter((p) => p.shopId === null).map((p) => p.id);
  const [o] = await db.sql<{ orders: number; discounted: number; both: number; promotion_rows: number; coupon_rows: number; discount_total: string; platform_discount: string; mismatched: number }>(
    `select count(*)::int as orders,
            count(*) filter (where o.discount_total > 0)::int as discounted,
            count(*) filter (where d.platform > 0 and d.shop > 0)::int as both,
            coalesce(sum(d.promotion_rows), 0)::int as promotion_rows,
            coalesce(sum(d.coupon_rows), 0)::int as coupon_rows,
            coalesce(sum(o.discount_total), 0)::text as discount_total,
            coalesce(sum(o.platform_discount), 0)::text as platform_discount,
            count(*) filter (where o.discount_total <> coalesce(d.amount, 0))::int as mismatched
     from orders o
     left join lateral (
       select count(*) filter (where x.source = 'PROMOTION') as promotion_rows, count(*) filter (where x.source = 'COUPON') as coupon_rows,
              count(*) filter (where x.promotion_id in (?)) as platform,
              count(*) filter (where x.source = 'PROMOTION' and x.funded_by = 'SHOP') as shop,
              sum(x.amount) as amount
       from order_discount x where x.order_id = o.id) d on true
     where o.id > ?`,
    [platform.length ? platform : ['0'], since],
  );
  const [{ used, granted }] = await db.sql<{ used: number; granted: number }>(
    `select count(*) filter (where uc.status = 'USED' and exists (select 1 from orders o where o.checkout_id = uc.checkout_id and o.id > ?))::int as used, count(*)::int as granted
     from user_coupon uc where uc.campaign_id = ?`,
    [since, promos.campaignId],
  );
  const [ledger] = await db.sql<{ wrong: number }>(
    `select count(*)::int as wrong from orders o
     cross join lateral (select coalesce(sum(e.amount) filter (where e.account = 'PLATFORM_PROMOTIONS'), 0) as promotions,
                                coalesce(sum(e.amount) filter (where e.account = 'BUYER_PAYMENTS'), 0) as buyer,
                                coalesce(sum(e.amount), 0) as net
                         from ledger_entry e where e.order_id = o.id and e.kind = 'PAYMENT') x
     where o.id > ? and o.paid_at is not null and (x.promotions <> o.platform_discount or x.buyer <> o.total or x.net <> 0)`,
    [since],
  );
  const problems: string[] = [];
  if (o.orders === 0) problems.push('no order was placed with the promotions live');
  if (o.discounted !== o.orders) problems.push(`${o.orders - o.discounted} of ${o.orders} orders have no discount`);
  if (o.both !== o.orders) problems.push(`${o.orders - o.both} of ${o.orders} orders lack the platform 滿減 or their shop's 10%`);
  if (o.mismatched) problems.push(`${o.mismatched} orders' discount_total ≠ the sum of their order_discount rows`);
  if (o.coupon_rows !== checkoutsWithCoupon) problems.push(`COUPON discounts (${o.coupon_rows}) ≠ checkouts placed with a coupon (${checkoutsWithCoupon})`);
  if (used !== checkoutsWithCoupon) problems.push(`coupons USED by the loop's checkouts (${used}) ≠ checkouts placed with a coupon (${checkoutsWithCoupon})`);
  if (checkoutsWithCoupon === 0) problems.push('no checkout used a coupon');
  if (ledger.wrong) problems.push(`${ledger.wrong} paid orders' PAYMENT entries do not carry their total and platform-funded discount`);
  return {
    promotions: promos.promotions.map((p) => p.title),
    couponsGranted: granted,
    orders: o.orders,
    ordersDiscounted: o.discounted,
    ordersWithBoth: o.both,
    promotionDiscounts: o.promotion_rows,
    couponDiscounts: o.coupon_rows,
    checkoutsWithCoupon,
    couponsUsed: used,
    discountTotal: Number(o.discount_total),
    platformDiscount: Number(o.platform_discount),
    problems,
  };
}
