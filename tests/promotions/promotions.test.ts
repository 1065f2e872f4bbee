import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromotionKind, PromotionStatus, ShopMemberRole, StaffRole } from '../../src/entities';
import { promotionBadge, promotionStatus } from '../../src/services/promotions';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { createCategory, userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload } from '../helpers/kit';
import { type Scenario, type ScenarioShop, scenario } from '../helpers/scenario';

/**
 * Promotions (滿減, percent off, bundles, gifts): who may create and cancel them, every input rule,
 * the status read off the business clock and the budget, and who sees what in `promotions`.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const clock = new ManualClock(new Date('2031-06-01T02:00:00.000Z'));

const FIELDS = `id title kind status every stackable badge startsAt endsAt perUserLimit createdAt shop { id }
  maxDiscount { amount } budget { amount } spent { amount }
  tiers { threshold { amount } amountOff { amount } percentOff quantity price { amount } giftVariant { id } }
  scope { all products { id } categories { id } }`;
const CREATE = `mutation($input: PromotionInput!) { createPromotion(input: $input) { promotion { ${FIELDS} } errors { code field message } } }`;
const CANCEL = `mutation($input: IdInput!) { cancelPromotion(input: $input) { promotion { ${FIELDS} } errors { code field message } } }`;
const LIST = `query($filter: PromotionFilter, $first: Int, $after: String) { promotions(filter: $filter, first: $first, after: $after) {
  totalCount nodes { id status budget { amount } spent { amount } } pageInfo { hasNextPage endCursor } } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on Promotion { status title budget { amount } spent { amount } } } }`;

let t: TestApp;
let ops: { token: string; user: { id: string } };
let reviewer: { token: string };
let shopper: { token: string };
/** Shop A, with a product, and every member role. */
let a: Scenario;
let shopA: ScenarioShop;
/** Shop B, with a product. */
let b: Scenario;
let categoryId: string;

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  ops = await staff(t, StaffRole.OPERATIONS);
  reviewer = await staff(t, StaffRole.REVIEWER);
  shopper = await userWithToken(t);
  a = await scenario(t).shop({ members: [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR, ShopMemberRole.CUSTOMER_SERVICE, ShopMemberRole.FINANCE] }).product().run();
  shopA = a.shop;
  b = await scenario(t).shop().product().run();
  categoryId = idOf('Category', (await createCategory(t)).id);
});
afterAll(() => t.close());

const iso = (offset: number) => new Date(clock.now().getTime() + offset).toISOString();

/** A valid 滿200減20 of shop A, live for a week from an hour ago; `overrides` replace fields. */
const promo = (overrides: Record<string, unknown> = {}) => ({
  shopId: shopA.shopId,
  title: '滿200減20',
  kind: 'AMOUNT_OFF_THRESHOLD',
  tiers: [{ threshold: '200.00', amountOff: '20.00' }],
  scope: { all: true },
  startsAt: iso(-HOUR),
  endsAt: iso(7 * DAY),
  ...overrides,
});

/** `token` null: anonymous. */
const create = (input: Record<string, unknown>, token: string | null = shopA.owner.token) => t.gql(CREATE, { input }, { token: token ?? undefined });
const created = async (input: Record<string, unknown> = promo(), token?: string) => okPayload(await create(input, token), 'createPromotion', 'promotion');
const cancel = (id: string, token: string | null = shopA.owner.token) => t.gql(CANCEL, { input: { id } }, { token: token ?? undefined });
const list = async (filter: Record<string, unknown> | null, token?: string, first = 50) => (await t.gql(LIST, { filter, first }, { token })).data!.promotions;
const statusOf = async (id: string, token = shopA.owner.token) => (await t.gql(NODE, { id }, { token })).data!.node?.status;
const count = async () => (await t.sql('select count(*)::int as n from promotion'))[0].n;

