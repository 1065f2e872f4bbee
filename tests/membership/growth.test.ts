import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { seller, staff } from '../helpers/catalog';
import { createUser, userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf, payloadOf } from '../helpers/kit';
import { insertOrder } from '../helpers/reviews';
import { type Account, scenario, type ScenarioProduct } from '../helpers/scenario';
import { eventually } from '../helpers/wait';

/**
 * Growth tasks (成長任務) through the API against the real database: staff OPERATIONS set and end
 * them (audited; everyone else refused), members see every open task with their progress counted
 * from the rows each kind names — a saved address, completed orders, reviews written, rewarded
 * referrals, the check-in streak — and claim a reached one once, the reward and its points
 * committing together, also when claims race.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = new Date('2031-08-10T02:00:00.000Z');
const clock = new ManualClock(NOW);
const at = (ms: number) => new Date(NOW.getTime() + ms);

const TASK = 'id kind title description target rewardPoints startsAt endsAt state createdAt';
const CREATE = `mutation($input: CreateGrowthTaskInput!) { createGrowthTask(input: $input) { growthTask { ${TASK} } memberGrowthTask { status } points errors { code field message } } }`;
const END = `mutation($input: IdInput!) { endGrowthTask(input: $input) { growthTask { ${TASK} } errors { code field message } } }`;
const LIST = `query($first: Int, $after: String) { growthTasks(first: $first, after: $after) { totalCount nodes { id title } pageInfo { hasNextPage endCursor } } }`;
const MINE = `query { myGrowthTasks { task { id kind title state } progress target status rewardedAt } }`;
const CLAIM = `mutation($input: ClaimGrowthTaskInput!) { claimGrowthTask(input: $input) {
  growthTask { id state } memberGrowthTask { task { id } progress target status rewardedAt } points errors { code field message } } }`;
const CHECK_IN = `mutation { checkIn { checkIn { streak } errors { code } } }`;

let t: TestApp;
let ops: Account;
let admin: Account;
let customerService: Account;
let merchant: Account;
let shopper: Account;
let shopKey: string;
let product: ScenarioProduct;

beforeAll(async () => {
  t = await createTestApp({ CHECK_IN_POINTS: '5', CHECK_IN_STREAK_BONUSES: '' }, { clock });
  ops = await staff(t, StaffRole.OPERATIONS);
  admin = await staff(t, StaffRole.ADMIN);
  customerService = await staff(t, StaffRole.CUSTOMER_SERVICE);
  merchant = (await seller(t)).owner;
  shopper = await userWithToken(t);
  const s = await scenario(t).shop().product().run();
  shopKey = s.shop.shop.id;
  product = s.product;
});
afterAll(() => t.close());

// --- Helpers ------------------------------------------------------------------------------------

const as = (who: { token: string } | null) => (who ? { token: who.token } : {});
const create = (input: Record<string, unknown>, who: { token: string } | null = ops) =>
  t.gql(CREATE, { input: { kind: 'FIRST_ORDER', title: '完成首單', rewardPoints: 100, ...input } }, as(who));
const created = async (input: Record<string, unknown>) => okPayload(await create(input), 'createGrowthTask', 'growthTask');
const end = (id: string, who: { token: string } | null = ops) => t.gql(END, { input: { id } }, as(who));
const claim = (taskId: string, who: { token: string } | null) => t.gql(CLAIM, { input: { taskId } }, as(who));

interface Mine {
  task: { id: string; kind: string; title: string; state: string };
  progress: number;
  target: number;
  status: string;
  rewardedAt: string | null;
}

async function mine(who: { token: string }): Promise<Mine[]> {
  const res = await t.gql(MINE, {}, as(who));
  expect(res.errors).toBeUndefined();
  return res.data!.myGrowthTasks;
}

/** `[progress, status]` of each of `ids` (absent: not listed) in the member's list. */
async function standing(who: { token: string }, ids: string[]): Promise<([number, string] | null)[]> {
  const list = await mine(who);
  return ids.map((id) => {
    const row = list.find((m) => m.task.id === id);
    return row ? [row.progress, row.status] : null;
  });
}

