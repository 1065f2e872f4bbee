import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parseExpression } from 'cron-parser';
import type { Context, SystemDeps } from '../../context';
import { lockOneWhere } from '../../db/rows';
import { ScheduledTaskState } from '../../entities';
import { Failure, UserErrorCode } from '../../errors';
import { purgeRateLimits } from '../identity';
import { closeSettlements, sendPayouts } from '../money';
import { autoConfirmDeliveries, completeOrders, expireCheckouts } from '../orders';
import { processRefunds, repairPayments } from '../payments';
import { autoApproveCases, autoCloseCases, autoReceiveCases, flagSlaBreaches } from '../aftersales';
import { expireCoupons } from '../promotions';
import { endFlashSales, expireBargains, expireGroups } from '../campaigns';
import { computeScorecards, inviteReviews, leaveDefaultReviews } from '../reviews';
import { expirePoints } from '../membership/expiry';
import { grantMemberCoupons, recomputeLevels } from '../membership/levelTasks';
import { deliverWebhooks } from '../notifications/webhookDelivery';
import { dispatchNotifications } from '../notifications/dispatch';
import { sendPendingMessages } from '../notifications/messages';
import { maintainEventPartitions, runSnapshotTask } from '../analytics';
import { recordAudit } from './audit';

/** What one run did: how many things it handled, and optionally a short note for operators. */
export type TaskResult = number | { done: number; note?: string };

export interface ScheduledTaskDefinition {
  /** Stable kebab-case name: the pg-boss queue, the `runScheduledTask` argument and the audit target. */
  name: string;
  /** One sentence for operators: what a run does. */
  description: string;
  /** Five-field cron expression, read in UTC (`* * * * *`: every minute). */
  schedule: string;
  /**
   * Does whatever is due at `deps.clock.now()`. It must be idempotent (a second run straight after
   * changes nothing) and safe beside other processes' work: claim rows with SKIP LOCKED, or move
   * them with conditional updates, in transactions of its own on forks of `em`.
   */
  run(deps: SystemDeps, em: EntityManager): Promise<TaskResult>;
}

export const EVERY_MINUTE = '* * * * *';
/** The zone of every task's cron schedule, for pg-boss and for `nextRunAt`. */
export const TASK_TIME_ZONE = 'UTC';

const KEBAB_CASE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Checks the definitions when the module loads, so a bad name or schedule stops start-up. */
function registry(tasks: ScheduledTaskDefinition[]): readonly ScheduledTaskDefinition[] {
  const names = new Set<string>();
  for (const task of tasks) {
    if (!KEBAB_CASE.test(task.name)) throw new Error(`Scheduled task name "${task.name}" is not kebab-case`);
    if (names.has(task.name)) throw new Error(`Scheduled task "${task.name}" is registered twice`);
    if (task.schedule.trim().split(/\s+/).length !== 5) throw new Error(`Scheduled task "${task.name}" needs a five-field cron schedule (got "${task.schedule}")`);
    parseExpression(task.schedule, { tz: TASK_TIME_ZONE });
    names.add(task.name);
  }
  return Object.freeze(tasks.map((task) => Object.freeze({ ...task })));
}

/**
 * Every periodic job of the platform, in the order staff see them. A new capability registers a
 * task by adding one entry here. `run` calls the domain's function from inside an arrow: those
 * domains import this one (for `recordAudit`), and the arrow reads the import when the task runs,
 * not while the modules are still loading.
 */
