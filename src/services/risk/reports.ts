import type { Context } from '../../context';
import { lockById, rowShape, selectRows } from '../../db/rows';
import type { Page, PageArgs } from '../../db/keyset';
import { Product, ProductReport, ProductReportReason, ProductReportStatus, ProductStatus, type ShopViolation, StaffRole, User, ViolationKind } from '../../entities';
import { Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { banLockedProduct, visibleProduct } from '../catalog';
import { lockShop } from '../onboarding';
import { recordAudit } from '../platform';
import { checkText, guardUnique, isHttpUrl, MAX_ATTACHMENTS } from '../shared';
import { decisionReason, pageByTime, recordLockedViolation, VIOLATION_POINTS } from './violations';

/**
 * Product reports (舉報): any signed-in user reports a product they can see — counterfeit,
 * prohibited, misleading, infringing — with evidence, once while their report is open. Staff RISK
 * or OPERATIONS work the queue oldest first: upholding a report bans the product (the catalog's
 * one ban) and records one violation against its shop, the product's other open reports upheld
 * with it; dismissing closes it. One transaction each.
 */

/** Staff who work the report queue. */
export const REPORT_STAFF: readonly StaffRole[] = [StaffRole.RISK, StaffRole.OPERATIONS];

/** The violation an upheld report of each reason records. */
const KIND_OF: Readonly<Record<ProductReportReason, ViolationKind>> = {
  [ProductReportReason.COUNTERFEIT]: ViolationKind.COUNTERFEIT,
  [ProductReportReason.PROHIBITED]: ViolationKind.PROHIBITED,
  [ProductReportReason.MISLEADING]: ViolationKind.MISLEADING,
  [ProductReportReason.IP_INFRINGEMENT]: ViolationKind.IP_INFRINGEMENT,
  [ProductReportReason.OTHER]: ViolationKind.OTHER,
};

export interface ReportProductInput {
  /** Database key. */
  productId: string;
  reason: ProductReportReason;
  evidenceUrls: string[];
  description: string;
}

const alreadyReported = () => new Failure(UserErrorCode.ALREADY_REPORTED, 'You already reported this product; staff have not decided it yet', ['input', 'productId']);

/** Evidence: 1 to MAX_ATTACHMENTS https URLs (trimmed). */
function checkEvidence(problems: Problems, urls: readonly string[]): string[] {
  const list = urls.map((u) => u.trim());
  if (list.length === 0 || list.length > MAX_ATTACHMENTS) problems.add(UserErrorCode.INVALID_INPUT, `Give 1 to ${MAX_ATTACHMENTS} evidence URLs`, ['input', 'evidenceUrls']);
  list.forEach((url, i) => {
    if (!isHttpUrl(url) || !url.startsWith('https://')) problems.add(UserErrorCode.INVALID_INPUT, 'Evidence must be an https URL of at most 2048 characters', ['input', 'evidenceUrls', String(i)]);
  });
  return list;
}

/**
 * A signed-in user reports a product they can see (another is NOT_FOUND), not one of their own
 * shop's (INVALID_INPUT), with evidence and a description. One OPEN report per user and product
 * (ALREADY_REPORTED; the partial unique index decides between two at once). The product's row is
 * share-locked meanwhile, so a report never slips in beside a decision that bans it.
 */
export async function reportProduct(ctx: Context, input: ReportProductInput): Promise<ProductReport> {
  const problems = new Problems();
  const evidenceUrls = checkEvidence(problems, input.evidenceUrls);
  const description = checkText(problems, input.description, ['input', 'description'], 10, 2000, 'The description');
  problems.throwIfAny();
  if (!(await visibleProduct(ctx, input.productId))) throw new NotFoundError('No such product');
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        const product = await lockById(em, Product, input.productId, 'share');
        if (!product) throw new NotFoundError('No such product');
        if ((await ctx.viewer.roleIn(product.shop.id)) !== undefined) throw new Failure(UserErrorCode.INVALID_INPUT, 'You cannot report a product of your own shop', ['input', 'productId']);
        if (product.status === ProductStatus.BANNED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'The product is banned already', ['input', 'productId']);
        if (await em.count(ProductReport, { product: product.id, reporter: ctx.viewer.userId!, status: ProductReportStatus.OPEN })) throw alreadyReported();
        const report = em.create(ProductReport, {
          product,
          shop: product.shop,
          reporter: em.getReference(User, ctx.viewer.userId!),
          reason: input.reason,
          evidenceUrls,
          description,
          createdAt: ctx.now(),
        });
        await em.flush();
        return report;
      }),
    (message) => (message.includes('product_report_open_unique') ? alreadyReported() : undefined),
  );
}

export interface DecideReportInput {
  /** Database key. */
  reportId: string;
  decision: 'UPHOLD' | 'DISMISS';
  reason: string;
}