const count = async (table: string, where = 'true', params: unknown[] = []) => (await t.sql(`select count(*)::int as n from ${table} where ${where}`, params))[0].n as number;
const balance = async (userKey: string) => (await t.sql('select coalesce(sum(delta), 0)::int as n from points_entry where user_id = ?', [userKey]))[0].n as number;

async function addAddress(userKey: string): Promise<string> {
  const [row] = await t.sql(
    `insert into address (user_id, recipient_name, phone, province, city, district, line1) values (?, '王小明', '13812345678', '浙江省', '杭州市', '西湖區', '文三路 100 號') returning id`,
    [userKey],
  );
  return String(row.id);
}

async function order(buyerKey: string, status: string): Promise<{ orderKey: string; lineKey: string }> {
  const { orderKey, lineIds } = await insertOrder(t, { buyerKey, shopKey, lines: [{ productKey: keyOf(product.id), variantKey: product.variantKeys[0] }], deliveredAt: at(-2 * DAY), status });
  return { orderKey, lineKey: keyOf(lineIds[0]) };
}

async function review(buyerKey: string, status: string, automatic = false): Promise<void> {
  const { orderKey, lineKey } = await order(buyerKey, 'DELIVERED');
  await t.sql(
    `insert into review (order_line_id, order_id, product_id, shop_id, buyer_id, variant_title, rating, status, automatic, created_at, updated_at)
     values (?, ?, ?, ?, ?, 'V0', 5, ?, ?, ?, ?)`,
    [lineKey, orderKey, keyOf(product.id), shopKey, buyerKey, status, automatic, at(-DAY), at(-DAY)],
  );
}

async function referral(referrerKey: string, rewarded: boolean, inviteeKey?: string): Promise<string> {
  const invitee = inviteeKey ?? (await createUser(t)).id;
  const [row] = await t.sql(`insert into referral (referrer_id, invitee_id, created_at, rewarded_at) values (?, ?, ?, ?) returning id`, [referrerKey, invitee, at(-3 * DAY), rewarded ? at(-DAY) : null]);
  return String(row.id);
}

// --- Staff: setting and ending tasks ------------------------------------------------------------