export const SCHEDULED_TASKS: readonly ScheduledTaskDefinition[] = registry([
  {
    name: 'expire-checkouts',
    description: 'Cancels the orders of checkouts left unpaid past their expiry (CHECKOUT_TTL_MINUTES) and releases their reserved stock.',
    schedule: EVERY_MINUTE,
    run: (deps, em) => expireCheckouts(deps, em),
  },
  {
    name: 'auto-confirm-deliveries',
    description: 'Confirms delivery, for the buyer, of orders shipped more than AUTO_CONFIRM_DAYS ago.',
    schedule: EVERY_MINUTE,
    run: (deps, em) => autoConfirmDeliveries(deps, em),
  },
  {
    name: 'complete-orders',
    description: "Completes orders delivered more than AFTER_SALES_DAYS ago (the after-sales window closes) and adds their units to the products' sales counts.",
    schedule: EVERY_MINUTE,
    run: (deps, em) => completeOrders(deps, em),
  },
  {
    name: 'send-refunds',
    description: 'Sends pending refunds to the payment provider.',
    schedule: EVERY_MINUTE,
    run: (deps, em) => processRefunds(deps, em),
  },
  {
    name: 'repair-payments',
    description: 'Opens with the provider the payments a crash left without a provider reference (older than two minutes), or abandons those whose checkout can no longer be paid.',
    schedule: EVERY_MINUTE,
    run: async (deps, em) => {
      const { opened, abandoned, failed, firstError } = await repairPayments(deps, em);
      return { done: opened + abandoned, note: failed > 0 ? `${failed} failed (${firstError}); retried next run` : undefined };
    },
  },
  {
    name: 'close-settlements',
    description: "Closes each shop's settlement of every period that has ended (SETTLEMENT_PERIOD; under CONTINUOUS, everything final so far): the entries of its completed and cancelled orders and its adjustments, summed and frozen.",
    schedule: '5 * * * *',
    run: async (deps, em) => {
      const { closed, entries } = await closeSettlements(deps, em);
      return { done: closed, note: entries > 0 ? `${entries} ledger entries settled` : undefined };
    },
  },
  {
    name: 'send-payouts',
    description: 'Sends to the payout provider the pending payouts a crash or a failed provider call left unsent (once their five-minute lease has lapsed), with the same idempotency key, so nothing is paid twice.',
    schedule: EVERY_MINUTE,
    run: async (deps, em) => {
      const { sent, failed, firstError } = await sendPayouts(deps, em);
      return { done: sent, note: failed > 0 ? `${failed} failed (${firstError}); retried next run` : undefined };
    },
  },
  {
    name: 'after-sale-auto-approve',
    description: 'Approves, for the merchant, after-sale requests left unanswered for AFTER_SALE_RESPONSE_HOURS (a REFUND_ONLY case is refunded).',
    schedule: EVERY_MINUTE,
    run: (deps, em) => autoApproveCases(deps, em),
  },
  {
    name: 'after-sale-auto-close',
    description: 'Closes after-sale cases left by the buyer: approved returns not shipped within RETURN_SHIP_DAYS (WITHDRAWN), rejections not escalated within ESCALATION_DAYS (REJECTED), replacements and repairs not confirmed within AUTO_CONFIRM_DAYS (received).',
    schedule: EVERY_MINUTE,
    run: (deps, em) => autoCloseCases(deps, em),
  },
  {
    name: 'after-sale-auto-receive',
    description: 'Receives, for the merchant, returns shipped more than RETURN_RECEIVE_DAYS ago (not restocked; a RETURN_AND_REFUND is refunded).',
    schedule: EVERY_MINUTE,
    run: (deps, em) => autoReceiveCases(deps, em),
  },
  {
    name: 'ticket-sla',
    description: 'Flags the tickets nobody has answered within TICKET_FIRST_RESPONSE_HOURS of opening (their slaBreachedAt), once each; the result counts those flagged.',
    schedule: '*/5 * * * *',
    run: async (deps, em) => (await flagSlaBreaches(deps, em)).length,
  },
  {
    name: 'expire-coupons',
    description: 'Marks EXPIRED the claimed coupons left unused past their validity.',
    schedule: '*/5 * * * *',
    run: (deps, em) => expireCoupons(deps, em),
  },
  {
    name: 'end-flash-sales',
    description: 'Settles the flash sales that have ended: the unsold units of their approved items go back to their variants’ stock (FLASH_SALE_RETURN); units of orders cancelled later go back to the variant too.',
    schedule: EVERY_MINUTE,
    run: (deps, em) => endFlashSales(deps, em),
  },
  {
    name: 'expire-bargains',
    description: 'Marks EXPIRED the bargains (砍價) not bought by their expiry.',
    schedule: EVERY_MINUTE,
    run: (deps, em) => expireBargains(deps, em),
  },
  {
    name: 'expire-groups',
    description: 'Fails the group buys (拼團) not formed by their expiry: every member order still open is cancelled, its stock released or restocked, and the paid ones refunded in full.',
    schedule: EVERY_MINUTE,
    run: (deps, em) => expireGroups(deps, em),
  },
  {
    name: 'invite-reviews',
    description: 'Records an invitation to review (for the notifier to deliver) for every line delivered within REVIEW_WINDOW_DAYS and not reviewed yet, once per line.',
    schedule: '20 * * * *',
    run: (deps, em) => inviteReviews(deps, em),
  },
  {
    name: 'default-reviews',
    description: 'When REVIEW_DEFAULT_RATING is set, leaves that rating as an automatic published review on the lines whose review window ended (in the last 7 days) without a review, and adds it to the ratings.',
    schedule: '25 * * * *',
    run: (deps, em) => leaveDefaultReviews(deps, em),
  },
  {
    name: 'compute-scorecards',
    description: 'Recomputes every ACTIVE or SUSPENDED shop’s performance scorecard over the last 30 days (rates, rating, response time, score, level) in one statement, recording each change of level (a drop to AT_RISK above all); the result counts the scorecards written.',
    // 00:15 Asia/Shanghai.
    schedule: '15 16 * * *',
    run: (deps, em) => computeScorecards(deps, em),
  },
  {
    name: 'snapshot-metrics',
    description: 'Rolls up the KPIs of yesterday (now complete) and of today so far per Asia/Shanghai day — platform, every shop and category with activity, every product — into the daily metrics the reports read, catching up missed days (at most 31 back); recomputing a day gives the same figures. The result counts the rows whose figures changed.',
    // Hourly at :10, so the dashboards show today within the hour; the first run after midnight
    // (00:10 Asia/Shanghai) completes yesterday.
    schedule: '10 * * * *',
    run: (deps, em) => runSnapshotTask(deps, em),
  },
  {
    name: 'maintain-event-partitions',
    description: 'Creates the daily partitions of the behaviour events for yesterday to a week ahead, and drops those of days older than EVENT_RETENTION_DAYS that have been snapshotted (an unsnapshotted day is kept); the result counts the partitions created and dropped.',
    // 23:50 Asia/Shanghai, before the day it prepares.
    schedule: '50 15 * * *',
    run: (deps, em) => maintainEventPartitions(deps, em),
  },
  {
    name: 'expire-points',
    description: 'Expires members’ points earned in a year at the end of the next year (Asia/Shanghai), oldest first: what is left of them after spending; the result counts the members whose points expired.',
    // 00:05 Asia/Shanghai, just after a year ends.
    schedule: '5 16 * * *',
    run: (deps, em) => expirePoints(deps, em),
  },
  {
    name: 'recompute-levels',
    description: 'The member levels’ periodic review: moves every member to the highest level their spend over LEVEL_WINDOW_DAYS now reaches, down as well as up (completions only move them up), in one statement; the result counts the members moved.',
    // 00:30 Asia/Shanghai.
    schedule: '30 16 * * *',
    run: (deps, em) => recomputeLevels(deps, em),
  },
  {
    name: 'grant-member-coupons',
    description: 'Grants each member one coupon a calendar month (Asia/Shanghai) from their level’s monthly coupon campaign, while it is claimable and has coupons left; the result counts the coupons granted.',
    // 00:40 Asia/Shanghai, after the review.
    schedule: '40 16 * * *',
    run: (deps, em) => grantMemberCoupons(deps, em),
  },
  {
    name: 'dispatch-notifications',
    description: 'Dispatches pending outbox events, oldest first: inbox notifications, emails and SMS to queue, webhook deliveries to queue, live subscription messages. The job process also runs it the moment a change commits; this run is the sweep after a crash or a lost wake-up.',
    schedule: EVERY_MINUTE,
    run: async (deps, em) => {
      const r = await dispatchNotifications(deps, em);
      return { done: r.events, note: r.events > 0 ? `${r.notifications} notifications, ${r.messages} messages, ${r.deliveries} webhook deliveries` : undefined };
    },
  },
  {
    name: 'send-messages',
    description: 'Sends the due emails and SMS, transactional ones first, outside any transaction (each claimed with a two-minute lease); a user’s non-transactional ones beyond NOTIFY_MAX_PER_HOUR in the hour are suppressed; a failed one is retried after 1, 2, 4 and 8 minutes, then FAILED. The job process also sends at once after dispatching; this run is the sweep.',
    schedule: EVERY_MINUTE,
    run: async (deps, em) => {
      const r = await sendPendingMessages(deps, em);
      const notes = [r.suppressed > 0 ? `${r.suppressed} suppressed by the hourly cap` : '', r.retrying + r.failed > 0 ? `${r.retrying} to retry, ${r.failed} given up (${r.firstError})` : ''].filter(Boolean);
      return { done: r.sent, note: notes.length > 0 ? notes.join('; ') : undefined };
    },
  },
  {
    name: 'deliver-webhooks',
    description: 'Sends the webhook deliveries that are due (new ones the dispatcher has not sent yet, and retries: 30 s doubling to 1 h between attempts, for 24 hours, after which the delivery fails and its subscription is disabled, the owner notified).',
    schedule: EVERY_MINUTE,
    run: async (deps, em) => {
      const { delivered, retrying, failed } = await deliverWebhooks(deps, em);
      const problems = [retrying > 0 ? `${retrying} failed, retried later` : '', failed > 0 ? `${failed} given up (subscriptions disabled)` : ''].filter(Boolean);
      return { done: delivered, note: problems.length > 0 ? problems.join('; ') : undefined };
    },
  },
  {
    name: 'purge-rate-limits',
    description: 'Deletes expired rate-limit counters from PostgreSQL.',
    schedule: EVERY_MINUTE,
    run: (_deps, em) => purgeRateLimits(em),
  },
]);

