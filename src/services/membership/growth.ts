import type { Context } from '../../context';
import { keysetClause, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { columnsOf, entitiesWhere, lockById, lockClause, unmanaged } from '../../db/rows';
import { GrowthTask, GrowthTaskKind, PointsReason, User } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { recordAudit } from '../platform';
import { checkText, MEMBERSHIP_STAFF, type TransitionTable, transition } from '../shared';
import { memberDay, STREAK_SQL } from './checkIn';
import { requireMembershipStaff } from './levels';
import { pointsBalance, postPoints } from './points';

/**
 * Growth tasks (成長任務): goals staff MEMBERSHIP_STAFF set (complete the profile, a first order, a
 * first review, friends invited, a check-in streak), each rewarding its points once per member, when
 * the member claims it while it is open and their progress reaches its target. Progress is never
 * stored: it is counted from the tables the kinds name, for every task in one statement. The unique
 * (user, task) reward decides a race between two claims; the points are posted in the same
 * transaction.
 */

/** Where a task stands on the clock: open from `startsAt` until `endsAt`. */
export type GrowthTaskState = 'SCHEDULED' | 'OPEN' | 'ENDED';
/** Where a member stands on a task. */
export type MemberTaskStatus = 'IN_PROGRESS' | 'CLAIMABLE' | 'REWARDED';

export function growthTaskState(task: Pick<GrowthTask, 'startsAt' | 'endsAt'>, now: Date): GrowthTaskState {
  if (task.endsAt && task.endsAt.getTime() <= now.getTime()) return 'ENDED';
  return task.startsAt.getTime() > now.getTime() ? 'SCHEDULED' : 'OPEN';
}

const TRANSITIONS: TransitionTable<GrowthTaskState, 'end'> = {
  end: { from: ['SCHEDULED', 'OPEN'], to: 'ENDED' },
};

/** The targets each kind allows: a profile is complete once, a first is one; streaks and friends count up. */
export const TARGET_RANGE: Record<GrowthTaskKind, [number, number]> = {
  [GrowthTaskKind.COMPLETE_PROFILE]: [1, 1],
  [GrowthTaskKind.FIRST_ORDER]: [1, 1],
  [GrowthTaskKind.FIRST_REVIEW]: [1, 1],
  [GrowthTaskKind.INVITE_FRIEND]: [1, 100],
  [GrowthTaskKind.CHECK_IN_STREAK]: [2, 365],
};
const MAX_TARGET = Math.max(...Object.values(TARGET_RANGE).map(([, max]) => max));
export const MAX_REWARD_POINTS = 100_000;

/** The rows `rows` selects, counted up to the highest target (no more is ever needed). */
const counted = (rows: string) => `(select count(*) from (${rows} limit ${MAX_TARGET}) x)::int`;

/**
 * SQL of each kind's progress for the member `me.user_id` on the day `me.today`: a saved address;
 * completed orders; reviews they wrote (published, not the platform's automatic ones); invitees
 * whose referral was rewarded; the current check-in streak.
 */
const PROGRESS_OF: Record<GrowthTaskKind, string> = {
  [GrowthTaskKind.COMPLETE_PROFILE]: counted('select 1 from address a where a.user_id = me.user_id'),
  [GrowthTaskKind.FIRST_ORDER]: counted(`select 1 from orders o where o.buyer_id = me.user_id and o.status = 'COMPLETED'`),
  [GrowthTaskKind.FIRST_REVIEW]: counted(`select 1 from review r where r.buyer_id = me.user_id and r.status = 'PUBLISHED' and not r.automatic`),
  [GrowthTaskKind.INVITE_FRIEND]: counted('select 1 from referral f where f.referrer_id = me.user_id and f.rewarded_at is not null'),
  [GrowthTaskKind.CHECK_IN_STREAK]: STREAK_SQL('me.user_id', 'me.today'),
};

/**
 * SQL: `me` (user_id, today, now from three parameters) and `p`, the member's progress per kind as
 * one row, each count evaluated once however many tasks share the kind.
 */
const MEMBER_CTES = `me as (select ?::bigint as user_id, ?::date as today, ?::timestamptz as now),
  p as materialized (select ${Object.entries(PROGRESS_OF).map(([kind, sql]) => `${sql} as "${kind}"`).join(', ')} from me)`;

/** SQL: task `t`'s progress (at most its target) from `p`. */
const PROGRESS_SQL = `least(case t.kind ${Object.values(GrowthTaskKind).map((k) => `when '${k}' then p."${k}"`).join(' ')} end, t.target)`;

/** SQL: task `t` is open at `me.now`. */
const OPEN_SQL = '(t.starts_at <= me.now and (t.ends_at is null or t.ends_at > me.now))';

export interface MemberGrowthTaskView {
  task: GrowthTask;
  /** What the member has done towards the target, at most the target (the target once rewarded). */
  progress: number;
  target: number;
  status: MemberTaskStatus;
  rewardedAt: Date | null;
}

export interface CreateGrowthTaskInput {
  kind: GrowthTaskKind;
  title: string;
  description?: string | null;
  target?: number | null;
  rewardPoints: number;
  startsAt?: Date | null;
  endsAt?: Date | null;
}

/**
 * Staff MEMBERSHIP_STAFF set a growth task: a title (1–60), a description (up to 500), a target in
 * its kind's range (TARGET_RANGE; 1 by default, which a streak must exceed), 1 to 100,000 points, open from
 * `startsAt` (now by default) until `endsAt` (none by default; after the start and in the future). Audited.
 */
export async function createGrowthTask(ctx: Context, input: CreateGrowthTaskInput): Promise<GrowthTask> {
  requireMembershipStaff(ctx);
  const now = ctx.now();
  const problems = new Problems();
  const title = checkText(problems, input.title, ['input', 'title'], 1, 60, 'The title');
  const description = input.description == null || input.description.trim() === '' ? null : checkText(problems, input.description, ['input', 'description'], 1, 500, 'The description');
  const [min, max] = TARGET_RANGE[input.kind];
  const target = input.target ?? 1;
  if (!Number.isInteger(target) || target < min || target > max) {
    problems.add(UserErrorCode.INVALID_INPUT, min === max ? `A ${input.kind} task’s target is ${min}` : `A ${input.kind} task’s target is a whole number from ${min} to ${max}`, ['input', 'target']);
  }
  if (!Number.isInteger(input.rewardPoints) || input.rewardPoints < 1 || input.rewardPoints > MAX_REWARD_POINTS) {
    problems.add(UserErrorCode.INVALID_INPUT, `The reward is a whole number of points from 1 to ${MAX_REWARD_POINTS}`, ['input', 'rewardPoints']);
  }
  const startsAt = input.startsAt ?? now;
  const endsAt = input.endsAt ?? null;
  if (endsAt && endsAt.getTime() <= startsAt.getTime()) problems.add(UserErrorCode.INVALID_INPUT, '`endsAt` must be after `startsAt`', ['input', 'endsAt']);
  else if (endsAt && endsAt.getTime() <= now.getTime()) problems.add(UserErrorCode.INVALID_INPUT, '`endsAt` must be in the future', ['input', 'endsAt']);
  problems.throwIfAny();

  return ctx.em.transactional(async (em) => {
    const task = em.create(GrowthTask, {
      kind: input.kind,
      title,
      description,
      target,
      rewardPoints: input.rewardPoints,
      startsAt,
      endsAt,
      createdBy: em.getReference(User, ctx.viewer.userId!),
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    recordAudit(ctx, em, { action: 'growthTask.create', targetType: 'GrowthTask', targetId: task.id, after: summary(task) });
    await em.flush();
    return task;
  });
}

const summary = (t: GrowthTask) => ({ kind: t.kind, title: t.title, target: t.target, rewardPoints: t.rewardPoints, startsAt: t.startsAt.toISOString(), endsAt: t.endsAt?.toISOString() ?? null });

/**
 * Staff MEMBERSHIP_STAFF end a task now: it can no longer be claimed (an ENDED one is
 * INVALID_TRANSITION). Members it rewarded keep their points and still see it. Audited.
 */
export async function endGrowthTask(ctx: Context, taskId: string): Promise<GrowthTask> {
  requireMembershipStaff(ctx);
  return ctx.em.transactional(async (em) => {
    const task = await lockById(em, GrowthTask, taskId);
    if (!task) throw new NotFoundError('No such growth task');
    const now = ctx.now();
    const before = summary(task);
    transition(TRANSITIONS, 'end', growthTaskState(task, now), 'growth task');
    // A task that has not started ends having never been open: an empty window at now.
    if (task.startsAt.getTime() > now.getTime()) task.startsAt = now;
    task.endsAt = now;
    task.updatedAt = now;
    recordAudit(ctx, em, { action: 'growthTask.end', targetType: 'GrowthTask', targetId: task.id, before, after: summary(task) });
    await em.flush();
    return task;
  });
}

/** Every task, newest first (staff MEMBERSHIP_STAFF). */
export async function listGrowthTasks(ctx: Context, args: PageArgs): Promise<Page<GrowthTask>> {
  requireMembershipStaff(ctx);
  const window = pageWindow(args, ['id']);
  const keyset = keysetClause([{ column: 'e.id', direction: 'desc' }], window);
  const order = Object.entries(keyset.orderBy).map(([c, d]) => `${c} ${d}`).join(', ');
  const rows = await ctx.em.execute<Record<string, unknown>[]>(
    `select ${columnsOf(ctx.em, GrowthTask, 'e')} from growth_task e where ${keyset.where?.sql ?? 'true'} order by ${order} limit ?`,
    [...(keyset.where?.params ?? []), window.limit],
  );
  return page(
    rows.map((row) => unmanaged(ctx.em, GrowthTask, row)),
    window,
    (task) => [task.id],
    async () => (await ctx.em.execute<{ n: number }[]>('select count(*)::int as n from growth_task'))[0].n,
  );
}

/** SQL: where the member stands on task `t` (their reward `r`, if any): status, progress (the target once rewarded), when rewarded. */
const MEMBER_SQL = `case when r.id is not null then 'REWARDED' when ${PROGRESS_SQL} >= t.target then 'CLAIMABLE' else 'IN_PROGRESS' end as member_status,
  case when r.id is not null then t.target else ${PROGRESS_SQL} end as member_progress, r.at as member_rewarded_at`;

/**
 * The viewer's growth tasks: every task open now and every one that rewarded them, each with their
 * progress and status; claimable first, then in progress, then rewarded, newest first within each.
 * One statement, whatever the number of tasks.
 */
export async function myGrowthTasks(ctx: Context): Promise<MemberGrowthTaskView[]> {
  const now = ctx.now();
  const rows = await ctx.em.execute<Record<string, unknown>[]>(
    `with ${MEMBER_CTES}
     select ${columnsOf(ctx.em, GrowthTask, 't')}, ${MEMBER_SQL},
            case when r.id is not null then 2 when ${PROGRESS_SQL} >= t.target then 0 else 1 end as member_rank
     from me cross join p cross join growth_task t
     left join growth_task_reward r on r.task_id = t.id and r.user_id = me.user_id
     where ${OPEN_SQL} or r.id is not null
     order by member_rank, t.id desc`,
    [ctx.viewer.userId, memberDay(now), now],
  );
  return rows.map((row) => viewOf(ctx, row));
}

function viewOf(ctx: Context, row: Record<string, unknown>): MemberGrowthTaskView {
  const task = unmanaged(ctx.em, GrowthTask, row);
  return {
    task,
    progress: Number(row.member_progress),
    target: task.target,
    status: row.member_status as MemberTaskStatus,
    rewardedAt: row.member_rewarded_at == null ? null : new Date(row.member_rewarded_at as string),
  };
}

/**
 * The viewer claims a task's points, once per member (GROWTH_TASK_ALREADY_REWARDED, also for the
 * loser of two claims at once: the unique reward row decides): it must be open (else
 * GROWTH_TASK_NOT_DONE saying so; an unknown one is NOT_FOUND) and their progress reach its target
 * (else GROWTH_TASK_NOT_DONE). The
 * reward row and the GROWTH_TASK points (expiring like earned points) commit together. Returns the
 * task as the member now stands on it and their balance after.
 */
export async function claimGrowthTask(ctx: Context, taskId: string): Promise<{ view: MemberGrowthTaskView; points: number }> {
  const userId = ctx.viewer.userId!;
  const now = ctx.now();
  return ctx.em.transactional(async (em) => {
    // A share lock on the task: a claim waits for an `endGrowthTask` in flight, then sees it ended.
    const [row] = await em.execute<Record<string, unknown>[]>(
      `with ${MEMBER_CTES}
       select ${columnsOf(em, GrowthTask, 't')}, ${OPEN_SQL} as open, t.starts_at > me.now as scheduled, ${PROGRESS_SQL} as progress,
              exists (select 1 from growth_task_reward r where r.user_id = me.user_id and r.task_id = t.id) as rewarded
       from me cross join p join growth_task t on t.id = ?
       ${lockClause({ lock: 'share' }, 't')}`,
      [userId, memberDay(now), now, taskId],
    );
    if (!row) throw new NotFoundError('No such growth task');
    const task = unmanaged(em, GrowthTask, row);
    const progress = Number(row.progress);
    const field = ['input', 'taskId'];
    const alreadyRewarded = () => new Failure(UserErrorCode.GROWTH_TASK_ALREADY_REWARDED, 'This growth task has already rewarded you', field);
    // Said first to a member it rewarded, whatever their progress or the task's end since.
    if (row.rewarded === true) throw alreadyRewarded();
    if (row.open !== true) throw new Failure(UserErrorCode.GROWTH_TASK_NOT_DONE, row.scheduled === true ? 'This growth task has not opened yet' : 'This growth task is closed: it can no longer be claimed', field);
    if (progress < task.target) throw new Failure(UserErrorCode.GROWTH_TASK_NOT_DONE, `Not done yet: ${progress} of ${task.target}`, field);
    const inserted = await em.execute(
      'insert into growth_task_reward (task_id, user_id, points, at) values (?, ?, ?, ?) on conflict (user_id, task_id) do nothing returning id',
      [task.id, userId, task.rewardPoints, now],
    );
    if (inserted.length === 0) throw alreadyRewarded();
    await postPoints(em, [{ userId, delta: task.rewardPoints, reason: PointsReason.GROWTH_TASK, key: `task:${task.id}`, at: now, expires: true, note: task.title }]);
    return {
      view: { task, progress: task.target, target: task.target, status: 'REWARDED', rewardedAt: now },
      points: await pointsBalance(em, userId),
    };
  });
}

/**
 * A task as `node(id:)` refetches it: for staff MEMBERSHIP_STAFF any, for a signed-in member one
 * open now or one that rewarded them.
 */
export async function visibleGrowthTask(ctx: Context, taskId: string): Promise<GrowthTask | null> {
  if (!ctx.viewer.isSignedIn) return null;
  if (ctx.viewer.hasStaffRole(...MEMBERSHIP_STAFF)) return (await entitiesWhere(ctx.em, GrowthTask, 'e.id = ?', [taskId]))[0] ?? null;
  const [task] = await entitiesWhere(
    ctx.em,
    GrowthTask,
    `e.id = ? and ((e.starts_at <= ? and (e.ends_at is null or e.ends_at > ?)) or exists (select 1 from growth_task_reward r where r.task_id = e.id and r.user_id = ?))`,
    [taskId, ctx.now(), ctx.now(), ctx.viewer.userId],
  );
  return task ?? null;
}
