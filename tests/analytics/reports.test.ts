import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { seller, staff } from '../helpers/catalog';
import { createCategory } from '../helpers/factories';
import { code, idOf, okPayload } from '../helpers/kit';
import { scenario } from '../helpers/scenario';

/**
 * The KPI reads over the daily snapshots: series of a scope by day, week and month with zeros for
 * quiet days, people counted once over a point or range, totals, the previous period and the change
 * from it, rates; rankings of products and shops; cohort retention from the orders; a fixed number of
 * statements whatever the range; refused ranges; and, end to end, real orders snapshotted and read.
 * The snapshot rows are inserted straight in the database with known figures (they are the reads'
 * input); each test uses days of its own.
 */

const clock = new ManualClock(new Date('2031-06-15T04:00:00Z'));
let t: TestApp;
let analyst: string;

const VALUES = `orders paidOrders cancelledOrders units gmv { amountMinor } refunds { amountMinor } netSales { amountMinor } averageOrderValue { amountMinor }
  commission { amountMinor } promotionCost { shop { amountMinor } platform { amountMinor } total { amountMinor } }
  buyers newBuyers repeatBuyers visitors productViewers cartUsers productViews searches addToCarts shares afterSales refundedOrders couponRedemptions
  conversionRate cartAbandonmentRate refundRate afterSaleRate`;
const CHANGE = `orders paidOrders gmv netSales averageOrderValue promotionCost buyers newBuyers visitors conversionRate cartAbandonmentRate refundRate afterSaleRate`;
const SERIES = `scope from to granularity snapshotAt shop { id } category { id }
  points { date endDate ${VALUES} } totals { ${VALUES} }
  comparison { from to previousPeriod { ${VALUES} } change { ${CHANGE} } }`;
const PLATFORM = `query($from: Date!, $to: Date!, $g: MetricGranularity) { platformMetrics(from: $from, to: $to, granularity: $g) { ${SERIES} } }`;
const SHOP = `query($id: ID!, $from: Date!, $to: Date!, $g: MetricGranularity) { shopMetrics(shopId: $id, from: $from, to: $to, granularity: $g) { ${SERIES} } }`;
const CATEGORY = `query($id: ID!, $from: Date!, $to: Date!) { categoryMetrics(categoryId: $id, from: $from, to: $to) { ${SERIES} } }`;
const TOP_PRODUCTS = `query($scope: MetricScopeInput, $from: Date!, $to: Date!, $by: ProductMetricOrder, $first: Int) {
  topProducts(scope: $scope, from: $from, to: $to, by: $by, first: $first) { product { id } gmv { amountMinor } units paidOrders views addToCarts conversionRate } }`;
const TOP_SHOPS = `query($from: Date!, $to: Date!, $by: ShopMetricOrder, $first: Int) {
  topShops(from: $from, to: $to, by: $by, first: $first) { shop { id } gmv { amountMinor } paidOrders buyers refunds { amountMinor } refundRate } }`;
const COHORTS = `query($from: Date!, $to: Date!) { cohortRetention(from: $from, to: $to) { month buyers months { offset month buyers share } } }`;
const SNAPSHOT = `mutation($from: Date!, $to: Date!) { snapshotMetrics(input: { from: $from, to: $to }) { days errors { code field } } }`;

/** A metric_daily row's figures; omitted ones are 0 or empty. */
interface DayRow {
  orders?: number;
  cancelled_orders?: number;
  paid_orders?: number;
  units?: number;
  gmv?: number;
  refunds?: number;
  refunded_orders?: number;
  after_sales?: number;
  coupon_redemptions?: number;
  shop_promotion_cost?: number;
  platform_promotion_cost?: number;
  commission?: number;
  product_views?: number;
  searches?: number;
  add_to_carts?: number;
  shares?: number;
  buyer_ids?: number[];
  new_buyer_ids?: number[];
  visitor_keys?: number[];
  viewer_keys?: number[];
  cart_user_ids?: number[];
  computed_at?: string;
}

const COUNTS = ['orders', 'cancelled_orders', 'paid_orders', 'units', 'gmv', 'refunds', 'refunded_orders', 'after_sales', 'coupon_redemptions', 'shop_promotion_cost', 'platform_promotion_cost', 'commission', 'product_views', 'searches', 'add_to_carts', 'shares'] as const;
const ARRAYS = ['buyer_ids', 'new_buyer_ids', 'visitor_keys', 'viewer_keys', 'cart_user_ids'] as const;

