import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { lockById, lockRowsOf, rowShape } from '../../db/rows';
import { AgreementAcceptance, type BusinessHours, MerchantAgreement, QuizAttempt, Shop, ShopMemberRole, ShopStatus as S, TrainingCourse } from '../../entities';
import { BadInputError, Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { assertShopNameFree } from './applications';
import { recordAudit } from '../platform';
import { checkRate, refreshShopVisibility } from '../catalog';
import { charLength, checkText, guardUnique, isHttpUrl, isValidPhone, transition, type TransitionTable } from '../shared';

/** The shop life cycle. Staff moderate (suspend, reinstate, close); the OWNER activates. */
export const SHOP_TRANSITIONS: TransitionTable<S, 'activate' | 'suspend' | 'reinstateActive' | 'reinstateOnboarding' | 'close'> = {
  activate: { from: [S.ONBOARDING], to: S.ACTIVE },
  suspend: { from: [S.ONBOARDING, S.ACTIVE], to: S.SUSPENDED },
  reinstateActive: { from: [S.SUSPENDED], to: S.ACTIVE },
  reinstateOnboarding: { from: [S.SUSPENDED], to: S.ONBOARDING },
  close: { from: [S.ONBOARDING, S.ACTIVE, S.SUSPENDED], to: S.CLOSED },
};

/** Whether the viewer may see this shop: ACTIVE shops are public; members and staff see theirs in any state. */
export async function canSeeShop(ctx: Context, shop: Shop): Promise<boolean> {
  return shop.status === S.ACTIVE || ctx.viewer.isInsiderOf(shop.id);
}

/** The shop by database key when the viewer may see it, else null. */
export async function visibleShop(ctx: Context, key: string): Promise<Shop | null> {
  const shop = await ctx.loaders.shopById.load(key);
  return shop && (await canSeeShop(ctx, shop)) ? shop : null;
}

export async function findShop(ctx: Context, args: { id?: string | null; slug?: string | null }): Promise<Shop | null> {
  if ((args.id == null) === (args.slug == null)) throw new BadInputError('Give exactly one of `id` and `slug`', args.id == null ? 'id' : 'slug');
  if (args.id != null) return visibleShop(ctx, args.id);
  const shop = await ctx.em.findOne(Shop, { slug: args.slug! });
  return shop && (await canSeeShop(ctx, shop)) ? shop : null;
}

export async function myShops(ctx: Context): Promise<Shop[]> {
  const ids = [...(await ctx.viewer.memberships()).keys()];
  return ids.length === 0 ? [] : ctx.em.find(Shop, { id: { $in: ids } }, { orderBy: { id: 'asc' } });
}

/** The shop with key `key`, locked (FOR NO KEY UPDATE), or NOT_FOUND. Membership was checked by the shield rule. */
export async function lockShop(em: EntityManager, key: string): Promise<Shop> {
  const shop = await lockById(em, Shop, key);
  if (!shop) throw new NotFoundError('No such shop');
  return shop;
}

/**
 * Locks the shop, then re-reads the caller's role under that lock: the shield rule ran before the
 * transaction, and a concurrent team change (removal, demotion) may have committed since.
 */
export async function lockShopAsMember(ctx: Context, em: EntityManager, key: string, roles: readonly ShopMemberRole[]): Promise<Shop> {
  const shop = await lockShop(em, key);
  const [row] = await em.execute<{ role: ShopMemberRole }[]>('select role from shop_member where shop_id = ? and user_id = ?', [shop.id, ctx.viewer.userId]);
  if (!row) throw new NotFoundError('No such shop');
  if (roles.length > 0 && !roles.includes(row.role)) throw new ForbiddenError();
  return shop;
}

const SELLING_MEMBER = rowShape({ role: 'text', status: 'text' });

/**
 * Re-reads the caller's role in the shop under a share lock on the membership row (the shield rule
 * ran before the transaction; a removal or demotion may have committed since) without locking the
 * shop itself. Products, stock and templates of a suspended or closed shop cannot change:
 * SHOP_NOT_ACTIVE. A non-member gets NOT_FOUND with `notFound`, another role FORBIDDEN.
 */
export async function lockSellingMembership(ctx: Context, em: EntityManager, shopKey: string, roles: readonly ShopMemberRole[], notFound: string): Promise<void> {
  const [member] = await lockRowsOf(
    em,
    SELLING_MEMBER,
    'select m.role, s.status from shop_member m join shop s on s.id = m.shop_id where m.shop_id = ? and m.user_id = ?',
    [shopKey, ctx.viewer.userId],
    { lock: 'share', of: 'm' },
  );
  if (!member) throw new NotFoundError(notFound);
  if (!roles.includes(member.role as ShopMemberRole)) throw new ForbiddenError();
  const { status } = member;
  if (status !== S.ACTIVE && status !== S.ONBOARDING) {
    throw new Failure(UserErrorCode.SHOP_NOT_ACTIVE, `The shop is ${status}: its products and stock cannot change`);
  }
}

export interface ProfileInput {
  shopId: string;
  name?: string | null;
  description?: string | null;
  logoUrl?: string | null;
  phone?: string | null;
  address?: string | null;
  businessHours?: BusinessHours[] | null;
  photoUrls?: string[] | null;
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

function validateProfile(input: ProfileInput): Partial<Shop> {
  const problems = new Problems();
  const out: Partial<Shop> = {};
  const field = (name: string) => ['input', name];
  if (input.name != null) out.name = checkText(problems, input.name, field('name'), 2, 40, 'Shop name');
  if (input.description != null) out.description = checkText(problems, input.description, field('description'), 0, 4000, 'Description');
  if (input.logoUrl != null) {
    out.logoUrl = input.logoUrl.trim();
    if (!isHttpUrl(out.logoUrl)) problems.add(UserErrorCode.INVALID_INPUT, 'Logo must be an http(s) URL', field('logoUrl'));
  }
  if (input.phone != null) {
    out.phone = input.phone.replace(/[\s-]/g, '');
    if (!isValidPhone(out.phone)) problems.add(UserErrorCode.INVALID_INPUT, 'Enter a mainland mobile number or an E.164 number', field('phone'));
  }
  if (input.address != null) out.address = checkText(problems, input.address, field('address'), 0, 200, 'Address');
  if (input.businessHours != null) {
    const seen = new Set<number>();
    input.businessHours.forEach((h, i) => {
      const f = ['input', 'businessHours', String(i)];
      if (!Number.isInteger(h.weekday) || h.weekday < 1 || h.weekday > 7) problems.add(UserErrorCode.INVALID_INPUT, 'Weekday must be 1 (Monday) to 7 (Sunday)', [...f, 'weekday']);
      else if (seen.has(h.weekday)) problems.add(UserErrorCode.INVALID_INPUT, 'Each weekday may appear once', [...f, 'weekday']);
      seen.add(h.weekday);
      if (!TIME.test(h.opens)) problems.add(UserErrorCode.INVALID_INPUT, 'Opening time must be HH:MM', [...f, 'opens']);
      if (!TIME.test(h.closes)) problems.add(UserErrorCode.INVALID_INPUT, 'Closing time must be HH:MM', [...f, 'closes']);
      else if (TIME.test(h.opens) && h.closes <= h.opens) problems.add(UserErrorCode.INVALID_INPUT, 'Closing time must be after opening time', [...f, 'closes']);
    });
    out.businessHours = [...input.businessHours].sort((a, b) => a.weekday - b.weekday).map(({ weekday, opens, closes }) => ({ weekday, opens, closes }));
  }
  if (input.photoUrls != null) {
    out.photoUrls = input.photoUrls.map((u) => u.trim());
    if (out.photoUrls.length > 20) problems.add(UserErrorCode.INVALID_INPUT, 'At most 20 photos', field('photoUrls'));
    out.photoUrls.forEach((u, i) => {
      if (!isHttpUrl(u)) problems.add(UserErrorCode.INVALID_INPUT, 'Photos must be http(s) URLs', ['input', 'photoUrls', String(i)]);
    });
  }
  problems.throwIfAny();
  return out;
}

export async function updateShopProfile(ctx: Context, input: ProfileInput): Promise<Shop> {
  const changes = validateProfile(input);
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        const shop = await lockShopAsMember(ctx, em, input.shopId, [ShopMemberRole.OWNER, ShopMemberRole.MANAGER]);
        if (shop.status === S.CLOSED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'A closed shop cannot be changed');
        if (changes.name) await assertShopNameFree(em, changes.name, { exceptShopId: shop.id, field: ['input', 'name'] });
        em.assign(shop, changes);
        await em.flush();
        return shop;
      }),
    () => new Failure(UserErrorCode.SHOP_NAME_TAKEN, 'A shop or an open application already uses this name', ['input', 'name']),
  );
}

