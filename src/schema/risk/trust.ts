import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AppealStatus, ProductReport, ProductReportReason, ProductReportStatus, ShopViolation, ViolationAppeal, ViolationKind } from '../../entities';
import { MAX_VIOLATION_POINTS, ShopStanding, VIOLATION_POINTS } from '../../services/risk';
import { UserError } from '../shared/common';
import { ConnectionArgs, connectionTypes } from '../shared/relay';
import { Multiline } from '../shared/textRule';

const KIND_MEANING: Record<ViolationKind, string> = {
  COUNTERFEIT: 'Selling fakes of a brand’s goods (假冒)',
  IP_INFRINGEMENT: 'Infringing a trademark, copyright or patent',
  PROHIBITED: 'Selling goods the platform does not allow',
  MISLEADING: 'A listing that misdescribes the goods',
  OTHER: 'Any other breach of the platform’s rules',
};

registerEnumType(ViolationKind, {
  name: 'ViolationKind',
  description: `What a violation is for, with the points it carries unless staff give others (1–${MAX_VIOLATION_POINTS}). A shop at VIOLATION_RESTRICT_POINTS (default 12) is restricted, at VIOLATION_SUSPEND_POINTS (default 24) suspended.`,
  valuesConfig: Object.fromEntries(Object.values(ViolationKind).map((k) => [k, { description: `${KIND_MEANING[k]}: ${VIOLATION_POINTS[k]} points.` }])),
});

registerEnumType(ShopStanding, {
  name: 'ShopStanding',
  description: 'Where a shop stands by its violation points.',
  valuesConfig: {
    GOOD: { description: 'Under VIOLATION_RESTRICT_POINTS: no restriction.' },
    RESTRICTED: { description: 'At VIOLATION_RESTRICT_POINTS or more: no new listings (createProduct, submitProductForReview) and no campaigns (promotions, coupon campaigns, flash-sale nominations, group buys, bargains): SHOP_RESTRICTED.' },
    SUSPENDED: { description: 'Suspended automatically at VIOLATION_SUSPEND_POINTS: its products are off sale until accepted appeals take it back under.' },
  },
});

export enum ReportDecision {
  UPHOLD = 'UPHOLD',
  DISMISS = 'DISMISS',
}

registerEnumType(ReportDecision, {
  name: 'ReportDecision',
  description: 'What staff decide about a product report.',
  valuesConfig: {
    UPHOLD: { description: 'The report is right: the product is banned (unless it is already) and a violation of the reason’s kind recorded against the shop; the product’s other open reports are upheld with it.' },
    DISMISS: { description: 'Nothing wrong found: the report is closed.' },
  },
});

export enum AppealDecision {
  ACCEPT = 'ACCEPT',
  REJECT = 'REJECT',
}

registerEnumType(AppealDecision, {
  name: 'AppealDecision',
  description: 'What staff RISK decide about an appeal.',
  valuesConfig: {
    ACCEPT: { description: 'The violation is revoked: its points no longer count, and the shop’s restriction is lifted, or its suspension for violation points ended, when it falls under the thresholds.' },
    REJECT: { description: 'The violation stands.' },
  },
});

@InputType({ description: 'Report a product to the platform (舉報).' })
export class ReportProductInput {
  @Field(() => ID, { description: 'A product you can see, not one of your own shop’s.' })
  productId!: string;

  @Field(() => ProductReportReason, { description: 'What is wrong with it.' })
  reason!: ProductReportReason;

  @Field(() => [String], { description: 'Evidence: 1 to 9 https URLs (photos, documents, the genuine listing).' })
  evidenceUrls!: string[];

  @Multiline()
  @Field({ description: 'What you found, 10 to 2,000 characters.' })
  description!: string;
}

@InputType({ description: 'Decide a product report (staff RISK or OPERATIONS).' })
export class DecideProductReportInput {
  @Field(() => ID, { description: 'An OPEN report.' })
  reportId!: string;

  @Field(() => ReportDecision, { description: 'Uphold or dismiss it.' })
  decision!: ReportDecision;

  @Multiline()
  @Field({ description: 'Why, 3 to 1,000 characters: kept on the report (its reporter sees it) and, when upheld, on the violation and the ban.' })
  reason!: string;
}

