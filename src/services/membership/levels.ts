import DataLoader from 'dataloader';
import type { Context } from '../../context';
import { entitiesWhere, entityWhere, lockWhere, rowShape, selectRows } from '../../db/rows';
import { CouponAudience, Member, MemberLevel } from '../../entities';
import { ForbiddenError, Problems, UserErrorCode } from '../../errors';
import { recordAudit } from '../platform';
import { checkText, MEMBERSHIP_STAFF, toMinor } from '../shared';
import { pointsBalances } from './points';
import { memberStandings, type Standing } from './standing';

/**
 * Member levels (會員等級): the ladder staff configure (MEMBERSHIP_STAFF) and where a member stands
 * on it. A member's `member.level_rank` is always a rank of the ladder: replacing the ladder moves
 * the holders of a removed rank to the highest rank left below it, in the same transaction. Reads
 * still take the highest configured rank at or below the one held, so a level that went missing
 * between the two (a completion racing the change) never leaves a member without one.
 */

/** Highest rank, and so at most MAX_RANK + 1 levels. */
export const MAX_RANK = 20;
const MAX_PERKS = 10;
/** The most the points multiplier may be (10×). */
const MAX_MULTIPLIER_PCT = 1000;

/** Staff MEMBERSHIP_STAFF (OPERATIONS; ADMIN passes), checked again here behind the shield. */
export function requireMembershipStaff(ctx: Context): void {
  if (!ctx.viewer.hasStaffRole(...MEMBERSHIP_STAFF)) throw new ForbiddenError();
}

/** The ladder, lowest rank first (rank 0 always there). */
export function memberLevels(ctx: Context): Promise<MemberLevel[]> {
  return entitiesWhere(ctx.em, MemberLevel, 'true order by e.rank');
}

/** One level by key (`node(id)`): levels are public. */
export function visibleMemberLevel(ctx: Context, key: string): Promise<MemberLevel | null> {
  return entityWhere(ctx.em, MemberLevel, 'e.id = ?', [key]);
}

// --- Replacing the ladder -----------------------------------------------------------------------

export interface MemberLevelInput {
  rank: number;
  name: string;
  /** Decimal: spend over the window that reaches the level. */
  minSpend: string;
  /** 1.5 = half as many points again; at most 2 decimals, 0 to 10. */
  pointsMultiplier: number;
  /** Decimal; null: no free-shipping override. */
  freeShippingThreshold?: string | null;
  /** Database key of a platform MEMBER_LEVEL coupon campaign. */
  monthlyCouponCampaignId?: string | null;
  perks?: string[] | null;
}

interface LevelRow {
  rank: number;
  name: string;
  min_spend: number;
  points_multiplier_pct: number;
  free_shipping_threshold: number | null;
  monthly_coupon_campaign_id: string | null;
  perks: string[];
}

const CAMPAIGN = rowShape({ id: 'key', shop_id: 'key?', audience: 'text', member_level: 'int?' });

/**
 * Every level of `levels` checked, as stored: INVALID_INPUT at `input.levels.<i>.<field>` for each
 * problem (all reported at once), or at `input.levels` for the ladder as a whole. One query checks
 * the coupon campaigns named: each must be the platform's, for MEMBER_LEVEL, and open to the level
 * it is granted to (its `memberLevel` at most the level's rank).
 */
