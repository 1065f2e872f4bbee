import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole, type User } from '../../src/entities';
import { rewardReferrals } from '../../src/services/membership';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type GqlResult, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { uniqueEmail } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { insertOrder } from '../helpers/reviews';
import { type Account, scenario, type ScenarioProduct, type ScenarioShop, type Shopper } from '../helpers/scenario';

/**
 * Referrals (推薦) through the API, against the real database: the referral code and who may read
 * it, linking at registration (and refusing an unknown code with nothing created), applying a code
 * later with every refusal (own code, loops, a second referrer, after a paid order), the races that
 * must not let two referrers or a loop through, the reward paid once per pair when the invitee's
 * first order completes (points and, when configured, a coupon while the campaign has some left),
 * and the referrer's list with masked names.
 */

const clock = new ManualClock(new Date('2031-06-02T02:00:00.000Z'));
const DAY = 86_400_000;
const CODE_FORMAT = /^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/;

const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id displayName referralCode } errors { code field message } } }`;
const APPLY = `mutation($input: ApplyReferralCodeInput!) { applyReferralCode(input: $input) { referral { inviteeName createdAt rewardedAt referrerPoints } errors { code field message } } }`;
const MY_REFERRALS = `query($first: Int, $after: String) { myReferrals(first: $first, after: $after) {
  totalCount rewardedCount pointsEarned nodes { inviteeName createdAt rewardedAt referrerPoints } edges { cursor } pageInfo { hasNextPage endCursor } } }`;
const ME = `{ me { id referralCode } }`;
const USER_NODE = `query($id: ID!) { node(id: $id) { ... on User { id referralCode } } }`;
const SHOP_MEMBERS = `query($id: ID!) { shop(id: $id) { members { role user { id referralCode } } } }`;
const CREATE_ADDRESS = `mutation($input: AddressInput!) { createAddress(input: $input) { address { id } errors { code } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code field } } }`;
const RUN_TASK = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code field } } }`;

/** A user registered through the API, with their referral code. */
interface Member extends Account {
  key: string;
  id: string;
  code: string;
  name: string;
}

let t: TestApp;
let admin: Account;
let shop: ScenarioShop;
let product: ScenarioProduct;

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  const s = await scenario(t).shop().product({ stock: 1000, price: '100.00' }).run();
  shop = s.shop;
  product = s.product;
});
afterAll(() => t.close());

// --- Helpers ------------------------------------------------------------------------------------

/** Registers `name` through the API on `app`, with `referralCode` when given. */
async function register(app: TestApp, name: string, referralCode?: string) {
  return app.gql(REGISTER, { input: { email: uniqueEmail('ref'), password: 'a long enough password', displayName: name, ...(referralCode === undefined ? {} : { referralCode }) } });
}

async function member(name = 'Test User', referralCode?: string, app: TestApp = t): Promise<Member> {
  const p = okPayload(await register(app, name, referralCode), 'register');
  return { user: { id: keyOf(p.user.id) } as User, token: p.accessToken, key: keyOf(p.user.id), id: p.user.id, code: p.user.referralCode, name };
}

/** `m` with a default address, ready to buy. */
async function shopper(m: Member, app: TestApp = t): Promise<Shopper & Member> {
  const input = { recipientName: m.name, phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: '文三路 100 號' };
  const res = await app.gql(CREATE_ADDRESS, { input }, { token: m.token });
  return { ...m, addressId: okPayload(res, 'createAddress', 'address').id };
}

const apply = (who: { token: string } | null, code: string) => t.gql(APPLY, { input: { code } }, who ? { token: who.token } : {});

async function referralRows(app: TestApp = t): Promise<{ id: string; referrer_id: string; invitee_id: string; rewarded_at: Date | null; reward_order_id: string | null; referrer_points: number }[]> {
  const rows = await app.sql('select id, referrer_id, invitee_id, rewarded_at, reward_order_id, referrer_points from referral order by id');
  return rows.map((r) => ({ ...r, id: String(r.id), referrer_id: String(r.referrer_id), invitee_id: String(r.invitee_id), reward_order_id: r.reward_order_id === null ? null : String(r.reward_order_id) }));
}

