import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { entitiesWhere, lockRowsOf, rowShape, selectRows } from '../../db/rows';
import { keysetClause, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { NotificationKind, Product, ProductReport, Shop, ShopMemberRole, ShopStatus, ShopViolation, StaffRole, User, ViolationKind, ViolationStatus } from '../../entities';
import { Failure, ForbiddenError, Problems, UserErrorCode } from '../../errors';
import { type DomainEvent, emitEvent } from '../notifications';
import { lockShop, moderateLockedShop } from '../onboarding';
import { recordAudit } from '../platform';
import { charLength, checkText } from '../shared';

/**
 * Violations (違規) and a shop's standing. Every violation carries points; the shop row keeps the
 * sum of its ACTIVE violations' points (`violation_points`), recomputed under the shop's row lock
 * whenever a violation is recorded or revoked, so two violations at once cannot step over a
 * threshold unseen. At VIOLATION_RESTRICT_POINTS the shop is restricted (no new listings, no
 * campaigns: `assertShopUnrestricted`); at VIOLATION_SUSPEND_POINTS it is suspended through the
 * shop moderation step, and reinstated the same way when an accepted appeal takes it back under.
 * Each violation and each change of standing goes to the shop's OWNER and MANAGER through the
 * outbox, in the transaction of the change. Credit score = max(0, 100 − points).
 */

/** Staff who record violations by hand and decide appeals. */
export const TRUST_STAFF: readonly StaffRole[] = [StaffRole.RISK];
/** Shop roles that see the shop's violations and hear of them (the OWNER alone appeals). */
export const VIOLATION_VIEW_ROLES: readonly ShopMemberRole[] = [ShopMemberRole.OWNER, ShopMemberRole.MANAGER];

/** Points a violation of each kind carries unless staff give others. */
export const VIOLATION_POINTS: Readonly<Record<ViolationKind, number>> = {
  [ViolationKind.COUNTERFEIT]: 12,
  [ViolationKind.IP_INFRINGEMENT]: 6,
  [ViolationKind.PROHIBITED]: 6,
  [ViolationKind.MISLEADING]: 3,
  [ViolationKind.OTHER]: 2,
};

/** The most points one violation may carry. */
export const MAX_VIOLATION_POINTS = 100;
/** The credit score of a shop without violation points. */
export const FULL_CREDIT_SCORE = 100;

export enum ShopStanding {
  GOOD = 'GOOD',
  RESTRICTED = 'RESTRICTED',
  SUSPENDED = 'SUSPENDED',
}

type Standing = Pick<Shop, 'status' | 'restrictedAt' | 'suspendedForViolations'>;

/**
 * Where the shop stands by its violation points: SUSPENDED while suspended for them, RESTRICTED
 * from VIOLATION_RESTRICT_POINTS, else GOOD. A shop staff suspended for another reason keeps the
 * standing its points give (its `status` says the rest).
 */
export function standingOf(shop: Standing): ShopStanding {
  if (shop.suspendedForViolations && shop.status === ShopStatus.SUSPENDED) return ShopStanding.SUSPENDED;
  return shop.restrictedAt ? ShopStanding.RESTRICTED : ShopStanding.GOOD;
}

export function creditScoreOf(shop: Pick<Shop, 'violationPoints'>): number {
  return Math.max(0, FULL_CREDIT_SCORE - shop.violationPoints);
}

const RESTRICTION = rowShape({ restricted: 'bool', points: 'int' });

/**
 * Refuses a new listing or campaign of a restricted shop with SHOP_RESTRICTED at `field`: the one
 * guard of createProduct, submitProductForReview and every shop promotion, coupon campaign,
 * flash-sale nomination, group buy and bargain. Given the shop locked by the caller it reads the
 * row already loaded; given its key, one primary-key read.
 */
export async function assertShopUnrestricted(em: EntityManager, shop: Shop | string, field: string[]): Promise<void> {
  const found = typeof shop === 'string'
    ? (await selectRows(em, RESTRICTION, 'select restricted_at is not null as restricted, violation_points as points from shop where id = ?', [shop]))[0]
    : { restricted: shop.restrictedAt != null, points: shop.violationPoints };
  if (found?.restricted) {
    throw new Failure(UserErrorCode.SHOP_RESTRICTED, `The shop is restricted for ${found.points} violation points: no new listings or campaigns until accepted appeals take it under the threshold`, field);
  }
}

export interface ViolationFacts {
  kind: ViolationKind;
  points: number;
  reason: string;
  /** Database keys. */
  productId?: string | null;
  reportId?: string | null;
}

/**
 * Records a violation against `shop`, locked by the caller's transaction, and settles the shop's
 * points and standing: the one writer of violations (manual ones and upheld reports). Audited;
 * VIOLATION_RECORDED, and SHOP_STANDING_CHANGED when the standing moves, written to the outbox.
 */
export async function recordLockedViolation(ctx: Context, em: EntityManager, shop: Shop, facts: ViolationFacts): Promise<ShopViolation> {
  const now = ctx.now();
  const violation = em.create(ShopViolation, {
    shop,
    kind: facts.kind,
    points: facts.points,
    reason: facts.reason,
    product: facts.productId ? em.getReference(Product, facts.productId) : null,
    report: facts.reportId ? em.getReference(ProductReport, facts.reportId) : null,
    recordedBy: ctx.viewer.userId ? em.getReference(User, ctx.viewer.userId) : null,
    createdAt: now,
  });
  await em.flush();
  recordAudit(ctx, em, {
    action: 'shop.recordViolation',
    targetType: 'ShopViolation',
    targetId: violation.id,
    after: { shopId: shop.id, kind: facts.kind, points: facts.points, reason: facts.reason, productId: facts.productId ?? null, reportId: facts.reportId ?? null },
  });
  const recorded: DomainEvent = {
    type: NotificationKind.VIOLATION_RECORDED,
    shopId: shop.id,
    subjectType: 'ShopViolation',
    subjectId: violation.id,
    data: { kind: facts.kind, points: facts.points, reason: facts.reason },
    at: now,
  };
  await settlePoints(ctx, em, shop, [recorded], true);
  return violation;
}

/**
 * Recomputes the points of `shop` (locked by the caller) from its ACTIVE violations and moves its
 * standing across the thresholds, either way: restricts or lifts the restriction, suspends (only
 * when a new violation `raised` the points, and only an ONBOARDING or ACTIVE shop: one staff
 * already suspended or closed stays as it is, and one staff reinstated is not suspended again by
 * an appeal that leaves it over the line) or reinstates one suspended for its points. Writes `events`, then a SHOP_STANDING_CHANGED when the standing
 * moved (to RESTRICTED, SUSPENDED, or RESTORED when back to GOOD), in one outbox insert.
 */
export async function settlePoints(ctx: Context, em: EntityManager, shop: Shop, events: DomainEvent[], raised = false): Promise<void> {
  const { restrictPoints, suspendPoints } = ctx.deps.config.risk;
  const [{ points }] = await selectRows(em, rowShape({ points: 'int' }), 'select coalesce(sum(points), 0)::int as points from shop_violation where shop_id = ? and status = ?', [shop.id, ViolationStatus.ACTIVE]);
  const before = standingOf(shop);
  const now = ctx.now();
  shop.violationPoints = points;
  if (points >= restrictPoints) shop.restrictedAt ??= now;
  else shop.restrictedAt = null;
  if (raised && points >= suspendPoints && !shop.suspendedForViolations && (shop.status === ShopStatus.ACTIVE || shop.status === ShopStatus.ONBOARDING)) {
    await moderateLockedShop(ctx, em, shop, 'suspend', `Suspended automatically: ${points} violation points reached VIOLATION_SUSPEND_POINTS (${suspendPoints})`);
    shop.suspendedForViolations = true;
  } else if (points < suspendPoints && shop.suspendedForViolations) {
    if (shop.status === ShopStatus.SUSPENDED) {
      await moderateLockedShop(ctx, em, shop, 'reinstate', `Reinstated automatically: violation points back to ${points}, under VIOLATION_SUSPEND_POINTS (${suspendPoints})`);
    }
    shop.suspendedForViolations = false;
  }
  await em.flush();
  const after = standingOf(shop);
  if (after !== before) {
    events.push({
      type: NotificationKind.SHOP_STANDING_CHANGED,
      shopId: shop.id,
      subjectType: 'Shop',
      subjectId: shop.id,
      data: { standing: after === ShopStanding.GOOD ? 'RESTORED' : after, points },
      at: now,
    });
  }
  await emitEvent(em, ...events);
}

export interface RecordViolationInput {
  /** Database keys. */
  shopId: string;
  productId?: string | null;
  kind: ViolationKind;
  points?: number | null;
  reason: string;
}

/** Staff RISK record a violation by hand (from a complaint, say): the kind's points unless they give others (1–100). */
export async function recordShopViolation(ctx: Context, input: RecordViolationInput): Promise<ShopViolation> {
  if (!ctx.viewer.hasStaffRole(...TRUST_STAFF)) throw new ForbiddenError();
  const problems = new Problems();
  const reason = checkText(problems, input.reason, ['input', 'reason'], 3, 1000, 'The reason');
  const points = input.points ?? VIOLATION_POINTS[input.kind];
  if (!Number.isInteger(points) || points < 1 || points > MAX_VIOLATION_POINTS) problems.add(UserErrorCode.INVALID_INPUT, `Points are 1 to ${MAX_VIOLATION_POINTS}`, ['input', 'points']);
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const shop = await lockShop(em, input.shopId);
    if (input.productId) {
      const [product] = await selectRows(em, rowShape({ shop_id: 'key' }), 'select shop_id from product where id = ?', [input.productId]);
      if (product?.shop_id !== shop.id) throw new Failure(UserErrorCode.INVALID_INPUT, 'No such product in this shop', ['input', 'productId']);
    }
    return recordLockedViolation(ctx, em, shop, { kind: input.kind, points, reason, productId: input.productId ?? null });
  });
}