/** Inserts the snapshot row of `scope` (scope_id `scopeId`) for `day`. */
async function insertDay(scope: 'PLATFORM' | 'SHOP' | 'CATEGORY', scopeId: string, day: string, row: DayRow): Promise<void> {
  await t.sql(
    `insert into metric_daily (scope, scope_id, day, ${COUNTS.join(', ')}, ${ARRAYS.join(', ')}, computed_at)
     values (?, ?, ?, ${COUNTS.map(() => '?').join(', ')}, ${ARRAYS.map(() => '?::bigint[]').join(', ')}, ?)`,
    [scope, scopeId, day, ...COUNTS.map((c) => row[c] ?? 0), ...ARRAYS.map((a) => `{${(row[a] ?? []).join(',')}}`), row.computed_at ?? '2031-06-01T00:00:00Z'],
  );
}

const platform = (from: string, to: string, g?: string) => t.gql(PLATFORM, { from, to, g }, { token: analyst });
const series = async (from: string, to: string, g?: string) => {
  const res = await platform(from, to, g);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.platformMetrics;
};

/** A point's or total's figures with zeros everywhere but `figures`. */
function zeros(figures: Record<string, unknown> = {}): Record<string, unknown> {
  const m = (n = 0) => ({ amountMinor: n });
  return {
    orders: 0, paidOrders: 0, cancelledOrders: 0, units: 0, gmv: m(), refunds: m(), netSales: m(), averageOrderValue: m(), commission: m(),
    promotionCost: { shop: m(), platform: m(), total: m() },
    buyers: 0, newBuyers: 0, repeatBuyers: 0, visitors: 0, productViewers: 0, cartUsers: 0, productViews: 0, searches: 0, addToCarts: 0, shares: 0,
    afterSales: 0, refundedOrders: 0, couponRedemptions: 0, conversionRate: 0, cartAbandonmentRate: 0, refundRate: 0, afterSaleRate: 0,
    ...figures,
  };
}

beforeAll(async () => {
  t = await createTestApp({ SETTLEMENT_PERIOD: 'CONTINUOUS' }, { clock });
  analyst = (await staff(t, StaffRole.ANALYST)).token;
});
afterAll(() => t.close());

describe('a platform series by day', () => {
  it('has a point per day, zeros on days without a snapshot, and the figures and rates of each day', async () => {
    await insertDay('PLATFORM', '0', '2031-01-02', {
      orders: 5, cancelled_orders: 1, paid_orders: 4, units: 7, gmv: 40_000, refunds: 5_000, refunded_orders: 1, after_sales: 2, coupon_redemptions: 1,
      shop_promotion_cost: 300, platform_promotion_cost: 200, commission: 2_000, product_views: 30, searches: 9, add_to_carts: 6, shares: 2,
      buyer_ids: [11, 12, 13], new_buyer_ids: [12], visitor_keys: [901, 902, 903, 904, 905, 906], viewer_keys: [901, 902, 903], cart_user_ids: [11, 14],
    });
    await insertDay('PLATFORM', '0', '2031-01-04', { orders: 1, paid_orders: 3, gmv: 10_000, buyer_ids: [15], visitor_keys: [907] });

    const s = await series('2031-01-01', '2031-01-05');
    expect(s).toMatchObject({ scope: 'PLATFORM', from: '2031-01-01', to: '2031-01-05', granularity: 'DAY', shop: null, category: null });
    expect(s.points.map((p: { date: string; endDate: string }) => [p.date, p.endDate])).toEqual([
      ['2031-01-01', '2031-01-01'],
      ['2031-01-02', '2031-01-02'],
      ['2031-01-03', '2031-01-03'],
      ['2031-01-04', '2031-01-04'],
      ['2031-01-05', '2031-01-05'],
    ]);
    const [first, second, third, fourth, fifth] = s.points;
    for (const quiet of [first, third, fifth]) expect(quiet).toEqual({ date: quiet.date, endDate: quiet.date, ...zeros() });
    expect(second).toEqual({
      date: '2031-01-02',
      endDate: '2031-01-02',
      ...zeros({
        orders: 5, cancelledOrders: 1, paidOrders: 4, units: 7, gmv: { amountMinor: 40_000 }, refunds: { amountMinor: 5_000 }, netSales: { amountMinor: 35_000 },
        averageOrderValue: { amountMinor: 10_000 }, commission: { amountMinor: 2_000 },
        promotionCost: { shop: { amountMinor: 300 }, platform: { amountMinor: 200 }, total: { amountMinor: 500 } },
        buyers: 3, newBuyers: 1, repeatBuyers: 2, visitors: 6, productViewers: 3, cartUsers: 2, productViews: 30, searches: 9, addToCarts: 6, shares: 2,
        afterSales: 2, refundedOrders: 1, couponRedemptions: 1,
        // 3 buyers of 6 visitors; cart user 14 bought nothing (11 did); 5,000 of 40,000 refunded; 2 cases on 4 paid orders.
        conversionRate: 0.5, cartAbandonmentRate: 0.5, refundRate: 0.125, afterSaleRate: 0.5,
      }),
    });
    // 10,000 over 3 paid orders is 3,333.33…: rounded half to even to the fen.
    expect(fourth).toMatchObject({ paidOrders: 3, gmv: { amountMinor: 10_000 }, averageOrderValue: { amountMinor: 3_333 }, buyers: 1, visitors: 1, conversionRate: 1 });
    expect(s.totals).toMatchObject({ orders: 6, paidOrders: 7, gmv: { amountMinor: 50_000 }, buyers: 4, visitors: 7, averageOrderValue: { amountMinor: 7_143 } });
  });

  it('says when the range was last snapshotted: the newest PLATFORM row’s computed_at, null before any', async () => {
    await insertDay('PLATFORM', '0', '2031-01-10', { computed_at: '2031-01-11T16:10:00Z' });
    await insertDay('PLATFORM', '0', '2031-01-11', { computed_at: '2031-01-12T16:10:00Z' });
    await insertDay('CATEGORY', '999999', '2031-01-12', { computed_at: '2031-01-20T00:00:00Z' });
    expect((await series('2031-01-10', '2031-01-12')).snapshotAt).toBe('2031-01-12T16:10:00.000Z');
    expect((await series('2031-01-13', '2031-01-14')).snapshotAt).toBeNull();
  });
});

