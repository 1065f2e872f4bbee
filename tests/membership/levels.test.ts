import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PointsReason, StaffRole, User } from '../../src/entities';
import { permissionTree } from '../../src/permissions';
import { buildBareSchema } from '../../src/schema';
import { memberMonth, postPoints } from '../../src/services/membership';
import { ManualClock } from '../../src/services/shared';
import { Viewer } from '../../src/viewer';
import { createTestApp, type TestApp } from '../helpers/app';
import { type Seller, seller, staff } from '../helpers/catalog';
import { createUser, userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload } from '../helpers/kit';
import { scenario } from '../helpers/scenario';

/**
 * Member levels (會員等級): the ladder staff OPERATIONS replace as a whole (every input rule, who may,
 * the audit, members of a removed rank), `User.membership` for the member and the staff who look
 * after members, MEMBER_LEVEL coupons claimable and listed from their level, levels going up as an
 * order completes and down only at `recompute-levels`, and the levels' monthly coupons.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const clock = new ManualClock(new Date('2031-03-10T02:00:00.000Z'));

const LEVEL_FIELDS = 'id rank name minSpend { amount } pointsMultiplier freeShippingThreshold { amount } monthlyCouponCampaign { id } perks';
const LEVELS = `{ memberLevels { ${LEVEL_FIELDS} } }`;
const SET = `mutation($input: SetMemberLevelsInput!) { setMemberLevels(input: $input) { levels { ${LEVEL_FIELDS} } errors { code field message } } }`;
const MEMBERSHIP_FIELDS = 'level { rank name } points spendInWindow { amount } nextLevel { rank name } amountToNextLevel { amount } levelSince';
const ME = `{ me { id membership { ${MEMBERSHIP_FIELDS} } } }`;
const USER = `query($id: ID!) { node(id: $id) { id ... on User { membership { ${MEMBERSHIP_FIELDS} } } } }`;
const CREATE_CAMPAIGN = `mutation($input: CouponCampaignInput!) { createCouponCampaign(input: $input) { couponCampaign { id } errors { code field message } } }`;
const CLAIM = `mutation($input: ClaimCouponInput!) { claimCoupon(input: $input) { userCoupon { id status } errors { code field message } } }`;
const CAMPAIGNS = `{ couponCampaigns(first: 100) { nodes { id } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

type LevelInput = Record<string, unknown>;
/** The ladder most tests use: Member (0), Silver from 100.00 (1), Gold from 500.00 (2). */
const BASE: LevelInput[] = [
  { rank: 0, name: 'Member', minSpend: '0' },
  { rank: 1, name: 'Silver', minSpend: '100.00', pointsMultiplier: 1.2, perks: ['生日禮'] },
  { rank: 2, name: 'Gold', minSpend: '500.00', pointsMultiplier: 1.5, freeShippingThreshold: '0', perks: ['專屬客服', '提前購'] },
];
/** BASE with the level of `rank` changed by `change`. */
const withLevel = (rank: number, change: LevelInput) => BASE.map((l) => (l.rank === rank ? { ...l, ...change } : l));

let t: TestApp;
let admin: { token: string };
let ops: { token: string; user: User };
let cs: { token: string; user: User };
let finance: { token: string };
let reviewer: { token: string };
let merchant: Seller;
/** Platform MEMBER_LEVEL campaigns for levels 1 and 3, a platform campaign for ALL, a shop's MEMBER_LEVEL campaign. */
let forLevel1: string;
let forLevel3: string;
let forAll: string;
let shopCampaign: string;

const iso = (offset: number) => new Date(clock.now().getTime() + offset).toISOString();

/** A platform (or, with `shopId`, a shop) coupon campaign claimable for a year, created through the API; returns its global ID. */
async function campaign(overrides: Record<string, unknown>, token = ops.token): Promise<string> {
  const input = { title: '會員券', kind: 'AMOUNT_OFF', amountOff: '5.00', scope: { all: true }, totalQuantity: 100, claimStartsAt: iso(-HOUR), claimEndsAt: iso(400 * DAY), validDays: 30, ...overrides };
  return okPayload(await t.gql(CREATE_CAMPAIGN, { input }, { token }), 'createCouponCampaign', 'couponCampaign').id;
}

