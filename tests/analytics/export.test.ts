import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole as M, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { createCategory, userWithToken } from '../helpers/factories';
import { idOf } from '../helpers/kit';
import { scenario, type ScenarioShop } from '../helpers/scenario';

/** `GET /exports/metrics.csv`: a KPI series for a spreadsheet, the same numbers as the API's. */

const clock = new ManualClock(new Date('2031-06-15T04:00:00Z'));
let t: TestApp;
let analyst: string;
let shop: ScenarioShop;
let other: ScenarioShop;
let categoryKey: string;

const HEADER =
  'Date (Asia/Shanghai),End date,Orders,Paid orders,Cancelled orders,Units,GMV,Refunds,Net sales,Average order value,Commission,Shop promotion cost,Platform promotion cost,Promotion cost,' +
  'Buyers,New buyers,Repeat buyers,Visitors,Product viewers,Cart users,Product views,Searches,Add to carts,Shares,After-sale cases,Refunded orders,Coupon redemptions,' +
  'Conversion rate,Cart abandonment rate,Refund rate,After-sale rate';

const VALUES = `orders paidOrders cancelledOrders units gmv { amount } refunds { amount } netSales { amount } averageOrderValue { amount } commission { amount }
  promotionCost { shop { amount } platform { amount } total { amount } }
  buyers newBuyers repeatBuyers visitors productViewers cartUsers productViews searches addToCarts shares afterSales refundedOrders couponRedemptions
  conversionRate cartAbandonmentRate refundRate afterSaleRate`;
const PLATFORM = `query($from: Date!, $to: Date!, $g: MetricGranularity) { platformMetrics(from: $from, to: $to, granularity: $g) { points { date endDate ${VALUES} } totals { ${VALUES} } } }`;

/** A point as the CSV writes it, from the API's answer. */
function csvCells(v: Record<string, any>): string[] {
  return [
    v.orders, v.paidOrders, v.cancelledOrders, v.units, v.gmv.amount, v.refunds.amount, v.netSales.amount, v.averageOrderValue.amount, v.commission.amount,
    v.promotionCost.shop.amount, v.promotionCost.platform.amount, v.promotionCost.total.amount,
    v.buyers, v.newBuyers, v.repeatBuyers, v.visitors, v.productViewers, v.cartUsers, v.productViews, v.searches, v.addToCarts, v.shares, v.afterSales, v.refundedOrders, v.couponRedemptions,
    v.conversionRate, v.cartAbandonmentRate, v.refundRate, v.afterSaleRate,
  ].map(String);
}

const download = (query: string, token?: string | null) =>
  t.app.http.inject({ method: 'GET', url: `/exports/metrics.csv?${query}`, headers: token === undefined ? {} : { authorization: `Bearer ${token ?? 'not-a-token'}` } });

async function insertDay(scope: string, scopeId: string, day: string, f: Record<string, number | number[]>) {
  const columns = Object.keys(f);
  await t.sql(
    `insert into metric_daily (scope, scope_id, day, ${columns.join(', ')}, computed_at) values (?, ?, ?, ${columns.map((c) => (Array.isArray(f[c]) ? '?::bigint[]' : '?')).join(', ')}, now())`,
    [scope, scopeId, day, ...columns.map((c) => (Array.isArray(f[c]) ? `{${(f[c] as number[]).join(',')}}` : f[c]))],
  );
}

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  analyst = (await staff(t, StaffRole.ANALYST)).token;
  shop = (await scenario(t).shop({ members: [M.OPERATOR] }).run()).shop;
  other = (await scenario(t).shop().run()).shop;
  categoryKey = (await createCategory(t)).id;
  await insertDay('PLATFORM', '0', '2031-03-02', {
    orders: 5, paid_orders: 3, units: 4, gmv: 10_000, refunds: 1_999, commission: 500, shop_promotion_cost: 120, platform_promotion_cost: 80, product_views: 9, searches: 2,
    buyer_ids: [1, 2], new_buyer_ids: [2], visitor_keys: [7, 8, 9], viewer_keys: [7], cart_user_ids: [1, 3], after_sales: 1, refunded_orders: 1, coupon_redemptions: 1,
  });
  await insertDay('PLATFORM', '0', '2031-03-04', { orders: 1, paid_orders: 1, gmv: 2_500, buyer_ids: [2], visitor_keys: [9] });
  await insertDay('SHOP', shop.shop.id, '2031-03-03', { orders: 2, paid_orders: 2, gmv: 4_000, buyer_ids: [5] });
}, 60_000);
afterAll(() => t.close());

