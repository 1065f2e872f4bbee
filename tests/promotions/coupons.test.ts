import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { PASSWORD, uniqueEmail, userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { type Scenario, type ScenarioShop, scenario } from '../helpers/scenario';

/**
 * Coupon campaigns and the coupons shoppers hold: who may create and end campaigns, every input
 * rule, claiming by ID and by code with each refusal, race-safe quantities and per-shopper limits,
 * what shoppers see, new-user coupons granted at registration, and `expire-coupons`.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const clock = new ManualClock(new Date('2031-07-01T02:00:00.000Z'));

const CAMPAIGN_FIELDS = `id title kind status code autoGrant audience memberLevel totalQuantity claimed remaining perUserLimit
  claimStartsAt claimEndsAt validDays validUntil createdAt shop { id }
  amountOff { amount } percentOff maxDiscount { amount } minSubtotal { amount } scope { all products { id } categories { id } }`;
const COUPON_FIELDS = `id title kind status usable claimedAt validFrom validUntil usedAt shop { id } campaign { id claimed remaining code }`;
const CREATE = `mutation($input: CouponCampaignInput!) { createCouponCampaign(input: $input) { couponCampaign { ${CAMPAIGN_FIELDS} } errors { code field message } } }`;
const END = `mutation($input: IdInput!) { endCouponCampaign(input: $input) { couponCampaign { ${CAMPAIGN_FIELDS} } errors { code field message } } }`;
const CLAIM = `mutation($input: ClaimCouponInput!) { claimCoupon(input: $input) { userCoupon { ${COUPON_FIELDS} } errors { code field message } } }`;
const CAMPAIGNS = `query($filter: CouponCampaignFilter, $first: Int, $after: String) { couponCampaigns(filter: $filter, first: $first, after: $after) {
  totalCount nodes { id status code } pageInfo { hasNextPage endCursor } } }`;
const MY_COUPONS = `query($filter: MyCouponsFilter, $first: Int, $after: String) { myCoupons(filter: $filter, first: $first, after: $after) {
  totalCount nodes { id usable status campaign { id } } pageInfo { hasNextPage endCursor } } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on UserCoupon { status } ... on CouponCampaign { title code } } }`;
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } errors { code field } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let admin: { token: string };
let ops: { token: string; user: { id: string } };
let reviewer: { token: string };
let shopper: { token: string; user: { id: string } };
/** Shop A, with a product and every member role. */
let a: Scenario;
let shopA: ScenarioShop;
/** Shop B, with a product. */
let b: Scenario;

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  ops = await staff(t, StaffRole.OPERATIONS);
  reviewer = await staff(t, StaffRole.REVIEWER);
  shopper = await userWithToken(t);
  a = await scenario(t).shop({ members: [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR, ShopMemberRole.CUSTOMER_SERVICE] }).product().run();
  shopA = a.shop;
  b = await scenario(t).shop().product().run();
});
afterAll(() => t.close());

const iso = (offset: number) => new Date(clock.now().getTime() + offset).toISOString();

/** A valid 10-off-100 coupon campaign of shop A, claimable for a week; `overrides` replace fields. */
const campaign = (overrides: Record<string, unknown> = {}) => ({
  shopId: shopA.shopId,
  title: '店鋪券 滿100減10',
  kind: 'AMOUNT_OFF',
  amountOff: '10.00',
  minSubtotal: '100.00',
  scope: { all: true },
  totalQuantity: 100,
  claimStartsAt: iso(-HOUR),
  claimEndsAt: iso(7 * DAY),
  validDays: 7,
  ...overrides,
});