describe('createGrowthTask', () => {
  it('sets a task open from now with no end by default, target 1, and audits it', async () => {
    clock.set(NOW);
    const res = await create({ kind: 'FIRST_ORDER', title: '  完成首單  ', description: '第一筆訂單完成即可領取', rewardPoints: 200 });
    const payload = okPayload(res, 'createGrowthTask');
    expect(payload.memberGrowthTask).toBeNull();
    expect(payload.points).toBeNull();
    const task = payload.growthTask;
    expect(task).toMatchObject({ kind: 'FIRST_ORDER', title: '完成首單', description: '第一筆訂單完成即可領取', target: 1, rewardPoints: 200, startsAt: NOW.toISOString(), endsAt: null, state: 'OPEN' });
    const [audit] = await t.sql(`select action, actor_id, after from audit_entry where target_type = 'GrowthTask' and target_id = ?`, [keyOf(task.id)]);
    expect(audit).toMatchObject({ action: 'growthTask.create', actor_id: ops.user.id, after: { kind: 'FIRST_ORDER', target: 1, rewardPoints: 200 } });
  });

  it('takes a window: SCHEDULED before it starts, with a streak or friends target in range', async () => {
    clock.set(NOW);
    const streak = await created({ kind: 'CHECK_IN_STREAK', title: '連續簽到 7 天', target: 7, rewardPoints: 70, startsAt: at(DAY).toISOString(), endsAt: at(30 * DAY).toISOString() });
    expect(streak).toMatchObject({ target: 7, state: 'SCHEDULED', startsAt: at(DAY).toISOString(), endsAt: at(30 * DAY).toISOString() });
    expect(await created({ kind: 'INVITE_FRIEND', title: '邀請 100 位好友', target: 100, rewardPoints: 100_000 })).toMatchObject({ target: 100, state: 'OPEN' });
    expect(await created({ kind: 'CHECK_IN_STREAK', title: '連續簽到一年', target: 365, rewardPoints: 1 })).toMatchObject({ target: 365 });
  });

  it('refuses targets out of each kind’s range, rewards out of 1..100,000, a blank title and bad windows, naming the field; creates nothing', async () => {
    clock.set(NOW);
    const before = await count('growth_task');
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'FIRST_ORDER', target: 2 }, 'input.target'],
      [{ kind: 'FIRST_REVIEW', target: 0 }, 'input.target'],
      [{ kind: 'COMPLETE_PROFILE', target: 3 }, 'input.target'],
      [{ kind: 'CHECK_IN_STREAK' }, 'input.target'],
      [{ kind: 'CHECK_IN_STREAK', target: 1 }, 'input.target'],
      [{ kind: 'CHECK_IN_STREAK', target: 366 }, 'input.target'],
      [{ kind: 'INVITE_FRIEND', target: 101 }, 'input.target'],
      [{ rewardPoints: 0 }, 'input.rewardPoints'],
      [{ rewardPoints: 100_001 }, 'input.rewardPoints'],
      [{ title: '   ' }, 'input.title'],
      [{ title: 'x'.repeat(61) }, 'input.title'],
      [{ description: 'x'.repeat(501) }, 'input.description'],
      [{ startsAt: at(2 * DAY).toISOString(), endsAt: at(DAY).toISOString() }, 'input.endsAt'],
      [{ startsAt: at(-2 * DAY).toISOString(), endsAt: at(-MINUTE).toISOString() }, 'input.endsAt'],
    ];
    for (const [input, field] of cases) {
      expect(failuresOf(await create(input), 'createGrowthTask', 'growthTask'), JSON.stringify(input)).toEqual([['INVALID_INPUT', field]]);
    }
    expect(await count('growth_task')).toBe(before);
  });

  it('refuses shoppers, merchants and staff other than OPERATIONS (FORBIDDEN) and visitors (UNAUTHENTICATED); ADMIN may', async () => {
    const before = await count('growth_task');
    for (const who of [shopper, merchant, customerService]) expect(code(await create({}, who))).toBe('FORBIDDEN');
    expect(code(await create({}, null))).toBe('UNAUTHENTICATED');
    expect(await count('growth_task')).toBe(before);
    okPayload(await create({}, admin), 'createGrowthTask', 'growthTask');
  });
});

