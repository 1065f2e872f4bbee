import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import {
  ApplicationDecision,
  ApplicationDecisionType,
  MerchantApplication,
  MerchantApplicationAction as A,
  MerchantApplicationStatus as S,
  OPEN_APPLICATION_STATUSES,
  Shop,
  ShopMember,
  ShopMemberRole,
  ShopStatus,
  StaffRole,
} from '../../entities';
import { Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { lockById } from '../../db/rows';
import { recordAudit } from '../platform';
import { checkRate, resolveCategoryIds } from '../catalog';
import { charLength, checkText, guardUnique, isValidEmail, isValidPhone, isValidUscc, slugify, transition, type TransitionTable } from '../shared';

/** The application life cycle (商家入駐 → 審核). Every status change goes through this table. */
export const APPLICATION_TRANSITIONS: TransitionTable<S, A> = {
  submit: { from: [S.DRAFT, S.CHANGES_REQUESTED], to: S.SUBMITTED },
  claim: { from: [S.SUBMITTED], to: S.IN_REVIEW },
  approve: { from: [S.IN_REVIEW], to: S.APPROVED },
  reject: { from: [S.IN_REVIEW], to: S.REJECTED },
  requestChanges: { from: [S.IN_REVIEW], to: S.CHANGES_REQUESTED },
};

const EDITABLE: readonly S[] = [S.DRAFT, S.CHANGES_REQUESTED];

export interface ApplicationFields {
  shopName?: string | null;
  legalName?: string | null;
  businessLicenseNumber?: string | null;
  contactName?: string | null;
  contactPhone?: string | null;
  contactEmail?: string | null;
  categoryIds?: string[] | null;
  description?: string | null;
}

type Normalised = Partial<Record<Exclude<keyof ApplicationFields, 'categoryIds'>, string>> & { categoryIds?: string[] };

/** Validates the fields present (all of them when `complete`), returning them trimmed and normalised. */
function validateFields(input: ApplicationFields, complete: boolean): Normalised {
  const problems = new Problems();
  const out: Normalised = {};
  const text = (key: Exclude<keyof ApplicationFields, 'categoryIds'>, min: number, max: number, label: string) => {
    const raw = input[key];
    if (raw == null) {
      if (complete) problems.add(UserErrorCode.INVALID_INPUT, `${label} is required`, ['input', key]);
      return;
    }
    out[key] = checkText(problems, raw, ['input', key], min, max, label);
  };
  text('shopName', 2, 40, 'Shop name');
  text('legalName', 2, 100, 'Legal name');
  text('contactName', 1, 60, 'Contact name');
  text('description', 1, 4000, 'Description');
  text('businessLicenseNumber', 1, 40, 'Business licence number');
  text('contactPhone', 1, 20, 'Contact phone');
  text('contactEmail', 3, 254, 'Contact email');
  if (out.businessLicenseNumber !== undefined) {
    out.businessLicenseNumber = out.businessLicenseNumber.toUpperCase();
    if (!isValidUscc(out.businessLicenseNumber)) {
      problems.add(UserErrorCode.INVALID_INPUT, 'Not a valid unified social credit code: 18 characters whose last is the check character', ['input', 'businessLicenseNumber']);
    }
  }
  if (out.contactPhone !== undefined) {
    out.contactPhone = out.contactPhone.replace(/[\s-]/g, '');
    if (!isValidPhone(out.contactPhone)) problems.add(UserErrorCode.INVALID_INPUT, 'Enter a mainland mobile number or an E.164 number such as +85291234567', ['input', 'contactPhone']);
  }
  if (out.contactEmail !== undefined) {
    out.contactEmail = out.contactEmail.toLowerCase();
    if (!isValidEmail(out.contactEmail)) problems.add(UserErrorCode.INVALID_INPUT, 'Enter a valid email address', ['input', 'contactEmail']);
  }
  if (input.categoryIds != null || complete) {
    if (!input.categoryIds || input.categoryIds.length === 0) problems.add(UserErrorCode.INVALID_INPUT, 'Choose at least one category', ['input', 'categoryIds']);
    else out.categoryIds = input.categoryIds;
  }
  problems.throwIfAny();
  return out;
}

/**
 * Shop names are unique, case-insensitively, among live shops and open applications. Callers run
 * inside a transaction; the advisory lock holds until it ends.
 */
export async function assertShopNameFree(
  em: EntityManager,
  name: string,
  options: { exceptApplicationId?: string; exceptShopId?: string; field: string[] },
): Promise<void> {
  // The two tables' unique indexes cannot see each other: serialise checks of one name.
  await em.execute('select pg_advisory_xact_lock(hashtext(lower(?)))', [name]);
  const [{ taken }] = await em.execute<{ taken: boolean }[]>(
    `select exists (select 1 from shop where lower(name) = lower(?) and status <> 'CLOSED' and id <> ?)
         or exists (select 1 from merchant_application where lower(shop_name) = lower(?) and status in (${OPEN_APPLICATION_STATUSES.map(() => '?').join(', ')}) and id <> ?) as taken`,
    [name, options.exceptShopId ?? '0', name, ...OPEN_APPLICATION_STATUSES, options.exceptApplicationId ?? '0'],
  );
  if (taken) throw new Failure(UserErrorCode.SHOP_NAME_TAKEN, 'A shop or an open application already uses this name', options.field);
}

/** Maps the unique indexes that guard applications against races to their payload errors. */
function uniqueViolation(message: string): Failure | undefined {
  if (message.includes('one_open_per_user')) return new Failure(UserErrorCode.APPLICATION_ALREADY_OPEN, 'You already have an open application');
  if (message.includes('name_unique')) return new Failure(UserErrorCode.SHOP_NAME_TAKEN, 'A shop or an open application already uses this name', ['input', 'shopName']);
  return undefined;
}

/** The viewer's own application, locked for update; another user's is NOT_FOUND. */
async function ownApplication(ctx: Context, em: EntityManager, id: string): Promise<MerchantApplication> {
  const app = await lockById(em, MerchantApplication, id, 'update');
  if (!app || app.applicant.id !== ctx.viewer.userId) throw new NotFoundError('No such merchant application');
  return app;
}

export async function createApplication(ctx: Context, input: ApplicationFields): Promise<MerchantApplication> {
  const fields = validateFields(input, true);
  return guardUnique(() =>
    ctx.em.transactional(async (em) => {
      const categoryIds = await resolveCategoryIds(em, fields.categoryIds!, ['input', 'categoryIds']);
      const open = await em.count(MerchantApplication, { applicant: ctx.viewer.userId, status: { $in: OPEN_APPLICATION_STATUSES } });
      if (open > 0) throw new Failure(UserErrorCode.APPLICATION_ALREADY_OPEN, 'You already have an open application; edit it or wait for its decision');
      await assertShopNameFree(em, fields.shopName!, { field: ['input', 'shopName'] });
      const app = em.create(MerchantApplication, {
        ...(fields as Required<Normalised>),
        categoryIds,
        applicant: ctx.viewer.userId!,
        status: S.DRAFT,
        createdAt: ctx.now(),
        updatedAt: ctx.now(),
      });
      await em.flush();
      return app;
    }),
    uniqueViolation,
  );
}

export async function updateApplication(ctx: Context, input: ApplicationFields & { id: string }): Promise<MerchantApplication> {
  const fields = validateFields(input, false);
  return guardUnique(() =>
    ctx.em.transactional(async (em) => {
      const app = await ownApplication(ctx, em, input.id);
      if (!EDITABLE.includes(app.status)) throw new Failure(UserErrorCode.INVALID_TRANSITION, `An application that is ${app.status} cannot be edited`);
      if (fields.shopName) await assertShopNameFree(em, fields.shopName, { exceptApplicationId: app.id, field: ['input', 'shopName'] });
      const categoryIds = fields.categoryIds ? await resolveCategoryIds(em, fields.categoryIds, ['input', 'categoryIds']) : undefined;
      em.assign(app, { ...fields, ...(categoryIds ? { categoryIds } : {}) });
      await em.flush();
      return app;
    }),
    uniqueViolation,
  );
}

/** DRAFT or CHANGES_REQUESTED → SUBMITTED. A resubmission keeps its reviewer, who claims it again. */
export async function submitApplication(ctx: Context, id: string): Promise<MerchantApplication> {
  return ctx.em.transactional(async (em) => {
    const app = await ownApplication(ctx, em, id);
    app.status = transition(APPLICATION_TRANSITIONS, A.submit, app.status, 'merchant application');
    app.submittedAt = ctx.now();
    await em.flush();
    return app;
  });
}

async function applicationForReview(ctx: Context, em: EntityManager, id: string, lock: boolean): Promise<MerchantApplication> {
  const app = lock ? await lockById(em, MerchantApplication, id, 'update') : await em.findOne(MerchantApplication, { id });
  // Drafts are private to their applicant until submitted.
  if (!app || app.status === S.DRAFT) throw new NotFoundError('No such merchant application');
  if (app.applicant.id === ctx.viewer.userId) throw new ForbiddenError('You cannot review your own application');
  return app;
}

/**
 * SUBMITTED → IN_REVIEW, assigned to the caller. One conditional UPDATE decides, so of two
 * reviewers claiming at the same moment exactly one wins. A resubmitted application can only be
 * claimed by its reviewer (or an ADMIN).
 */
export async function claimApplication(ctx: Context, id: string): Promise<MerchantApplication> {
  const app = await applicationForReview(ctx, ctx.em, id, false);
  const me = ctx.viewer.userId!;
  const isAdmin = ctx.viewer.hasStaffRole(StaffRole.ADMIN);
  const claimed = await ctx.em.execute<{ id: string }[]>(
    `update merchant_application set status = ?, reviewer_id = ?, updated_at = now()
      where id = ? and status = ? and (reviewer_id is null or reviewer_id = ? or ?) returning id`,
    [APPLICATION_TRANSITIONS.claim.to, me, app.id, S.SUBMITTED, me, isAdmin],
  );
  const em = ctx.em.fork();
  const current = await em.findOneOrFail(MerchantApplication, { id: app.id });
  if (claimed.length === 0) {
    if (current.status === S.IN_REVIEW && current.reviewer?.id === me) return current;
    if (current.status === S.IN_REVIEW || (current.status === S.SUBMITTED && current.reviewer)) {
      throw new Failure(UserErrorCode.ALREADY_CLAIMED, 'Another reviewer has claimed this application');
    }
    transition(APPLICATION_TRANSITIONS, A.claim, current.status, 'merchant application');
  }
  recordAudit(ctx, em, { action: 'merchantApplication.claim', targetType: 'MerchantApplication', targetId: app.id, before: { status: app.status }, after: { status: current.status } });
  await em.flush();
  return current;
}

/** A free slug for a new shop: the name's, else the name's with the first free numeric suffix. */
async function uniqueSlug(em: EntityManager, name: string): Promise<string> {
  const base = slugify(name) || 'shop';
  await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`shop-slug:${base}`]);
  const used = new Set((await em.execute<{ slug: string }[]>("select slug from shop where slug = ? or slug like ? || '-%'", [base, base])).map((r) => r.slug));
  let slug = base;
  for (let n = 2; used.has(slug); n++) slug = `${base}-${n}`;
  return slug;
}

