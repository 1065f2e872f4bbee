import { Arg, Args, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Product, ProductReport, Shop, ShopViolation, User, ViolationAppeal } from '../../entities';
import { visibleProduct } from '../../services/catalog';
import { visibleShop } from '../../services/onboarding';
import * as trust from '../../services/risk';
import {
  AppealViolationInput,
  DecideAppealInput,
  DecideProductReportInput,
  DecideProductReportPayload,
  ProductReportConnection,
  ProductReportPayload,
  ProductReportsArgs,
  RecordShopViolationInput,
  ShopViolationConnection,
  ShopViolationPayload,
  ViolationAppealConnection,
  ViolationAppealPayload,
  ViolationAppealsArgs,
  ReportProductInput,
} from '../../schema/risk/trust';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeInput } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

const isReportStaff = (ctx: Context) => ctx.viewer.hasStaffRole(...trust.REPORT_STAFF);
const wrapAppeal = (violationAppeal: ViolationAppeal) => ({ violationAppeal });

/** Product reports, violations, appeals (services/risk/{reports,violations,appeals}.ts). */
@Resolver(() => ProductReport)
export class ProductReportResolver {
  @Query(() => ProductReportConnection, {
    description: 'Product reports (staff RISK, OPERATIONS) in one status: by default the OPEN queue, oldest first; decided ones newest first.',
  })
  productReports(@Args() args: ProductReportsArgs, @Ctx() ctx: Context) {
    return connection(trust.listProductReports(ctx, { ...args, filter: args.filter && decodeInput(args.filter, { productId: 'Product', shopId: 'Shop' }) }));
  }

  @Mutation(() => ProductReportPayload, {
    description:
      'Report a product you can see (any signed-in user; another is NOT_FOUND) with 1–9 https evidence URLs and a description: it joins the staff queue. Not your own shop’s (INVALID_INPUT); one open report per product (ALREADY_REPORTED).',
  })
  reportProduct(@Arg('input', { description: INPUT_DESCRIPTION }) input: ReportProductInput, @Ctx() ctx: Context): Promise<ProductReportPayload> {
    return payload(() => trust.reportProduct(ctx, decodeInput(input, { productId: 'Product' })), (productReport) => ({ productReport }));
  }

  @Mutation(() => DecideProductReportPayload, {
    description:
      'Decide an OPEN product report with a reason (staff RISK, OPERATIONS; another is ALREADY_DECIDED). UPHOLD bans the product, records a violation against its shop (points by kind: see ViolationKind) and upholds its other open reports; DISMISS closes it. Audited.',
  })
  decideProductReport(@Arg('input', { description: INPUT_DESCRIPTION }) input: DecideProductReportInput, @Ctx() ctx: Context): Promise<DecideProductReportPayload> {
    return payload(
      () => trust.decideProductReport(ctx, decodeInput(input, { reportId: 'ProductReport' })),
      ({ report, violation }) => ({ productReport: report, shopViolation: violation }),
    );
  }

  @FieldResolver(() => Product, { nullable: true, description: 'The product reported; null once it is off sale, for anyone but staff.' })
  product(@Root() report: ProductReport, @Ctx() ctx: Context): Promise<Product | null> {
    return visibleProduct(ctx, report.product.id);
  }

  @FieldResolver(() => Shop, { nullable: true, description: 'The product’s shop; null when it is not ACTIVE, for anyone but staff.' })
  shop(@Root() report: ProductReport, @Ctx() ctx: Context): Promise<Shop | null> {
    return visibleShop(ctx, report.shop.id);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who reported it: for staff RISK and OPERATIONS and the reporter (never the shop).' })
  reporter(@Root() report: ProductReport, @Ctx() ctx: Context): Promise<User | null> | null {
    return trust.seesReport(ctx, report) ? ctx.loaders.userById.load(report.reporter.id) : null;
  }
}

@Resolver(() => ShopViolation)
export class ShopViolationResolver {
  @Mutation(() => ShopViolationPayload, {
    description:
      'Record a violation against a shop by hand (staff RISK), e.g. from a complaint: the kind’s points unless given (1–100). The shop may be restricted or suspended by it; its OWNER and MANAGER are notified. Audited.',
  })
  recordShopViolation(@Arg('input', { description: INPUT_DESCRIPTION }) input: RecordShopViolationInput, @Ctx() ctx: Context): Promise<ShopViolationPayload> {
    return payload(() => trust.recordShopViolation(ctx, decodeInput(input, { shopId: 'Shop', productId: 'Product' })), (shopViolation) => ({ shopViolation }));
  }