describe('the metrics CSV export', () => {
  it('writes a UTF-8 CSV with a byte-order mark: a header, a row per point and a Total row, the same numbers as platformMetrics', async () => {
    const res = await download('scope=platform&from=2031-03-01&to=2031-03-05', analyst);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="metrics-platform-2031-03-01-2031-03-05-day.csv"');
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);

    const api = (await t.gql(PLATFORM, { from: '2031-03-01', to: '2031-03-05' }, { token: analyst })).data!.platformMetrics;
    const lines = res.rawPayload.subarray(3).toString('utf8').split('\r\n');
    expect(lines).toEqual([
      HEADER,
      ...api.points.map((p: Record<string, any>) => [p.date, p.endDate, ...csvCells(p)].join(',')),
      ['Total', '', ...csvCells(api.totals)].join(','),
      '',
    ]);
    // The numbers themselves, for one day and the totals.
    expect(lines[2]).toBe('2031-03-02,2031-03-02,5,3,0,4,100.00,19.99,80.01,33.33,5.00,1.20,0.80,2.00,2,1,1,3,1,2,9,2,0,0,1,1,1,0.6666666666666666,0.5,0.1999,0.3333333333333333');
    expect(lines[3]).toBe('2031-03-03,2031-03-03,0,0,0,0,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0');
    expect(lines[6].startsWith('Total,,6,4,0,4,125.00,19.99,105.01,31.25,')).toBe(true);
  });

  it('cuts by week or month like the API', async () => {
    const res = await download('scope=platform&from=2031-03-01&to=2031-03-31&granularity=week', analyst);
    expect(res.statusCode).toBe(200);
    const api = (await t.gql(PLATFORM, { from: '2031-03-01', to: '2031-03-31', g: 'WEEK' }, { token: analyst })).data!.platformMetrics;
    const rows = res.rawPayload.subarray(3).toString('utf8').split('\r\n').slice(1, -2);
    expect(rows).toEqual(api.points.map((p: Record<string, any>) => [p.date, p.endDate, ...csvCells(p)].join(',')));
    expect(rows.map((r) => r.split(',').slice(0, 2).join('…'))).toEqual(['2031-03-01…2031-03-02', '2031-03-03…2031-03-09', '2031-03-10…2031-03-16', '2031-03-17…2031-03-23', '2031-03-24…2031-03-30', '2031-03-31…2031-03-31']);
    const monthly = await download('scope=platform&from=2031-03-01&to=2031-03-31&granularity=MONTH', analyst);
    expect(monthly.statusCode).toBe(200);
    expect(monthly.rawPayload.subarray(3).toString('utf8').split('\r\n')).toHaveLength(4);
  });

  it('serves a shop’s series to its OWNER, named after the shop, and a category’s to analysts', async () => {
    const res = await download(`scope=shop:${shop.shopId}&from=2031-03-03&to=2031-03-03`, shop.owner.token);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="metrics-shop-${shop.shop.slug}-2031-03-03-2031-03-03-day.csv"`);
    expect(res.rawPayload.subarray(3).toString('utf8').split('\r\n')[1].startsWith('2031-03-03,2031-03-03,2,2,0,0,40.00,')).toBe(true);
    const category = await download(`scope=category:${idOf('Category', categoryKey)}&from=2031-03-03&to=2031-03-04`, analyst);
    expect(category.statusCode).toBe(200);
  });

  it('answers 400 with the field at fault for a missing or malformed parameter, a reversed range or one over 731 days', async () => {
    for (const [query, field] of [
      ['from=2031-03-01&to=2031-03-05', 'scope'],
      ['scope=everything&from=2031-03-01&to=2031-03-05', 'scope'],
      ['scope=shop&from=2031-03-01&to=2031-03-05', 'scope'],
      ['scope=platform&to=2031-03-05', 'from'],
      ['scope=platform&from=2031-03-01', 'to'],
      ['scope=platform&from=2031-02-30&to=2031-03-05', 'from'],
      ['scope=platform&from=2031-03-05&to=2031-03-01', 'to'],
      ['scope=platform&from=2029-01-01&to=2031-01-02', 'from'],
      ['scope=platform&from=2031-03-01&to=2031-03-05&granularity=year', 'granularity'],
    ]) {
      const res = await download(query, analyst);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().field, query).toBe(field);
    }
  });

  it('answers 401 without a token or with a bad one', async () => {
    for (const token of [undefined, null]) {
      const res = await download('scope=platform&from=2031-03-01&to=2031-03-05', token);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('answers 403 to a role that may not read the scope, and 404 for an unknown or malformed shop or category', async () => {
    const shopper = (await userWithToken(t)).token;
    expect((await download('scope=platform&from=2031-03-01&to=2031-03-05', shopper)).statusCode).toBe(403);
    expect((await download('scope=platform&from=2031-03-01&to=2031-03-05', shop.owner.token)).statusCode).toBe(403);
    expect((await download(`scope=shop:${shop.shopId}&from=2031-03-01&to=2031-03-05`, shop.members.OPERATOR!.token)).statusCode).toBe(403);
    expect((await download(`scope=shop:${shop.shopId}&from=2031-03-01&to=2031-03-05`, other.owner.token)).statusCode).toBe(403);
    expect((await download(`scope=shop:${idOf('Shop', '987654321')}&from=2031-03-01&to=2031-03-05`, analyst)).statusCode).toBe(404);
    expect((await download(`scope=shop:nonsense&from=2031-03-01&to=2031-03-05`, analyst)).statusCode).toBe(404);
    expect((await download(`scope=category:${shop.shopId}&from=2031-03-01&to=2031-03-05`, analyst)).statusCode).toBe(404);
  });
});