/** `token` null: anonymous. */
const setLevels = (levels: LevelInput[], token: string | null = ops.token) => t.gql(SET, { input: { levels } }, { token: token ?? undefined });
const ladderSet = async (levels: LevelInput[] = BASE) => okPayload(await setLevels(levels), 'setMemberLevels', 'levels');
const ladder = async () => (await t.gql(LEVELS)).data!.memberLevels;
const runTask = async (name: string): Promise<string> => okPayload(await t.gql(RUN, { input: { name } }, { token: admin.token }), 'runScheduledTask').task.lastResult;
const membershipOf = async (token: string) => (await t.gql(ME, {}, { token })).data!.me.membership;

let serial = 0;
/** A COMPLETED order of `buyerKey` in the merchant's shop, paying `total` minor units, completed at `completedAt` (straight in the database); another `status` is paid then, not delivered. */
async function completedOrder(buyerKey: string, total: number, completedAt: Date, status = 'COMPLETED'): Promise<string> {
  const [checkout] = await t.sql(`insert into checkout (buyer_id, idempotency_key, total, expires_at, status) values (?, ?, ?, ?, 'PAID') returning id`, [buyerKey, `levels-${++serial}`, total, completedAt]);
  const [order] = await t.sql(
    `insert into orders (number, checkout_id, shop_id, buyer_id, status, subtotal, shipping_fee, total, shipping_address, placed_at, paid_at, delivered_at, completed_at, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, 0, ?, '{}'::jsonb, ?, ?, ?, ?, ?, ?) returning id`,
    [`LV${String(serial).padStart(8, '0')}`, checkout.id, merchant.shop.id, buyerKey, status, total, total, completedAt, completedAt, status === 'COMPLETED' ? completedAt : null, status === 'COMPLETED' ? completedAt : null, completedAt, completedAt],
  );
  return String(order.id);
}

/** Puts `userKey` at `rank` (straight in the database), since `since`. */
async function holds(userKey: string, rank: number, since = clock.now()): Promise<void> {
  await t.sql('insert into member (user_id, level_rank, level_since) values (?, ?, ?) on conflict (user_id) do update set level_rank = excluded.level_rank, level_since = excluded.level_since', [userKey, rank, since]);
}

/** The `member` row of `userKey` (undefined without one). Raw rows carry times as text: read back as Dates. */
async function memberRow(userKey: string): Promise<{ level_rank: number; level_since: Date } | undefined> {
  const [row] = await t.sql('select level_rank, level_since from member where user_id = ?', [userKey]);
  return row && { level_rank: row.level_rank, level_since: new Date(row.level_since) };
}

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  ops = await staff(t, StaffRole.OPERATIONS);
  cs = await staff(t, StaffRole.CUSTOMER_SERVICE);
  finance = await staff(t, StaffRole.FINANCE);
  reviewer = await staff(t, StaffRole.REVIEWER);
  merchant = await seller(t);
  forLevel1 = await campaign({ audience: 'MEMBER_LEVEL', memberLevel: 1 });
  forLevel3 = await campaign({ audience: 'MEMBER_LEVEL', memberLevel: 3 });
  forAll = await campaign({});
  shopCampaign = await campaign({ shopId: merchant.shopId, audience: 'MEMBER_LEVEL', memberLevel: 1 }, merchant.owner.token);
});
afterAll(() => t.close());