async function referralOf(invitee: Member, app: TestApp = t) {
  return (await referralRows(app)).find((r) => r.invitee_id === invitee.key);
}

/** The REFERRAL points entries of `who`. */
async function referralPoints(who: Member, app: TestApp = t): Promise<{ delta: number; key: string; expires: boolean }[]> {
  const rows = await app.sql(`select delta, key, expires_at is not null as expires from points_entry where user_id = ? and reason = 'REFERRAL' order by id`, [who.key]);
  return rows.map((r) => ({ delta: Number(r.delta), key: r.key, expires: r.expires }));
}

const runTask = async (app: TestApp, name: string, token = admin.token) => okPayload(await app.gql(RUN_TASK, { input: { name } }, { token }), 'runScheduledTask', 'task').lastResult;

/** `buyer` buys one unit, and the order is taken to `stage`; returns the order's key. */
async function buy(buyer: Shopper, stage: 'paid' | 'delivered' | 'completed', app: TestApp = t, s: ScenarioShop = shop, p: ScenarioProduct = product): Promise<string> {
  let b = scenario(app).shop(s).buyer(buyer).inCart(1, p.variantIds[0]).checkout().paid();
  if (stage !== 'paid') b = b.delivered();
  if (stage === 'completed') b = b.completed();
  return (await b.run()).order.key;
}

// --- The code -----------------------------------------------------------------------------------