async function parseLadder(ctx: Context, levels: MemberLevelInput[]): Promise<LevelRow[]> {
  const problems = new Problems();
  const { currency } = ctx.deps.config;
  const at = (i: number, ...field: string[]) => ['input', 'levels', String(i), ...field];
  if (levels.length < 1 || levels.length > MAX_RANK + 1) problems.add(UserErrorCode.INVALID_INPUT, `Give 1 to ${MAX_RANK + 1} levels`, ['input', 'levels']);
  const ranks = new Set<number>();
  const names = new Set<string>();
  /** The levels whose rank and minSpend are sound (a rank given twice counts once), for the ladder's checks. */
  const sound = new Set<number>();
  const rows = levels.map((level, i): LevelRow => {
    let rankOk = false;
    if (!Number.isInteger(level.rank) || level.rank < 0 || level.rank > MAX_RANK) problems.add(UserErrorCode.INVALID_INPUT, `A rank is a whole number from 0 to ${MAX_RANK}`, at(i, 'rank'));
    else if (ranks.has(level.rank)) problems.add(UserErrorCode.INVALID_INPUT, `Rank ${level.rank} is given twice`, at(i, 'rank'));
    else rankOk = true;
    ranks.add(level.rank);
    const name = checkText(problems, level.name, at(i, 'name'), 1, 40, 'A level’s name');
    if (names.has(name.toLowerCase())) problems.add(UserErrorCode.INVALID_INPUT, `Another level is named "${name}"`, at(i, 'name'));
    names.add(name.toLowerCase());
    const minSpend = toMinor(level.minSpend, currency, problems, at(i, 'minSpend'));
    if (rankOk && minSpend !== null) sound.add(i);
    const pct = Math.round(level.pointsMultiplier * 100);
    if (!(pct >= 0 && pct <= MAX_MULTIPLIER_PCT) || Math.abs(level.pointsMultiplier * 100 - pct) > 1e-6) {
      problems.add(UserErrorCode.INVALID_INPUT, 'A points multiplier is from 0 to 10 with at most 2 decimals (1.5 = half as many points again)', at(i, 'pointsMultiplier'));
    }
    const threshold = level.freeShippingThreshold == null ? null : toMinor(level.freeShippingThreshold, currency, problems, at(i, 'freeShippingThreshold'));
    const perks = (level.perks ?? []).map((perk, j) => checkText(problems, perk, at(i, 'perks', String(j)), 1, 60, 'A perk'));
    if (perks.length > MAX_PERKS) problems.add(UserErrorCode.INVALID_INPUT, `At most ${MAX_PERKS} perks`, at(i, 'perks'));
    return {
      rank: level.rank,
      name,
      min_spend: minSpend ?? 0,
      points_multiplier_pct: pct,
      free_shipping_threshold: threshold,
      monthly_coupon_campaign_id: level.monthlyCouponCampaignId ?? null,
      perks,
    };
  });

  // The ladder: rank 0 reached by any spend, and each rank above it by more than the one below.
  if (levels.length > 0 && !ranks.has(0)) problems.add(UserErrorCode.INVALID_INPUT, 'The ladder starts at rank 0, every shopper’s level', ['input', 'levels']);
  const byRank = rows
    .map((row, i) => ({ row, i }))
    .filter(({ i }) => sound.has(i))
    .sort((a, b) => a.row.rank - b.row.rank);
  const base = byRank.find(({ row }) => row.rank === 0);
  if (base && base.row.min_spend !== 0) problems.add(UserErrorCode.INVALID_INPUT, 'Rank 0 is every shopper’s level: its `minSpend` is 0', at(base.i, 'minSpend'));
  byRank.forEach(({ row, i }, k) => {
    const below = byRank[k - 1];
    if (below && row.min_spend <= below.row.min_spend) {
      problems.add(UserErrorCode.INVALID_INPUT, `\`minSpend\` must be more than rank ${below.row.rank}’s`, at(i, 'minSpend'));
    }
  });

  const campaignIds = [...new Set(rows.map((r) => r.monthly_coupon_campaign_id).filter((id): id is string => id !== null))];
  if (campaignIds.length > 0) {
    const found = new Map((await selectRows(ctx.em, CAMPAIGN, 'select id, shop_id, audience, member_level from coupon_campaign where id in (?)', [campaignIds])).map((c) => [c.id, c]));
    rows.forEach((row, i) => {
      if (row.monthly_coupon_campaign_id === null) return;
      const campaign = found.get(row.monthly_coupon_campaign_id);
      if (!campaign || campaign.shop_id !== null || campaign.audience !== CouponAudience.MEMBER_LEVEL) {
        problems.add(UserErrorCode.INVALID_INPUT, 'A monthly coupon comes from a platform coupon campaign for MEMBER_LEVEL', at(i, 'monthlyCouponCampaignId'));
      } else if (campaign.member_level! > row.rank) {
        problems.add(UserErrorCode.INVALID_INPUT, `That campaign is for members of level ${campaign.member_level} and above`, at(i, 'monthlyCouponCampaignId'));
      }
    });
  }
  problems.throwIfAny();
  return rows;
}

const LADDER = rowShape({ rank: 'int', name: 'text', min_spend: 'number', points_multiplier_pct: 'int', free_shipping_threshold: 'number?', monthly_coupon_campaign_id: 'key?', perks: 'json' });

/**
 * Replaces the whole ladder (staff MEMBERSHIP_STAFF), in one transaction: the levels given are
 * written by rank (an existing rank keeps its ID), the ranks not given are deleted, and members
 * holding one of those move to the highest rank left below it (`levelSince` now). Concurrent
 * replacements take turns (an advisory lock). Audited with the ladder before and after.
 */