export interface ReportDecision {
  report: ProductReport;
  /** The violation an upheld report recorded; null when dismissed. */
  violation: ShopViolation | null;
}

const REPORT_PARTIES = rowShape({ product_id: 'key', shop_id: 'key' });

/**
 * Staff RISK or OPERATIONS decide an OPEN report (another is ALREADY_DECIDED) with a reason.
 * UPHOLD bans the product unless it is banned already, records a violation of the reason's kind
 * and points against the shop (which may restrict or suspend it), and upholds the product's other
 * open reports with it: one violation for them all. DISMISS closes the report alone. Deciders take
 * the shop, the product, then the report, in that order (the order the shop's moderation takes its
 * products in), so decisions of one product's reports queue rather than deadlock. Audited.
 */
export async function decideProductReport(ctx: Context, input: DecideReportInput): Promise<ReportDecision> {
  if (!ctx.viewer.hasStaffRole(...REPORT_STAFF)) throw new ForbiddenError();
  const reason = decisionReason(input.reason);
  return ctx.em.transactional(async (em) => {
    const [parties] = await selectRows(em, REPORT_PARTIES, 'select product_id, shop_id from product_report where id = ?', [input.reportId]);
    if (!parties) throw new NotFoundError('No such product report');
    const shop = await lockShop(em, parties.shop_id);
    const product = await lockById(em, Product, parties.product_id);
    const report = await lockById(em, ProductReport, input.reportId);
    if (!product || !report) throw new NotFoundError('No such product report');
    if (report.status !== ProductReportStatus.OPEN) throw new Failure(UserErrorCode.ALREADY_DECIDED, `The report was ${report.status.toLowerCase()} already`, ['input', 'reportId']);
    const now = ctx.now();
    const decidedBy = em.getReference(User, ctx.viewer.userId!);
    const upheld = input.decision === 'UPHOLD';
    Object.assign(report, { status: upheld ? ProductReportStatus.UPHELD : ProductReportStatus.DISMISSED, decidedBy, decidedAt: now, decisionReason: reason });
    let violation: ShopViolation | null = null;
    let alsoUpheld = 0;
    if (upheld) {
      if (product.status !== ProductStatus.BANNED) await banLockedProduct(ctx, em, product, `Report upheld: ${reason}`);
      const kind = KIND_OF[report.reason];
      violation = await recordLockedViolation(ctx, em, shop, { kind, points: VIOLATION_POINTS[kind], reason, productId: product.id, reportId: report.id });
      alsoUpheld = await em.nativeUpdate(
        ProductReport,
        { product: product.id, status: ProductReportStatus.OPEN, id: { $ne: report.id } },
        { status: ProductReportStatus.UPHELD, decidedBy, decidedAt: now, decisionReason: reason },
      );
    }
    recordAudit(ctx, em, {
      action: upheld ? 'productReport.uphold' : 'productReport.dismiss',
      targetType: 'ProductReport',
      targetId: report.id,
      before: { status: ProductReportStatus.OPEN },
      after: { status: report.status, reason, violationId: violation?.id ?? null, alsoUpheld },
    });
    await em.flush();
    return { report, violation };
  });
}

export interface ProductReportFilter {
  status?: ProductReportStatus | null;
  /** Database keys. */
  productId?: string | null;
  shopId?: string | null;
}

/**
 * The reports (staff RISK, OPERATIONS) in one status, OPEN by default: the open queue oldest
 * first, decided reports newest first; optionally of one product or one shop.
 */
export function listProductReports(ctx: Context, args: PageArgs & { filter?: ProductReportFilter | null }): Promise<Page<ProductReport>> {
  if (!ctx.viewer.hasStaffRole(...REPORT_STAFF)) throw new ForbiddenError();
  const status = args.filter?.status ?? ProductReportStatus.OPEN;
  const where = ['e.status = ?'];
  const params: unknown[] = [status];
  if (args.filter?.productId) {
    where.push('e.product_id = ?');
    params.push(args.filter.productId);
  }
  if (args.filter?.shopId) {
    where.push('e.shop_id = ?');
    params.push(args.filter.shopId);
  }
  return pageByTime(ctx.em, ProductReport, 'product_report', where, params, status === ProductReportStatus.OPEN ? 'asc' : 'desc', args);
}

/** Whether the viewer sees `report`: its reporter and the staff who decide reports. */
export function seesReport(ctx: Context, report: ProductReport): boolean {
  return report.reporter.id === ctx.viewer.userId || ctx.viewer.hasStaffRole(...REPORT_STAFF);
}

/** One report by key, or null when the viewer may not see it (`node(id)`). */
export async function visibleProductReport(ctx: Context, key: string): Promise<ProductReport | null> {
  const report = await ctx.loaders.productReportById.load(key);
  return report && seesReport(ctx, report) ? report : null;
}