/** `token` null: anonymous. */
const create = (input: Record<string, unknown>, token: string | null = shopA.owner.token) => t.gql(CREATE, { input }, { token: token ?? undefined });
const created = async (input: Record<string, unknown> = campaign(), token?: string) => okPayload(await create(input, token), 'createCouponCampaign', 'couponCampaign');
const end = (id: string, token: string | null = shopA.owner.token) => t.gql(END, { input: { id } }, { token: token ?? undefined });
const claim = (input: Record<string, unknown>, token: string | null = shopper.token) => t.gql(CLAIM, { input }, { token: token ?? undefined });
const claimed = async (input: Record<string, unknown>, token?: string) => okPayload(await claim(input, token), 'claimCoupon', 'userCoupon');
const claimFailure = async (input: Record<string, unknown>, token?: string) => failuresOf(await claim(input, token), 'claimCoupon', 'userCoupon');
const campaigns = async (filter: Record<string, unknown> | null, token?: string) => (await t.gql(CAMPAIGNS, { filter, first: 100 }, { token })).data!.couponCampaigns;
const ids = (page: { nodes: { id: string }[] }) => page.nodes.map((n) => n.id);
const count = async (table: string) => (await t.sql(`select count(*)::int as n from ${table}`))[0].n;
const runTask = async (name: string): Promise<string> => okPayload(await t.gql(RUN, { input: { name } }, { token: admin.token }), 'runScheduledTask').task.lastResult;