describe('weeks and months', () => {
  it('cuts a range into ISO weeks (Monday to Sunday), each point covering its days inside the range, people counted once per week', async () => {
    // 2031-02-05 is a Wednesday; the weeks start on Mondays 02-03, 02-10 and 02-17.
    await insertDay('PLATFORM', '0', '2031-02-04', { paid_orders: 50, buyer_ids: [99] }); // before the range, same week
    await insertDay('PLATFORM', '0', '2031-02-05', { paid_orders: 2, gmv: 2_000, buyer_ids: [1, 2], new_buyer_ids: [1, 2], visitor_keys: [71, 72, 73], cart_user_ids: [3] });
    await insertDay('PLATFORM', '0', '2031-02-06', { paid_orders: 2, gmv: 3_000, buyer_ids: [2, 3], new_buyer_ids: [3], visitor_keys: [72, 74] });
    await insertDay('PLATFORM', '0', '2031-02-12', { paid_orders: 1, gmv: 1_000, buyer_ids: [1], visitor_keys: [71] });
    await insertDay('PLATFORM', '0', '2031-02-18', { paid_orders: 1, gmv: 500, buyer_ids: [4], new_buyer_ids: [4], cart_user_ids: [1, 4] });

    const s = await series('2031-02-05', '2031-02-18', 'WEEK');
    expect(s.granularity).toBe('WEEK');
    expect(s.points.map((p: Record<string, any>) => [p.date, p.endDate, p.paidOrders, p.gmv.amountMinor, p.buyers, p.newBuyers, p.repeatBuyers, p.visitors, p.cartUsers, p.cartAbandonmentRate])).toEqual([
      // Buyer 2 paid on Wednesday and Thursday: once. Cart user 3 bought that week: no abandonment.
      ['2031-02-05', '2031-02-09', 4, 5_000, 3, 3, 0, 4, 1, 0],
      ['2031-02-10', '2031-02-16', 1, 1_000, 1, 0, 1, 1, 0, 0],
      // Only Monday and Tuesday of the last week are in the range. Cart user 1 bought nothing that week.
      ['2031-02-17', '2031-02-18', 1, 500, 1, 1, 0, 0, 2, 0.5],
    ]);
    // Over the whole range: buyers 1–4 once each, all new in it; every cart user bought in the range.
    expect(s.totals).toMatchObject({ paidOrders: 6, buyers: 4, newBuyers: 4, repeatBuyers: 0, visitors: 4, cartUsers: 3, cartAbandonmentRate: 0 });
  });

  it('cuts a range into calendar months, the first and last cut to the range', async () => {
    await insertDay('PLATFORM', '0', '2030-11-20', { orders: 1, buyer_ids: [5] });
    await insertDay('PLATFORM', '0', '2030-11-30', { orders: 2, buyer_ids: [5, 6] });
    await insertDay('PLATFORM', '0', '2030-12-31', { orders: 4, buyer_ids: [6] });
    await insertDay('PLATFORM', '0', '2031-01-01', { orders: 8 }); // after the range

    const s = await series('2030-11-15', '2030-12-31', 'MONTH');
    expect(s.points.map((p: Record<string, any>) => [p.date, p.endDate, p.orders, p.buyers])).toEqual([
      ['2030-11-15', '2030-11-30', 3, 2],
      ['2030-12-01', '2030-12-31', 4, 1],
    ]);
    expect(s.totals).toMatchObject({ orders: 7, buyers: 2 });
  });

  it('gives a one-day range one point of each granularity', async () => {
    for (const g of ['DAY', 'WEEK', 'MONTH']) {
      const s = await series('2030-10-08', '2030-10-08', g);
      expect(s.points.map((p: { date: string; endDate: string }) => [p.date, p.endDate])).toEqual([['2030-10-08', '2030-10-08']]);
      expect(s.comparison).toMatchObject({ from: '2030-10-07', to: '2030-10-07' });
    }
  });
});

