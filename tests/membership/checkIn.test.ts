import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { memberDay } from '../../src/services/membership';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, okPayload, outcomeOf } from '../helpers/kit';

/**
 * Daily check-in (簽到) through the API against the real database: one per calendar day in
 * Asia/Shanghai (the boundary is 16:00 UTC, not midnight UTC), the streak carried from yesterday or
 * restarted, CHECK_IN_POINTS plus every streak bonus whose days divide the streak, posted to the
 * points ledger in the same transaction, and racing check-ins of which exactly one counts.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 23:59:59.999 on 1 March 2031 in Shanghai (UTC+8). */
const LAST_MS_OF_MARCH_1 = new Date('2031-03-01T15:59:59.999Z');
const clock = new ManualClock(LAST_MS_OF_MARCH_1);

const CHECK_IN = `mutation { checkIn { checkIn { day streak points at } points errors { code field message } } }`;
const MY_CHECK_INS = `query($days: Int) { myCheckIns(days: $days) { day streak points } }`;
const STANDING = `query { me { membership { checkInStreak checkedInToday points } } }`;

let t: TestApp;

beforeAll(async () => {
  // 5 a day; +10 on every 3rd day of a streak, +100 on every 6th (so day 6 takes both).
  t = await createTestApp({ CHECK_IN_POINTS: '5', CHECK_IN_STREAK_BONUSES: '3:10,6:100' }, { clock });
});
afterAll(() => t.close());

