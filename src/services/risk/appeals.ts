import type { Context } from '../../context';
import { lockById, rowShape, selectRows } from '../../db/rows';
import type { Page, PageArgs } from '../../db/keyset';
import { AppealStatus, NotificationKind, ShopMemberRole, ShopViolation, User, ViolationAppeal, ViolationStatus } from '../../entities';
import { Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { type DomainEvent, emitEvent } from '../notifications';
import { lockShop } from '../onboarding';
import { recordAudit } from '../platform';
import { checkText, guardUnique } from '../shared';
import { decisionReason, lockedRoleIn, pageByTime, seesViolations, settlePoints, TRUST_STAFF } from './violations';

/**
 * Appeals (申訴): a shop's OWNER appeals a violation once, with their case; staff RISK accept or
 * reject it with a reason. Accepting revokes the violation: its points no longer count, and the
 * shop's standing follows (the restriction lifted, a shop suspended for its points reinstated)
 * under the shop's row lock. The owner hears of the decision through the outbox.
 */

export interface AppealInput {
  /** Database key. */
  violationId: string;
  reason: string;
}

const alreadyAppealed = () => new Failure(UserErrorCode.ALREADY_APPEALED, 'This violation has been appealed already', ['input', 'violationId']);

/**
 * The shop's OWNER appeals one of its violations (another shop's is NOT_FOUND, another role
 * FORBIDDEN), also while the shop is suspended. A revoked violation is INVALID_TRANSITION; a
 * second appeal ALREADY_APPEALED (the unique violation decides between two at once).
 */
export async function appealViolation(ctx: Context, input: AppealInput): Promise<ViolationAppeal> {
  const problems = new Problems();
  const reason = checkText(problems, input.reason, ['input', 'reason'], 10, 2000, 'The appeal');
  problems.throwIfAny();
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        const violation = await lockById(em, ShopViolation, input.violationId);
        if (!violation) throw new NotFoundError('No such violation');
        const role = await lockedRoleIn(ctx, em, violation.shop.id);
        if (role === undefined) throw new NotFoundError('No such violation');
        if (role !== ShopMemberRole.OWNER) throw new ForbiddenError('The shop’s OWNER appeals its violations');
        if (violation.status === ViolationStatus.REVOKED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'The violation was revoked already', ['input', 'violationId']);
        if (await em.count(ViolationAppeal, { violation: violation.id })) throw alreadyAppealed();
        const appeal = em.create(ViolationAppeal, {
          violation,
          shop: violation.shop,
          reason,
          createdBy: em.getReference(User, ctx.viewer.userId!),
          createdAt: ctx.now(),
        });
        await em.flush();
        return appeal;
      }),
    (message) => (message.includes('violation_appeal_violation_unique') ? alreadyAppealed() : undefined),
  );
}

export interface DecideAppealInput {
  /** Database key. */
  appealId: string;
  decision: 'ACCEPT' | 'REJECT';
  reason: string;
}

/**
 * Staff RISK decide a PENDING appeal (another is ALREADY_DECIDED) with a reason. ACCEPT revokes the
 * violation and settles the shop's points and standing; REJECT leaves it. Takes the shop, the
 * appeal, then the violation, the shop first like every writer of points. APPEAL_DECIDED goes to
 * the owner (and SHOP_STANDING_CHANGED when the standing moved). Audited.
 */
export async function decideAppeal(ctx: Context, input: DecideAppealInput): Promise<ViolationAppeal> {
  if (!ctx.viewer.hasStaffRole(...TRUST_STAFF)) throw new ForbiddenError();
  const reason = decisionReason(input.reason);
  return ctx.em.transactional(async (em) => {
    const [found] = await selectRows(em, rowShape({ shop_id: 'key' }), 'select shop_id from violation_appeal where id = ?', [input.appealId]);
    if (!found) throw new NotFoundError('No such appeal');
    const shop = await lockShop(em, found.shop_id);
    const appeal = await lockById(em, ViolationAppeal, input.appealId);
    if (!appeal) throw new NotFoundError('No such appeal');
    if (appeal.status !== AppealStatus.PENDING) throw new Failure(UserErrorCode.ALREADY_DECIDED, `The appeal was ${appeal.status.toLowerCase()} already`, ['input', 'appealId']);
    const accepted = input.decision === 'ACCEPT';
    const now = ctx.now();
    Object.assign(appeal, { status: accepted ? AppealStatus.ACCEPTED : AppealStatus.REJECTED, decidedBy: em.getReference(User, ctx.viewer.userId!), decidedAt: now, decisionReason: reason });
    const decided: DomainEvent = {
      type: NotificationKind.APPEAL_DECIDED,
      shopId: shop.id,
      subjectType: 'ViolationAppeal',
      subjectId: appeal.id,
      data: { decision: input.decision, reason },
      at: now,
    };
    const violation = (await lockById(em, ShopViolation, appeal.violation.id))!;
    const before = { appeal: AppealStatus.PENDING, violation: violation.status, points: shop.violationPoints };
    if (accepted) {
      violation.status = ViolationStatus.REVOKED;
      violation.revokedAt = now;
      await em.flush();
      await settlePoints(ctx, em, shop, [decided]);
    } else {
      await emitEvent(em, decided);
    }
    recordAudit(ctx, em, {
      action: accepted ? 'violationAppeal.accept' : 'violationAppeal.reject',
      targetType: 'ViolationAppeal',
      targetId: appeal.id,
      before,
      after: { appeal: appeal.status, violation: violation.status, points: shop.violationPoints, reason },
    });
    await em.flush();
    return appeal;
  });
}

export interface AppealFilter {
  status?: AppealStatus | null;
  /** Database key. */
  shopId?: string | null;
}

/** The appeals (staff RISK) in one status, PENDING by default: pending ones oldest first, decided ones newest first; optionally of one shop. */
export function listViolationAppeals(ctx: Context, args: PageArgs & { filter?: AppealFilter | null }): Promise<Page<ViolationAppeal>> {
  if (!ctx.viewer.hasStaffRole(...TRUST_STAFF)) throw new ForbiddenError();
  const status = args.filter?.status ?? AppealStatus.PENDING;
  const where = ['e.status = ?'];
  const params: unknown[] = [status];
  if (args.filter?.shopId) {
    where.push('e.shop_id = ?');
    params.push(args.filter.shopId);
  }
  return pageByTime(ctx.em, ViolationAppeal, 'violation_appeal', where, params, status === AppealStatus.PENDING ? 'asc' : 'desc', args);
}

/** One appeal by key, or null when the viewer may not see it (those who see its violation; `node(id)`). */
export async function visibleAppeal(ctx: Context, key: string): Promise<ViolationAppeal | null> {
  const appeal = await ctx.em.findOne(ViolationAppeal, { id: key });
  return appeal && (await seesViolations(ctx, appeal.shop.id)) ? appeal : null;
}