describe('the comparison with the previous period', () => {
  it('reads the period of equal length just before the range and gives relative changes, rate differences and null where the previous was 0', async () => {
    // Range 2030-09-08 … 2030-09-14 (7 days); previous 2030-09-01 … 2030-09-07.
    await insertDay('PLATFORM', '0', '2030-09-01', { orders: 4, paid_orders: 4, gmv: 20_000, refunds: 2_000, buyer_ids: [1, 2], new_buyer_ids: [1], visitor_keys: [1, 2, 3, 4] });
    await insertDay('PLATFORM', '0', '2030-09-07', { orders: 4, paid_orders: 4, gmv: 20_000, buyer_ids: [2, 3], visitor_keys: [4, 5, 6, 7] });
    await insertDay('PLATFORM', '0', '2030-09-10', { orders: 6, paid_orders: 5, gmv: 50_000, refunds: 1_000, buyer_ids: [1, 4, 5], new_buyer_ids: [4, 5], visitor_keys: [8, 9, 10],
      shop_promotion_cost: 100 });
    await insertDay('PLATFORM', '0', '2030-09-15', { orders: 100 }); // after the range

    const s = await series('2030-09-08', '2030-09-14');
    expect(s.comparison.from).toBe('2030-09-01');
    expect(s.comparison.to).toBe('2030-09-07');
    expect(s.comparison.previousPeriod).toEqual(zeros({
      orders: 8, paidOrders: 8, gmv: { amountMinor: 40_000 }, refunds: { amountMinor: 2_000 }, netSales: { amountMinor: 38_000 }, averageOrderValue: { amountMinor: 5_000 },
      buyers: 3, newBuyers: 1, repeatBuyers: 2, visitors: 7, conversionRate: 3 / 7, refundRate: 0.05,
    }));
    expect(s.totals).toMatchObject({ orders: 6, paidOrders: 5, gmv: { amountMinor: 50_000 }, netSales: { amountMinor: 49_000 }, averageOrderValue: { amountMinor: 10_000 }, buyers: 3, newBuyers: 2, visitors: 3, conversionRate: 1, refundRate: 0.02 });
    const change = s.comparison.change;
    expect(change.orders).toBeCloseTo(-0.25, 12);
    expect(change.paidOrders).toBeCloseTo(-0.375, 12);
    expect(change.gmv).toBeCloseTo(0.25, 12);
    expect(change.netSales).toBeCloseTo(11_000 / 38_000, 12);
    expect(change.averageOrderValue).toBeCloseTo(1, 12);
    expect(change.buyers).toBe(0);
    expect(change.newBuyers).toBe(1);
    expect(change.visitors).toBeCloseTo(-4 / 7, 12);
    // Rates: the difference, in shares.
    expect(change.conversionRate).toBeCloseTo(1 - 3 / 7, 12);
    expect(change.refundRate).toBeCloseTo(0.02 - 0.05, 12);
    expect(change.afterSaleRate).toBe(0);
    // Nothing before: no relative change.
    expect(change.promotionCost).toBeNull();
    expect(change.cartAbandonmentRate).toBe(0);
  });
});