describe('createCouponCampaign', () => {
  it('creates a shop’s AMOUNT_OFF campaign: CLAIMABLE, nothing claimed, amounts in money', async () => {
    const c = await created(campaign({ scope: { all: false, productIds: [a.product.id] } }));
    expect(c).toMatchObject({
      title: '店鋪券 滿100減10',
      kind: 'AMOUNT_OFF',
      status: 'CLAIMABLE',
      shop: { id: shopA.shopId },
      amountOff: { amount: '10.00' },
      percentOff: null,
      maxDiscount: null,
      minSubtotal: { amount: '100.00' },
      totalQuantity: 100,
      claimed: 0,
      remaining: 100,
      perUserLimit: 1,
      validDays: 7,
      validUntil: null,
      audience: 'ALL',
      memberLevel: null,
      code: null,
      autoGrant: false,
      createdAt: clock.now().toISOString(),
      scope: { all: false, products: [{ id: a.product.id }], categories: [] },
    });
    const [row] = await t.sql('select amount_off::int, min_subtotal::int, percent_off_bp from coupon_campaign where id = ?', [keyOf(c.id)]);
    expect(row).toEqual({ amount_off: 1000, min_subtotal: 10000, percent_off_bp: null });
  });

  it('creates PERCENT_OFF (capped) and FREE_SHIPPING campaigns, and a code stored upper-case for the shop’s eyes', async () => {
    const percent = await created(campaign({ kind: 'PERCENT_OFF', amountOff: null, percentOff: 12.5, maxDiscount: '30', validDays: null, validUntil: iso(30 * DAY) }));
    expect(percent).toMatchObject({ percentOff: 12.5, maxDiscount: { amount: '30.00' }, amountOff: null, validDays: null, validUntil: iso(30 * DAY) });
    expect((await t.sql('select percent_off_bp from coupon_campaign where id = ?', [keyOf(percent.id)]))[0].percent_off_bp).toBe(1250);
    const shipping = await created(campaign({ kind: 'FREE_SHIPPING', amountOff: null, minSubtotal: null }));
    expect(shipping).toMatchObject({ kind: 'FREE_SHIPPING', amountOff: null, minSubtotal: { amount: '0.00' } });
    const coded = await created(campaign({ code: 'summer-2031' }), shopA.members.MANAGER!.token);
    expect(coded.code).toBe('SUMMER-2031');
  });

  it('lets staff OPERATIONS create a platform coupon, audited', async () => {
    const c = await created(campaign({ shopId: null, title: '平台券', scope: { all: false, productIds: [a.product.id, b.product.id] } }), ops.token);
    expect(c).toMatchObject({ shop: null, status: 'CLAIMABLE' });
    const [audit] = await t.sql(`select action, actor_id::text from audit_entry where target_type = 'CouponCampaign' and target_id = ?`, [keyOf(c.id)]);
    expect(audit).toEqual({ action: 'couponCampaign.create', actor_id: ops.user.id });
  });

  it.each([
    ['an AMOUNT_OFF coupon without its amount', () => ({ amountOff: null }), 'input.amountOff'],
    ['an amount off above the minimum spend', () => ({ amountOff: '101' }), 'input.amountOff'],
    ['a negative amount off', () => ({ amountOff: '-10' }), 'input.amountOff'],
    ['a percent on an AMOUNT_OFF coupon', () => ({ percentOff: 10 }), 'input.percentOff'],
    ['a cap on an AMOUNT_OFF coupon', () => ({ maxDiscount: '10' }), 'input.maxDiscount'],
    ['a percent of 100', () => ({ kind: 'PERCENT_OFF', amountOff: null, percentOff: 100 }), 'input.percentOff'],
    ['a percent of 0', () => ({ kind: 'PERCENT_OFF', amountOff: null, percentOff: 0 }), 'input.percentOff'],
    ['an amount on a FREE_SHIPPING coupon', () => ({ kind: 'FREE_SHIPPING' }), 'input.amountOff'],
    ['both validDays and validUntil', () => ({ validUntil: iso(30 * DAY) }), 'input.validDays'],
    ['neither validDays nor validUntil', () => ({ validDays: null }), 'input.validDays'],
    ['0 days of validity', () => ({ validDays: 0 }), 'input.validDays'],
    ['a validity ending before claiming opens', () => ({ validDays: null, claimStartsAt: iso(DAY), validUntil: iso(HOUR) }), 'input.validUntil'],
    ['no coupons', () => ({ totalQuantity: 0 }), 'input.totalQuantity'],
    ['a limit of 101 per shopper', () => ({ perUserLimit: 101 }), 'input.perUserLimit'],
    ['a claim window ending before it opens', () => ({ claimStartsAt: iso(2 * DAY), claimEndsAt: iso(DAY) }), 'input.claimEndsAt'],
    ['a MEMBER_LEVEL campaign without its level', () => ({ audience: 'MEMBER_LEVEL' }), 'input.memberLevel'],
    ['a member level for everyone', () => ({ memberLevel: 2 }), 'input.memberLevel'],
    ['a member level of 21', () => ({ audience: 'MEMBER_LEVEL', memberLevel: 21 }), 'input.memberLevel'],
    ['a code of three characters', () => ({ code: 'ABC' }), 'input.code'],
    ['a code with a space', () => ({ code: 'NEW USER' }), 'input.code'],
    ['autoGrant for everyone', () => ({ autoGrant: true }), 'input.autoGrant'],
    ['an empty scope', () => ({ scope: { all: false } }), 'input.scope'],
  ])('refuses %s with INVALID_INPUT naming the field, storing nothing', async (_what, overrides, field) => {
    const before = await count('coupon_campaign');
    expect(failuresOf(await create(campaign(overrides())), 'createCouponCampaign', 'couponCampaign')).toEqual([['INVALID_INPUT', field]]);
    expect(await count('coupon_campaign')).toBe(before);
  });

  it('refuses a code another campaign uses, in any case, with INVALID_INPUT on the code', async () => {
    await created(campaign({ code: 'DUP-CODE-1' }));
    const before = await count('coupon_campaign');
    const same = await create(campaign({ code: 'dup-code-1' }));
    expect(failuresOf(same, 'createCouponCampaign', 'couponCampaign')).toEqual([['INVALID_INPUT', 'input.code']]);
    const other = await create(campaign({ shopId: b.shop.shopId, code: 'Dup-Code-1' }), b.shop.owner.token);
    expect(failuresOf(other, 'createCouponCampaign', 'couponCampaign')).toEqual([['INVALID_INPUT', 'input.code']]);
    expect(await count('coupon_campaign')).toBe(before);
  });

  it('refuses another shop’s product in the scope', async () => {
    const res = await create(campaign({ scope: { all: false, productIds: [b.product.id] } }));
    expect(failuresOf(res, 'createCouponCampaign', 'couponCampaign')).toEqual([['INVALID_INPUT', 'input.scope.productIds.0']]);
  });

  it('lets the MANAGER and OPERATOR create one; refuses other roles, shoppers, other shops and staff without OPERATIONS', async () => {
    for (const role of [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR]) await created(campaign(), shopA.members[role]!.token);
    const before = await count('coupon_campaign');
    expect(code(await create(campaign(), null))).toBe('UNAUTHENTICATED');
    expect(code(await create(campaign(), shopA.members.CUSTOMER_SERVICE!.token))).toBe('FORBIDDEN');
    expect(code(await create(campaign(), shopper.token))).toBe('NOT_FOUND');
    expect(code(await create(campaign(), b.shop.owner.token))).toBe('NOT_FOUND');
    expect(code(await create(campaign(), ops.token))).toBe('NOT_FOUND');
    for (const token of [shopper.token, shopA.owner.token, reviewer.token]) expect(code(await create(campaign({ shopId: null }), token))).toBe('FORBIDDEN');
    expect(await count('coupon_campaign')).toBe(before);
  });
});

