import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextAs } from '../../src/context';
import { ShopMemberRole as M, StaffRole as S, User } from '../../src/entities';
import { campaignReport, metricSeries, topProducts } from '../../src/services/analytics';
import { ManualClock } from '../../src/services/shared';
import { Viewer } from '../../src/viewer';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { createCategory, userWithToken } from '../helpers/factories';
import { code, idOf, keyOf } from '../helpers/kit';
import { grantCoupon, insertPromotion } from '../helpers/promotions';
import { scenario, type ScenarioShop } from '../helpers/scenario';

/**
 * Who may read the KPIs, per root field and caller: staff ANALYST and FINANCE (ADMIN passes) read
 * everything; a shop's OWNER, MANAGER and FINANCE members read their own shop's series, product
 * ranking and campaign reports; staff OPERATIONS also read campaign reports; everyone else is
 * FORBIDDEN (other staff roles, the shop's other roles, another shop's members, shoppers),
 * anonymous callers UNAUTHENTICATED, and an unknown shop, category or campaign NOT_FOUND. The
 * services check again behind the shield.
 */

const clock = new ManualClock(new Date('2031-06-15T04:00:00Z'));
let t: TestApp;
let shopA: ScenarioShop;
let shopB: ScenarioShop;
let categoryId: string;
let shopPromotionId: string;
let platformCouponId: string;
let flashSaleId: string;
let shopperKey: string;
/** Every caller of the matrix: a token, or null for anonymous. */
const callers: Record<string, string | null> = {};

const RANGE = { from: '2031-06-01', to: '2031-06-07' };
const SERIES = 'scope totals { orders }';
const Q = {
  platformMetrics: `query($from: Date!, $to: Date!) { platformMetrics(from: $from, to: $to) { ${SERIES} } }`,
  shopMetrics: `query($id: ID!, $from: Date!, $to: Date!) { shopMetrics(shopId: $id, from: $from, to: $to) { ${SERIES} } }`,
  categoryMetrics: `query($id: ID!, $from: Date!, $to: Date!) { categoryMetrics(categoryId: $id, from: $from, to: $to) { ${SERIES} } }`,
  topProducts: `query($scope: MetricScopeInput, $from: Date!, $to: Date!) { topProducts(scope: $scope, from: $from, to: $to) { units } }`,
  topShops: `query($from: Date!, $to: Date!) { topShops(from: $from, to: $to) { paidOrders } }`,
  cohortRetention: `query($from: Date!, $to: Date!) { cohortRetention(from: $from, to: $to) { month } }`,
  campaignReport: `query($id: ID!) { campaignReport(id: $id) { kind orders } }`,
  snapshotMetrics: `mutation($from: Date!, $to: Date!) { snapshotMetrics(input: { from: $from, to: $to }) { days errors { code } } }`,
  trackEvents: `mutation($input: TrackEventsInput!) { trackEvents(input: $input) { accepted errors { code field } } }`,
};

/** OK, or the thrown error's code. */
async function outcome(query: string, variables: Record<string, unknown>, token: string | null): Promise<string> {
  const res = await t.gql(query, variables, token ? { token } : {});
  return res.errors ? code(res)! : 'OK';
}

/** Each caller's outcome of one operation. */
async function matrix(query: string, variables: Record<string, unknown>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, token] of Object.entries(callers)) out[name] = await outcome(query, variables, token);
  return out;
}