describe('createPromotion', () => {
  it('creates a shop’s tiered 滿減: ACTIVE, tiers in money, a badge per tier, stored in minor units', async () => {
    const p = await created(promo({ tiers: [{ threshold: '200', amountOff: '20' }, { threshold: '300.00', amountOff: '50.00' }], scope: { all: false, productIds: [a.product.id], categoryIds: [categoryId] }, perUserLimit: 2, budget: '1000.00' }));
    expect(p).toMatchObject({
      title: '滿200減20',
      kind: 'AMOUNT_OFF_THRESHOLD',
      status: 'ACTIVE',
      every: false,
      stackable: true,
      badge: '滿200減20，滿300減50',
      perUserLimit: 2,
      shop: { id: shopA.shopId },
      maxDiscount: null,
      budget: { amount: '1000.00' },
      spent: { amount: '0.00' },
      createdAt: clock.now().toISOString(),
      scope: { all: false, products: [{ id: a.product.id }], categories: [{ id: categoryId }] },
    });
    expect(p.tiers).toEqual([
      { threshold: { amount: '200.00' }, amountOff: { amount: '20.00' }, percentOff: null, quantity: null, price: null, giftVariant: null },
      { threshold: { amount: '300.00' }, amountOff: { amount: '50.00' }, percentOff: null, quantity: null, price: null, giftVariant: null },
    ]);
    const [row] = await t.sql('select tiers, scope, budget::int, created_by_id::text from promotion where id = ?', [keyOf(p.id)]);
    expect(row).toMatchObject({ tiers: [{ threshold: 20000, amountOff: 2000 }, { threshold: 30000, amountOff: 5000 }], budget: 100000, created_by_id: shopA.owner.user.id });
    expect(row.scope).toEqual({ all: false, productIds: [keyOf(a.product.id)], categoryIds: [keyOf(categoryId)] });
  });

  it('creates each kind with its own numbers: percent off (basis points, capped), a bundle, a gift, every-threshold', async () => {
    const percent = await created(promo({ title: '85折', kind: 'PERCENT_OFF', tiers: [{ percentOff: 15 }], maxDiscount: '50.00', stackable: false }));
    expect(percent).toMatchObject({ badge: '8.5折', stackable: false, maxDiscount: { amount: '50.00' }, tiers: [{ threshold: { amount: '0.00' }, percentOff: 15 }] });
    expect((await t.sql('select tiers from promotion where id = ?', [keyOf(percent.id)]))[0].tiers).toEqual([{ threshold: 0, percentOffBp: 1500 }]);

    const tenOff = await created(promo({ title: '滿100享9折', kind: 'PERCENT_OFF', tiers: [{ threshold: '100', percentOff: 10 }, { threshold: '300', percentOff: 12.5 }] }));
    expect(tenOff.badge).toBe('滿100享9折，滿300享8.75折');

    const bundle = await created(promo({ title: '任選3件99元', kind: 'FIXED_PRICE_BUNDLE', tiers: [{ quantity: 3, price: '99.00' }] }));
    expect(bundle).toMatchObject({ badge: '任選3件99元', tiers: [{ threshold: null, quantity: 3, price: { amount: '99.00' }, amountOff: null }] });

    const gift = await created(promo({ title: '滿300贈品', kind: 'GIFT_WITH_PURCHASE', tiers: [{ threshold: '300', giftVariantId: a.variantIds[0] }] }));
    expect(gift).toMatchObject({ badge: '滿300贈品', tiers: [{ threshold: { amount: '300.00' }, giftVariant: { id: a.variantIds[0] } }] });

    const every = await created(promo({ title: '每滿200減20', every: true, maxDiscount: '100' }));
    expect(every).toMatchObject({ every: true, badge: '每滿200減20', maxDiscount: { amount: '100.00' } });
  });

  it('lets staff OPERATIONS create a platform-wide promotion, of any shop’s products, audited', async () => {
    const p = await created(promo({ shopId: null, title: '全站滿299減30', tiers: [{ threshold: '299', amountOff: '30' }], scope: { all: false, productIds: [a.product.id, b.product.id] } }), ops.token);
    expect(p).toMatchObject({ shop: null, status: 'ACTIVE', badge: '滿299減30', budget: null });
    expect(p.scope.products).toEqual([{ id: a.product.id }, { id: b.product.id }]);
    const [audit] = await t.sql(`select action, actor_id::text, after from audit_entry where target_type = 'Promotion' and target_id = ?`, [keyOf(p.id)]);
    expect(audit).toMatchObject({ action: 'promotion.create', actor_id: ops.user.id, after: { shopId: null, title: '全站滿299減30', kind: 'AMOUNT_OFF_THRESHOLD' } });
  });

  it('is SCHEDULED when its window starts later', async () => {
    expect(await created(promo({ startsAt: iso(DAY), endsAt: iso(2 * DAY) }))).toMatchObject({ status: 'SCHEDULED' });
  });

  it.each([
    ['overlapping thresholds', () => ({ tiers: [{ threshold: '300', amountOff: '30' }, { threshold: '200', amountOff: '50' }] }), 'input.tiers.1'],
    ['overlapping amounts off', () => ({ tiers: [{ threshold: '200', amountOff: '30' }, { threshold: '300', amountOff: '30' }] }), 'input.tiers.1'],
    ['an amount off above the threshold', () => ({ tiers: [{ threshold: '200', amountOff: '201' }] }), 'input.tiers.0.amountOff'],
    ['a negative threshold', () => ({ tiers: [{ threshold: '-200', amountOff: '20' }] }), 'input.tiers.0.threshold'],
    ['a negative amount off', () => ({ tiers: [{ threshold: '200', amountOff: '-20' }] }), 'input.tiers.0.amountOff'],
    ['a gift at a zero threshold', () => ({ kind: 'GIFT_WITH_PURCHASE', tiers: [{ threshold: '0', giftVariantId: a.variantIds[0] }] }), 'input.tiers.0.threshold'],
    ['three decimals', () => ({ tiers: [{ threshold: '200.001', amountOff: '20' }] }), 'input.tiers.0.threshold'],
    ['a field the kind does not use', () => ({ tiers: [{ threshold: '200', amountOff: '20', percentOff: 10 }] }), 'input.tiers.0.percentOff'],
    ['no tier', () => ({ tiers: [] }), 'input.tiers'],
    ['six tiers', () => ({ tiers: [1, 2, 3, 4, 5, 6].map((i) => ({ threshold: `${i * 100}`, amountOff: `${i * 10}` })) }), 'input.tiers'],
    ['percent over 100', () => ({ kind: 'PERCENT_OFF', tiers: [{ percentOff: 120 }] }), 'input.tiers.0.percentOff'],
    ['percent of 100', () => ({ kind: 'PERCENT_OFF', tiers: [{ percentOff: 100 }] }), 'input.tiers.0.percentOff'],
    ['percent of 0', () => ({ kind: 'PERCENT_OFF', tiers: [{ percentOff: 0 }] }), 'input.tiers.0.percentOff'],
    ['percent with three decimals', () => ({ kind: 'PERCENT_OFF', tiers: [{ percentOff: 12.345 }] }), 'input.tiers.0.percentOff'],
    ['overlapping percents', () => ({ kind: 'PERCENT_OFF', tiers: [{ threshold: '100', percentOff: 20 }, { threshold: '200', percentOff: 10 }] }), 'input.tiers.1'],
    ['a bundle of one unit', () => ({ kind: 'FIXED_PRICE_BUNDLE', tiers: [{ quantity: 1, price: '99' }] }), 'input.tiers.0.quantity'],
    ['a bundle with a threshold', () => ({ kind: 'FIXED_PRICE_BUNDLE', tiers: [{ threshold: '10', quantity: 3, price: '99' }] }), 'input.tiers.0.threshold'],
    ['a bundle of two tiers', () => ({ kind: 'FIXED_PRICE_BUNDLE', tiers: [{ quantity: 2, price: '99' }, { quantity: 3, price: '139' }] }), 'input.tiers'],
    ['a gift without its variant', () => ({ kind: 'GIFT_WITH_PURCHASE', tiers: [{ threshold: '300' }] }), 'input.tiers.0.giftVariantId'],
    ['every with two tiers', () => ({ every: true, tiers: [{ threshold: '200', amountOff: '20' }, { threshold: '300', amountOff: '50' }] }), 'input.every'],
    ['a cap on a plain 滿減', () => ({ maxDiscount: '50' }), 'input.maxDiscount'],
    ['a window ending before it starts', () => ({ startsAt: iso(2 * DAY), endsAt: iso(DAY) }), 'input.endsAt'],
    ['a window over already', () => ({ startsAt: iso(-2 * DAY), endsAt: iso(-DAY) }), 'input.endsAt'],
    ['a window of 367 days', () => ({ startsAt: iso(0), endsAt: iso(367 * DAY) }), 'input.endsAt'],
    ['a limit of 0 per shopper', () => ({ perUserLimit: 0 }), 'input.perUserLimit'],
    ['a budget of 0', () => ({ budget: '0' }), 'input.budget'],
    ['a one-character title', () => ({ title: '滿' }), 'input.title'],
    ['a scope of everything listing categories', () => ({ scope: { all: true, categoryIds: [categoryId] } }), 'input.scope'],
    ['an empty scope', () => ({ scope: { all: false } }), 'input.scope'],
  ])('refuses %s with INVALID_INPUT naming the field, storing nothing', async (_what, overrides, field) => {
    const before = await count();
    expect(failuresOf(await create(promo(overrides())), 'createPromotion', 'promotion')).toEqual([['INVALID_INPUT', field]]);
    expect(await count()).toBe(before);
  });

  it('refuses a gift on a platform promotion: platform promotions cannot give gifts', async () => {
    const res = await create(promo({ shopId: null, kind: 'GIFT_WITH_PURCHASE', tiers: [{ threshold: '300', giftVariantId: a.variantIds[0] }] }), ops.token);
    expect(failuresOf(res, 'createPromotion', 'promotion')).toEqual([['INVALID_INPUT', 'input.shopId']]);
  });

  it('refuses another shop’s product in the scope, another shop’s gift, and an unknown category', async () => {
    const before = await count();
    const product = await create(promo({ scope: { all: false, productIds: [a.product.id, b.product.id] } }));
    expect(failuresOf(product, 'createPromotion', 'promotion')).toEqual([['INVALID_INPUT', 'input.scope.productIds.1']]);
    const gift = await create(promo({ kind: 'GIFT_WITH_PURCHASE', tiers: [{ threshold: '300', giftVariantId: b.variantIds[0] }] }));
    expect(failuresOf(gift, 'createPromotion', 'promotion')).toEqual([['INVALID_INPUT', 'input.tiers.0.giftVariantId']]);
    const category = await create(promo({ scope: { all: false, categoryIds: [idOf('Category', '987654321')] } }));
    expect(failuresOf(category, 'createPromotion', 'promotion')).toEqual([['CATEGORY_NOT_FOUND', 'input.scope.categoryIds']]);
    expect(await count()).toBe(before);
  });

  it('lets the MANAGER and OPERATOR create one; refuses the other roles, shoppers, other shops and staff without OPERATIONS', async () => {
    for (const role of [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR]) await created(promo(), shopA.members[role]!.token);
    const before = await count();
    expect(code(await create(promo(), null))).toBe('UNAUTHENTICATED');
    expect(code(await create(promo(), shopA.members.CUSTOMER_SERVICE!.token))).toBe('FORBIDDEN');
    expect(code(await create(promo(), shopA.members.FINANCE!.token))).toBe('FORBIDDEN');
    expect(code(await create(promo(), shopper.token))).toBe('NOT_FOUND');
    expect(code(await create(promo(), b.shop.owner.token))).toBe('NOT_FOUND');
    // Staff act for the platform, not inside a shop.
    expect(code(await create(promo(), ops.token))).toBe('NOT_FOUND');
    for (const token of [shopper.token, shopA.owner.token, reviewer.token]) expect(code(await create(promo({ shopId: null }), token))).toBe('FORBIDDEN');
    expect(await count()).toBe(before);
  });

  it('refuses a shop that is not ACTIVE with SHOP_NOT_ACTIVE', async () => {
    const suspended = (await scenario(t).shop({ status: 'SUSPENDED' }).run()).shop;
    const res = await create(promo({ shopId: suspended.shopId }), suspended.owner.token);
    expect(failuresOf(res, 'createPromotion', 'promotion')).toEqual([['SHOP_NOT_ACTIVE', 'input.shopId']]);
  });
});