describe('endCouponCampaign', () => {
  it('stops claiming at once, keeps claimed coupons usable, and refuses a second end with INVALID_TRANSITION', async () => {
    const c = await created();
    const coupon = await claimed({ campaignId: c.id });
    expect(okPayload(await end(c.id), 'endCouponCampaign', 'couponCampaign')).toMatchObject({ status: 'ENDED', claimed: 1 });
    expect(await claimFailure({ campaignId: c.id }, (await userWithToken(t)).token)).toEqual([['COUPON_EXPIRED', '']]);
    expect((await t.gql(NODE, { id: coupon.id }, { token: shopper.token })).data!.node).toEqual({ id: coupon.id, status: 'AVAILABLE' });
    expect(failuresOf(await end(c.id), 'endCouponCampaign', 'couponCampaign')).toEqual([['INVALID_TRANSITION', '']]);
  });

  it('lets staff OPERATIONS end a shop’s campaign, audited', async () => {
    const c = await created();
    expect(okPayload(await end(c.id, ops.token), 'endCouponCampaign', 'couponCampaign').status).toBe('ENDED');
    const [audit] = await t.sql(`select action, after from audit_entry where target_type = 'CouponCampaign' and target_id = ?`, [keyOf(c.id)]);
    expect(audit).toMatchObject({ action: 'couponCampaign.end', after: { status: 'ENDED' } });
  });

  it('hides a campaign from other shops, shoppers and staff without OPERATIONS (NOT_FOUND), refuses other roles of the shop (FORBIDDEN)', async () => {
    const c = await created();
    const platform = await created(campaign({ shopId: null }), ops.token);
    expect(code(await end(c.id, null))).toBe('UNAUTHENTICATED');
    for (const token of [b.shop.owner.token, shopper.token, reviewer.token]) expect(code(await end(c.id, token))).toBe('NOT_FOUND');
    expect(code(await end(c.id, shopA.members.CUSTOMER_SERVICE!.token))).toBe('FORBIDDEN');
    expect(code(await end(platform.id, shopA.owner.token))).toBe('NOT_FOUND');
    expect((await t.sql('select count(*)::int as n from coupon_campaign where ended_at is not null and id in (?, ?)', [keyOf(c.id), keyOf(platform.id)]))[0].n).toBe(0);
  });
});