describe('endGrowthTask', () => {
  it('ends an open task now, once (then INVALID_TRANSITION), and audits it', async () => {
    clock.set(NOW);
    const task = await created({ title: '限時首單' });
    clock.set(at(HOUR));
    const ended = okPayload(await end(task.id), 'endGrowthTask', 'growthTask');
    expect(ended).toMatchObject({ id: task.id, startsAt: NOW.toISOString(), endsAt: at(HOUR).toISOString(), state: 'ENDED' });
    expect(failuresOf(await end(task.id), 'endGrowthTask', 'growthTask')).toEqual([['INVALID_TRANSITION', '']]);
    const audits = await t.sql(`select action, before, after from audit_entry where target_type = 'GrowthTask' and target_id = ? order by id`, [keyOf(task.id)]);
    expect(audits.map((a: { action: string }) => a.action)).toEqual(['growthTask.create', 'growthTask.end']);
    expect(audits[1]).toMatchObject({ before: { endsAt: null }, after: { endsAt: at(HOUR).toISOString() } });
  });

  it('ends a task past its own end as INVALID_TRANSITION, and a scheduled one so that it never opens', async () => {
    clock.set(NOW);
    const short = await created({ title: '一小時', endsAt: at(HOUR).toISOString() });
    const later = await created({ title: '下週', startsAt: at(7 * DAY).toISOString() });
    clock.set(at(2 * HOUR));
    expect(failuresOf(await end(short.id), 'endGrowthTask', 'growthTask')).toEqual([['INVALID_TRANSITION', '']]);
    const ended = okPayload(await end(later.id), 'endGrowthTask', 'growthTask');
    expect(ended).toMatchObject({ state: 'ENDED', endsAt: at(2 * HOUR).toISOString() });
    // Its window is now empty: it starts and ends at the moment it was ended.
    expect(ended.startsAt).toBe(ended.endsAt);
    // A week on, when it would have opened, it is still ended and no member sees it.
    clock.set(at(8 * DAY));
    expect(await standing(shopper, [later.id])).toEqual([null]);
    expect(failuresOf(await end(later.id), 'endGrowthTask', 'growthTask')).toEqual([['INVALID_TRANSITION', '']]);
  });

  it('answers an unknown or malformed ID with NOT_FOUND, and refuses every role but OPERATIONS', async () => {
    clock.set(NOW);
    expect(code(await end(idOf('GrowthTask', '987654321')))).toBe('NOT_FOUND');
    expect(code(await end(idOf('Review', '1')))).toBe('NOT_FOUND');
    const task = await created({ title: '不可結束' });
    for (const who of [shopper, merchant, customerService]) expect(code(await end(task.id, who))).toBe('FORBIDDEN');
    expect(code(await end(task.id, null))).toBe('UNAUTHENTICATED');
    expect((await t.sql('select ends_at from growth_task where id = ?', [keyOf(task.id)]))[0].ends_at).toBeNull();
  });
});

describe('growthTasks', () => {
  it('lists every task to staff, newest first, page by page, with the total', async () => {
    clock.set(NOW);
    const ids = [];
    for (const title of ['甲', '乙', '丙']) ids.push((await created({ title })).id);
    const first = payloadOf(await t.gql(LIST, { first: 2 }, as(ops)), 'growthTasks');
    expect(first.nodes.map((n: { id: string }) => n.id)).toEqual([ids[2], ids[1]]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.totalCount).toBe(await count('growth_task'));
    const next = payloadOf(await t.gql(LIST, { first: 1, after: first.pageInfo.endCursor }, as(ops)), 'growthTasks');
    expect(next.nodes.map((n: { id: string }) => n.id)).toEqual([ids[0]]);
  });

  it('refuses shoppers, merchants and other staff (FORBIDDEN) and visitors (UNAUTHENTICATED)', async () => {
    for (const who of [shopper, merchant, customerService]) expect(code(await t.gql(LIST, {}, as(who)))).toBe('FORBIDDEN');
    expect(code(await t.gql(LIST, {}))).toBe('UNAUTHENTICATED');
  });
});

// --- Members: progress and claims ---------------------------------------------------------------