export function findScheduledTask(name: string): ScheduledTaskDefinition | undefined {
  return SCHEDULED_TASKS.find((task) => task.name === name);
}

/** A task as staff see it: its definition with the last run, shared by every server process. */
export interface ScheduledTaskInfo {
  name: string;
  description: string;
  schedule: string;
  lastRunAt: Date | null;
  lastResult: string | null;
  nextRunAt: Date | null;
}

/** The first tick of `schedule` strictly after `now`. */
export function nextRunAfter(schedule: string, now: Date): Date {
  return parseExpression(schedule, { currentDate: now, tz: TASK_TIME_ZONE }).next().toDate();
}

function infoOf(task: ScheduledTaskDefinition, state: ScheduledTaskState | undefined, now: Date): ScheduledTaskInfo {
  return {
    name: task.name,
    description: task.description,
    schedule: task.schedule,
    lastRunAt: state?.lastRunAt ?? null,
    lastResult: state?.lastResult ?? null,
    nextRunAt: nextRunAfter(task.schedule, now),
  };
}

/** Every registered task with its last run and next tick by the business clock (ADMIN, OPERATIONS). */
export async function listScheduledTasks(ctx: Context): Promise<ScheduledTaskInfo[]> {
  const states = await ctx.em.find(ScheduledTaskState, { name: { $in: SCHEDULED_TASKS.map((t) => t.name) } });
  const byName = new Map(states.map((s) => [s.name, s]));
  const now = ctx.now();
  return SCHEDULED_TASKS.map((task) => infoOf(task, byName.get(task.name), now));
}