/** Every caller FORBIDDEN (anonymous UNAUTHENTICATED) but `allowed`. */
function expected(...allowed: string[]): Record<string, string> {
  return Object.fromEntries(Object.keys(callers).map((name) => [name, allowed.includes(name) ? 'OK' : name === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN']));
}

const ANALYTICS_STAFF = ['ADMIN', 'staff ANALYST', 'staff FINANCE'];
const SHOP_READERS = ['A OWNER', 'A MANAGER', 'A FINANCE'];

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  const b = scenario(t);
  shopA = (await b.shop({ members: [M.MANAGER, M.FINANCE, M.OPERATOR, M.CUSTOMER_SERVICE] }).run()).shop;
  shopB = (await b.shop().run()).shop;
  categoryId = idOf('Category', (await createCategory(t)).id);
  const shopper = await userWithToken(t);
  shopperKey = shopper.user.id;
  callers.anonymous = null;
  callers.shopper = shopper.token;
  callers.ADMIN = (await staff(t, S.ADMIN)).token;
  for (const role of [S.ANALYST, S.FINANCE, S.OPERATIONS, S.REVIEWER, S.CUSTOMER_SERVICE, S.RISK]) callers[`staff ${role}`] = (await staff(t, role)).token;
  for (const role of [M.OWNER, M.MANAGER, M.FINANCE, M.OPERATOR, M.CUSTOMER_SERVICE]) callers[`A ${role}`] = shopA.members[role]!.token;
  callers['B OWNER'] = shopB.owner.token;

  shopPromotionId = idOf('Promotion', await insertPromotion(t, { shopKey: shopA.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', tiers: [{ threshold: 10_000, amountOff: 1_000 }], at: clock.now() }));
  platformCouponId = idOf('CouponCampaign', (await grantCoupon(t, shopper.user.id, { shopKey: null, kind: 'AMOUNT_OFF', amountOff: 500, at: clock.now() })).campaignKey);
  const [sale] = await t.sql(`insert into flash_sale (title, starts_at, ends_at, created_by_id) values ('雙12 秒殺', ?, ?, ?) returning id`, [
    new Date('2031-06-20T00:00:00Z'),
    new Date('2031-06-21T00:00:00Z'),
    shopper.user.id,
  ]);
  flashSaleId = idOf('FlashSale', String(sale.id));
}, 60_000);
afterAll(() => t.close());

describe('platform-wide figures', () => {
  it.each([
    ['platformMetrics', Q.platformMetrics, () => RANGE],
    ['topShops', Q.topShops, () => RANGE],
    ['cohortRetention', Q.cohortRetention, () => RANGE],
    ['categoryMetrics', Q.categoryMetrics, () => ({ ...RANGE, id: categoryId })],
    ['topProducts without a shop', Q.topProducts, () => RANGE],
    ['topProducts of a category', Q.topProducts, () => ({ ...RANGE, scope: { categoryId } })],
  ])('%s: staff ANALYST, FINANCE and ADMIN only', async (_name, query, variables) => {
    expect(await matrix(query, variables())).toEqual(expected(...ANALYTICS_STAFF));
  });
});

describe('a shop’s figures', () => {
  it.each([
    ['shopMetrics', Q.shopMetrics, () => ({ ...RANGE, id: shopA.shopId })],
    ['topProducts of the shop', Q.topProducts, () => ({ ...RANGE, scope: { shopId: shopA.shopId } })],
    ['topProducts of the shop in a category', Q.topProducts, () => ({ ...RANGE, scope: { shopId: shopA.shopId, categoryId } })],
  ])('%s: the shop’s OWNER, MANAGER and FINANCE members and analytics staff; FORBIDDEN to its other roles, another shop’s owner and other staff', async (_name, query, variables) => {
    expect(await matrix(query, variables())).toEqual(expected(...ANALYTICS_STAFF, ...SHOP_READERS));
  });

  it('keeps each shop’s owner to their own shop: B’s owner reads B, not A, and A’s owner not B', async () => {
    expect(await outcome(Q.shopMetrics, { ...RANGE, id: shopB.shopId }, shopB.owner.token)).toBe('OK');
    expect(await outcome(Q.shopMetrics, { ...RANGE, id: shopB.shopId }, shopA.owner.token)).toBe('FORBIDDEN');
    expect(await outcome(Q.topProducts, { ...RANGE, scope: { shopId: shopB.shopId } }, shopA.members.MANAGER!.token)).toBe('FORBIDDEN');
  });
});

describe('campaign reports', () => {
  it('of a shop’s promotion: the shop’s OWNER, MANAGER and FINANCE members, staff ANALYST, FINANCE, OPERATIONS and ADMIN; NOT_FOUND to shoppers and other shops', async () => {
    expect(await matrix(Q.campaignReport, { id: shopPromotionId })).toEqual({
      ...expected(...ANALYTICS_STAFF, 'staff OPERATIONS', ...SHOP_READERS),
      shopper: 'NOT_FOUND',
      'B OWNER': 'NOT_FOUND',
    });
  });

  it.each([
    ['a platform coupon campaign', () => platformCouponId],
    ['a flash sale', () => flashSaleId],
  ])('of %s: staff ANALYST, FINANCE, OPERATIONS and ADMIN only; NOT_FOUND to shoppers and shop members', async (_name, id) => {
    const notFound = Object.fromEntries(Object.keys(callers).filter((name) => name === 'shopper' || /^[AB] /.test(name)).map((name) => [name, 'NOT_FOUND']));
    expect(await matrix(Q.campaignReport, { id: id() })).toEqual({ ...expected(...ANALYTICS_STAFF, 'staff OPERATIONS'), ...notFound });
  });
});

describe('the mutations', () => {
  it('snapshotMetrics: staff ANALYST and ADMIN only', async () => {
    const result = await matrix(Q.snapshotMetrics, { from: '2031-06-10', to: '2031-06-10' });
    expect(result).toEqual(expected('ADMIN', 'staff ANALYST'));
  });

  it('trackEvents: anyone, signed in or not', async () => {
    const input = { sessionId: 'session-12345678', events: [{ type: 'SEARCH', query: '藍牙耳機' }] };
    const result = await matrix(Q.trackEvents, { input });
    expect(Object.values(result).every((o) => o === 'OK')).toBe(true);
    const res = await t.gql(Q.trackEvents, { input });
    expect(res.data!.trackEvents).toEqual({ accepted: 1, errors: [] });
  });

  it('trackEvents refuses a product ID that names no product in the payload, storing nothing', async () => {
    const input = { sessionId: 'session-12345678', events: [{ type: 'SEARCH', query: 'ok' }, { type: 'PRODUCT_VIEW', productId: shopA.shopId }, { type: 'SHARE', productId: 'nonsense' }] };
    const res = await t.gql(Q.trackEvents, { input });
    expect(res.data!.trackEvents).toEqual({
      accepted: 0,
      errors: [
        { code: 'INVALID_INPUT', field: ['input', 'events', '1', 'productId'] },
        { code: 'INVALID_INPUT', field: ['input', 'events', '2', 'productId'] },
      ],
    });
  });
});

describe('unknown scopes', () => {
  it('answers NOT_FOUND for an unknown, malformed or wrong-type shop, category or campaign ID, to staff and shop owners alike', async () => {
    const unknownShop = idOf('Shop', '987654321');
    for (const token of [callers['staff ANALYST'], shopA.owner.token]) {
      for (const [query, variables] of [
        [Q.shopMetrics, { ...RANGE, id: unknownShop }],
        [Q.shopMetrics, { ...RANGE, id: 'not-an-id' }],
        [Q.shopMetrics, { ...RANGE, id: categoryId }],
        [Q.topProducts, { ...RANGE, scope: { shopId: unknownShop } }],
        [Q.topProducts, { ...RANGE, scope: { categoryId: idOf('Category', '987654321') } }],
        [Q.campaignReport, { id: idOf('Promotion', '987654321') }],
        [Q.campaignReport, { id: idOf('CouponCampaign', '987654321') }],
        [Q.campaignReport, { id: idOf('FlashSale', '987654321') }],
        [Q.campaignReport, { id: shopA.shopId }],
      ] as const) {
        expect(await outcome(query, variables, token), JSON.stringify(variables)).toBe('NOT_FOUND');
      }
    }
    expect(await outcome(Q.categoryMetrics, { ...RANGE, id: idOf('Category', '987654321') }, callers['staff ANALYST'])).toBe('NOT_FOUND');
  });
});

describe('the services behind the shield', () => {
  it('refuse a shopper and an anonymous viewer when called directly', async () => {
    const em = t.orm.em.fork();
    const shopper = await em.findOneOrFail(User, { id: shopperKey });
    const as = (viewer: Viewer) => contextAs(t.app.deps, em, viewer, { requestId: 'analytics-access', log: t.app.http.log });
    const signedIn = as(new Viewer(em, shopper, null));
    const anonymous = as(Viewer.anonymous(em));
    const codeOf = (p: Promise<unknown>) => p.then(
      () => 'OK',
      (err: { extensions?: { code?: string } }) => err.extensions?.code,
    );
    expect(await codeOf(metricSeries(signedIn, { kind: 'PLATFORM' }, RANGE.from, RANGE.to))).toBe('FORBIDDEN');
    expect(await codeOf(metricSeries(signedIn, { kind: 'SHOP', shopId: shopB.shop.id }, RANGE.from, RANGE.to))).toBe('FORBIDDEN');
    expect(await codeOf(topProducts(signedIn, {}, RANGE.from, RANGE.to))).toBe('FORBIDDEN');
    expect(await codeOf(campaignReport(signedIn, 'FLASH_SALE', keyOf(flashSaleId)))).toBe('NOT_FOUND');
    expect(await codeOf(metricSeries(anonymous, { kind: 'PLATFORM' }, RANGE.from, RANGE.to))).toBe('UNAUTHENTICATED');
  });
});