/** The newest published agreement version (a migration publishes the first one). */
export async function currentAgreement(em: EntityManager): Promise<MerchantAgreement> {
  const [current] = await em.find(MerchantAgreement, {}, { orderBy: { publishedAt: 'desc', id: 'desc' }, limit: 1 });
  return current;
}

/** Records the OWNER's acceptance of the current agreement version, with the client IP. */
export async function acceptAgreement(ctx: Context, input: { shopId: string; version: string }): Promise<Shop> {
  return ctx.em.transactional(async (em) => {
    const shop = await lockShopAsMember(ctx, em, input.shopId, [ShopMemberRole.OWNER]);
    if (shop.status === S.CLOSED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'A closed shop cannot accept the agreement');
    const current = await currentAgreement(em);
    if (input.version !== current.version) {
      throw new Failure(UserErrorCode.AGREEMENT_VERSION_MISMATCH, `The current agreement is version ${current.version}`, ['input', 'version']);
    }
    const existing = await em.findOne(AgreementAcceptance, { shop, version: current.version });
    if (!existing) {
      em.create(AgreementAcceptance, { shop, acceptedBy: ctx.viewer.userId!, version: current.version, ip: ctx.ip, acceptedAt: ctx.now() });
      recordAudit(ctx, em, { action: 'shop.acceptAgreement', targetType: 'Shop', targetId: shop.id, after: { version: current.version, ip: ctx.ip } });
      await em.flush();
    }
    return shop;
  });
}