describe('cancelPromotion', () => {
  it('lets the shop cancel a live promotion once: CANCELLED, then INVALID_TRANSITION', async () => {
    const p = await created();
    expect(okPayload(await cancel(p.id), 'cancelPromotion', 'promotion')).toMatchObject({ id: p.id, status: 'CANCELLED' });
    expect(failuresOf(await cancel(p.id), 'cancelPromotion', 'promotion')).toEqual([['INVALID_TRANSITION', '']]);
    expect((await t.sql('select cancelled_at from promotion where id = ?', [keyOf(p.id)]))[0].cancelled_at).not.toBeNull();
  });

  it('refuses an ENDED promotion with INVALID_TRANSITION', async () => {
    const p = await created();
    await t.sql('update promotion set starts_at = ?, ends_at = ? where id = ?', [iso(-3 * DAY), iso(-DAY), keyOf(p.id)]);
    expect(failuresOf(await cancel(p.id), 'cancelPromotion', 'promotion')).toEqual([['INVALID_TRANSITION', '']]);
  });

  it('lets staff OPERATIONS cancel a shop’s promotion and the platform’s, audited', async () => {
    const p = await created(promo({ startsAt: iso(DAY), endsAt: iso(2 * DAY) }));
    expect(okPayload(await cancel(p.id, ops.token), 'cancelPromotion', 'promotion').status).toBe('CANCELLED');
    const [audit] = await t.sql(`select action, before, after from audit_entry where target_type = 'Promotion' and target_id = ?`, [keyOf(p.id)]);
    expect(audit).toMatchObject({ action: 'promotion.cancel', before: { status: 'SCHEDULED' }, after: { status: 'CANCELLED' } });
    const platform = await created(promo({ shopId: null }), ops.token);
    expect(okPayload(await cancel(platform.id, ops.token), 'cancelPromotion', 'promotion').status).toBe('CANCELLED');
  });

  it('hides a promotion from other shops, shoppers and staff without OPERATIONS (NOT_FOUND), refuses other roles of the shop (FORBIDDEN)', async () => {
    const p = await created();
    const platform = await created(promo({ shopId: null }), ops.token);
    expect(code(await cancel(p.id, null))).toBe('UNAUTHENTICATED');
    expect(code(await cancel(p.id, b.shop.owner.token))).toBe('NOT_FOUND');
    expect(code(await cancel(p.id, shopper.token))).toBe('NOT_FOUND');
    expect(code(await cancel(p.id, reviewer.token))).toBe('NOT_FOUND');
    expect(code(await cancel(p.id, shopA.members.CUSTOMER_SERVICE!.token))).toBe('FORBIDDEN');
    expect(code(await cancel(platform.id, shopA.owner.token))).toBe('NOT_FOUND');
    expect(code(await cancel(idOf('Promotion', '987654321'), ops.token))).toBe('NOT_FOUND');
    expect(await statusOf(p.id)).toBe('ACTIVE');
    expect(await statusOf(platform.id, ops.token)).toBe('ACTIVE');
  });
});

