import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { dispatchNotifications } from '../../src/services/notifications';
import { createTestApp, type TestApp } from '../helpers/app';
import { CREATE_PRODUCT, productInput, staff, SUBMIT_PRODUCT } from '../helpers/catalog';
import { createCategory, userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { type Scenario, scenario } from '../helpers/scenario';
import { type TrustClient, trustClient, VIOLATIONS } from '../helpers/trust';

/**
 * Violations and a shop's standing: points per violation, kept on the shop row under its lock; at
 * VIOLATION_RESTRICT_POINTS (12) no new listings and no campaigns (SHOP_RESTRICTED), at
 * VIOLATION_SUSPEND_POINTS (24) the shop is suspended and its products go off sale; each step
 * notified to the shop's OWNER and MANAGER through the outbox.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (offset: number) => new Date(Date.now() + offset).toISOString();

const PRODUCT = `query($id: ID!) { product(id: $id) { id status } }`;
const VIOLATION_NODE = `query($id: ID!) { node(id: $id) { id ... on ShopViolation { kind points } } }`;
const SUSPEND = `mutation($input: ShopModerationInput!) { suspendShop(input: $input) { shop { id status } errors { code } } }`;
const REINSTATE = `mutation($input: ShopModerationInput!) { reinstateShop(input: $input) { shop { id status } errors { code } } }`;
const CREATE_PROMOTION = `mutation($input: PromotionInput!) { createPromotion(input: $input) { promotion { id } errors { code field message } } }`;
const CREATE_COUPONS = `mutation($input: CouponCampaignInput!) { createCouponCampaign(input: $input) { couponCampaign { id } errors { code field message } } }`;
const CREATE_BARGAIN = `mutation($input: BargainCampaignInput!) { createBargainCampaign(input: $input) { bargainCampaign { id } errors { code field message } } }`;
const CREATE_GROUP_BUY = `mutation($input: GroupBuyInput!) { createGroupBuy(input: $input) { groupBuy { id } errors { code field message } } }`;
const CREATE_FLASH_SALE = `mutation($input: FlashSaleInput!) { createFlashSale(input: $input) { flashSale { id } errors { code field message } } }`;
const NOMINATE = `mutation($input: FlashSaleItemInput!) { nominateFlashSaleItem(input: $input) { flashSaleItem { id } errors { code field message } } }`;

let t: TestApp;
let trust: TrustClient;
let risk: { token: string; user: { id: string } };
let ops: { token: string };
let reviewer: { token: string };
let shopper: { token: string };
let categoryId: string;

beforeAll(async () => {
  t = await createTestApp();
  trust = trustClient(t);
  risk = await staff(t, StaffRole.RISK);
  ops = await staff(t, StaffRole.OPERATIONS);
  reviewer = await staff(t, StaffRole.REVIEWER);
  shopper = await userWithToken(t);
  categoryId = idOf('Category', (await createCategory(t)).id);
});
afterAll(() => t.close());

/** A new ACTIVE shop with a MANAGER and an OPERATOR, and a product on sale. */
const freshShop = () => scenario(t).shop({ members: [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR] }).product().run();
const record = (s: Scenario, input: Record<string, unknown> = {}) => trust.recorded({ shopId: s.shop.shopId, ...input }, risk.token);
const standingEvents = async (shopId: string) => (await trust.events(shopId, ['SHOP_STANDING_CHANGED'])).map(([, data]) => data);

describe('recordShopViolation', () => {
  it('records a violation with its kind’s points or the points given, audited and notified to the OWNER and MANAGER', async () => {
    const s = await freshShop();
    const first = await record(s, { productId: s.product.id });
    expect(first).toMatchObject({ kind: 'MISLEADING', points: 3, status: 'ACTIVE', reason: 'Complaint #1234: wrong size chart', shop: { id: s.shop.shopId }, product: { id: s.product.id }, report: null, appeal: null, revokedAt: null });
    const second = await record(s, { kind: 'OTHER', points: 5, reason: 'Repeated late shipping' });
    expect(second).toMatchObject({ kind: 'OTHER', points: 5 });
    expect(await trust.standing(s.shop.shopId, s.shop.owner.token)).toMatchObject({ violationPoints: 8, creditScore: 92, standing: 'GOOD', restrictedAt: null, status: 'ACTIVE' });
    expect(await trust.events(s.shop.shopId)).toEqual([
      ['VIOLATION_RECORDED', { kind: 'MISLEADING', points: 3, reason: 'Complaint #1234: wrong size chart' }],
      ['VIOLATION_RECORDED', { kind: 'OTHER', points: 5, reason: 'Repeated late shipping' }],
    ]);
    const audit = await t.sql(`select action, actor_id::text, after from audit_entry where target_type = 'ShopViolation' and target_id = ?`, [keyOf(first.id)]);
    expect(audit).toEqual([{ action: 'shop.recordViolation', actor_id: risk.user.id, after: expect.objectContaining({ kind: 'MISLEADING', points: 3, shopId: keyOf(s.shop.shopId) }) }]);

    await dispatchNotifications(t.app.deps, t.orm.em.fork());
    const told = await t.sql(`select user_id::text, title, link from notification where kind = 'VIOLATION_RECORDED' and link = ? order by user_id`, [first.id]);
    expect(told.map((n) => n.user_id).sort()).toEqual([s.shop.owner.user.id, s.shop.members.MANAGER!.user.id].sort());
    expect(told[0].title).toBe('Violation recorded: misleading');
  });

  it('refuses points out of range, another shop’s product, a short reason, and an unknown shop, recording nothing', async () => {
    const s = await freshShop();
    const other = await freshShop();
    const failures = async (input: Record<string, unknown>) => failuresOf(await trust.record({ shopId: s.shop.shopId, ...input }, risk.token), 'recordShopViolation', 'shopViolation');
    expect(await failures({ points: 0 })).toEqual([['INVALID_INPUT', 'input.points']]);
    expect(await failures({ points: 101 })).toEqual([['INVALID_INPUT', 'input.points']]);
    expect(await failures({ reason: 'x' })).toEqual([['INVALID_INPUT', 'input.reason']]);
    expect(await failures({ productId: other.product.id })).toEqual([['INVALID_INPUT', 'input.productId']]);
    expect(code(await trust.record({ shopId: idOf('Shop', 999_999_999) }, risk.token))).toBe('NOT_FOUND');
    expect((await t.sql('select count(*)::int as n from shop_violation where shop_id = ?', [keyOf(s.shop.shopId)]))[0].n).toBe(0);
  });

  it('is for staff RISK alone', async () => {
    const s = await freshShop();
    for (const token of [ops.token, reviewer.token, s.shop.owner.token, shopper.token]) expect(code(await trust.record({ shopId: s.shop.shopId }, token))).toBe('FORBIDDEN');
    expect(code(await t.gql(`mutation($input: RecordShopViolationInput!) { recordShopViolation(input: $input) { errors { code } } }`, { input: { shopId: s.shop.shopId, kind: 'OTHER', reason: 'Because' } }))).toBe('UNAUTHENTICATED');
  });
});

describe('Shop standing and violations', () => {
  it('shows the credit score and standing to the shop’s members and staff, and its violations to the OWNER, MANAGER and staff, newest first', async () => {
    const s = await freshShop();
    const older = await record(s);
    const newer = await record(s, { kind: 'OTHER' });
    for (const token of [s.shop.owner.token, s.shop.members.OPERATOR!.token, reviewer.token]) {
      expect(await trust.standing(s.shop.shopId, token)).toMatchObject({ creditScore: 95, violationPoints: 5, standing: 'GOOD' });
    }
    const asShopper = await t.gql(`query($id: ID!) { shop(id: $id) { id creditScore } }`, { id: s.shop.shopId }, { token: shopper.token });
    // As for every private field of a shop, an outsider finds nothing there.
    expect(code(asShopper)).toBe('NOT_FOUND');

    const list = async (token: string, first?: number, after?: string) => t.gql(VIOLATIONS, { id: s.shop.shopId, first, after }, { token });
    const page1 = (await list(s.shop.members.MANAGER!.token, 1)).data!.shop.violations;
    expect(page1.nodes.map((v: { id: string }) => v.id)).toEqual([newer.id]);
    expect(page1.totalCount).toBe(2);
    const page2 = (await list(s.shop.owner.token, 1, page1.pageInfo.endCursor)).data!.shop.violations;
    expect(page2.nodes.map((v: { id: string }) => v.id)).toEqual([older.id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect((await list(ops.token)).data!.shop.violations.totalCount).toBe(2);
    expect(code(await list(s.shop.members.OPERATOR!.token))).toBe('FORBIDDEN');
    expect(code(await list(shopper.token))).toBe('NOT_FOUND');
  });

  it('costs the same statements for a page of one violation as of four, with their appeals, products and shop', async () => {
    const query = `query($id: ID!) { shop(id: $id) { violations(first: 10) { nodes { id appeal { id status } product { id } shop { id } } } } }`;
    const one = await freshShop();
    const four = await freshShop();
    await record(one, { productId: one.product.id });
    for (let i = 0; i < 4; i++) {
      const v = await record(four, { productId: four.product.id, kind: 'OTHER', points: 1 });
      if (i % 2 === 0) await trust.appealed(v.id, four.shop.owner.token);
    }
    const counted = async (s: Scenario) => {
      const { result, queries } = await t.countQueries(query, { id: s.shop.shopId }, { token: s.shop.owner.token });
      expect(result.errors).toBeUndefined();
      return { queries, n: result.data!.shop.violations.nodes.length };
    };
    const small = await counted(one);
    const large = await counted(four);
    expect([small.n, large.n]).toEqual([1, 4]);
    expect(large.queries).toBe(small.queries);
  });

  it('refetches a violation by node(id) for the OWNER, MANAGER and staff alone', async () => {
    const s = await freshShop();
    const other = await freshShop();
    const violation = await record(s);
    const node = async (token: string) => (await t.gql(VIOLATION_NODE, { id: violation.id }, { token })).data!.node;
    for (const token of [s.shop.owner.token, s.shop.members.MANAGER!.token, risk.token]) expect(await node(token)).toMatchObject({ kind: 'MISLEADING', points: 3 });
    for (const token of [s.shop.members.OPERATOR!.token, other.shop.owner.token, shopper.token]) expect(await node(token)).toBeNull();
  });
});

describe('thresholds', () => {
  it('restricts the shop at VIOLATION_RESTRICT_POINTS: no new listings, no campaigns, while its products stay on sale', async () => {
    const s = await freshShop();
    const draft = okPayload(await t.gql(CREATE_PRODUCT, { input: productInput(s.shop.shopId, categoryId) }, { token: s.shop.owner.token }), 'createProduct', 'product').id;
    const sale = okPayload(await t.gql(CREATE_FLASH_SALE, { input: { title: '雙12 秒殺', startsAt: iso(HOUR), endsAt: iso(3 * HOUR) } }, { token: ops.token }), 'createFlashSale', 'flashSale');
    await record(s, { kind: 'COUNTERFEIT' });

    const standing = await trust.standing(s.shop.shopId, s.shop.owner.token);
    expect(standing).toMatchObject({ violationPoints: 12, creditScore: 88, standing: 'RESTRICTED', status: 'ACTIVE' });
    expect(standing.restrictedAt).not.toBeNull();
    expect(await standingEvents(s.shop.shopId)).toEqual([{ standing: 'RESTRICTED', points: 12 }]);

    const owner = { token: s.shop.owner.token };
    const refused = async (mutation: string, input: Record<string, unknown>, name: string, object: string, token = owner.token) =>
      failuresOf(await t.gql(mutation, { input }, { token }), name, object);
    const counts = async () => (await t.sql(`select (select count(*) from product where shop_id = ?)::int as products, (select count(*) from promotion where shop_id = ?)::int as promotions,
      (select count(*) from coupon_campaign where shop_id = ?)::int as coupons, (select count(*) from bargain_campaign where shop_id = ?)::int as bargains,
      (select count(*) from group_buy where shop_id = ?)::int as group_buys, (select count(*) from flash_sale_item where shop_id = ?)::int as nominations`, Array(6).fill(keyOf(s.shop.shopId))))[0];
    const before = await counts();

    expect(await refused(CREATE_PRODUCT, productInput(s.shop.shopId, categoryId), 'createProduct', 'product', s.shop.members.OPERATOR!.token)).toEqual([['SHOP_RESTRICTED', 'input.shopId']]);
    expect(await refused(SUBMIT_PRODUCT, { id: draft }, 'submitProductForReview', 'product')).toEqual([['SHOP_RESTRICTED', 'input.id']]);
    const promotion = { shopId: s.shop.shopId, title: '滿200減20', kind: 'AMOUNT_OFF_THRESHOLD', tiers: [{ threshold: '200.00', amountOff: '20.00' }], scope: { all: true }, startsAt: iso(-HOUR), endsAt: iso(7 * DAY) };
    expect(await refused(CREATE_PROMOTION, promotion, 'createPromotion', 'promotion')).toEqual([['SHOP_RESTRICTED', 'input.shopId']]);
    const coupons = { shopId: s.shop.shopId, title: '店鋪券', kind: 'AMOUNT_OFF', amountOff: '10.00', minSubtotal: '100.00', scope: { all: true }, totalQuantity: 100, claimStartsAt: iso(-HOUR), claimEndsAt: iso(7 * DAY), validDays: 7 };
    expect(await refused(CREATE_COUPONS, coupons, 'createCouponCampaign', 'couponCampaign', s.shop.members.MANAGER!.token)).toEqual([['SHOP_RESTRICTED', 'input.shopId']]);
    const variantId = s.product.variantIds[0];
    expect(await refused(CREATE_BARGAIN, { variantId, floorPrice: '60.00', helpersNeeded: 3, hoursToFinish: 24, quantity: 10 }, 'createBargainCampaign', 'bargainCampaign')).toEqual([['SHOP_RESTRICTED', 'input.variantId']]);
    const groupBuy = { productId: s.product.id, variantPrices: [{ variantId, groupPrice: '79.00' }], groupSize: 3, hoursToForm: 24, startsAt: iso(-HOUR), endsAt: iso(30 * DAY) };
    expect(await refused(CREATE_GROUP_BUY, groupBuy, 'createGroupBuy', 'groupBuy')).toEqual([['SHOP_RESTRICTED', 'input.productId']]);
    expect(await refused(NOMINATE, { flashSaleId: sale.id, variantId, salePrice: '59.90', quantity: 5, perUserLimit: 2 }, 'nominateFlashSaleItem', 'flashSaleItem')).toEqual([['SHOP_RESTRICTED', 'input.variantId']]);
    expect(await counts()).toEqual(before);

    // What is on sale stays on sale.
    expect((await t.gql(PRODUCT, { id: s.product.id }, { token: shopper.token })).data!.product.status).toBe('ACTIVE');
  });

  it('suspends the shop at VIOLATION_SUSPEND_POINTS: its products go off sale, each step notified', async () => {
    const s = await freshShop();
    await record(s, { kind: 'COUNTERFEIT' });
    await record(s, { kind: 'PROHIBITED' });
    expect((await trust.standing(s.shop.shopId, risk.token)).standing).toBe('RESTRICTED');
    await record(s, { kind: 'IP_INFRINGEMENT' });

    const standing = await trust.standing(s.shop.shopId, s.shop.owner.token);
    expect(standing).toMatchObject({ violationPoints: 24, creditScore: 76, standing: 'SUSPENDED', status: 'SUSPENDED' });
    expect(standing.statusReason).toMatch(/24 violation points/);
    expect((await t.gql(PRODUCT, { id: s.product.id }, { token: shopper.token })).data!.product).toBeNull();
    expect((await t.sql('select visible from product where id = ?', [keyOf(s.product.id)]))[0].visible).toBe(false);
    expect(await trust.events(s.shop.shopId)).toEqual([
      ['VIOLATION_RECORDED', { kind: 'COUNTERFEIT', points: 12, reason: expect.any(String) }],
      ['SHOP_STANDING_CHANGED', { standing: 'RESTRICTED', points: 12 }],
      ['VIOLATION_RECORDED', { kind: 'PROHIBITED', points: 6, reason: expect.any(String) }],
      ['VIOLATION_RECORDED', { kind: 'IP_INFRINGEMENT', points: 6, reason: expect.any(String) }],
      ['SHOP_STANDING_CHANGED', { standing: 'SUSPENDED', points: 24 }],
    ]);
    const [audit] = await t.sql(`select actor_id::text, after from audit_entry where action = 'shop.suspend' and target_id = ?`, [keyOf(s.shop.shopId)]);
    expect(audit).toMatchObject({ actor_id: risk.user.id, after: { status: 'SUSPENDED' } });

    await dispatchNotifications(t.app.deps, t.orm.em.fork());
    const told = await t.sql(`select user_id::text, title from notification where kind = 'SHOP_STANDING_CHANGED' and link = ? order by id`, [s.shop.shopId]);
    expect(told.filter((n) => n.user_id === s.shop.owner.user.id).map((n) => n.title)).toEqual(['Your shop is restricted: no new listings or campaigns', 'Your shop is suspended']);
    expect(told.some((n) => n.user_id === s.shop.members.OPERATOR!.user.id)).toBe(false);
  });

  it('goes straight to SUSPENDED when one violation crosses both thresholds', async () => {
    const s = await freshShop();
    await record(s, { kind: 'COUNTERFEIT', points: 30 });
    expect(await trust.standing(s.shop.shopId, risk.token)).toMatchObject({ violationPoints: 30, creditScore: 70, standing: 'SUSPENDED', status: 'SUSPENDED' });
    expect(await standingEvents(s.shop.shopId)).toEqual([{ standing: 'SUSPENDED', points: 30 }]);
  });

  it('counts two violations recorded at once, so neither threshold is stepped over', async () => {
    const s = await freshShop();
    const results = await Promise.all([
      trust.record({ shopId: s.shop.shopId, kind: 'COUNTERFEIT' }, risk.token),
      trust.record({ shopId: s.shop.shopId, kind: 'COUNTERFEIT' }, risk.token),
    ]);
    expect(results.map((r) => outcomeOf(r, 'recordShopViolation'))).toEqual(['OK', 'OK']);
    expect(await trust.standing(s.shop.shopId, risk.token)).toMatchObject({ violationPoints: 24, standing: 'SUSPENDED', status: 'SUSPENDED' });
    expect(await standingEvents(s.shop.shopId)).toEqual([
      { standing: 'RESTRICTED', points: 12 },
      { standing: 'SUSPENDED', points: 24 },
    ]);
  });

  it('leaves a shop staff suspended for another reason as staff left it', async () => {
    const s = await freshShop();
    okPayload(await t.gql(SUSPEND, { input: { shopId: s.shop.shopId, reason: 'Licence expired' } }, { token: ops.token }), 'suspendShop', 'shop');
    await record(s, { kind: 'COUNTERFEIT', points: 24 });
    expect(await trust.standing(s.shop.shopId, risk.token)).toMatchObject({ violationPoints: 24, standing: 'RESTRICTED', status: 'SUSPENDED', statusReason: 'Licence expired' });
    expect(await standingEvents(s.shop.shopId)).toEqual([{ standing: 'RESTRICTED', points: 24 }]);
  });

  it('lets staff reinstate a shop suspended for its points; the next violation suspends it again', async () => {
    const s = await freshShop();
    await record(s, { kind: 'COUNTERFEIT', points: 24 });
    okPayload(await t.gql(REINSTATE, { input: { shopId: s.shop.shopId, reason: 'Second chance agreed' } }, { token: ops.token }), 'reinstateShop', 'shop');
    expect(await trust.standing(s.shop.shopId, risk.token)).toMatchObject({ violationPoints: 24, standing: 'RESTRICTED', status: 'ACTIVE' });
    await record(s, { kind: 'OTHER', points: 1 });
    expect(await trust.standing(s.shop.shopId, risk.token)).toMatchObject({ violationPoints: 25, standing: 'SUSPENDED', status: 'SUSPENDED' });
  });
});