/** The longest merchant agreement, in characters: a long contract, well inside the request body limit. */
const MAX_AGREEMENT_LENGTH = 100_000;

export async function publishAgreement(ctx: Context, input: { version: string; text: string }): Promise<MerchantAgreement> {
  const version = input.version.trim();
  const problems = new Problems();
  if (!/^[\w.-]{1,40}$/.test(version)) problems.add(UserErrorCode.INVALID_INPUT, 'Version must be 1 to 40 letters, digits, dots or dashes', ['input', 'version']);
  const text = checkText(problems, input.text, ['input', 'text'], 20, MAX_AGREEMENT_LENGTH, 'Agreement text');
  problems.throwIfAny();
  const versionTaken = () => new Failure(UserErrorCode.INVALID_INPUT, 'This version exists already', ['input', 'version']);
  // Two publications of one version at the same moment: the unique index decides.
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        if (await em.count(MerchantAgreement, { version })) throw versionTaken();
        const agreement = em.create(MerchantAgreement, { version, text, publishedAt: ctx.now() });
        await em.flush();
        recordAudit(ctx, em, { action: 'agreement.publish', targetType: 'MerchantAgreement', targetId: agreement.id, after: { version } });
        await em.flush();
        return agreement;
      }),
    versionTaken,
  );
}

/** Required, published courses the shop has not passed yet. */
export async function missingRequiredCourses(em: EntityManager, shopId: string): Promise<TrainingCourse[]> {
  return em.find(TrainingCourse, {
    required: true,
    published: true,
    id: { $nin: (await em.find(QuizAttempt, { shop: shopId, passed: true }, { fields: ['course'] })).map((a) => a.course.id) },
  }, { orderBy: { id: 'asc' } });
}

/**
 * ONBOARDING → ACTIVE (OWNER). Every gate is checked and every unmet one reported: the current
 * agreement accepted, every required course passed, phone, address and description filled in.
 */