describe('memberLevels and setMemberLevels', () => {
  it('shows anyone the ladder, which starts with the migration’s rank 0', async () => {
    expect(await ladder()).toEqual([
      { id: expect.any(String), rank: 0, name: 'Member', minSpend: { amount: '0.00' }, pointsMultiplier: 1, freeShippingThreshold: null, monthlyCouponCampaign: null, perks: [] },
    ]);
  });

  it('replaces the ladder for staff OPERATIONS: by rank (IDs kept), ranks not given removed and their members moved down; audited', async () => {
    const [rank0] = await ladder();
    const levels = await ladderSet(withLevel(2, { monthlyCouponCampaignId: forLevel1 }));
    expect(levels).toEqual([
      { ...rank0 },
      { id: expect.any(String), rank: 1, name: 'Silver', minSpend: { amount: '100.00' }, pointsMultiplier: 1.2, freeShippingThreshold: null, monthlyCouponCampaign: null, perks: ['生日禮'] },
      { id: expect.any(String), rank: 2, name: 'Gold', minSpend: { amount: '500.00' }, pointsMultiplier: 1.5, freeShippingThreshold: { amount: '0.00' }, monthlyCouponCampaign: { id: forLevel1 }, perks: ['專屬客服', '提前購'] },
    ]);
    expect(await ladder()).toEqual(levels);
    const [row] = await t.sql('select min_spend::int, points_multiplier_pct, free_shipping_threshold::int from member_level where rank = 2');
    expect(row).toEqual({ min_spend: 50_000, points_multiplier_pct: 150, free_shipping_threshold: 0 });

    // Gold goes; its member falls to Silver, the highest rank left below.
    const gold = await createUser(t);
    const silver = await createUser(t);
    await holds(gold.id, 2, new Date(clock.now().getTime() - DAY));
    await holds(silver.id, 1, new Date(clock.now().getTime() - DAY));
    clock.advance(MINUTE);
    const shorter = await ladderSet([BASE[0], { ...BASE[1], name: '白銀會員', minSpend: '99.5' }]);
    expect(shorter.map((l: { id: string; rank: number; name: string }) => [l.id, l.rank, l.name])).toEqual([
      [rank0.id, 0, 'Member'],
      [levels[1].id, 1, '白銀會員'],
    ]);
    expect(shorter[1].minSpend).toEqual({ amount: '99.50' });
    expect(await memberRow(gold.id)).toEqual({ level_rank: 1, level_since: clock.now() });
    expect((await memberRow(silver.id))!.level_since).toEqual(new Date(clock.now().getTime() - DAY - MINUTE));

    const [audit] = await t.sql(`select action, target_type, target_id, actor_id::text, before, after from audit_entry where action = 'memberLevels.set' order by id desc limit 1`);
    expect(audit).toMatchObject({ target_type: 'MemberLevel', target_id: 'ladder', actor_id: ops.user.id });
    expect(audit.before.levels.map((l: { rank: number }) => l.rank)).toEqual([0, 1, 2]);
    expect(audit.after.levels.map((l: { rank: number; name: string }) => [l.rank, l.name])).toEqual([
      [0, 'Member'],
      [1, '白銀會員'],
    ]);
    await ladderSet();
  });

  const unknownCampaign = () => idOf('CouponCampaign', '999999999');
  it.each<[string, () => LevelInput[], string | string[]]>([
    ['no level', () => [], 'input.levels'],
    // 22 levels cannot all have a rank from 0 to 20.
    ['22 levels', () => Array.from({ length: 22 }, (_, i) => ({ rank: i, name: `L${i}`, minSpend: String(i) })), ['input.levels', 'input.levels.21.rank']],
    ['a rank above 20', () => withLevel(2, { rank: 21 }), 'input.levels.2.rank'],
    ['a negative rank', () => withLevel(2, { rank: -1 }), 'input.levels.2.rank'],
    ['a rank given twice', () => withLevel(2, { rank: 1, minSpend: '200' }), 'input.levels.2.rank'],
    ['no rank 0', () => BASE.slice(1), 'input.levels'],
    ['rank 0 with a minimum spend', () => withLevel(0, { minSpend: '0.01' }), 'input.levels.0.minSpend'],
    ['a minimum spend not above the rank below’s (given out of order)', () => [BASE[2], BASE[0], { ...BASE[1], minSpend: '500' }], 'input.levels.0.minSpend'],
    ['a negative minimum spend', () => withLevel(1, { minSpend: '-1' }), 'input.levels.1.minSpend'],
    ['a minimum spend with three decimals', () => withLevel(1, { minSpend: '100.001' }), 'input.levels.1.minSpend'],
    ['an empty name', () => withLevel(1, { name: '  ' }), 'input.levels.1.name'],
    ['a name of 41 characters', () => withLevel(1, { name: '銀'.repeat(41) }), 'input.levels.1.name'],
    ['a name used twice (any case)', () => withLevel(2, { name: 'SILVER' }), 'input.levels.2.name'],
    ['a multiplier above 10', () => withLevel(1, { pointsMultiplier: 10.01 }), 'input.levels.1.pointsMultiplier'],
    ['a negative multiplier', () => withLevel(1, { pointsMultiplier: -0.5 }), 'input.levels.1.pointsMultiplier'],
    ['a multiplier with three decimals', () => withLevel(1, { pointsMultiplier: 1.125 }), 'input.levels.1.pointsMultiplier'],
    ['a negative free-shipping threshold', () => withLevel(1, { freeShippingThreshold: '-5' }), 'input.levels.1.freeShippingThreshold'],
    ['a shop’s coupon campaign', () => withLevel(2, { monthlyCouponCampaignId: shopCampaign }), 'input.levels.2.monthlyCouponCampaignId'],
    ['a platform campaign for everyone', () => withLevel(2, { monthlyCouponCampaignId: forAll }), 'input.levels.2.monthlyCouponCampaignId'],
    ['a campaign for a higher level', () => withLevel(2, { monthlyCouponCampaignId: forLevel3 }), 'input.levels.2.monthlyCouponCampaignId'],
    ['a monthly coupon for rank 0', () => withLevel(0, { monthlyCouponCampaignId: forLevel1 }), 'input.levels.0.monthlyCouponCampaignId'],
    ['an unknown campaign', () => withLevel(2, { monthlyCouponCampaignId: unknownCampaign() }), 'input.levels.2.monthlyCouponCampaignId'],
    ['11 perks', () => withLevel(1, { perks: Array.from({ length: 11 }, (_, i) => `Perk ${i}`) }), 'input.levels.1.perks'],
    ['an empty perk', () => withLevel(1, { perks: ['生日禮', ''] }), 'input.levels.1.perks.1'],
    ['a perk of 61 characters', () => withLevel(1, { perks: ['禮'.repeat(61)] }), 'input.levels.1.perks.0'],
  ])('refuses %s: INVALID_INPUT on the field, the ladder unchanged', async (_name, levels, field) => {
    const before = await ladder();
    expect(failuresOf(await setLevels(levels()), 'setMemberLevels', 'levels')).toEqual((Array.isArray(field) ? field : [field]).map((f) => ['INVALID_INPUT', f]));
    expect(await ladder()).toEqual(before);
  });

  it('reports every problem at once', async () => {
    const levels = [{ ...BASE[0], minSpend: '1' }, { ...BASE[1], name: '' }, { ...BASE[2], pointsMultiplier: 11, monthlyCouponCampaignId: forAll }];
    expect(failuresOf(await setLevels(levels), 'setMemberLevels', 'levels')).toEqual([
      ['INVALID_INPUT', 'input.levels.1.name'],
      ['INVALID_INPUT', 'input.levels.2.pointsMultiplier'],
      ['INVALID_INPUT', 'input.levels.0.minSpend'],
      ['INVALID_INPUT', 'input.levels.2.monthlyCouponCampaignId'],
    ]);
  });

  it('is FORBIDDEN to shoppers, merchants and staff other than OPERATIONS, and UNAUTHENTICATED without a token', async () => {
    const shopper = await userWithToken(t);
    for (const token of [shopper.token, merchant.owner.token, cs.token, finance.token, reviewer.token]) {
      const res = await setLevels(BASE, token);
      expect(code(res)).toBe('FORBIDDEN');
      expect(res.data).toBeNull();
    }
    expect(code(await setLevels(BASE, null))).toBe('UNAUTHENTICATED');
    expect(okPayload(await setLevels(BASE, admin.token), 'setMemberLevels', 'levels')).toHaveLength(3);
  });
});