describe('shop and category series', () => {
  it('reads only the shop’s rows, and names the shop', async () => {
    const a = await seller(t);
    const b = await seller(t);
    await insertDay('SHOP', a.shop.id, '2030-08-02', { paid_orders: 2, gmv: 3_000, buyer_ids: [7, 8] });
    await insertDay('SHOP', b.shop.id, '2030-08-02', { paid_orders: 9, gmv: 90_000, buyer_ids: [9] });
    await insertDay('PLATFORM', '0', '2030-08-02', { paid_orders: 11, gmv: 93_000, buyer_ids: [7, 8, 9] });

    const res = await t.gql(SHOP, { id: a.shopId, from: '2030-08-01', to: '2030-08-03' }, { token: a.owner.token });
    const s = res.data!.shopMetrics;
    expect(s).toMatchObject({ scope: 'SHOP', shop: { id: a.shopId }, category: null });
    expect(s.points.map((p: Record<string, any>) => [p.date, p.paidOrders, p.gmv.amountMinor, p.buyers])).toEqual([
      ['2030-08-01', 0, 0, 0],
      ['2030-08-02', 2, 3_000, 2],
      ['2030-08-03', 0, 0, 0],
    ]);
  });

  it('reads a category’s rows, and names the category', async () => {
    const category = await createCategory(t);
    await insertDay('CATEGORY', category.id, '2030-08-05', { paid_orders: 1, gmv: 1_200, units: 3 });
    const res = await t.gql(CATEGORY, { id: idOf('Category', category.id), from: '2030-08-05', to: '2030-08-06' }, { token: analyst });
    expect(res.data!.categoryMetrics).toMatchObject({ scope: 'CATEGORY', category: { id: idOf('Category', category.id) }, shop: null, totals: { paidOrders: 1, gmv: { amountMinor: 1_200 }, units: 3 } });
  });
});

describe('what a series costs', () => {
  it('is one statement after the viewer’s session whatever the range and granularity', async () => {
    const counts: number[] = [];
    for (const [from, to, g] of [
      ['2030-05-01', '2030-05-07', 'DAY'],
      ['2029-06-01', '2031-05-31', 'DAY'],
      ['2029-06-01', '2031-05-31', 'WEEK'],
      ['2029-06-01', '2031-05-31', 'MONTH'],
    ]) {
      const { result, queries } = await t.countQueries(PLATFORM, { from, to, g }, { token: analyst });
      expect(result.errors).toBeUndefined();
      counts.push(queries);
    }
    // The session lookup, then the series.
    expect(counts).toEqual([2, 2, 2, 2]);
  });

  it('costs a shop member the session, the memberships, the shop and the series', async () => {
    const a = await seller(t);
    const { result, queries } = await t.countQueries(SHOP, { id: a.shopId, from: '2029-06-01', to: '2031-05-31', g: 'WEEK' }, { token: a.owner.token });
    expect(result.errors).toBeUndefined();
    expect(queries).toBe(4);
  });
});

describe('refused ranges', () => {
  it('refuses a range that runs backwards (field `to`) and one over 731 days (field `from`); 731 days are fine', async () => {
    const backwards = await platform('2031-01-02', '2031-01-01');
    expect(code(backwards)).toBe('BAD_USER_INPUT');
    expect(backwards.errors![0].extensions!.field).toBe('to');
    const tooLong = await platform('2029-01-01', '2031-01-02');
    expect(code(tooLong)).toBe('BAD_USER_INPUT');
    expect(tooLong.errors![0].extensions!.field).toBe('from');
    const longest = await platform('2029-01-01', '2030-12-31');
    expect(longest.errors).toBeUndefined();
    expect(longest.data!.platformMetrics.points).toHaveLength(730);
    expect((await platform('2029-01-01', '2031-01-01')).data!.platformMetrics.points).toHaveLength(731);
  });

  it('refuses a day that is not a calendar day before any resolver runs', async () => {
    for (const day of ['2031-02-30', '2031-1-01', 'yesterday']) expect(code(await platform(day, '2031-03-01'))).toBe('BAD_USER_INPUT');
  });

  it('refuses the same ranges in the rankings and cohorts, and a `first` outside 1 to 100', async () => {
    for (const [query, vars] of [
      [TOP_PRODUCTS, { from: '2031-01-02', to: '2031-01-01' }],
      [TOP_SHOPS, { from: '2029-01-01', to: '2031-01-02' }],
      [COHORTS, { from: '2031-01-02', to: '2031-01-01' }],
      [TOP_PRODUCTS, { from: '2031-01-01', to: '2031-01-02', first: 101 }],
      [TOP_SHOPS, { from: '2031-01-01', to: '2031-01-02', first: 0 }],
    ] as const) {
      expect(code(await t.gql(query, vars, { token: analyst }))).toBe('BAD_USER_INPUT');
    }
  });
});