/** Whether the viewer sees the violations of `shopId`: staff, and the shop's OWNER and MANAGER. */
export async function seesViolations(ctx: Context, shopId: string): Promise<boolean> {
  if (ctx.viewer.isStaff) return true;
  const role = await ctx.viewer.roleIn(shopId);
  return role !== undefined && VIOLATION_VIEW_ROLES.includes(role);
}

/** The shop's violations, newest first (staff, its OWNER and MANAGER). */
export async function shopViolations(ctx: Context, shopId: string, args: PageArgs): Promise<Page<ShopViolation>> {
  if (!(await seesViolations(ctx, shopId))) throw new ForbiddenError();
  return pageByTime(ctx.em, ShopViolation, 'shop_violation', ['e.shop_id = ?'], [shopId], 'desc', args);
}

/** One violation by key, or null when the viewer may not see it (`node(id)`). */
export async function visibleViolation(ctx: Context, key: string): Promise<ShopViolation | null> {
  const violation = await ctx.loaders.violationById.load(key);
  return violation && (await seesViolations(ctx, violation.shop.id)) ? violation : null;
}

/**
 * A page of `table`'s rows (alias `e`) matching `where`, by (created_at, id) in `direction`: the
 * queues oldest first, the histories newest first, each served by an index ending in those columns.
 */
