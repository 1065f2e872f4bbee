import { ArrayType, BigIntType, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel, OptionalProps } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import { Shop } from './Shop';
import { User } from './User';

export enum MerchantApplicationStatus {
  DRAFT = 'DRAFT',
  SUBMITTED = 'SUBMITTED',
  IN_REVIEW = 'IN_REVIEW',
  CHANGES_REQUESTED = 'CHANGES_REQUESTED',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}

registerEnumType(MerchantApplicationStatus, {
  name: 'MerchantApplicationStatus',
  description: 'Where a merchant application stands.',
  valuesConfig: {
    DRAFT: { description: 'Being written by the applicant.' },
    SUBMITTED: { description: 'Waiting in the review queue.' },
    IN_REVIEW: { description: 'Claimed by a reviewer.' },
    CHANGES_REQUESTED: { description: 'Sent back to the applicant to fix and resubmit.' },
    APPROVED: { description: 'Approved; the shop exists.' },
    REJECTED: { description: 'Rejected for good; the applicant may start a new application.' },
  },
});

/**
 * A step of the application life cycle: the actions of its transition table, which
 * `MerchantApplication.nextActions` lists. Spelled in lowerCamelCase, as the API has always sent them.
 */
export enum MerchantApplicationAction {
  submit = 'submit',
  claim = 'claim',
  approve = 'approve',
  reject = 'reject',
  requestChanges = 'requestChanges',
}

registerEnumType(MerchantApplicationAction, {
  name: 'MerchantApplicationAction',
  description: 'A step a merchant application may take next.',
  valuesConfig: {
    submit: { description: 'The applicant submits (or resubmits) it for review: DRAFT or CHANGES_REQUESTED → SUBMITTED.' },
    claim: { description: 'A reviewer claims it: SUBMITTED → IN_REVIEW.' },
    approve: { description: 'The assigned reviewer approves it and the shop is created: IN_REVIEW → APPROVED.' },
    reject: { description: 'The assigned reviewer rejects it for good: IN_REVIEW → REJECTED.' },
    requestChanges: { description: 'The assigned reviewer sends it back to the applicant: IN_REVIEW → CHANGES_REQUESTED.' },
  },
});

export const OPEN_APPLICATION_STATUSES = [
  MerchantApplicationStatus.DRAFT,
  MerchantApplicationStatus.SUBMITTED,
  MerchantApplicationStatus.IN_REVIEW,
  MerchantApplicationStatus.CHANGES_REQUESTED,
];
const OPEN_SQL = OPEN_APPLICATION_STATUSES.map((s) => `'${s}'`).join(', ');

/** 商家入駐: a user's application to open a shop, reviewed by platform staff (審核). */
@ObjectType({ implements: Node, description: 'An application to open a shop on the marketplace.' })
@Entity({ tableName: 'merchant_application' })
@Index({ name: 'merchant_application_one_open_per_user', expression: `create unique index "merchant_application_one_open_per_user" on "merchant_application" ("applicant_id") where "status" in (${OPEN_SQL})` })
@Index({ name: 'merchant_application_open_name_unique', expression: `create unique index "merchant_application_open_name_unique" on "merchant_application" (lower("shop_name")) where "status" in (${OPEN_SQL})` })
@Index({ name: 'merchant_application_queue_idx', properties: ['status', 'submittedAt', 'id'] })
export class MerchantApplication extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'merchant_application_applicant_idx' })
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  applicant!: Rel<User>;

  @Field(() => MerchantApplicationStatus, { description: 'Review status.' })
  @Enum({ items: () => MerchantApplicationStatus })
  status: MerchantApplicationStatus = MerchantApplicationStatus.DRAFT;

  @Field({ description: 'Name of the shop to open (2–40 characters).' })
  @Property({ type: 'text' })
  shopName!: string;

  @Field({ description: 'Registered legal name of the business.' })
  @Property({ type: 'text' })
  legalName!: string;

  @Field({ description: 'Unified social credit code (統一社會信用代碼), 18 characters.' })
  @Property({ type: 'text' })
  businessLicenseNumber!: string;

  @Field({ description: 'Contact person.' })
  @Property({ type: 'text' })
  contactName!: string;

  @Field({ description: 'Contact phone: a mainland mobile number or E.164.' })
  @Property({ type: 'text' })
  contactPhone!: string;

  @Field({ description: 'Contact email.' })
  @Property({ type: 'text' })
  contactEmail!: string;

  @Field({ description: 'What the shop will sell, and its plan.' })
  @Property({ type: 'text' })
  description!: string;

  /** Ids of the categories the shop intends to sell in. */
  @Property({ type: ArrayType, columnType: 'bigint[]' })
  categoryIds: string[] = [];

  @Index({ name: 'merchant_application_reviewer_idx' })
  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  reviewer?: Rel<User> | null;

  @Field(() => Date, { nullable: true, description: 'When the application was last submitted.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  submittedAt?: Date | null;

  @ManyToOne(() => Shop, { nullable: true, deleteRule: 'set null' })
  shop?: Rel<Shop> | null;
}

export enum ApplicationDecisionType {
  APPROVE = 'APPROVE',
  REJECT = 'REJECT',
  REQUEST_CHANGES = 'REQUEST_CHANGES',
}

registerEnumType(ApplicationDecisionType, {
  name: 'ApplicationDecisionType',
  description: "A reviewer's decision on a merchant application.",
  valuesConfig: {
    APPROVE: { description: 'Approve: the shop is created in ONBOARDING with the applicant as OWNER.' },
    REJECT: { description: 'Reject for good (a reason is required).' },
    REQUEST_CHANGES: { description: 'Send back to the applicant to fix (a reason is required).' },
  },
});

@ObjectType('MerchantApplicationDecision', { description: 'One review decision, kept forever.' })
@Entity({ tableName: 'application_decision' })
export class ApplicationDecision {
  declare [OptionalProps]?: 'at';

  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'application_decision_application_idx' })
  @ManyToOne(() => MerchantApplication, { deleteRule: 'cascade' })
  application!: Rel<MerchantApplication>;

  @Field(() => ApplicationDecisionType, { description: 'The decision.' })
  @Enum({ items: () => ApplicationDecisionType })
  decision!: ApplicationDecisionType;

  @Field(() => String, { nullable: true, description: 'Why; always given for REJECT and REQUEST_CHANGES.' })
  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  reviewer?: Rel<User> | null;

  @Field(() => Date, { description: 'When it was decided.' })
  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  at: Date = new Date();
}