  @FieldResolver(() => Shop, { description: 'The shop it was recorded against.' })
  async shop(@Root() violation: ShopViolation, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(violation.shop.id))!;
  }

  @FieldResolver(() => Product, { nullable: true, description: 'The product concerned, if any.' })
  product(@Root() violation: ShopViolation, @Ctx() ctx: Context): Promise<Product | null> | null {
    return violation.product ? visibleProduct(ctx, violation.product.id) : null;
  }

  @FieldResolver(() => ProductReport, { nullable: true, description: 'The upheld report that recorded it (staff RISK and OPERATIONS; null for the shop, and for a violation recorded by hand).' })
  report(@Root() violation: ShopViolation, @Ctx() ctx: Context): Promise<ProductReport | null> | null {
    return violation.report && isReportStaff(ctx) ? ctx.loaders.productReportById.load(violation.report.id) : null;
  }

  @FieldResolver(() => ViolationAppeal, { nullable: true, description: 'The shop’s appeal of it, if any (one per violation).' })
  appeal(@Root() violation: ShopViolation, @Ctx() ctx: Context): Promise<ViolationAppeal | null> {
    return ctx.loaders.appealByViolationId.load(violation.id);
  }
}

@Resolver(() => ViolationAppeal)
export class ViolationAppealResolver {
  @Query(() => ViolationAppealConnection, { description: 'Appeals of violations (staff RISK) in one status: by default the PENDING queue, oldest first; decided ones newest first.' })
  violationAppeals(@Args() args: ViolationAppealsArgs, @Ctx() ctx: Context) {
    return connection(trust.listViolationAppeals(ctx, { ...args, filter: args.filter && decodeInput(args.filter, { shopId: 'Shop' }) }));
  }

  @Mutation(() => ViolationAppealPayload, {
    description:
      'Appeal a violation of your shop (its OWNER; other roles FORBIDDEN, another shop’s violation NOT_FOUND), once (ALREADY_APPEALED), with your case; a revoked one is INVALID_TRANSITION. Staff RISK decide it.',
  })
  appealViolation(@Arg('input', { description: INPUT_DESCRIPTION }) input: AppealViolationInput, @Ctx() ctx: Context): Promise<ViolationAppealPayload> {
    return payload(() => trust.appealViolation(ctx, decodeInput(input, { violationId: 'ShopViolation' })), wrapAppeal);
  }

  @Mutation(() => ViolationAppealPayload, {
    description:
      'Decide a PENDING appeal with a reason (staff RISK; another is ALREADY_DECIDED). ACCEPT revokes the violation and restores its points: the restriction lifts and a shop suspended for its points is reinstated once under the thresholds. The owner is notified. Audited.',
  })
  decideAppeal(@Arg('input', { description: INPUT_DESCRIPTION }) input: DecideAppealInput, @Ctx() ctx: Context): Promise<ViolationAppealPayload> {
    return payload(() => trust.decideAppeal(ctx, decodeInput(input, { appealId: 'ViolationAppeal' })), wrapAppeal);
  }

  @FieldResolver(() => ShopViolation, { description: 'The violation appealed.' })
  async violation(@Root() appeal: ViolationAppeal, @Ctx() ctx: Context): Promise<ShopViolation> {
    return (await ctx.loaders.violationById.load(appeal.violation.id))!;
  }

  @FieldResolver(() => Shop, { description: 'The shop appealing.' })
  async shop(@Root() appeal: ViolationAppeal, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(appeal.shop.id))!;
  }
}

@Resolver(() => Shop)
export class ShopTrustResolver {
  @FieldResolver(() => Int, { description: 'Credit score (信用分): 100 less the points of its ACTIVE violations, at least 0 (its members and staff).' })
  creditScore(@Root() shop: Shop): number {
    return trust.creditScoreOf(shop);
  }

  @FieldResolver(() => Int, { description: 'Points of its ACTIVE violations (its members and staff).' })
  violationPoints(@Root() shop: Shop): number {
    return shop.violationPoints;
  }

  @FieldResolver(() => trust.ShopStanding, { description: 'Where it stands by its violation points (its members and staff).' })
  standing(@Root() shop: Shop): trust.ShopStanding {
    return trust.standingOf(shop);
  }

  @FieldResolver(() => Date, { nullable: true, description: 'Since when it is restricted (no new listings, no campaigns); null when it is not (its members and staff).' })
  restrictedAt(@Root() shop: Shop): Date | null {
    return shop.restrictedAt ?? null;
  }

  @FieldResolver(() => ShopViolationConnection, { description: 'Its violations, newest first (its OWNER and MANAGER members, and staff).' })
  violations(@Root() shop: Shop, @Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(trust.shopViolations(ctx, shop.id, args));
  }
}