export async function pageByTime<T extends { id: string; createdAt: Date }>(
  em: EntityManager,
  entity: new (...args: never[]) => T,
  table: string,
  where: string[],
  params: unknown[],
  direction: 'asc' | 'desc',
  args: PageArgs,
): Promise<Page<T>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  const keyset = keysetClause([{ column: 'e.created_at', direction }, { column: 'e.id', direction }], window);
  const clauses = keyset.where ? [...where, keyset.where.sql] : where;
  const order = Object.entries(keyset.orderBy).map(([c, d]) => `${c} ${d}`).join(', ');
  const rows = await entitiesWhere(em, entity, `${clauses.join(' and ')} order by ${order} limit ?`, [...params, ...(keyset.where?.params ?? []), window.limit]);
  return page(rows, window, (r) => [r.createdAt.toISOString(), r.id], async () => {
    const [row] = await selectRows(em, rowShape({ n: 'int' }), `select count(*)::int as n from ${table} e where ${where.join(' and ')}`, params);
    return row.n;
  });
}

/** A staff decision's reason, 3 to 1000 characters (REASON_REQUIRED otherwise). */
export function decisionReason(reason: string | null | undefined): string {
  const trimmed = (reason ?? '').trim();
  if (charLength(trimmed) < 3 || charLength(trimmed) > 1000) throw new Failure(UserErrorCode.REASON_REQUIRED, 'Give a reason (3 to 1000 characters)', ['input', 'reason']);
  return trimmed;
}

const MEMBER_ROLE = rowShape({ role: 'text' });

/**
 * The viewer's role in `shopId`, re-read under a share lock on the membership inside the caller's
 * transaction (the shield rule ran before it; a removal may have committed since); undefined for
 * a non-member. Unlike the selling checks, the shop may be SUSPENDED: a shop suspended for its
 * violation points still appeals them.
 */
export async function lockedRoleIn(ctx: Context, em: EntityManager, shopId: string): Promise<ShopMemberRole | undefined> {
  const [member] = await lockRowsOf(em, MEMBER_ROLE, 'select m.role from shop_member m where m.shop_id = ? and m.user_id = ?', [shopId, ctx.viewer.userId], { lock: 'share', of: 'm' });
  return member?.role as ShopMemberRole | undefined;
}