@InputType({ description: 'Record a violation against a shop by hand (staff RISK), e.g. from a complaint.' })
export class RecordShopViolationInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field(() => ViolationKind, { description: 'What it is for.' })
  kind!: ViolationKind;

  @Field(() => Int, { nullable: true, description: `Points, 1 to ${MAX_VIOLATION_POINTS}; the kind’s points when omitted.` })
  points?: number | null;

  @Field(() => ID, { nullable: true, description: 'The product concerned, one of the shop’s.' })
  productId?: string | null;

  @Multiline()
  @Field({ description: 'Why, 3 to 1,000 characters (the shop sees it).' })
  reason!: string;
}

@InputType({ description: 'Appeal a violation of your shop (its OWNER).' })
export class AppealViolationInput {
  @Field(() => ID, { description: 'An ACTIVE violation of your shop, not appealed before.' })
  violationId!: string;

  @Multiline()
  @Field({ description: 'Your case, 10 to 2,000 characters.' })
  reason!: string;
}

@InputType({ description: 'Decide an appeal (staff RISK).' })
export class DecideAppealInput {
  @Field(() => ID, { description: 'A PENDING appeal.' })
  appealId!: string;

  @Field(() => AppealDecision, { description: 'Accept or reject it.' })
  decision!: AppealDecision;

  @Multiline()
  @Field({ description: 'Why, 3 to 1,000 characters (the owner is told).' })
  reason!: string;
}

@InputType({ description: 'Which product reports to list.' })
export class ProductReportFilter {
  @Field(() => ProductReportStatus, { nullable: true, description: 'Reports in this status; OPEN (the queue, oldest first) by default. Decided ones come newest first.' })
  status?: ProductReportStatus | null;

  @Field(() => ID, { nullable: true, description: 'Only the reports of this product.' })
  productId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only the reports of this shop’s products.' })
  shopId?: string | null;
}

@InputType({ description: 'Which appeals to list.' })
export class ViolationAppealFilter {
  @Field(() => AppealStatus, { nullable: true, description: 'Appeals in this status; PENDING (the queue, oldest first) by default. Decided ones come newest first.' })
  status?: AppealStatus | null;

  @Field(() => ID, { nullable: true, description: 'Only this shop’s appeals.' })
  shopId?: string | null;
}

export const { ConnectionType: ProductReportConnection } = connectionTypes(ProductReport);
export const { ConnectionType: ShopViolationConnection } = connectionTypes(ShopViolation);
export const { ConnectionType: ViolationAppealConnection } = connectionTypes(ViolationAppeal);

@ArgsType()
export class ProductReportsArgs extends ConnectionArgs {
  @Field(() => ProductReportFilter, { nullable: true, description: 'Filters; all given must match.' })
  filter?: ProductReportFilter | null;
}

@ArgsType()
export class ViolationAppealsArgs extends ConnectionArgs {
  @Field(() => ViolationAppealFilter, { nullable: true, description: 'Filters; all given must match.' })
  filter?: ViolationAppealFilter | null;
}

@ObjectType({ description: 'Result of `reportProduct`.' })
export class ProductReportPayload {
  @Field(() => ProductReport, { nullable: true, description: 'The report; null when `errors` is not empty.' })
  productReport?: ProductReport | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `decideProductReport`.' })
export class DecideProductReportPayload {
  @Field(() => ProductReport, { nullable: true, description: 'The report as decided; null when `errors` is not empty.' })
  productReport?: ProductReport | null;

  @Field(() => ShopViolation, { nullable: true, description: 'The violation an upheld report recorded; null when dismissed.' })
  shopViolation?: ShopViolation | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `recordShopViolation`.' })
export class ShopViolationPayload {
  @Field(() => ShopViolation, { nullable: true, description: 'The violation; null when `errors` is not empty.' })
  shopViolation?: ShopViolation | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `appealViolation` and `decideAppeal`.' })
export class ViolationAppealPayload {
  @Field(() => ViolationAppeal, { nullable: true, description: 'The appeal as it now stands; null when `errors` is not empty.' })
  violationAppeal?: ViolationAppeal | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
