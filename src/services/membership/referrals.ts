import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import type { Context } from '../../context';
import { keysetClause, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { columnsOf, lockKeys, rowShape, selectRows, unmanaged } from '../../db/rows';
import { OrderStatus, PointsReason, Referral } from '../../entities';
import { Failure, type Problems, UserErrorCode } from '../../errors';
import { grantCampaignCoupons } from '../promotions';
import { maskName } from '../reviews';
import { postPoints } from './points';

/**
 * Referrals (推薦, KOC). Every user has a referral code (`users.referral_code`, generated from the
 * key). A new user names a referrer with the code at registration, or later with
 * `applyReferralCode` until their first order is paid; one referrer per invitee (the unique index
 * on `referral.invitee_id`). When the invitee's first order completes, both sides are rewarded once
 * (`rewardReferrals`, in the transaction that completes the orders): REFERRAL_REWARD_POINTS each,
 * and a coupon of REFERRAL_REWARD_CAMPAIGN_ID when one is configured.
 *
 * Referrals form a forest: an invitee has one referrer, and `applyReferralCode` only attaches a
 * caller who has none (a root) under the code's owner. That closes a loop exactly when the owner's
 * root (following referrers upwards) is the caller. The check runs with the caller's and the
 * root's `users` rows locked (and the owner's), in id order: whoever attaches a tree under another
 * locks both roots, so two applications that could close a loop between them — A applying B's code
 * while B applies A's, or the two halves of a longer ring — take turns, and the second sees the
 * first. Registration only adds a new leaf, which can close no loop, so it takes no lock.
 */

/** Codes are eight characters of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ; anything longer is not looked up. */
const MAX_CODE_LENGTH = 32;

/** A code as typed: trimmed and upper-cased (codes are upper case); null when blank. */
export function normaliseReferralCode(code: string | null | undefined): string | null {
  const trimmed = code?.trim().toUpperCase() ?? '';
  return trimmed === '' ? null : trimmed;
}

const OWNER = rowShape({ id: 'key' });

/** The key of the user whose referral code is `code` (normalised), or null. */
async function ownerOfCode(em: EntityManager, code: string): Promise<string | null> {
  if (code.length > MAX_CODE_LENGTH) return null;
  const [row] = await selectRows(em, OWNER, 'select id from users where referral_code = ?', [code]);
  return row?.id ?? null;
}

const unknownCode = (field: string[]) => new Failure(UserErrorCode.INVALID_REFERRAL_CODE, 'No member has this referral code', field);

/**
 * Registration: the referrer of the code a new user typed (null when none was typed), or an
 * INVALID_REFERRAL_CODE problem on `field` for an unknown one — found before anything is created.
 */
export async function referrerForRegistration(em: EntityManager, code: string | null | undefined, problems: Problems, field: string[]): Promise<string | null> {
  const normalised = normaliseReferralCode(code);
  if (normalised === null) return null;
  const owner = await ownerOfCode(em, normalised);
  if (owner === null) problems.add(UserErrorCode.INVALID_REFERRAL_CODE, 'No member has this referral code', field);
  return owner;
}

/** Registration: links the new user `inviteeId` to `referrerId`, in the transaction that creates the user. */
export async function linkReferral(em: EntityManager, referrerId: string, inviteeId: string, at: Date): Promise<void> {
  await em.execute('insert into referral (referrer_id, invitee_id, created_at) values (?, ?, ?)', [referrerId, inviteeId, at]);
}

const CHAIN = rowShape({ id: 'key', depth: 'int' });
const STATE = rowShape({ referred: 'bool', paid: 'bool' });

/** `userId` and its referrers upwards, nearest first: the last is the root of its tree. */
async function referrerChain(em: EntityManager, userId: string): Promise<string[]> {
  const rows = await selectRows(
    em,
    CHAIN,
    `with recursive up(id, depth) as (
       select ?::bigint, 0
       union all
       select r.referrer_id, up.depth + 1 from referral r join up on r.invitee_id = up.id where up.depth < 100000
     )
     select id, depth from up order by depth`,
    [userId],
  );
  return rows.map((r) => r.id);
}

/**
 * The signed-in user names their referrer by code: once (ALREADY_REFERRED), only before their first
 * paid order (ALREADY_REFERRED), not their own code (SELF_REFERRAL), not someone they brought in,
 * directly or down a chain (REFERRAL_LOOP); an unknown code is INVALID_REFERRAL_CODE. See the module
 * comment for how loops are kept out under concurrency. Returns the referral made.
 */
export async function applyReferralCode(ctx: Context, input: { code: string }): Promise<Referral> {
  const userId = ctx.viewer.userId!;
  const field = ['input', 'code'];
  const code = normaliseReferralCode(input.code);
  if (code === null) throw unknownCode(field);
  return ctx.em.transactional(async (em) => {
    const ownerId = await ownerOfCode(em, code);
    if (ownerId === null) throw unknownCode(field);
    if (ownerId === userId) throw new Failure(UserErrorCode.SELF_REFERRAL, 'That referral code is your own', field);

    // One code applied at a time, platform-wide (a transaction-scoped advisory lock): a loop needs
    // two edges closing it, and two applications can then never close one together, whatever the
    // ring's length, nor deadlock on row locks. Applications are rare; registrations with a code
    // need no such lock (a new user has no invitees to loop through).
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', ['referral-graph']);
    const chain = await referrerChain(em, ownerId);

    const [state] = await selectRows(
      em,
      STATE,
      `select exists (select 1 from referral where invitee_id = ?) as referred,
              exists (select 1 from orders where buyer_id = ? and paid_at is not null) as paid`,
      [userId, userId],
    );
    if (state.referred) throw new Failure(UserErrorCode.ALREADY_REFERRED, 'You already have a referrer', field);
    if (state.paid) throw new Failure(UserErrorCode.ALREADY_REFERRED, 'A referrer can be added only before your first order is paid', field);
    if (chain.includes(userId)) throw new Failure(UserErrorCode.REFERRAL_LOOP, 'You referred the owner of this code, directly or down a chain: referrals cannot loop', field);

    // The unique index on invitee_id has the last word, should anything have slipped past the checks.
    const rows = await em.execute<Record<string, unknown>[]>(
      `insert into referral as e (referrer_id, invitee_id, created_at) values (?, ?, ?)
       on conflict (invitee_id) do nothing
       returning ${columnsOf(em, Referral, 'e')}`,
      [ownerId, userId, ctx.now()],
    );
    if (rows.length === 0) throw new Failure(UserErrorCode.ALREADY_REFERRED, 'You already have a referrer', field);
    const referral = em.map(Referral, rows[0] as never);
    inviteeNames.set(referral, maskName(ctx.viewer.user!.displayName));
    return referral;
  });
}

// --- Rewards ------------------------------------------------------------------------------------

const REWARDED = rowShape({ id: 'key', referrer_id: 'key', invitee_id: 'key', order_number: 'text' });

/**
 * Rewards the referrals whose invitee's first order is among `orderIds`, in the transaction that
 * completes those orders (call it once they count as COMPLETED). Set-based: for each buyer of the
 * batch who is an unrewarded invitee and has no completed order outside it, the referral is marked
 * rewarded with the buyer's earliest order of the batch, by an UPDATE … WHERE rewarded_at IS NULL —
 * the exactly-once guard (a concurrent batch waits on the row and then finds it rewarded). Both
 * sides then get REFERRAL_REWARD_POINTS (keys "referral:<id>:referrer" / ":invitee", expiring like
 * earned points; none when 0) and, when REFERRAL_REWARD_CAMPAIGN_ID is set, one coupon of that
 * platform campaign each while it is claimable and has some left (grant key "referral:<id>").
 * Returns how many referrals were rewarded.
 */
export async function rewardReferrals(em: EntityManager, orderIds: string[], at: Date, config: Config): Promise<number> {
  if (orderIds.length === 0) return 0;
  const points = config.membership.referralRewardPoints;
  // The batch's unrewarded referrals, locked in id order first: concurrent batches with orders of the same invitees never deadlock.
  const pending = await lockKeys(em, Referral, {
    subquery: 'select r.id from referral r where r.invitee_id in (select buyer_id from orders where id in (?)) and r.rewarded_at is null',
    params: [orderIds],
  });
  if (pending.length === 0) return 0;
  const rewarded = await selectRows(
    em,
    REWARDED,
    `with firsts as (
       select distinct on (o.buyer_id) o.buyer_id, o.id, o.number, o.completed_at
       from orders o
       where o.id in (?) and o.status = '${OrderStatus.COMPLETED}'
       order by o.buyer_id, o.completed_at, o.id
     )
     update referral r set rewarded_at = ?, reward_order_id = f.id, referrer_points = ?
     from firsts f
     where r.id in (?) and r.invitee_id = f.buyer_id and r.rewarded_at is null
       and not exists (
         select 1 from orders p
         where p.buyer_id = f.buyer_id and p.status = '${OrderStatus.COMPLETED}' and p.completed_at <= f.completed_at and p.id not in (?))
     returning r.id, r.referrer_id, r.invitee_id, f.number as order_number`,
    [orderIds, at, points, pending, orderIds],
  );
  if (rewarded.length === 0) return 0;
  if (points > 0) {
    await postPoints(
      em,
      rewarded.flatMap((r) => [
        { userId: r.referrer_id, delta: points, reason: PointsReason.REFERRAL, key: `referral:${r.id}:referrer`, at, expires: true, note: 'A friend you invited completed their first order' },
        { userId: r.invitee_id, delta: points, reason: PointsReason.REFERRAL, key: `referral:${r.id}:invitee`, at, expires: true, note: `Your first order ${r.order_number} completed (referral)` },
      ]),
    );
  }
  const campaignId = config.membership.referralRewardCampaignId;
  if (campaignId !== null) {
    await grantCampaignCoupons(
      em,
      campaignId,
      rewarded.flatMap((r) => [
        { userId: r.referrer_id, grantKey: `referral:${r.id}` },
        { userId: r.invitee_id, grantKey: `referral:${r.id}` },
      ]),
      at,
    );
  }
  return rewarded.length;
}

// --- Reading ------------------------------------------------------------------------------------

/** The masked display names of the invitees of the referrals a list or mutation returned. */
const inviteeNames = new WeakMap<Referral, string>();

/** The invitee's display name, masked (e.g. "王**"), of a referral `myReferrals` or `applyReferralCode` returned. */
export function inviteeNameOf(referral: Referral): string {
  return inviteeNames.get(referral) ?? '**';
}

export interface ReferralSummary {
  rewardedCount: number;
  pointsEarned: number;
}

const SUMMARY = rowShape({ n: 'int', rewarded: 'int', points: 'int' });

/**
 * The viewer's invitees, newest first (keyset on the id, `referral_referrer_idx`), each with the
 * invitee's masked name; with the count of rewarded ones and the points they earned the viewer
 * (one statement, computed only when asked, like the total).
 */
export async function myReferrals(ctx: Context, args: PageArgs): Promise<Page<Referral> & { summary: () => Promise<ReferralSummary> }> {
  const userId = ctx.viewer.userId!;
  const window = pageWindow(args, ['id']);
  const { where, orderBy } = keysetClause([{ column: 'e.id', direction: 'desc' }], window);
  const order = Object.entries(orderBy).map(([column, dir]) => `${column} ${dir}`).join(', ');
  const rows = await ctx.em.execute<Record<string, unknown>[]>(
    `select ${columnsOf(ctx.em, Referral, 'e')}, u.display_name as invitee_display_name
     from referral e join users u on u.id = e.invitee_id
     where e.referrer_id = ?${where ? ` and ${where.sql}` : ''} order by ${order} limit ?`,
    [userId, ...(where?.params ?? []), window.limit],
  );
  const referrals = rows.map((row) => {
    const referral = unmanaged(ctx.em, Referral, row);
    inviteeNames.set(referral, maskName(String(row.invitee_display_name ?? '')));
    return referral;
  });
  let counted: Promise<{ n: number; rewarded: number; points: number }> | undefined;
  const count = () =>
    (counted ??= selectRows(
      ctx.em,
      SUMMARY,
      `select count(*)::int as n, count(rewarded_at)::int as rewarded, coalesce(sum(referrer_points), 0)::int as points from referral where referrer_id = ?`,
      [userId],
    ).then(([row]) => row));
  return {
    ...page(referrals, window, (r) => [r.id], async () => (await count()).n),
    summary: async () => {
      const row = await count();
      return { rewardedCount: row.rewarded, pointsEarned: row.points };
    },
  };
}