describe('claimCoupon', () => {
  it('claims a coupon valid from now for the campaign’s days, counted on the campaign', async () => {
    const c = await created(campaign({ perUserLimit: 2 }));
    const coupon = await claimed({ campaignId: c.id });
    expect(coupon).toMatchObject({
      title: '店鋪券 滿100減10',
      kind: 'AMOUNT_OFF',
      status: 'AVAILABLE',
      usable: true,
      claimedAt: clock.now().toISOString(),
      validFrom: clock.now().toISOString(),
      validUntil: iso(7 * DAY),
      usedAt: null,
      shop: { id: shopA.shopId },
      campaign: { id: c.id, claimed: 1, remaining: 99, code: null },
    });
    const fixed = await created(campaign({ validDays: null, validUntil: iso(20 * DAY) }));
    expect((await claimed({ campaignId: fixed.id })).validUntil).toBe(iso(20 * DAY));
  });

  it('claims a code campaign by its code in any case, never by its ID; an unknown code or campaign is NOT_FOUND', async () => {
    const c = await created(campaign({ code: 'WELCOME-A1' }));
    expect(code(await claim({ campaignId: c.id }))).toBe('NOT_FOUND');
    const coupon = await claimed({ code: ' welcome-a1 ' });
    // The holder does not learn the campaign's code from the coupon.
    expect(coupon.campaign).toMatchObject({ id: c.id, claimed: 1, code: null });
    expect(code(await claim({ code: 'NO-SUCH-CODE' }))).toBe('NOT_FOUND');
    expect(code(await claim({ campaignId: idOf('CouponCampaign', '987654321') }))).toBe('NOT_FOUND');
  });

  it('takes exactly one of campaignId and code (INVALID_INPUT), and a signed-in shopper (UNAUTHENTICATED)', async () => {
    const c = await created(campaign({ code: 'BOTH-GIVEN' }));
    expect(await claimFailure({ campaignId: c.id, code: 'BOTH-GIVEN' })).toEqual([['INVALID_INPUT', 'input.campaignId']]);
    expect(await claimFailure({})).toEqual([['INVALID_INPUT', 'input.campaignId']]);
    expect(code(await claim({ code: 'BOTH-GIVEN' }, null))).toBe('UNAUTHENTICATED');
  });

  it('refuses a shopper holding perUserLimit coupons already, used or not: COUPON_LIMIT_REACHED', async () => {
    const c = await created();
    const coupon = await claimed({ campaignId: c.id });
    await t.sql(`update user_coupon set status = 'USED', used_at = now() where id = ?`, [keyOf(coupon.id)]);
    expect(await claimFailure({ campaignId: c.id })).toEqual([['COUPON_LIMIT_REACHED', '']]);
  });

  it('refuses a claim when every coupon is taken: COUPON_SOLD_OUT', async () => {
    const c = await created(campaign({ totalQuantity: 1 }));
    await claimed({ campaignId: c.id });
    expect(await claimFailure({ campaignId: c.id }, (await userWithToken(t)).token)).toEqual([['COUPON_SOLD_OUT', '']]);
  });

  it('refuses a claim before the claim window and after it: COUPON_EXPIRED', async () => {
    const later = await created(campaign({ claimStartsAt: iso(DAY), claimEndsAt: iso(2 * DAY) }));
    expect(await claimFailure({ campaignId: later.id })).toEqual([['COUPON_EXPIRED', '']]);
    const soon = await created(campaign({ claimEndsAt: iso(HOUR) }));
    clock.advance(HOUR);
    expect(await claimFailure({ campaignId: soon.id })).toEqual([['COUPON_EXPIRED', '']]);
  });

  it('refuses new-user coupons after a paid order, member-level coupons to level-0 shoppers, and a shop not trading: COUPON_NOT_APPLICABLE', async () => {
    const newUsers = await created(campaign({ audience: 'NEW_USERS' }));
    const buyer = (await scenario(t).shop(shopA).product().buyer().inCart(1).paid().run()).buyer;
    expect(await claimFailure({ campaignId: newUsers.id }, buyer.token)).toEqual([['COUPON_NOT_APPLICABLE', '']]);
    expect((await claimed({ campaignId: newUsers.id })).status).toBe('AVAILABLE');

    const members = await created(campaign({ audience: 'MEMBER_LEVEL', memberLevel: 1 }));
    expect(await claimFailure({ campaignId: members.id })).toEqual([['COUPON_NOT_APPLICABLE', '']]);

    const s = await scenario(t).shop().run();
    const closing = await created(campaign({ shopId: s.shop.shopId }), s.shop.owner.token);
    await t.sql(`update shop set status = 'SUSPENDED' where id = ?`, [s.shop.shop.id]);
    expect(await claimFailure({ campaignId: closing.id })).toEqual([['COUPON_NOT_APPLICABLE', '']]);
  });

  it('lets exactly 10 of 50 shoppers claiming at once take the 10 coupons; the rest are COUPON_SOLD_OUT', async () => {
    const c = await created(campaign({ totalQuantity: 10 }));
    const shoppers = await Promise.all(Array.from({ length: 50 }, () => userWithToken(t)));
    const outcomes = await Promise.all(shoppers.map((s) => claim({ campaignId: c.id }, s.token).then((res) => outcomeOf(res, 'claimCoupon'))));
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'COUPON_SOLD_OUT')).toHaveLength(40);
    const [row] = await t.sql('select claimed, (select count(*)::int from user_coupon where campaign_id = c.id) as coupons from coupon_campaign c where id = ?', [keyOf(c.id)]);
    expect(row).toEqual({ claimed: 10, coupons: 10 });
  });

  it('lets one shopper firing 10 claims at once hold exactly perUserLimit (2) coupons', async () => {
    const c = await created(campaign({ perUserLimit: 2 }));
    const claimer = await userWithToken(t);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => claim({ campaignId: c.id }, claimer.token).then((res) => outcomeOf(res, 'claimCoupon'))));
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'COUPON_LIMIT_REACHED')).toHaveLength(8);
    const [row] = await t.sql('select claimed, (select count(*)::int from user_coupon where campaign_id = c.id and user_id = ?) as coupons from coupon_campaign c where id = ?', [claimer.user.id, keyOf(c.id)]);
    expect(row).toEqual({ claimed: 2, coupons: 2 });
  });
});