export interface ReviewInput {
  applicationId: string;
  decision: ApplicationDecisionType;
  reason?: string | null;
  commissionRate?: string | null;
}

/**
 * Decides an IN_REVIEW application. APPROVE creates, in the same transaction, the shop in
 * ONBOARDING with a unique slug, the applicant as OWNER and the commission rate.
 */
export async function reviewApplication(ctx: Context, input: ReviewInput): Promise<MerchantApplication> {
  const reason = input.reason?.trim() || null;
  const problems = new Problems();
  if (!reason && input.decision !== ApplicationDecisionType.APPROVE) problems.add(UserErrorCode.REASON_REQUIRED, 'Give the applicant a reason', ['input', 'reason']);
  if (reason && charLength(reason) > 1000) problems.add(UserErrorCode.INVALID_INPUT, 'A reason has at most 1000 characters', ['input', 'reason']);
  if (input.commissionRate != null) checkRate(problems, input.commissionRate, ['input', 'commissionRate']);
  problems.throwIfAny();

  return guardUnique(() =>
    ctx.em.transactional(async (em) => {
      const app = await applicationForReview(ctx, em, input.applicationId, true);
      const action = ({ APPROVE: A.approve, REJECT: A.reject, REQUEST_CHANGES: A.requestChanges } as const)[input.decision];
      const next = transition(APPLICATION_TRANSITIONS, action, app.status, 'merchant application');
      if (app.reviewer?.id !== ctx.viewer.userId && !ctx.viewer.hasStaffRole(StaffRole.ADMIN)) {
        throw new Failure(UserErrorCode.NOT_ASSIGNED, 'Only the reviewer who claimed this application may decide it');
      }
      const before = { status: app.status };
      app.status = next;
      em.create(ApplicationDecision, { application: app, decision: input.decision, reason, reviewer: ctx.viewer.userId!, at: ctx.now() });
      if (input.decision === ApplicationDecisionType.APPROVE) {
        const shop = new Shop(app.shopName, await uniqueSlug(em, app.shopName));
        shop.status = ShopStatus.ONBOARDING;
        shop.commissionRate = input.commissionRate ?? null;
        em.persist(shop);
        em.persist(new ShopMember(shop, app.applicant, ShopMemberRole.OWNER));
        app.shop = shop;
      }
      await em.flush();
      recordAudit(ctx, em, {
        action: `merchantApplication.${action}`,
        targetType: 'MerchantApplication',
        targetId: app.id,
        before,
        after: { status: app.status, reason, shopId: app.shop?.id ?? null },
      });
      await em.flush();
      return app;
    }),
    uniqueViolation,
  );
}

export function myApplications(ctx: Context): Promise<MerchantApplication[]> {
  return ctx.em.find(MerchantApplication, { applicant: ctx.viewer.userId }, { orderBy: { id: 'desc' } });
}

/** The review queue: submitted applications, oldest submitted first. Drafts never appear. */
export async function applicationQueue(
  ctx: Context,
  args: PageArgs & { filter?: { status?: S | null; assignedToMe?: boolean | null } | null },
): Promise<Page<MerchantApplication>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  const base = () => {
    const qb = ctx.em.createQueryBuilder(MerchantApplication, 'a').where({ status: { $ne: S.DRAFT } });
    if (args.filter?.status) qb.andWhere({ status: args.filter.status });
    if (args.filter?.assignedToMe) qb.andWhere({ reviewer: ctx.viewer.userId });
    return qb;
  };
  const keys = [
    { column: 'a.submitted_at', direction: 'asc' as const },
    { column: 'a.id', direction: 'asc' as const },
  ];
  const rows = await applyKeyset(base(), keys, window).getResultList();
  return page(rows, window, (a) => [a.submittedAt!.toISOString(), a.id], () => base().getCount());
}