describe('myGrowthTasks', () => {
  it('counts each kind’s progress from the rows it names, up to the target', async () => {
    clock.set(NOW);
    const profile = await created({ kind: 'COMPLETE_PROFILE', title: '完善資料', rewardPoints: 10 });
    const firstOrder = await created({ kind: 'FIRST_ORDER', title: '首單', rewardPoints: 20 });
    const firstReview = await created({ kind: 'FIRST_REVIEW', title: '首評', rewardPoints: 30 });
    const friends = await created({ kind: 'INVITE_FRIEND', title: '邀請兩位好友', target: 2, rewardPoints: 40 });
    const streak = await created({ kind: 'CHECK_IN_STREAK', title: '連續簽到 3 天', target: 3, rewardPoints: 50 });
    const ids = [profile.id, firstOrder.id, firstReview.id, friends.id, streak.id];
    const me = await userWithToken(t);
    const key = me.user.id;
    expect(await standing(me, ids)).toEqual(Array(5).fill([0, 'IN_PROGRESS']));

    // COMPLETE_PROFILE: a saved address (another user's counts for nothing).
    await addAddress(shopper.user.id);
    expect((await standing(me, ids))[0]).toEqual([0, 'IN_PROGRESS']);
    await addAddress(key);
    await addAddress(key);
    expect((await standing(me, ids))[0]).toEqual([1, 'CLAIMABLE']);

    // FIRST_ORDER: completed orders only.
    await order(key, 'DELIVERED');
    await order(key, 'CANCELLED');
    expect((await standing(me, ids))[1]).toEqual([0, 'IN_PROGRESS']);
    await order(key, 'COMPLETED');
    await order(key, 'COMPLETED');
    expect((await standing(me, ids))[1]).toEqual([1, 'CLAIMABLE']);

    // FIRST_REVIEW: a review the member wrote and that is published; not the platform's automatic one, nor a hidden one.
    await review(key, 'PUBLISHED', true);
    await review(key, 'HIDDEN');
    await review(shopper.user.id, 'PUBLISHED');
    expect((await standing(me, ids))[2]).toEqual([0, 'IN_PROGRESS']);
    await review(key, 'PUBLISHED');
    expect((await standing(me, ids))[2]).toEqual([1, 'CLAIMABLE']);

    // INVITE_FRIEND: invitees whose referral rewarded; being someone's invitee counts for nothing.
    await referral(key, false);
    await referral(key, true);
    await referral(shopper.user.id, true, key);
    expect((await standing(me, ids))[3]).toEqual([1, 'IN_PROGRESS']);
    await referral(key, true);
    expect((await standing(me, ids))[3]).toEqual([2, 'CLAIMABLE']);

    // CHECK_IN_STREAK: the current streak (yesterday's until today's check-in).
    await t.sql(`insert into check_in (user_id, day, streak, points, at) values (?, '2031-08-08', 1, 5, ?), (?, '2031-08-09', 2, 5, ?)`, [key, at(-2 * DAY), key, at(-DAY)]);
    expect((await standing(me, ids))[4]).toEqual([2, 'IN_PROGRESS']);
    expect(payloadOf(await t.gql(CHECK_IN, {}, as(me)), 'checkIn').checkIn.streak).toBe(3);
    expect((await standing(me, ids))[4]).toEqual([3, 'CLAIMABLE']);
    // Two Shanghai days later without a check-in, the streak is broken.
    clock.set(at(2 * DAY));
    expect((await standing(me, ids))[4]).toEqual([0, 'IN_PROGRESS']);
    clock.set(NOW);
  });

  it('lists the tasks open now and those that rewarded the member: claimable first, then in progress, then rewarded', async () => {
    clock.set(NOW);
    const me = await userWithToken(t);
    await addAddress(me.user.id);
    const rewarded = await created({ kind: 'COMPLETE_PROFILE', title: '已領', rewardPoints: 10 });
    okPayload(await claim(rewarded.id, me), 'claimGrowthTask');
    const inProgress = await created({ kind: 'FIRST_ORDER', title: '進行中' });
    const claimable = await created({ kind: 'COMPLETE_PROFILE', title: '可領' });
    const scheduled = await created({ kind: 'COMPLETE_PROFILE', title: '未開始', startsAt: at(DAY).toISOString() });
    const closedUnclaimed = await created({ kind: 'COMPLETE_PROFILE', title: '已結束', endsAt: at(HOUR).toISOString() });
    clock.set(at(2 * HOUR));
    okPayload(await end(rewarded.id), 'endGrowthTask', 'growthTask');

    const list = await mine(me);
    const ours = list.filter((m) => [rewarded.id, inProgress.id, claimable.id, scheduled.id, closedUnclaimed.id].includes(m.task.id));
    expect(ours.map((m) => [m.task.title, m.status, m.progress, m.target])).toEqual([
      ['可領', 'CLAIMABLE', 1, 1],
      ['進行中', 'IN_PROGRESS', 0, 1],
      ['已領', 'REWARDED', 1, 1],
    ]);
    expect(ours[2]).toMatchObject({ rewardedAt: NOW.toISOString(), task: { state: 'ENDED' } });
    // Every status group in order over the whole list.
    const rank = { CLAIMABLE: 0, IN_PROGRESS: 1, REWARDED: 2 } as Record<string, number>;
    const ranks = list.map((m) => rank[m.status]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    clock.set(NOW);
  });

  it('answers in one statement however many tasks are open', async () => {
    clock.set(NOW);
    const me = await userWithToken(t);
    const before = await t.countQueries(MINE, {}, as(me));
    expect(before.result.errors).toBeUndefined();
    for (const kind of ['COMPLETE_PROFILE', 'FIRST_ORDER', 'FIRST_REVIEW', 'INVITE_FRIEND']) await created({ kind, title: `再一個 ${kind}` });
    await created({ kind: 'CHECK_IN_STREAK', title: '再一個', target: 5 });
    const after = await t.countQueries(MINE, {}, as(me));
    expect(after.result.data!.myGrowthTasks.length).toBe(before.result.data!.myGrowthTasks.length + 5);
    // The viewer's session, then the list.
    expect(after.queries).toBe(2);
    expect(before.queries).toBe(2);
  });

  it('asks a signed-out visitor to sign in (UNAUTHENTICATED)', async () => {
    expect(code(await t.gql(MINE, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('claimGrowthTask', () => {
  it('rewards a reached task once: the reward row and the GROWTH_TASK points commit together', async () => {
    clock.set(NOW);
    const task = await created({ kind: 'COMPLETE_PROFILE', title: '完善資料領 88', rewardPoints: 88 });
    const me = await userWithToken(t);
    await addAddress(me.user.id);
    clock.set(at(MINUTE));
    const payload = okPayload(await claim(task.id, me), 'claimGrowthTask');
    expect(payload).toMatchObject({
      growthTask: { id: task.id, state: 'OPEN' },
      memberGrowthTask: { task: { id: task.id }, progress: 1, target: 1, status: 'REWARDED', rewardedAt: at(MINUTE).toISOString() },
      points: 88,
    });
    const entries = await t.sql(`select delta, reason, key, expires_at from points_entry where user_id = ?`, [me.user.id]);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ delta: 88, reason: 'GROWTH_TASK', key: `task:${keyOf(task.id)}` });
    // Earned points: they expire at the end of the next year in Shanghai.
    expect(new Date(entries[0].expires_at).toISOString()).toBe('2032-12-31T16:00:00.000Z');
    expect(await t.sql('select points from growth_task_reward where user_id = ? and task_id = ?', [me.user.id, keyOf(task.id)])).toEqual([{ points: 88 }]);

    // Again: refused, nothing more.
    expect(failuresOf(await claim(task.id, me), 'claimGrowthTask', 'growthTask')).toEqual([['GROWTH_TASK_ALREADY_REWARDED', 'input.taskId']]);
    expect(await balance(me.user.id)).toBe(88);
    // The address removed, then the task ended: still rewarded, shown at its target, and a claim is still ALREADY_REWARDED.
    await t.sql('delete from address where user_id = ?', [me.user.id]);
    expect(await standing(me, [task.id])).toEqual([[1, 'REWARDED']]);
    expect(failuresOf(await claim(task.id, me), 'claimGrowthTask', 'growthTask')).toEqual([['GROWTH_TASK_ALREADY_REWARDED', 'input.taskId']]);
    okPayload(await end(task.id), 'endGrowthTask', 'growthTask');
    expect(await standing(me, [task.id])).toEqual([[1, 'REWARDED']]);
    expect(failuresOf(await claim(task.id, me), 'claimGrowthTask', 'growthTask')).toEqual([['GROWTH_TASK_ALREADY_REWARDED', 'input.taskId']]);
    expect(await balance(me.user.id)).toBe(88);
    clock.set(NOW);
  });

  it('refuses a task not reached yet, a closed one and one not open yet (GROWTH_TASK_NOT_DONE), and an unknown one (NOT_FOUND); changes nothing', async () => {
    clock.set(NOW);
    const me = await userWithToken(t);
    await addAddress(me.user.id);
    const notReached = await created({ kind: 'FIRST_ORDER', title: '首單未完成' });
    const closed = await created({ kind: 'COMPLETE_PROFILE', title: '即將結束', endsAt: at(HOUR).toISOString() });
    const endedByStaff = await created({ kind: 'COMPLETE_PROFILE', title: '被結束' });
    const scheduled = await created({ kind: 'COMPLETE_PROFILE', title: '明天開始', startsAt: at(DAY).toISOString() });
    okPayload(await end(endedByStaff.id), 'endGrowthTask', 'growthTask');
    clock.set(at(HOUR));

    const refusal = async (id: string) => payloadOf(await claim(id, me), 'claimGrowthTask').errors;
    expect(await refusal(notReached.id)).toEqual([{ code: 'GROWTH_TASK_NOT_DONE', field: ['input', 'taskId'], message: 'Not done yet: 0 of 1' }]);
    for (const id of [closed.id, endedByStaff.id]) {
      const [error] = await refusal(id);
      expect(error.code).toBe('GROWTH_TASK_NOT_DONE');
      expect(error.message).toMatch(/closed/);
    }
    const [early] = await refusal(scheduled.id);
    expect(early.code).toBe('GROWTH_TASK_NOT_DONE');
    expect(early.message).toMatch(/not opened/);
    expect(code(await claim(idOf('GrowthTask', '987654321'), me))).toBe('NOT_FOUND');
    expect(code(await claim(idOf('Order', '1'), me))).toBe('NOT_FOUND');

    expect(await count('growth_task_reward', 'user_id = ?', [me.user.id])).toBe(0);
    expect(await balance(me.user.id)).toBe(0);
    clock.set(NOW);
  });

  it('rewards exactly one of racing claims: one reward row, one points entry', async () => {
    clock.set(NOW);
    const task = await created({ kind: 'COMPLETE_PROFILE', title: '搶領', rewardPoints: 500 });
    const me = await userWithToken(t);
    await addAddress(me.user.id);
    const results = await Promise.all(Array.from({ length: 6 }, () => claim(task.id, me)));
    expect(results.map((r) => outcomeOf(r, 'claimGrowthTask')).sort()).toEqual([...Array(5).fill('GROWTH_TASK_ALREADY_REWARDED'), 'OK']);
    expect(await count('growth_task_reward', 'user_id = ? and task_id = ?', [me.user.id, keyOf(task.id)])).toBe(1);
    expect(await t.sql('select delta, key from points_entry where user_id = ?', [me.user.id])).toEqual([{ delta: 500, key: `task:${keyOf(task.id)}` }]);
  });

  it('makes a claim wait for an end in flight, then refuses it as closed', async () => {
    clock.set(NOW);
    const task = await created({ kind: 'COMPLETE_PROFILE', title: '結束中', rewardPoints: 9 });
    const me = await userWithToken(t);
    await addAddress(me.user.id);
    clock.set(at(MINUTE));
    let pending: ReturnType<typeof claim> | undefined;
    await t.orm.em.fork().transactional(async (em) => {
      // What endGrowthTask does under its row lock, held open while the claim arrives.
      await em.execute('update growth_task set ends_at = ? where id = ?', [at(MINUTE), keyOf(task.id)]);
      pending = claim(task.id, me);
      await eventually(async () => (await t.sql(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n as number, (n) => n > 0);
    });
    const [error] = payloadOf(await pending!, 'claimGrowthTask').errors;
    expect(error.code).toBe('GROWTH_TASK_NOT_DONE');
    expect(error.message).toMatch(/closed/);
    expect(await balance(me.user.id)).toBe(0);
    clock.set(NOW);
  });

  it('asks a signed-out visitor to sign in (UNAUTHENTICATED)', async () => {
    clock.set(NOW);
    const task = await created({ kind: 'COMPLETE_PROFILE', title: '訪客' });
    expect(code(await claim(task.id, null))).toBe('UNAUTHENTICATED');
  });
});