describe('couponCampaigns', () => {
  it('shows shoppers only what they can claim now, never code campaigns; the shop’s members and staff OPERATIONS see every one with its code', async () => {
    const s = await scenario(t).shop({ members: [ShopMemberRole.CUSTOMER_SERVICE] }).run();
    const mine = (overrides: Record<string, unknown>) => created(campaign({ shopId: s.shop.shopId, ...overrides }), s.shop.owner.token);
    const open = await mine({});
    const coded = await mine({ code: `VIP-${keyOf(s.shop.shopId)}` });
    const upcoming = await mine({ claimStartsAt: iso(DAY), claimEndsAt: iso(2 * DAY) });
    const soldOut = await mine({ totalQuantity: 1 });
    await claimed({ campaignId: soldOut.id });
    const ended = await mine({});
    okPayload(await end(ended.id, s.shop.owner.token), 'endCouponCampaign', 'couponCampaign');

    for (const token of [undefined, shopper.token, shopA.owner.token, reviewer.token]) {
      expect(ids(await campaigns({ shopId: s.shop.shopId }, token))).toEqual([open.id]);
      expect(ids(await campaigns({ shopId: s.shop.shopId, claimable: true }, token))).toEqual([open.id]);
      expect((await campaigns({ shopId: s.shop.shopId, claimable: false }, token)).totalCount).toBe(0);
      expect(ids(await campaigns(null, token))).not.toContain(coded.id);
    }
    expect((await t.gql(NODE, { id: coded.id }, { token: shopper.token })).data!.node).toBeNull();
    for (const token of [s.shop.owner.token, s.shop.members.CUSTOMER_SERVICE!.token, ops.token]) {
      const all = await campaigns({ shopId: s.shop.shopId }, token);
      expect(ids(all)).toEqual([ended.id, soldOut.id, upcoming.id, coded.id, open.id]);
      expect(all.nodes.map((n: { status: string }) => n.status)).toEqual(['ENDED', 'SOLD_OUT', 'UPCOMING', 'CLAIMABLE', 'CLAIMABLE']);
      expect(all.nodes[3].code).toBe(`VIP-${keyOf(s.shop.shopId)}`);
      expect(ids(await campaigns({ shopId: s.shop.shopId, claimable: false }, token))).toEqual([ended.id, soldOut.id, upcoming.id]);
    }
    expect((await t.gql(NODE, { id: coded.id }, { token: s.shop.owner.token })).data!.node).toMatchObject({ code: `VIP-${keyOf(s.shop.shopId)}` });
  });
});