describe('User.referralCode', () => {
  it('is eight characters without look-alikes, the users row’s, shown to the user at registration and afterwards', async () => {
    const res = await register(t, 'Ada');
    const p = okPayload(res, 'register');
    expect(p.user.referralCode).toMatch(CODE_FORMAT);
    const [row] = await t.sql('select referral_code from users where id = ?', [keyOf(p.user.id)]);
    expect(p.user.referralCode).toBe(row.referral_code);
    const me = await t.gql(ME, {}, { token: p.accessToken });
    expect(me.data!.me.referralCode).toBe(row.referral_code);
  });

  it('is shown to staff OPERATIONS and CUSTOMER_SERVICE, refused to other staff and to another shopper', async () => {
    const m = await member('Bo');
    for (const role of [StaffRole.OPERATIONS, StaffRole.CUSTOMER_SERVICE, StaffRole.ADMIN]) {
      const res = await t.gql(USER_NODE, { id: m.id }, { token: (await staff(t, role)).token });
      expect(res.errors, role).toBeUndefined();
      expect(res.data!.node.referralCode, role).toBe(m.code);
    }
    const finance = await t.gql(USER_NODE, { id: m.id }, { token: (await staff(t, StaffRole.FINANCE)).token });
    expect(code(finance)).toBe('FORBIDDEN');

    // A shop's owner sees their members as users, but not another user's code.
    const team = (await scenario(t).shop({ members: [ShopMemberRole.CUSTOMER_SERVICE] }).run()).shop;
    const res = await t.gql(SHOP_MEMBERS, { id: team.shopId }, { token: team.owner.token });
    expect(code(res)).toBe('FORBIDDEN');
    expect(res.errors!.every((e) => e.path?.at(-1) === 'referralCode')).toBe(true);
    expect(res.errors!.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});

// --- Registration -------------------------------------------------------------------------------

describe('register with a referral code', () => {
  it('links the new user to the code’s owner, the code read trimmed and in any case', async () => {
    const referrer = await member('推薦人');
    const invitee = await member('王小明', `  ${referrer.code.toLowerCase()} `);
    expect(await referralOf(invitee)).toMatchObject({ referrer_id: referrer.key, rewarded_at: null, reward_order_id: null, referrer_points: 0 });
  });

  it('treats a blank code as none', async () => {
    const m = await member('No Code', '   ');
    expect(await referralOf(m)).toBeUndefined();
  });

  it('refuses an unknown code with INVALID_REFERRAL_CODE on input.referralCode, creating nothing', async () => {
    const [before] = await t.sql('select (select count(*)::int from users) as users, (select count(*)::int from referral) as referrals, (select count(*)::int from auth_session) as sessions');
    for (const bad of ['NOSUCH00', 'x'.repeat(200)]) {
      const res = await register(t, 'Nobody', bad);
      expect(failuresOf(res, 'register', 'user')).toEqual([['INVALID_REFERRAL_CODE', 'input.referralCode']]);
      expect(res.data!.register.accessToken).toBeNull();
    }
    const [after] = await t.sql('select (select count(*)::int from users) as users, (select count(*)::int from referral) as referrals, (select count(*)::int from auth_session) as sessions');
    expect(after).toEqual(before);
  });
});

// --- applyReferralCode ----------------------------------------------------------------------------

describe('applyReferralCode', () => {
  it('links a user who joined without a code, once', async () => {
    const referrer = await member('推薦人');
    const me = await member('李四');
    const res = await apply(me, referrer.code.toLowerCase());
    const referral = okPayload(res, 'applyReferralCode', 'referral');
    expect(referral).toEqual({ inviteeName: '李**', createdAt: clock.now().toISOString(), rewardedAt: null, referrerPoints: 0 });
    expect(await referralOf(me)).toMatchObject({ referrer_id: referrer.key, rewarded_at: null });

    // A second referrer: ALREADY_REFERRED, the first kept.
    const other = await member('Other');
    expect(failuresOf(await apply(me, other.code), 'applyReferralCode', 'referral')).toEqual([['ALREADY_REFERRED', 'input.code']]);
    expect(await referralOf(me)).toMatchObject({ referrer_id: referrer.key });
  });

  it('refuses a user who registered with a code (ALREADY_REFERRED)', async () => {
    const referrer = await member('A');
    const invitee = await member('B', referrer.code);
    const other = await member('C');
    expect(failuresOf(await apply(invitee, other.code), 'applyReferralCode', 'referral')).toEqual([['ALREADY_REFERRED', 'input.code']]);
    expect(await referralOf(invitee)).toMatchObject({ referrer_id: referrer.key });
  });

  it('refuses a user whose order is paid (ALREADY_REFERRED, saying so)', async () => {
    const referrer = await member('A');
    const buyer = await shopper(await member('Buyer'));
    await buy(buyer, 'paid');
    const res = await apply(buyer, referrer.code);
    expect(failuresOf(res, 'applyReferralCode', 'referral')).toEqual([['ALREADY_REFERRED', 'input.code']]);
    expect(res.data!.applyReferralCode.errors[0].message).toMatch(/paid/);
    expect(await referralOf(buyer)).toBeUndefined();
  });

  it('refuses one’s own code (SELF_REFERRAL) and an unknown or blank one (INVALID_REFERRAL_CODE)', async () => {
    const me = await member('Me');
    expect(failuresOf(await apply(me, me.code.toLowerCase()), 'applyReferralCode', 'referral')).toEqual([['SELF_REFERRAL', 'input.code']]);
    for (const bad of ['NOSUCH00', '   ', 'y'.repeat(500)]) {
      expect(failuresOf(await apply(me, bad), 'applyReferralCode', 'referral'), bad).toEqual([['INVALID_REFERRAL_CODE', 'input.code']]);
    }
    expect(await referralOf(me)).toBeUndefined();
  });

  it('refuses the code of someone one referred (REFERRAL_LOOP), directly or down a chain', async () => {
    // A → B: B joined with A's code; A may not take B's.
    const a = await member('A');
    const b = await member('B', a.code);
    expect(failuresOf(await apply(a, b.code), 'applyReferralCode', 'referral')).toEqual([['REFERRAL_LOOP', 'input.code']]);

    // A → B → C: A may take neither B's nor C's code.
    const c = await member('C', b.code);
    expect(failuresOf(await apply(a, c.code), 'applyReferralCode', 'referral')).toEqual([['REFERRAL_LOOP', 'input.code']]);
    expect(await referralOf(a)).toBeUndefined();

    // Someone outside the chain may join it anywhere.
    const d = await member('D');
    okPayload(await apply(d, c.code), 'applyReferralCode', 'referral');
    expect(await referralOf(d)).toMatchObject({ referrer_id: c.key });
  });

  it('is refused to anonymous callers, like myReferrals', async () => {
    const a = await member('A');
    expect(code(await apply(null, a.code))).toBe('UNAUTHENTICATED');
    expect(code(await t.gql(MY_REFERRALS, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('applyReferralCode races', () => {
  /** No referral chain loops: walking up from every user ends at someone without a referrer. */
  async function expectNoLoop() {
    const [row] = await t.sql(`
      with recursive up(start, id, depth) as (
        select invitee_id, referrer_id, 1 from referral
        union all
        select up.start, r.referrer_id, up.depth + 1 from referral r join up on r.invitee_id = up.id where up.depth < 50
      )
      select count(*)::int as n from up where up.id = up.start or up.depth >= 50`);
    expect(row.n).toBe(0);
  }

  it('lets one of two users applying each other’s codes at the same moment through; the other is a loop', async () => {
    for (let round = 0; round < 6; round++) {
      const a = await member('A');
      const b = await member('B');
      const [ra, rb] = await Promise.all([apply(a, b.code), apply(b, a.code)]);
      expect([outcomeOf(ra, 'applyReferralCode'), outcomeOf(rb, 'applyReferralCode')].sort()).toEqual(['OK', 'REFERRAL_LOOP']);
      const between = (await referralRows()).filter((r) => [a.key, b.key].includes(r.invitee_id));
      expect(between).toHaveLength(1);
    }
    await expectNoLoop();
  });

  it('does not let the two halves of a ring close at once (a → b, c → d, then b takes a’s code while d takes c’s)', async () => {
    for (let round = 0; round < 4; round++) {
      // b refers c, d refers a: applying a's code to b and c's to d at once would close a → b → c → d → a.
      const b = await member('b');
      const d = await member('d');
      const c = await member('c', b.code);
      const a = await member('a', d.code);
      const [rb, rd] = await Promise.all([apply(b, a.code), apply(d, c.code)]);
      expect([outcomeOf(rb, 'applyReferralCode'), outcomeOf(rd, 'applyReferralCode')].sort()).toEqual(['OK', 'REFERRAL_LOOP']);
    }
    await expectNoLoop();
  });

  it('gives a user applying two codes at once one referrer', async () => {
    const me = await member('Me');
    const x = await member('X');
    const y = await member('Y');
    const outcomes = await Promise.all([apply(me, x.code), apply(me, y.code), apply(me, x.code)]);
    expect(outcomes.map((r) => outcomeOf(r, 'applyReferralCode')).sort()).toEqual(['ALREADY_REFERRED', 'ALREADY_REFERRED', 'OK']);
    expect((await referralRows()).filter((r) => r.invitee_id === me.key)).toHaveLength(1);
  });
});

// --- Rewards ------------------------------------------------------------------------------------

describe('referral rewards', () => {
  it('reward both sides once when the invitee’s first order completes, and never again', async () => {
    const points = t.config.membership.referralRewardPoints;
    expect(points).toBe(100);
    const referrer = await member('推薦人');
    const invitee = await shopper(await member('王小明', referrer.code));
    const first = await buy(invitee, 'completed');

    const referral = (await referralOf(invitee))!;
    expect(referral).toMatchObject({ referrer_id: referrer.key, reward_order_id: first, referrer_points: points });
    expect(referral.rewarded_at).not.toBeNull();
    expect(await referralPoints(referrer)).toEqual([{ delta: points, key: `referral:${referral.id}:referrer`, expires: true }]);
    expect(await referralPoints(invitee)).toEqual([{ delta: points, key: `referral:${referral.id}:invitee`, expires: true }]);

    // A second order completes: nothing more. Nor does running the task again, nor the reward itself.
    await buy(invitee, 'completed');
    clock.advance(DAY);
    await runTask(t, 'complete-orders');
    expect(await t.orm.em.fork().transactional((em) => rewardReferrals(em, [first], clock.now(), t.config))).toBe(0);
    expect(await referralOf(invitee)).toEqual(referral);
    expect(await referralPoints(referrer)).toHaveLength(1);
    expect(await referralPoints(invitee)).toHaveLength(1);

    const list = await t.gql(MY_REFERRALS, { first: 10 }, { token: referrer.token });
    expect(list.errors).toBeUndefined();
    expect(list.data!.myReferrals).toMatchObject({ totalCount: 1, rewardedCount: 1, pointsEarned: points });
    expect(list.data!.myReferrals.nodes).toEqual([{ inviteeName: '王**', createdAt: expect.any(String), rewardedAt: new Date(referral.rewarded_at!).toISOString(), referrerPoints: points }]);
  });

  it('reward every referral of a batch, each pair once, in one run', async () => {
    const referrer = await member('KOC');
    const one = await shopper(await member('One', referrer.code));
    const two = await shopper(await member('Two', referrer.code));
    const stranger = await shopper(await member('Stranger'));
    await buy(one, 'delivered');
    await buy(stranger, 'delivered');
    await buy(two, 'completed'); // the task completes all three orders in one batch
    const rows = (await referralRows()).filter((r) => r.referrer_id === referrer.key);
    expect(rows.map((r) => r.referrer_points)).toEqual([100, 100]);
    expect((await referralPoints(referrer)).map((e) => e.key).sort()).toEqual(rows.map((r) => `referral:${r.id}:referrer`).sort());
    expect(await referralPoints(one)).toHaveLength(1);
    expect(await referralPoints(two)).toHaveLength(1);
    expect(await referralPoints(stranger)).toEqual([]);
  });

  it('reward nothing for a cancelled order', async () => {
    const referrer = await member('R');
    const invitee = await shopper(await member('I', referrer.code));
    const order = await buy(invitee, 'paid');
    const res = await t.gql(CANCEL, { input: { orderId: idOf('Order', order), reason: '' } }, { token: invitee.token });
    expect(okPayload(res, 'cancelOrder', 'order').status).toBe('CANCELLED');
    clock.advance(30 * DAY);
    await runTask(t, 'complete-orders');
    expect(await t.orm.em.fork().transactional((em) => rewardReferrals(em, [order], clock.now(), t.config))).toBe(0);
    expect(await referralOf(invitee)).toMatchObject({ rewarded_at: null, reward_order_id: null, referrer_points: 0 });
    expect(await referralPoints(referrer)).toEqual([]);
    expect(await referralPoints(invitee)).toEqual([]);
  });

  it('reward only the first completed order: the batch’s earliest, and none when an earlier one completed outside it', async () => {
    const complete = async (buyer: Member, at: Date) => {
      const { orderKey } = await insertOrder(t, { buyerKey: buyer.key, shopKey: shop.shop.id, lines: [{ productKey: keyOf(product.id), variantKey: product.variantKeys[0] }], deliveredAt: new Date(at.getTime() - 10 * DAY), status: 'COMPLETED' });
      await t.sql('update orders set completed_at = ? where id = ?', [at, orderKey]);
      return orderKey;
    };
    const reward = (ids: string[]) => t.orm.em.fork().transactional((em) => rewardReferrals(em, ids, clock.now(), t.config));

    // Two orders in one batch: the earlier one is the reward order.
    const r1 = await member('R1');
    const i1 = await member('I1', r1.code);
    const early = await complete(i1, new Date(clock.now().getTime() - 2 * DAY));
    const late = await complete(i1, new Date(clock.now().getTime() - DAY));
    expect(await reward([late, early])).toBe(1);
    expect(await referralOf(i1)).toMatchObject({ reward_order_id: early, referrer_points: 100 });

    // An order completed before, outside the batch: this one is not the first.
    const r2 = await member('R2');
    const i2 = await member('I2', r2.code);
    await complete(i2, new Date(clock.now().getTime() - 2 * DAY));
    const later = await complete(i2, new Date(clock.now().getTime() - DAY));
    expect(await reward([later])).toBe(0);
    expect(await referralOf(i2)).toMatchObject({ rewarded_at: null, referrer_points: 0 });
    expect(await referralPoints(r2)).toEqual([]);
  });

  it('grant a coupon of REFERRAL_REWARD_CAMPAIGN_ID to both sides while the campaign has some left (and no points at REFERRAL_REWARD_POINTS=0)', async () => {
    const now = clock.now();
    const [campaign] = await t.sql(
      `insert into coupon_campaign (shop_id, title, kind, amount_off, min_subtotal, scope, total_quantity, claimed, per_user_limit, claim_starts_at, claim_ends_at, valid_days, audience, created_by_id)
       values (null, '推薦禮券', 'AMOUNT_OFF', 500, 0, '{"all": true, "productIds": [], "categoryIds": []}'::jsonb, 3, 0, 1, ?, ?, 30, 'ALL', ?) returning id`,
      [new Date(now.getTime() - DAY), new Date(now.getTime() + 365 * DAY), admin.user.id],
    );
    const campaignKey = String(campaign.id);
    const withCoupons = await createTestApp({ REFERRAL_REWARD_CAMPAIGN_ID: campaignKey, REFERRAL_REWARD_POINTS: '0' }, { clock });
    try {
      const coupons = async (who: Member) =>
        (await withCoupons.sql('select grant_key, status from user_coupon where campaign_id = ? and user_id = ? order by id', [campaignKey, who.key])).map((c) => [c.grant_key, c.status]);
      const referrer = await member('KOC', undefined, withCoupons);
      const one = await shopper(await member('One', referrer.code, withCoupons), withCoupons);
      const two = await shopper(await member('Two', referrer.code, withCoupons), withCoupons);
      await buy(one, 'delivered', withCoupons);
      await buy(two, 'completed', withCoupons);

      // Four coupons wanted, three left: three granted, each under its referral's key.
      const [oneReferral, twoReferral] = [(await referralOf(one, withCoupons))!, (await referralOf(two, withCoupons))!];
      expect(oneReferral.rewarded_at).not.toBeNull();
      expect(twoReferral.rewarded_at).not.toBeNull();
      expect(oneReferral.referrer_points).toBe(0);
      const granted = [...(await coupons(referrer)), ...(await coupons(one)), ...(await coupons(two))];
      expect(granted).toHaveLength(3);
      expect(granted.every(([key, status]) => (key === `referral:${oneReferral.id}` || key === `referral:${twoReferral.id}`) && status === 'AVAILABLE')).toBe(true);
      const [after] = await withCoupons.sql('select claimed from coupon_campaign where id = ?', [campaignKey]);
      expect(after.claimed).toBe(3);
      for (const who of [referrer, one, two]) expect(await referralPoints(who, withCoupons)).toEqual([]);

      // Sold out: the next pair is rewarded without coupons; running again grants nothing more.
      const three = await shopper(await member('Three', referrer.code, withCoupons), withCoupons);
      await buy(three, 'completed', withCoupons);
      expect((await referralOf(three, withCoupons))!.rewarded_at).not.toBeNull();
      expect(await coupons(three)).toEqual([]);
      await runTask(withCoupons, 'complete-orders', (await staff(withCoupons, StaffRole.ADMIN)).token);
      const [still] = await withCoupons.sql('select count(*)::int as n, (select claimed from coupon_campaign where id = ?) as claimed from user_coupon where campaign_id = ?', [campaignKey, campaignKey]);
      expect(still).toEqual({ n: 3, claimed: 3 });
    } finally {
      await withCoupons.close();
    }
  });
});

// --- myReferrals --------------------------------------------------------------------------------

describe('myReferrals', () => {
  it('lists the referrer’s invitees newest first, paged, names masked, with the total; others see none of them', async () => {
    const referrer = await member('KOC');
    const names = ['王小明', '李四', 'Alice', '趙六', '孫七'];
    for (const name of names) {
      await member(name, referrer.code);
      clock.advance(60_000);
    }
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: GqlResult = await t.gql(MY_REFERRALS, { first: 2, after }, { token: referrer.token });
      expect(res.errors).toBeUndefined();
      const conn: any = res.data!.myReferrals;
      expect(conn.totalCount).toBe(5);
      expect(conn.rewardedCount).toBe(0);
      expect(conn.pointsEarned).toBe(0);
      seen.push(...conn.nodes.map((n: { inviteeName: string }) => n.inviteeName));
      pages++;
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['孫**', '趙**', 'A**', '李**', '王**']);

    const stranger = await member('Stranger');
    const none = await t.gql(MY_REFERRALS, { first: 10 }, { token: stranger.token });
    expect(none.data!.myReferrals).toMatchObject({ totalCount: 0, rewardedCount: 0, pointsEarned: 0, nodes: [] });

    const bad = await t.gql(MY_REFERRALS, { first: 2, after: 'not-a-cursor' }, { token: referrer.token });
    expect(code(bad)).toBe('BAD_USER_INPUT');
  });
});