export async function setMemberLevels(ctx: Context, levels: MemberLevelInput[]): Promise<MemberLevel[]> {
  requireMembershipStaff(ctx);
  const rows = await parseLadder(ctx, levels);
  return ctx.em.transactional(async (em) => {
    const now = ctx.now();
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', ['member-levels']);
    const before = await selectRows(em, LADDER, 'select rank, name, min_spend, points_multiplier_pct, free_shipping_threshold, monthly_coupon_campaign_id, perks from member_level order by rank');
    await em.execute(
      `insert into member_level (rank, name, min_spend, points_multiplier_pct, free_shipping_threshold, monthly_coupon_campaign_id, perks, created_at, updated_at)
       select l.rank, l.name, l.min_spend, l.points_multiplier_pct, l.free_shipping_threshold, l.monthly_coupon_campaign_id, l.perks, ?, ?
       from jsonb_to_recordset(?::jsonb) as l(rank int, name text, min_spend bigint, points_multiplier_pct int, free_shipping_threshold bigint, monthly_coupon_campaign_id bigint, perks jsonb)
       on conflict (rank) do update set name = excluded.name, min_spend = excluded.min_spend, points_multiplier_pct = excluded.points_multiplier_pct,
         free_shipping_threshold = excluded.free_shipping_threshold, monthly_coupon_campaign_id = excluded.monthly_coupon_campaign_id, perks = excluded.perks,
         updated_at = excluded.updated_at`,
      [now, now, JSON.stringify(rows)],
    );
    const ranks = rows.map((r) => r.rank);
    await em.execute('delete from member_level where rank not in (?)', [ranks]);
    // Rank 0 is always there, so every member finds a rank at or below theirs.
    // Their rows locked in user order first, as every writer of member rows goes.
    const moved = await lockWhere(em, Member, 'e.level_rank not in (?)', [ranks], { orderBy: 'e.user_id' });
    if (moved.length > 0) {
      await em.execute(
        `update member m set level_rank = (select max(l.rank) from member_level l where l.rank <= m.level_rank), level_since = ?
         where m.user_id in (?)`,
        [now, moved.map((m) => m.user.id)],
      );
    }
    recordAudit(ctx, em, { action: 'memberLevels.set', targetType: 'MemberLevel', targetId: 'ladder', before: { levels: before }, after: { levels: [...rows].sort((a, b) => a.rank - b.rank) } });
    await em.flush();
    return entitiesWhere(em, MemberLevel, 'true order by e.rank');
  });
}

// --- A member's standing ------------------------------------------------------------------------

/** A member's place on the ladder (`User.membership`); money in minor units. */
export interface MembershipView {
  /** Database key of the user. */
  userId: string;
  level: MemberLevel;
  /** The points balance. */
  points: number;
  /** Spend over the last LEVEL_WINDOW_DAYS: completed orders, less refunds. */
  spendInWindow: number;
  /** The next rank up; null at the top. */
  nextLevel: MemberLevel | null;
  /** What is left to spend to reach `nextLevel` (0 when the spend already reaches it: levels go up as orders complete); null at the top. */
  amountToNextLevel: number | null;
  /** When the level was reached; null for a user without a membership record (rank 0 from the start). */
  levelSince: Date | null;
}

// One loader per request (keyed by its loaders object): the members resolved together share the
// three statements.
const membershipLoaders = new WeakMap<object, DataLoader<string, MembershipView>>();

/**
 * The membership of the user with key `userId` (the viewer rules are the shield's: the user and
 * MEMBER_VIEW_STAFF), batched per request: three statements for all the users resolved together —
 * their standings, the ladder, their balances.
 */
export function membershipOf(ctx: Context, userId: string): Promise<MembershipView> {
  let loader = membershipLoaders.get(ctx.loaders);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const [standings, ladder, balances] = await Promise.all([memberStandings(ctx.em, ids, ctx.now(), ctx.deps.config), memberLevels(ctx), pointsBalances(ctx.em, ids)]);
      return ids.map((id) => viewOf(id, standings.get(id) ?? { rank: 0, levelSince: null, spend: 0 }, ladder, balances.get(id) ?? 0));
    });
    membershipLoaders.set(ctx.loaders, loader);
  }
  return loader.load(userId);
}

function viewOf(userId: string, standing: Standing, ladder: MemberLevel[], points: number): MembershipView {
  const level = ladder.findLast((l) => l.rank <= standing.rank) ?? ladder[0];
  const nextLevel = ladder.find((l) => l.rank > level.rank) ?? null;
  return {
    userId,
    level,
    points,
    spendInWindow: standing.spend,
    nextLevel,
    amountToNextLevel: nextLevel ? Math.max(0, nextLevel.minSpend - standing.spend) : null,
    levelSince: standing.levelSince,
  };
}