const checkIn = (token: string | null) => t.gql(CHECK_IN, {}, token ? { token } : {});
const checkedIn = async (token: string) => okPayload(await checkIn(token), 'checkIn');
const standing = async (token: string) => {
  const res = await t.gql(STANDING, {}, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.me.membership;
};

async function rowsOf(userKey: string) {
  const checkIns = await t.sql(`select day::text as day, streak, points, at from check_in where user_id = ? order by day`, [userKey]);
  const entries = await t.sql(`select delta, reason, key, expires_at, note from points_entry where user_id = ? order by id`, [userKey]);
  return { checkIns, entries };
}

describe('memberDay', () => {
  it('is the calendar day in Asia/Shanghai: 16:00 UTC starts the next one', () => {
    expect(memberDay(new Date('2031-03-01T15:59:59.999Z'))).toBe('2031-03-01');
    expect(memberDay(new Date('2031-03-01T16:00:00.000Z'))).toBe('2031-03-02');
    expect(memberDay(new Date('2031-12-31T16:00:00.000Z'))).toBe('2032-01-01');
    expect(memberDay(new Date('2032-02-28T16:30:00.000Z'))).toBe('2032-02-29');
  });
});

describe('checkIn', () => {
  it('checks in once per Shanghai day, the boundary being 16:00 UTC, and posts the points with the check-in', async () => {
    const me = await userWithToken(t);
    clock.set(LAST_MS_OF_MARCH_1);
    const first = await checkedIn(me.token);
    expect(first.checkIn).toEqual({ day: '2031-03-01', streak: 1, points: 5, at: LAST_MS_OF_MARCH_1.toISOString() });
    expect(first.points).toBe(5);

    // Again the same day: refused, nothing added.
    expect(failuresOf(await checkIn(me.token), 'checkIn', 'checkIn')).toEqual([['ALREADY_CHECKED_IN', '']]);

    // One millisecond later it is 2 March in Shanghai (still 1 March in UTC): a new day, the streak goes on.
    clock.advance(1);
    const second = await checkedIn(me.token);
    expect(second.checkIn).toMatchObject({ day: '2031-03-02', streak: 2, points: 5 });
    expect(second.points).toBe(10);

    // Midnight UTC is 08:00 in Shanghai: the same day, still refused.
    clock.set(new Date('2031-03-02T00:00:00.000Z'));
    expect(failuresOf(await checkIn(me.token), 'checkIn', 'checkIn')).toEqual([['ALREADY_CHECKED_IN', '']]);
    clock.set(new Date('2031-03-02T15:59:59.999Z'));
    expect(failuresOf(await checkIn(me.token), 'checkIn', 'checkIn')).toEqual([['ALREADY_CHECKED_IN', '']]);

    const { checkIns, entries } = await rowsOf(me.user.id);
    expect(checkIns.map((c: { day: string; streak: number; points: number }) => [c.day, c.streak, c.points])).toEqual([
      ['2031-03-01', 1, 5],
      ['2031-03-02', 2, 5],
    ]);
    // Earned points: they expire at the end of the next year in Shanghai (2033-01-01 00:00 +08:00).
    expect(entries).toEqual([
      { delta: 5, reason: 'CHECK_IN', key: 'checkin:2031-03-01', expires_at: expect.anything(), note: expect.any(String) },
      { delta: 5, reason: 'CHECK_IN', key: 'checkin:2031-03-02', expires_at: expect.anything(), note: expect.any(String) },
    ]);
    expect(entries.map((e: { expires_at: string }) => new Date(e.expires_at).toISOString())).toEqual(['2032-12-31T16:00:00.000Z', '2032-12-31T16:00:00.000Z']);
    expect((await standing(me.token)).points).toBe(10);
  });

  it('adds every bonus whose days divide the streak, and restarts the streak after a day missed', async () => {
    const me = await userWithToken(t);
    const earned: [number, number, number][] = [];
    // Seven days in a row at different hours of the Shanghai day (01:00 UTC = 09:00, 15:30 UTC = 23:30).
    for (let d = 0; d < 7; d++) {
      clock.set(new Date(Date.parse('2031-04-01T01:00:00.000Z') + d * DAY + (d % 2) * 14.5 * HOUR));
      const res = await checkedIn(me.token);
      earned.push([res.checkIn.streak, res.checkIn.points, res.points]);
    }
    // 5 a day; day 3: +10; day 6: +10 +100.
    expect(earned).toEqual([
      [1, 5, 5],
      [2, 5, 10],
      [3, 15, 25],
      [4, 5, 30],
      [5, 5, 35],
      [6, 115, 150],
      [7, 5, 155],
    ]);

    // 8 April missed: on the 9th the streak starts again at 1.
    clock.set(new Date('2031-04-09T03:00:00.000Z'));
    expect(await standing(me.token)).toEqual({ checkInStreak: 0, checkedInToday: false, points: 155 });
    const again = await checkedIn(me.token);
    expect(again.checkIn).toMatchObject({ day: '2031-04-09', streak: 1, points: 5 });
    expect(again.points).toBe(160);

    const { checkIns, entries } = await rowsOf(me.user.id);
    expect(checkIns.map((c: { streak: number }) => c.streak)).toEqual([1, 2, 3, 4, 5, 6, 7, 1]);
    expect(entries.map((e: { delta: number }) => e.delta)).toEqual([5, 5, 15, 5, 5, 115, 5, 5]);
    expect(entries.every((e: { reason: string }) => e.reason === 'CHECK_IN')).toBe(true);
  });

  it('shows the streak on the membership: today’s, else yesterday’s, else 0', async () => {
    const me = await userWithToken(t);
    clock.set(new Date('2031-05-10T02:00:00.000Z'));
    expect(await standing(me.token)).toEqual({ checkInStreak: 0, checkedInToday: false, points: 0 });
    await checkedIn(me.token);
    expect(await standing(me.token)).toMatchObject({ checkInStreak: 1, checkedInToday: true });
    clock.set(new Date('2031-05-10T16:00:00.000Z'));
    await checkedIn(me.token);
    expect(await standing(me.token)).toMatchObject({ checkInStreak: 2, checkedInToday: true });
    // The next Shanghai day, not checked in yet: yesterday's streak still stands.
    clock.set(new Date('2031-05-12T15:59:00.000Z'));
    expect(await standing(me.token)).toMatchObject({ checkInStreak: 2, checkedInToday: false });
    // A day later with none: broken.
    clock.set(new Date('2031-05-12T16:00:00.000Z'));
    expect(await standing(me.token)).toMatchObject({ checkInStreak: 0, checkedInToday: false });
  });

  it('shows a shopper’s streak to staff CUSTOMER_SERVICE (the membership’s user, not the viewer), both fields from one statement', async () => {
    const me = await userWithToken(t);
    const cs = await userWithToken(t, { roles: [StaffRole.CUSTOMER_SERVICE] });
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    clock.set(new Date('2031-05-20T02:00:00.000Z'));
    await checkedIn(me.token);
    await checkedIn(cs.token);
    clock.set(new Date('2031-05-20T16:00:00.000Z'));
    await checkedIn(me.token);
    const res = await t.gql(`query($id: ID!) { node(id: $id) { ... on User { membership { checkInStreak checkedInToday } } } }`, { id: idOf('User', me.user.id) }, { token: cs.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.node.membership).toEqual({ checkInStreak: 2, checkedInToday: true });

    const { result, statements } = await t.captureQueries(`query { users(first: 20) { nodes { id membership { checkInStreak checkedInToday } } } }`, {}, { token: admin.token });
    expect(result.errors).toBeUndefined();
    const nodes = result.data!.users.nodes as { id: string; membership: { checkInStreak: number; checkedInToday: boolean } }[];
    expect(nodes.length).toBeGreaterThan(2);
    const of = (key: string) => nodes.find((n) => n.id === idOf('User', key))!.membership;
    expect(of(me.user.id)).toEqual({ checkInStreak: 2, checkedInToday: true });
    // Checked in yesterday only: the streak stands, today not yet.
    expect(of(cs.user.id)).toEqual({ checkInStreak: 1, checkedInToday: false });
    expect(of(admin.user.id)).toEqual({ checkInStreak: 0, checkedInToday: false });
    // Both fields of a member share one statement (batched across the members resolved together).
    expect(statements.filter((st) => /from check_in/.test(st.sql)).length).toBeLessThanOrEqual(nodes.length);
  });

  it('lets exactly one of racing check-ins through: one check-in, one points entry', async () => {
    const me = await userWithToken(t);
    clock.set(new Date('2031-06-01T04:00:00.000Z'));
    const results = await Promise.all(Array.from({ length: 6 }, () => checkIn(me.token)));
    const outcomes = results.map((r) => outcomeOf(r, 'checkIn')).sort();
    expect(outcomes).toEqual(['ALREADY_CHECKED_IN', 'ALREADY_CHECKED_IN', 'ALREADY_CHECKED_IN', 'ALREADY_CHECKED_IN', 'ALREADY_CHECKED_IN', 'OK']);
    const { checkIns, entries } = await rowsOf(me.user.id);
    expect(checkIns).toHaveLength(1);
    expect(entries.map((e: { key: string; delta: number }) => [e.key, e.delta])).toEqual([['checkin:2031-06-01', 5]]);
  });

  it('asks a signed-out visitor to sign in (UNAUTHENTICATED)', async () => {
    expect(code(await checkIn(null))).toBe('UNAUTHENTICATED');
    expect(code(await t.gql(MY_CHECK_INS, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('myCheckIns', () => {
  it('lists the check-ins of the last `days` Shanghai days, newest first (30 by default)', async () => {
    const me = await userWithToken(t);
    const other = await userWithToken(t);
    // 1, 2 and 4 July, and 2 June (outside 30 days of 4 July).
    for (const at of ['2031-06-02T02:00:00.000Z', '2031-07-01T02:00:00.000Z', '2031-07-02T02:00:00.000Z', '2031-07-04T02:00:00.000Z']) {
      clock.set(new Date(at));
      await checkedIn(me.token);
    }
    await checkedIn(other.token);
    const list = async (days?: number) => {
      const res = await t.gql(MY_CHECK_INS, days === undefined ? {} : { days }, { token: me.token });
      expect(res.errors).toBeUndefined();
      return res.data!.myCheckIns.map((c: { day: string; streak: number }) => [c.day, c.streak]);
    };
    expect(await list()).toEqual([
      ['2031-07-04', 1],
      ['2031-07-02', 2],
      ['2031-07-01', 1],
    ]);
    // Today and yesterday (3 July: none).
    expect(await list(2)).toEqual([['2031-07-04', 1]]);
    expect(await list(1)).toEqual([['2031-07-04', 1]]);
    expect(await list(33)).toHaveLength(4);
  });

  it('refuses a number of days out of 1..366 (BAD_USER_INPUT)', async () => {
    const me = await userWithToken(t);
    for (const days of [0, -1, 367]) expect(code(await t.gql(MY_CHECK_INS, { days }, { token: me.token }))).toBe('BAD_USER_INPUT');
  });
});