describe('myCoupons and expire-coupons', () => {
  it('splits the coupons by whether they can be used now, and expire-coupons retires those past their validity', async () => {
    const holder = await userWithToken(t);
    const short = await created(campaign({ validDays: 1 }));
    const long = await created(campaign({ validDays: 30 }));
    const shortCoupon = await claimed({ campaignId: short.id }, holder.token);
    const longCoupon = await claimed({ campaignId: long.id }, holder.token);
    const mine = async (filter: Record<string, unknown> | null) => ids((await t.gql(MY_COUPONS, { filter }, { token: holder.token })).data!.myCoupons);
    expect(await mine(null)).toEqual([longCoupon.id, shortCoupon.id]);
    expect(await mine({ usable: true })).toEqual([longCoupon.id, shortCoupon.id]);

    clock.advance(2 * DAY);
    expect(await mine({ usable: true })).toEqual([longCoupon.id]);
    expect(await mine({ usable: false })).toEqual([shortCoupon.id]);
    const [due] = await t.sql(`select count(*)::int as n from user_coupon where status = 'AVAILABLE' and valid_until <= ?`, [clock.now()]);
    expect(due.n).toBeGreaterThan(0);
    expect(await runTask('expire-coupons')).toBe(`done: ${due.n}`);
    expect(await runTask('expire-coupons')).toBe('done: 0');
    const page = (await t.gql(MY_COUPONS, { filter: { usable: false } }, { token: holder.token })).data!.myCoupons;
    expect(page.nodes).toEqual([{ id: shortCoupon.id, usable: false, status: 'EXPIRED', campaign: { id: short.id } }]);
  });

  it('pages newest claim first, and never shows another shopper’s coupon', async () => {
    const holder = await userWithToken(t);
    const c = await created(campaign({ perUserLimit: 3 }));
    const coupons = [];
    for (let i = 0; i < 3; i++) coupons.push((await claimed({ campaignId: c.id }, holder.token)).id);
    const first = (await t.gql(MY_COUPONS, { first: 2 }, { token: holder.token })).data!.myCoupons;
    expect(ids(first)).toEqual([coupons[2], coupons[1]]);
    const next = (await t.gql(MY_COUPONS, { first: 2, after: first.pageInfo.endCursor }, { token: holder.token })).data!.myCoupons;
    expect(ids(next)).toEqual([coupons[0]]);
    expect((await t.gql(NODE, { id: coupons[0] }, { token: shopper.token })).data!.node).toBeNull();
    expect((await t.gql(NODE, { id: coupons[0] }, { token: admin.token })).data!.node).toBeNull();
    expect((await t.gql(NODE, { id: coupons[0] }, { token: holder.token })).data!.node).toEqual({ id: coupons[0], status: 'AVAILABLE' });
    expect(code(await t.gql(MY_COUPONS, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('new-user coupons at registration', () => {
  it('grants one coupon of each open NEW_USERS autoGrant campaign to a shopper who registers, while coupons are left', async () => {
    const granted = await created(campaign({ shopId: null, title: '新人券 10 元', audience: 'NEW_USERS', autoGrant: true, totalQuantity: 2 }), ops.token);
    const notYet = await created(campaign({ shopId: null, audience: 'NEW_USERS', autoGrant: true, claimStartsAt: iso(DAY), claimEndsAt: iso(2 * DAY) }), ops.token);
    const notAuto = await created(campaign({ audience: 'NEW_USERS' }));
    const register = async () => {
      const res = await t.gql(REGISTER, { input: { email: uniqueEmail('new'), password: PASSWORD, displayName: '新用戶' } });
      const { accessToken } = okPayload(res, 'register');
      return (await t.gql(MY_COUPONS, {}, { token: accessToken })).data!.myCoupons.nodes.map((n: { campaign: { id: string } }) => n.campaign.id);
    };
    for (let i = 0; i < 2; i++) {
      const campaignsGranted = await register();
      expect(campaignsGranted).toContain(granted.id);
      expect(campaignsGranted).not.toContain(notYet.id);
      expect(campaignsGranted).not.toContain(notAuto.id);
    }
    // Both coupons are taken: the next shopper registers without one.
    expect(await register()).not.toContain(granted.id);
    expect((await t.sql('select claimed from coupon_campaign where id = ?', [keyOf(granted.id)]))[0].claimed).toBe(2);
  });
});