describe('status and visibility', () => {
  it('moves SCHEDULED → ACTIVE → ENDED with the clock, and shows shoppers only the ACTIVE time', async () => {
    const p = await created(promo({ startsAt: iso(DAY), endsAt: iso(3 * DAY) }));
    expect(await statusOf(p.id)).toBe('SCHEDULED');
    expect((await t.gql(NODE, { id: p.id }, { token: shopper.token })).data!.node).toBeNull();
    clock.advance(DAY);
    expect(await statusOf(p.id)).toBe('ACTIVE');
    expect((await t.gql(NODE, { id: p.id })).data!.node).toMatchObject({ status: 'ACTIVE', budget: null, spent: null });
    clock.advance(2 * DAY);
    expect(await statusOf(p.id)).toBe('ENDED');
    expect((await t.gql(NODE, { id: p.id }, { token: shopper.token })).data!.node).toBeNull();
  });

  it('ENDS a promotion whose budget is spent', async () => {
    const p = await created(promo({ budget: '100.00' }));
    await t.sql('update promotion set spent = 9999 where id = ?', [keyOf(p.id)]);
    expect(await statusOf(p.id)).toBe('ACTIVE');
    await t.sql('update promotion set spent = 10000 where id = ?', [keyOf(p.id)]);
    expect(await statusOf(p.id)).toBe('ENDED');
    expect((await list({ shopId: shopA.shopId, status: 'ENDED' }, shopA.owner.token)).nodes.map((n: { id: string }) => n.id)).toContain(p.id);
    expect((await list({ shopId: shopA.shopId, status: 'ACTIVE' }, shopA.owner.token)).nodes.map((n: { id: string }) => n.id)).not.toContain(p.id);
  });

  it('lists ACTIVE promotions to shoppers and anonymous callers, every state to the shop’s members and staff OPERATIONS', async () => {
    const s = await scenario(t).shop({ members: [ShopMemberRole.FINANCE] }).run();
    const input = (overrides: Record<string, unknown>) => promo({ shopId: s.shop.shopId, ...overrides });
    const live = await created(input({ budget: '500' }), s.shop.owner.token);
    const scheduled = await created(input({ startsAt: iso(DAY), endsAt: iso(2 * DAY) }), s.shop.owner.token);
    const cancelled = await created(input({}), s.shop.owner.token);
    okPayload(await cancel(cancelled.id, s.shop.owner.token), 'cancelPromotion', 'promotion');
    const ids = (page: { nodes: { id: string }[] }) => page.nodes.map((n) => n.id);

    for (const token of [undefined, shopper.token, shopA.owner.token, reviewer.token]) {
      const publicView = await list({ shopId: s.shop.shopId }, token);
      expect(ids(publicView)).toEqual([live.id]);
      expect(publicView.nodes[0].status).toBe('ACTIVE');
      expect((await list({ shopId: s.shop.shopId, status: 'SCHEDULED' }, token)).totalCount).toBe(0);
    }
    // Budget and spend are the shop's and staff's to see: staff other than OPERATIONS see them, not the unpublished promotions.
    for (const token of [undefined, shopper.token, shopA.owner.token]) expect((await list({ shopId: s.shop.shopId }, token)).nodes[0]).toMatchObject({ budget: null, spent: null });
    expect((await list({ shopId: s.shop.shopId }, reviewer.token)).nodes[0].budget).toEqual({ amount: '500.00' });
    for (const token of [s.shop.owner.token, s.shop.members.FINANCE!.token, ops.token]) {
      const all = await list({ shopId: s.shop.shopId }, token);
      expect(ids(all)).toEqual([cancelled.id, scheduled.id, live.id]);
      expect(all.nodes.map((n: { status: string }) => n.status)).toEqual(['CANCELLED', 'SCHEDULED', 'ACTIVE']);
      expect(all.nodes[2]).toMatchObject({ budget: { amount: '500.00' }, spent: { amount: '0.00' } });
      expect(ids(await list({ shopId: s.shop.shopId, status: 'SCHEDULED' }, token))).toEqual([scheduled.id]);
    }
    // Keyset pages, newest first.
    const first = (await t.gql(LIST, { filter: { shopId: s.shop.shopId }, first: 2 }, { token: s.shop.owner.token })).data!.promotions;
    expect(ids(first)).toEqual([cancelled.id, scheduled.id]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = (await t.gql(LIST, { filter: { shopId: s.shop.shopId }, first: 2, after: first.pageInfo.endCursor }, { token: s.shop.owner.token })).data!.promotions;
    expect(ids(next)).toEqual([live.id]);
    expect(next.pageInfo.hasNextPage).toBe(false);
    // A suspended shop's promotions leave the public list.
    await t.sql(`update shop set status = 'SUSPENDED' where id = ?`, [s.shop.shop.id]);
    expect((await list({ shopId: s.shop.shopId }, shopper.token)).totalCount).toBe(0);
    expect((await list({ kind: 'AMOUNT_OFF_THRESHOLD' }, shopper.token)).nodes.map((n: { id: string }) => n.id)).not.toContain(live.id);
  });
});

describe('promotionStatus and promotionBadge', () => {
  const at = (iso: string) => new Date(iso);
  const window = { startsAt: at('2031-01-10T00:00:00Z'), endsAt: at('2031-01-20T00:00:00Z'), budget: null, spent: 0, cancelledAt: null };

  it('reads the status off the clock, the budget and the cancellation', () => {
    expect(promotionStatus(window, at('2031-01-09T23:59:59.999Z'))).toBe(PromotionStatus.SCHEDULED);
    expect(promotionStatus(window, at('2031-01-10T00:00:00Z'))).toBe(PromotionStatus.ACTIVE);
    expect(promotionStatus(window, at('2031-01-20T00:00:00Z'))).toBe(PromotionStatus.ENDED);
    expect(promotionStatus({ ...window, budget: 100, spent: 100 }, at('2031-01-15T00:00:00Z'))).toBe(PromotionStatus.ENDED);
    expect(promotionStatus({ ...window, cancelledAt: at('2031-01-11T00:00:00Z') }, at('2031-01-25T00:00:00Z'))).toBe(PromotionStatus.CANCELLED);
  });

  it('labels tiers in the major unit without trailing zeros', () => {
    const { AMOUNT_OFF_THRESHOLD, PERCENT_OFF, FIXED_PRICE_BUNDLE } = PromotionKind;
    expect(promotionBadge({ kind: AMOUNT_OFF_THRESHOLD, every: false, tiers: [{ threshold: 19990, amountOff: 1050 }] }, 'CNY')).toBe('滿199.9減10.5');
    expect(promotionBadge({ kind: PERCENT_OFF, every: false, tiers: [{ threshold: 0, percentOffBp: 1000 }] }, 'CNY')).toBe('9折');
    expect(promotionBadge({ kind: FIXED_PRICE_BUNDLE, every: false, tiers: [{ threshold: 0, quantity: 2, price: 5000 }] }, 'JPY')).toBe('任選2件5000 JPY');
  });
});