describe('User.membership', () => {
  it('shows a new shopper rank 0 and the way to the next level', async () => {
    const shopper = await userWithToken(t);
    expect(await membershipOf(shopper.token)).toEqual({
      level: { rank: 0, name: 'Member' },
      points: 0,
      spendInWindow: { amount: '0.00' },
      nextLevel: { rank: 1, name: 'Silver' },
      amountToNextLevel: { amount: '100.00' },
      levelSince: null,
    });
  });

  it('counts completed orders of the window only, and shows the points balance and the level held', async () => {
    const shopper = await userWithToken(t);
    const now = clock.now();
    await completedOrder(shopper.user.id, 12_000, new Date(now.getTime() - 10 * DAY));
    await completedOrder(shopper.user.id, 8_000, new Date(now.getTime() - 364 * DAY));
    await completedOrder(shopper.user.id, 100_000, new Date(now.getTime() - 366 * DAY));
    await completedOrder(shopper.user.id, 100_000, now, 'PAID');
    const since = new Date(now.getTime() - 10 * DAY);
    await holds(shopper.user.id, 1, since);
    await postPoints(t.orm.em.fork(), [
      { userId: shopper.user.id, delta: 300, reason: PointsReason.CHECK_IN, key: 'test:1', at: now },
      { userId: shopper.user.id, delta: -50, reason: PointsReason.REDEEMED, key: 'test:2', at: now },
    ]);
    expect(await membershipOf(shopper.token)).toEqual({
      level: { rank: 1, name: 'Silver' },
      points: 250,
      spendInWindow: { amount: '200.00' },
      nextLevel: { rank: 2, name: 'Gold' },
      amountToNextLevel: { amount: '300.00' },
      levelSince: since.toISOString(),
    });
  });

  it('has no next level at the top, and reads a rank the ladder lost as the highest one below it', async () => {
    const shopper = await userWithToken(t);
    await holds(shopper.user.id, 2);
    expect(await membershipOf(shopper.token)).toMatchObject({ level: { rank: 2 }, nextLevel: null, amountToNextLevel: null });
    await holds(shopper.user.id, 7);
    expect(await membershipOf(shopper.token)).toMatchObject({ level: { rank: 2, name: 'Gold' }, nextLevel: null });
  });

  it('shows nothing left to spend for the next level when the spend already reaches it (levels rise on completion)', async () => {
    const shopper = await userWithToken(t);
    await completedOrder(shopper.user.id, 60_000, clock.now());
    expect(await membershipOf(shopper.token)).toMatchObject({ level: { rank: 0 }, spendInWindow: { amount: '600.00' }, nextLevel: { rank: 1 }, amountToNextLevel: { amount: '0.00' } });
  });

  it('costs three statements: the standing, the ladder and the balance', async () => {
    const shopper = await userWithToken(t);
    await holds(shopper.user.id, 1);
    const bare = await t.countQueries(`{ me { id } }`, {}, { token: shopper.token });
    const full = await t.countQueries(ME, {}, { token: shopper.token });
    expect(full.result.errors).toBeUndefined();
    expect(full.queries - bare.queries).toBe(3);
  });

  it('shows a shopper’s membership to staff OPERATIONS and CUSTOMER_SERVICE; other staff and the shop they bought from are FORBIDDEN', async () => {
    const shopper = await userWithToken(t);
    await holds(shopper.user.id, 1);
    const order = await completedOrder(shopper.user.id, 15_000, clock.now());
    const own = await membershipOf(shopper.token);
    expect(own).toMatchObject({ level: { rank: 1 }, spendInWindow: { amount: '150.00' } });
    const id = idOf('User', shopper.user.id);
    for (const token of [ops.token, cs.token, admin.token]) {
      const res = await t.gql(USER, { id }, { token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.node).toEqual({ id, membership: own });
    }
    for (const token of [finance.token, reviewer.token]) expect(code(await t.gql(USER, { id }, { token }))).toBe('FORBIDDEN');
    const asShop = await t.gql(`query($id: ID!) { order(id: $id) { buyer { id membership { level { rank } } } } }`, { id: idOf('Order', order) }, { token: merchant.owner.token });
    expect(code(asShop)).toBe('FORBIDDEN');
    expect(asShop.errors![0].path).toEqual(['order', 'buyer', 'membership']);
  });

  it('refuses another shopper (FORBIDDEN) and anonymous callers (UNAUTHENTICATED), who cannot even refetch the user', async () => {
    const shopper = await createUser(t);
    const other = await userWithToken(t);
    expect((await t.gql(USER, { id: idOf('User', shopper.id) }, { token: other.token })).data!.node).toBeNull();
    // Wherever else a user shows (a group's members, say), the field's own rule decides.
    const rule = (permissionTree(buildBareSchema()) as Record<string, Record<string, { resolve: (...args: unknown[]) => Promise<unknown> }>>).User.membership;
    const decide = async (viewer: User | null) => {
      const em = t.orm.em.fork();
      const ctx = { viewer: new Viewer(em, viewer && (await em.findOneOrFail(User, { id: viewer.id })), null), _shield: { cache: {} } };
      const result = await rule.resolve(shopper, {}, ctx, {}, {});
      return result === true ? 'ALLOW' : (result as { extensions?: { code?: string } }).extensions?.code;
    };
    expect(await decide(shopper)).toBe('ALLOW');
    expect(await decide(other.user)).toBe('FORBIDDEN');
    expect(await decide(null)).toBe('UNAUTHENTICATED');
    expect(await decide(cs.user)).toBe('ALLOW');
  });
});

describe('MEMBER_LEVEL coupons', () => {
  it('are claimable and listed from their level up; below it COUPON_NOT_APPLICABLE and not listed', async () => {
    const member = await userWithToken(t);
    const silver = await userWithToken(t);
    const gold = await userWithToken(t);
    await holds(silver.user.id, 1);
    await holds(gold.user.id, 2);
    const listed = async (token?: string) => (await t.gql(CAMPAIGNS, {}, { token })).data!.couponCampaigns.nodes.map((n: { id: string }) => n.id);

    expect(failuresOf(await t.gql(CLAIM, { input: { campaignId: forLevel1 } }, { token: member.token }), 'claimCoupon', 'userCoupon')).toEqual([['COUPON_NOT_APPLICABLE', '']]);
    expect(await listed(member.token)).not.toContain(forLevel1);
    expect(await listed()).not.toContain(forLevel1);
    expect(await listed(member.token)).toContain(forAll);

    for (const holder of [silver, gold]) {
      expect(await listed(holder.token)).toContain(forLevel1);
      expect(await listed(holder.token)).not.toContain(forLevel3);
      expect(okPayload(await t.gql(CLAIM, { input: { campaignId: forLevel1 } }, { token: holder.token }), 'claimCoupon', 'userCoupon').status).toBe('AVAILABLE');
    }
    expect(failuresOf(await t.gql(CLAIM, { input: { campaignId: forLevel3 } }, { token: gold.token }), 'claimCoupon', 'userCoupon')).toEqual([['COUPON_NOT_APPLICABLE', '']]);
    // Staff running promotions see every campaign.
    expect(await listed(ops.token)).toEqual(expect.arrayContaining([forLevel1, forLevel3]));
  });
});

describe('levels over time', () => {
  it('go up as soon as an order completes, and down only when recompute-levels reviews them; a second review moves nobody', async () => {
    await ladderSet();
    // Settle what the tests above wrote straight in (a level changed within the hour before a review is not moved down: an hour on).
    clock.advance(HOUR + MINUTE);
    await runTask('recompute-levels');
    expect(await runTask('recompute-levels')).toBe('done: 0');

    const s = await scenario(t).shop().product({ price: '150.00' }).buyer().inCart(1).completed().run();
    const completedAt = clock.now();
    const spend = s.order.total.amount;
    expect(await membershipOf(s.buyer.token)).toEqual({
      level: { rank: 1, name: 'Silver' },
      // Earned at the level held when the order completed (rank 0: 1×).
      points: Math.floor(s.order.total.amountMinor / 100),
      spendInWindow: { amount: spend },
      nextLevel: { rank: 2, name: 'Gold' },
      amountToNextLevel: { amount: (500 - Number(spend)).toFixed(2) },
      levelSince: completedAt.toISOString(),
    });

    // The review agrees with the completion: nothing moves, the level keeps its date.
    clock.advance(HOUR);
    expect(await runTask('recompute-levels')).toBe('done: 0');
    expect(await memberRow(s.buyer.user.id)).toEqual({ level_rank: 1, level_since: completedAt });

    // Spend reached without a completion (orders written straight in): the review moves it up, making the member row.
    const big = await createUser(t);
    await completedOrder(big.id, 60_000, clock.now());
    expect(await memberRow(big.id)).toBeUndefined();
    expect(await runTask('recompute-levels')).toBe('done: 1');
    expect(await memberRow(big.id)).toEqual({ level_rank: 2, level_since: clock.now() });
    expect(await runTask('recompute-levels')).toBe('done: 0');

    // A year on, the spend has left the window: the level holds until the review.
    clock.advance(366 * DAY);
    expect(await membershipOf(s.buyer.token)).toMatchObject({ level: { rank: 1 }, spendInWindow: { amount: '0.00' }, amountToNextLevel: { amount: '500.00' } });
    const [{ n: above }] = await t.sql('select count(*)::int as n from member where level_rank > 0');
    expect(await runTask('recompute-levels')).toBe(`done: ${above}`);
    expect(await memberRow(s.buyer.user.id)).toEqual({ level_rank: 0, level_since: clock.now() });
    expect(await memberRow(big.id)).toEqual({ level_rank: 0, level_since: clock.now() });
    expect(await membershipOf(s.buyer.token)).toMatchObject({ level: { rank: 0 }, nextLevel: { rank: 1 }, amountToNextLevel: { amount: '100.00' } });
    expect(await runTask('recompute-levels')).toBe('done: 0');
  });

  it('does not move down a member whose level changed within the hour before the review (a completion it may not see), only at a later one', async () => {
    await ladderSet();
    const user = await createUser(t);
    // Raised ten minutes ago by a completion whose spend this review cannot see (none in the window here).
    await t.sql('insert into member (user_id, level_rank, level_since) values (?, 2, ?)', [user.id, new Date(clock.now().getTime() - 10 * MINUTE)]);
    await runTask('recompute-levels');
    expect((await memberRow(user.id))?.level_rank).toBe(2);
    clock.advance(HOUR);
    await runTask('recompute-levels');
    expect(await memberRow(user.id)).toEqual({ level_rank: 0, level_since: clock.now() });
  });
});

describe('grant-member-coupons', () => {
  it('reads calendar months in Asia/Shanghai', () => {
    expect(memberMonth(new Date('2032-05-31T15:59:59.999Z'))).toBe('2032-05');
    expect(memberMonth(new Date('2032-05-31T16:00:00.000Z'))).toBe('2032-06');
    expect(memberMonth(new Date('2032-12-31T16:30:00.000Z'))).toBe('2033-01');
  });

  it('grants each member of a level one coupon of its campaign a month, again the next month, never beyond the campaign’s quantity', async () => {
    await t.sql('update member set level_rank = 0');
    const black = await campaign({ audience: 'MEMBER_LEVEL', memberLevel: 4, totalQuantity: 5 });
    const gold = await campaign({ audience: 'MEMBER_LEVEL', memberLevel: 1 });
    await ladderSet([...withLevel(2, { monthlyCouponCampaignId: gold }), { rank: 4, name: 'Black', minSpend: '1000000', monthlyCouponCampaignId: black }]);
    const [a, b, c] = [await createUser(t), await createUser(t), await createUser(t)];
    await holds(a.id, 4);
    await holds(b.id, 4);
    await holds(c.id, 2);
    const coupons = async () =>
      (await t.sql('select campaign_id::text, user_id::text, grant_key from user_coupon where grant_key is not null order by id')).map((r) => [r.campaign_id, r.user_id, r.grant_key]);
    const claimed = async (id: string) => (await t.sql('select claimed from coupon_campaign where id = ?', [keyOf(id)]))[0].claimed;

    const march = memberMonth(clock.now());
    expect(await runTask('grant-member-coupons')).toBe('done: 3');
    expect(await coupons()).toEqual(
      expect.arrayContaining([
        [keyOf(black), a.id, `level:4:${march}`],
        [keyOf(black), b.id, `level:4:${march}`],
        [keyOf(gold), c.id, `level:2:${march}`],
      ]),
    );
    expect(await coupons()).toHaveLength(3);
    const [coupon] = await t.sql('select valid_from, valid_until, status from user_coupon where user_id = ? and grant_key is not null', [a.id]);
    expect([new Date(coupon.valid_from), new Date(coupon.valid_until), coupon.status]).toEqual([clock.now(), new Date(clock.now().getTime() + 30 * DAY), 'AVAILABLE']);
    expect([await claimed(black), await claimed(gold)]).toEqual([2, 1]);

    clock.advance(DAY);
    expect(await runTask('grant-member-coupons')).toBe('done: 0');

    clock.advance(31 * DAY);
    const april = memberMonth(clock.now());
    expect(april).not.toBe(march);
    expect(await runTask('grant-member-coupons')).toBe('done: 3');
    expect([await claimed(black), await claimed(gold)]).toEqual([4, 2]);

    // One Black coupon left: the member first in user order takes it.
    clock.advance(31 * DAY);
    const may = memberMonth(clock.now());
    expect(await runTask('grant-member-coupons')).toBe('done: 2');
    expect((await coupons()).filter(([, , key]) => key.endsWith(may))).toEqual(
      expect.arrayContaining([
        [keyOf(black), [a.id, b.id].sort((x, y) => Number(x) - Number(y))[0], `level:4:${may}`],
        [keyOf(gold), c.id, `level:2:${may}`],
      ]),
    );
    expect([await claimed(black), await claimed(gold)]).toEqual([5, 3]);
    expect(await runTask('grant-member-coupons')).toBe('done: 0');
  });
});