export async function activateShop(ctx: Context, shopId: string): Promise<Shop> {
  return ctx.em.transactional(async (em) => {
    const shop = await lockShopAsMember(ctx, em, shopId, [ShopMemberRole.OWNER]);
    const next = transition(SHOP_TRANSITIONS, 'activate', shop.status, 'shop');
    const problems = new Problems();
    const current = await currentAgreement(em);
    if (!(await em.count(AgreementAcceptance, { shop, version: current.version }))) {
      problems.add(UserErrorCode.AGREEMENT_NOT_ACCEPTED, `Accept the merchant agreement, version ${current.version}`, ['input', 'id']);
    }
    const missing = await missingRequiredCourses(em, shop.id);
    if (missing.length > 0) {
      problems.add(UserErrorCode.TRAINING_INCOMPLETE, `Pass the required training: ${missing.map((c) => c.title).join(', ')}`, ['input', 'id']);
    }
    for (const key of ['phone', 'address', 'description'] as const) {
      if (!shop[key]) problems.add(UserErrorCode.PROFILE_INCOMPLETE, `Add the shop's ${key} to its profile`, [key]);
    }
    problems.throwIfAny();
    shop.status = next;
    shop.activatedAt ??= ctx.now();
    recordAudit(ctx, em, { action: 'shop.activate', targetType: 'Shop', targetId: shop.id, before: { status: S.ONBOARDING }, after: { status: next } });
    await em.flush();
    await refreshShopVisibility(em, shop.id);
    return shop;
  });
}

export type ModerationAction = 'suspend' | 'reinstate' | 'close';

/** Staff moderation with a reason: suspend, reinstate (to ACTIVE if it had been active, else ONBOARDING) or close. */
export async function moderateShop(ctx: Context, action: ModerationAction, input: { shopId: string; reason: string }): Promise<Shop> {
  const reason = input.reason.trim();
  if (charLength(reason) < 3 || charLength(reason) > 1000) throw new Failure(UserErrorCode.REASON_REQUIRED, 'Give a reason (3 to 1000 characters)', ['input', 'reason']);
  return ctx.em.transactional(async (em) => {
    const shop = await lockShop(em, input.shopId);
    await moderateLockedShop(ctx, em, shop, action, reason);
    return shop;
  });
}

/**
 * Moves `shop`, locked by the caller's transaction, by a moderation step with a checked reason:
 * the one suspend/reinstate/close, used by `moderateShop` and by the violation thresholds
 * (services/risk/violations.ts). Audited; the shop's products follow its visibility. Only a
 * suspension keeps the mark of one made for violation points: staff reinstating or closing the
 * shop takes it away.
 */
export async function moderateLockedShop(ctx: Context, em: EntityManager, shop: Shop, action: ModerationAction, reason: string): Promise<void> {
  const before = { status: shop.status, reason: shop.statusReason ?? null };
  const step = action === 'reinstate' ? (shop.activatedAt ? 'reinstateActive' : 'reinstateOnboarding') : action;
  shop.status = transition(SHOP_TRANSITIONS, step, shop.status, 'shop');
  shop.statusReason = reason;
  if (action !== 'suspend') shop.suspendedForViolations = false;
  recordAudit(ctx, em, { action: `shop.${action}`, targetType: 'Shop', targetId: shop.id, before, after: { status: shop.status, reason } });
  await em.flush();
  await refreshShopVisibility(em, shop.id);
}

/**
 * Staff FINANCE: the shop's own commission rate (0–1, at most 4 decimals), or null to clear it so
 * its categories' rates (else DEFAULT_COMMISSION_RATE) apply. Orders checked out afterwards use it;
 * earlier orders keep the rate snapshotted on their lines. Audited.
 */
export async function setShopCommissionRate(ctx: Context, input: { shopId: string; commissionRate?: string | null }): Promise<Shop> {
  const rate = input.commissionRate ?? null;
  const problems = new Problems();
  if (rate !== null) checkRate(problems, rate, ['input', 'commissionRate']);
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const shop = await lockById(em, Shop, input.shopId);
    if (!shop) throw new Failure(UserErrorCode.SHOP_NOT_FOUND, 'No such shop', ['input', 'shopId']);
    const before = { commissionRate: shop.commissionRate ?? null };
    shop.commissionRate = rate;
    recordAudit(ctx, em, { action: 'shop.setCommissionRate', targetType: 'Shop', targetId: shop.id, before, after: { commissionRate: rate } });
    await em.flush();
    return shop;
  });
}