describe('rankings', () => {
  it('ranks products by GMV, units, views and conversion (10 views or more), of a shop, a category subtree or the platform', async () => {
    const parent = await createCategory(t);
    const child = await createCategory(t);
    await t.sql('update category set parent_id = ?, path = ?, depth = 1 where id = ?', [parent.id, `/${parent.id}/${child.id}/`, child.id]);
    const b = scenario(t);
    const s = await b.shop().product({ title: 'Alpha earphones' }).run();
    const shop = s.shop;
    const alpha = s.product;
    const beta = (await b.product({ title: 'Beta earphones' }).run()).product;
    const gamma = (await b.shop().product({ title: 'Gamma earphones' }).run()).product;
    const key = (id: string) => Buffer.from(id, 'base64url').toString().split(':')[1];
    const insert = (productId: string, shopKey: string, path: string, day: string, f: { views: number; add_to_carts: number; paid_orders: number; units: number; gmv: number }) =>
      t.sql(`insert into product_metric_daily (day, product_id, shop_id, category_path, views, add_to_carts, paid_orders, units, gmv) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        day, key(productId), shopKey, path, f.views, f.add_to_carts, f.paid_orders, f.units, f.gmv,
      ]);
    const childPath = `/${parent.id}/${child.id}/`;
    await insert(alpha.id, shop.shop.id, `/${parent.id}/`, '2030-07-01', { views: 8, add_to_carts: 2, paid_orders: 2, units: 5, gmv: 5_000 });
    await insert(alpha.id, shop.shop.id, `/${parent.id}/`, '2030-07-02', { views: 4, add_to_carts: 1, paid_orders: 1, units: 1, gmv: 1_000 });
    await insert(beta.id, shop.shop.id, childPath, '2030-07-01', { views: 40, add_to_carts: 5, paid_orders: 2, units: 9, gmv: 4_000 });
    await insert(gamma.id, gamma.shop.shop.id, childPath, '2030-07-02', { views: 5, add_to_carts: 5, paid_orders: 5, units: 5, gmv: 50_000 });
    await insert(gamma.id, gamma.shop.shop.id, childPath, '2030-07-05', { views: 100, add_to_carts: 0, paid_orders: 100, units: 100, gmv: 900_000 }); // after the range

    const top = async (vars: Record<string, unknown>) => {
      const res = await t.gql(TOP_PRODUCTS, { from: '2030-07-01', to: '2030-07-03', ...vars }, { token: analyst });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      return res.data!.topProducts.map((r: Record<string, any>) => [r.product.id, r.gmv.amountMinor, r.units, r.paidOrders, r.views, r.addToCarts, r.conversionRate]);
    };
    expect(await top({})).toEqual([
      [gamma.id, 50_000, 5, 5, 5, 5, 1],
      [alpha.id, 6_000, 6, 3, 12, 3, 0.25],
      [beta.id, 4_000, 9, 2, 40, 5, 0.05],
    ]);
    expect((await top({ by: 'UNITS' })).map((r: unknown[]) => r[0])).toEqual([beta.id, alpha.id, gamma.id]);
    expect((await top({ by: 'VIEWS', first: 2 })).map((r: unknown[]) => r[0])).toEqual([beta.id, alpha.id]);
    // Gamma converts best but was viewed 5 times: not ranked by conversion.
    expect((await top({ by: 'CONVERSION' })).map((r: unknown[]) => r[0])).toEqual([alpha.id, beta.id]);
    expect((await top({ scope: { shopId: shop.shopId } })).map((r: unknown[]) => r[0])).toEqual([alpha.id, beta.id]);
    expect((await top({ scope: { categoryId: idOf('Category', child.id) } })).map((r: unknown[]) => r[0])).toEqual([gamma.id, beta.id]);
    expect((await top({ scope: { categoryId: idOf('Category', parent.id) } })).map((r: unknown[]) => r[0])).toEqual([gamma.id, alpha.id, beta.id]);
    expect((await top({ scope: { shopId: shop.shopId, categoryId: idOf('Category', child.id) } })).map((r: unknown[]) => r[0])).toEqual([beta.id]);
    // The shop's OWNER reads the shop's own ranking.
    expect((await t.gql(TOP_PRODUCTS, { scope: { shopId: shop.shopId }, from: '2030-07-01', to: '2030-07-03' }, { token: shop.owner.token })).data!.topProducts).toHaveLength(2);
  });

  it('ranks shops by GMV or paid orders, each shop’s buyers counted once over the range', async () => {
    const a = await seller(t);
    const b = await seller(t);
    await insertDay('SHOP', a.shop.id, '2030-06-01', { paid_orders: 3, gmv: 30_000, refunds: 3_000, buyer_ids: [1, 2] });
    await insertDay('SHOP', a.shop.id, '2030-06-02', { paid_orders: 1, gmv: 10_000, buyer_ids: [2] });
    await insertDay('SHOP', b.shop.id, '2030-06-02', { paid_orders: 6, gmv: 12_000, buyer_ids: [3, 4, 5] });

    const res = await t.gql(TOP_SHOPS, { from: '2030-06-01', to: '2030-06-03' }, { token: analyst });
    expect(res.data!.topShops).toEqual([
      { shop: { id: a.shopId }, gmv: { amountMinor: 40_000 }, paidOrders: 4, buyers: 2, refunds: { amountMinor: 3_000 }, refundRate: 0.075 },
      { shop: { id: b.shopId }, gmv: { amountMinor: 12_000 }, paidOrders: 6, buyers: 3, refunds: { amountMinor: 0 }, refundRate: 0 },
    ]);
    const byOrders = await t.gql(TOP_SHOPS, { from: '2030-06-01', to: '2030-06-03', by: 'ORDERS', first: 1 }, { token: analyst });
    expect(byOrders.data!.topShops.map((r: { shop: { id: string } }) => r.shop.id)).toEqual([b.shopId]);
  });
});

describe('cohort retention', () => {
  it('groups buyers by the month of their first paid order in the range and counts who paid again in each later month', async () => {
    // Four buyers with one paid order each through the API, then the history is written into paid_at.
    const b = scenario(t);
    await b.shop().product({ stock: 100 }).run();
    const orders: string[][] = [];
    for (let buyer = 0; buyer < 4; buyer++) {
      const keys: string[] = [];
      await b.buyer().run();
      for (let i = 0; i < 3; i++) keys.push((await b.inCart(1).checkout().paid().run()).order.key);
      orders.push(keys);
    }
    const setPaid = (key: string, at: string) => t.sql('update orders set paid_at = ? where id = ?', [at, key]);
    // Buyer 0: first paid 2029-01-10, again in February and April.
    await setPaid(orders[0][0], '2029-01-10T02:00:00Z');
    await setPaid(orders[0][1], '2029-02-03T02:00:00Z');
    await setPaid(orders[0][2], '2029-04-20T02:00:00Z');
    // Buyer 1: first paid 2029-01-31 23:30 Shanghai (15:30 UTC, still January there), again in March and later in March.
    await setPaid(orders[1][0], '2029-01-31T15:30:00Z');
    await setPaid(orders[1][1], '2029-03-01T01:00:00Z');
    await setPaid(orders[1][2], '2029-03-15T01:00:00Z');
    // Buyer 2: first paid 2029-02-01 00:30 Shanghai (2029-01-31 16:30 UTC): the February cohort; again in February (not a later month).
    await setPaid(orders[2][0], '2029-01-31T16:30:00Z');
    await setPaid(orders[2][1], '2029-02-20T01:00:00Z');
    await setPaid(orders[2][2], '2029-02-25T01:00:00Z');
    // Buyer 3: paid in 2028, before the range: in no cohort even though they paid in the range.
    await setPaid(orders[3][0], '2028-12-01T01:00:00Z');
    await setPaid(orders[3][1], '2029-01-15T01:00:00Z');
    await setPaid(orders[3][2], '2029-03-15T01:00:00Z');

    const res = await t.gql(COHORTS, { from: '2029-01-01', to: '2029-02-28' }, { token: analyst });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const [january, february] = res.data!.cohortRetention;
    expect(res.data!.cohortRetention).toHaveLength(2);
    expect(january.month).toBe('2029-01');
    expect(january.buyers).toBe(2);
    // Followed 24 months (the clock is in 2031-06).
    expect(january.months).toHaveLength(24);
    expect(january.months.slice(0, 4)).toEqual([
      { offset: 1, month: '2029-02', buyers: 1, share: 0.5 },
      { offset: 2, month: '2029-03', buyers: 1, share: 0.5 },
      { offset: 3, month: '2029-04', buyers: 1, share: 0.5 },
      { offset: 4, month: '2029-05', buyers: 0, share: 0 },
    ]);
    expect(february).toMatchObject({ month: '2029-02', buyers: 1 });
    expect(february.months[0]).toEqual({ offset: 1, month: '2029-03', buyers: 0, share: 0 });
  });

  it('follows a cohort up to the current month only', async () => {
    const b = scenario(t);
    const s = await b.shop().product().buyer().inCart(1).paid().run();
    await t.sql('update orders set paid_at = ? where id = ?', ['2031-04-10T02:00:00Z', s.order.key]);
    const res = await t.gql(COHORTS, { from: '2031-04-01', to: '2031-06-30' }, { token: analyst });
    // April's cohort is followed in May and June (the clock's month); the orders of the other tests paid now make June's.
    const april = res.data!.cohortRetention.find((c: { month: string }) => c.month === '2031-04');
    expect(april).toEqual({ month: '2031-04', buyers: 1, months: [{ offset: 1, month: '2031-05', buyers: 0, share: 0 }, { offset: 2, month: '2031-06', buyers: 0, share: 0 }] });
    const june = res.data!.cohortRetention.find((c: { month: string }) => c.month === '2031-06');
    expect(june?.months ?? []).toEqual([]);
  });
});

describe('what rankings and cohorts cost', () => {
  // After the rankings' and cohorts' tests: their rows are there to be read.
  it('costs the rankings and cohorts the same for five weeks as for two years', async () => {
    for (const [query, extra, expectedQueries] of [
      // The session, the ranking, the products or shops named (one batch).
      [TOP_PRODUCTS, {}, 3],
      [TOP_SHOPS, {}, 3],
      // The session and the cohorts.
      [COHORTS, {}, 2],
    ] as const) {
      const counts: number[] = [];
      for (const [from, to] of [
        ['2030-06-01', '2030-07-07'],
        ['2029-06-01', '2031-05-31'],
      ]) {
        const { result, queries } = await t.countQueries(query, { from, to, ...extra }, { token: analyst });
        expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
        counts.push(queries);
      }
      expect(counts).toEqual([expectedQueries, expectedQueries]);
    }
  });
});

describe('end to end', () => {
  it('reads back real orders after snapshotMetrics: orders, paid orders, units, GMV, buyers and new buyers of the day', async () => {
    const day = '2031-06-15';
    const admin = (await staff(t, StaffRole.ADMIN)).token;
    const snapshot = async () => expect(okPayload(await t.gql(SNAPSHOT, { from: day, to: day }, { token: admin }), 'snapshotMetrics').days).toBe(1);
    // What the other tests' orders of the day make, first.
    await snapshot();
    const before = (await series(day, day)).points[0];

    const b = scenario(t);
    const s = await b.shop().product({ price: 10_000 }).buyer().inCart(2).paid().run();
    const first = s.order;
    const second = (await b.inCart(1).checkout().paid().run()).order;
    await b.buyer().inCart(1).checkout().run(); // placed, not paid
    await snapshot();

    const after = await series(day, day);
    const point = after.points[0];
    const delta = (field: string) => point[field] - before[field];
    expect(delta('orders')).toBe(3);
    expect(delta('paidOrders')).toBe(2);
    expect(delta('units')).toBe(3);
    expect(point.gmv.amountMinor - before.gmv.amountMinor).toBe(first.total.amountMinor + second.total.amountMinor);
    expect(delta('buyers')).toBe(1);
    expect(delta('newBuyers')).toBe(1);
    expect(after.snapshotAt).not.toBeNull();

    const shopSeries = await t.gql(SHOP, { id: s.shop.shopId, from: day, to: day }, { token: s.shop.owner.token });
    expect(shopSeries.data!.shopMetrics.totals).toMatchObject({ orders: 3, paidOrders: 2, units: 3, buyers: 1, newBuyers: 1, gmv: { amountMinor: first.total.amountMinor + second.total.amountMinor } });
  });
});
