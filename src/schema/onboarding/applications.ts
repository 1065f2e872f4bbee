import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { ApplicationDecisionType, MerchantApplication, MerchantApplicationStatus } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';
import { Multiline } from '../shared/textRule';

@InputType({ description: 'A merchant application (商家入駐).' })
export class MerchantApplicationInput {
  @Field({ description: 'Name of the shop to open, 2–40 characters, unique (case-insensitive).' })
  shopName!: string;

  @Field({ description: 'Registered legal name of the business.' })
  legalName!: string;

  @Field({ description: 'Unified social credit code: 18 characters with a valid check character.' })
  businessLicenseNumber!: string;

  @Field({ description: 'Contact person.' })
  contactName!: string;

  @Field({ description: 'Mainland mobile number (13812345678) or E.164 (+85291234567).' })
  contactPhone!: string;

  @Field({ description: 'Contact email.' })
  contactEmail!: string;

  @Field(() => [ID], { description: 'Categories the shop will sell in (at least one).' })
  categoryIds!: string[];

  @Multiline()
  @Field({ description: 'What the shop will sell, and its plan.' })
  description!: string;
}

@InputType({ description: 'Changes to a DRAFT or CHANGES_REQUESTED application; omitted fields stay as they are.' })
export class UpdateMerchantApplicationInput {
  @Field(() => ID, { description: 'The application.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Shop name.' })
  shopName?: string | null;

  @Field(() => String, { nullable: true, description: 'Legal name.' })
  legalName?: string | null;

  @Field(() => String, { nullable: true, description: 'Unified social credit code.' })
  businessLicenseNumber?: string | null;

  @Field(() => String, { nullable: true, description: 'Contact person.' })
  contactName?: string | null;

  @Field(() => String, { nullable: true, description: 'Contact phone.' })
  contactPhone?: string | null;

  @Field(() => String, { nullable: true, description: 'Contact email.' })
  contactEmail?: string | null;

  @Field(() => [ID], { nullable: true, description: 'Categories.' })
  categoryIds?: string[] | null;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'Description.' })
  description?: string | null;
}

@InputType({ description: "A reviewer's decision." })
export class ReviewMerchantApplicationInput {
  @Field(() => ID, { description: 'The application, claimed by you.' })
  applicationId!: string;

  @Field(() => ApplicationDecisionType, { description: 'The decision.' })
  decision!: ApplicationDecisionType;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'Why, at most 1000 characters; required for REJECT and REQUEST_CHANGES. Shown to the applicant.' })
  reason?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Commission rate for the new shop (APPROVE); defaults to DEFAULT_COMMISSION_RATE.' })
  commissionRate?: string | null;
}

@InputType({ description: 'Filters for the review queue.' })
export class MerchantApplicationFilter {
  @Field(() => MerchantApplicationStatus, { nullable: true, description: 'Only applications in this status.' })
  status?: MerchantApplicationStatus | null;

  @Field(() => Boolean, { nullable: true, description: 'Only applications assigned to me.' })
  assignedToMe?: boolean | null;
}

@ObjectType({ description: 'Result of a merchant application mutation.' })
export class MerchantApplicationPayload {
  @Field(() => MerchantApplication, { nullable: true, description: 'The application after the change.' })
  merchantApplication?: MerchantApplication | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

export const { ConnectionType: MerchantApplicationConnection } = connectionTypes(MerchantApplication);