/**
 * Runs the task named `name` now, at the request's business clock, and returns when it is done
 * (ADMIN). It waits for a run of the same task elsewhere to finish first, then does what the next
 * scheduled run would do. The run is audited.
 */
export async function runScheduledTask(ctx: Context, name: string): Promise<ScheduledTaskInfo> {
  const task = findScheduledTask(name);
  if (!task) throw new Failure(UserErrorCode.TASK_NOT_FOUND, `No scheduled task is named "${name}"`, ['input', 'name']);
  const run = await runTask(ctx.deps, ctx.em, task, {
    record: (tx, state) => {
      recordAudit(ctx, tx, { action: 'scheduledTask.run', targetType: 'ScheduledTask', targetId: task.name, after: { lastRunAt: state.lastRunAt?.toISOString(), result: state.lastResult } });
    },
  });
  if (run.error) throw run.error;
  return infoOf(task, run.state, ctx.now());
}

export interface TaskRun {
  state: ScheduledTaskState;
  /** What the task reported handling (0 when it failed). */
  done: number;
  /** The task's own failure, already recorded as its last result. */
  error?: Error;
}

/** How long a run waits for a run of the same task elsewhere; pg-boss gives up on a job after 300 s too. */
const WAIT_LIMIT_MS = 300_000;
/** Polls for the lock from 25 ms, doubling up to 250 ms: a short run is soon followed, a long one polled lightly. */
const WAIT_POLL_MS = { first: 25, max: 250 };

/**
 * Runs `task` and records the run in its `scheduled_task_state` row, which it holds locked for the
 * whole run: runs of one task never overlap across processes. A run that finds the row locked
 * waits (without holding a pooled connection, so many waiters cannot starve the running one) and
 * then runs at the time it gets the lock. The task's own failure is recorded and returned, not
 * thrown, so its record commits; `record` adds to the same transaction (an audit entry).
 */
export async function runTask(
  deps: SystemDeps,
  em: EntityManager,
  task: ScheduledTaskDefinition,
  opts: { record?: (tx: EntityManager, state: ScheduledTaskState) => void } = {},
): Promise<TaskRun> {
  await em.execute('insert into scheduled_task_state (name) values (?) on conflict (name) do nothing', [task.name]);
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (let pause = WAIT_POLL_MS.first; ; pause = Math.min(pause * 2, WAIT_POLL_MS.max)) {
    const run = await em.fork().transactional(async (tx): Promise<TaskRun | null> => {
      const state = await lockOneWhere(tx, ScheduledTaskState, 'e.name = ?', [task.name], { skipLocked: true });
      if (!state) return null;
      state.lastRunAt = deps.clock.now();
      let done = 0;
      let error: Error | undefined;
      try {
        const result = await task.run(deps, em.fork());
        done = typeof result === 'number' ? result : result.done;
        state.lastResult = typeof result === 'number' || !result.note ? `done: ${done}` : `done: ${done}; ${result.note}`;
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
        state.lastResult = `failed: ${error.message}`;
      }
      opts.record?.(tx, state);
      return { state, done, error };
    });
    if (run) return run;
    if (Date.now() > deadline) throw new Error(`Scheduled task "${task.name}" is still running elsewhere after ${WAIT_LIMIT_MS / 1000} s`);
    await sleep(pause);
  }
}
