import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import {
  ApplicationDecisionType,
  AttributeType,
  Category,
  MerchantAgreement,
  MerchantApplication,
  MerchantApplicationStatus,
  QuizAttempt,
  Shop,
  ShopInvitation,
  ShopMember,
  ShopMemberRole,
  TrainingCourse,
} from '../../entities';
import { AuditEntry } from '../../entities/AuditEntry';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';

// ---------- categories ----------

@InputType({ description: 'An attribute of a category template.' })
export class CategoryAttributeInput {
  @Field({ description: 'Attribute name, unique within the category.' })
  name!: string;

  @Field(() => AttributeType, { description: 'Value type.' })
  type!: AttributeType;

  @Field(() => [String], { nullable: true, description: 'Allowed values (ENUM only).' })
  allowedValues?: string[];

  @Field({ defaultValue: false, description: 'Whether products must give a value.' })
  required!: boolean;
}

@InputType({ description: 'A new category (OPERATIONS staff).' })
export class CategoryInput {
  @Field({ description: 'Display name, 1–60 characters.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'URL handle; derived from the name when omitted.' })
  slug?: string | null;

  @Field(() => ID, { nullable: true, description: 'Parent category; omit for a root category.' })
  parentId?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Commission rate (0–1); omit to inherit from the parent or the platform default.' })
  commissionRate?: string | null;

  @Field(() => [CategoryAttributeInput], { nullable: true, description: 'Attribute template for products in this category.' })
  attributes?: CategoryAttributeInput[] | null;
}

@InputType({ description: 'Changes to a category: rename, re-slug, re-rate, or move it with its whole subtree.' })
export class UpdateCategoryInput {
  @Field(() => ID, { description: 'The category.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New slug.' })
  slug?: string | null;

  @Field(() => ID, { nullable: true, description: 'New parent; the subtree moves with it.' })
  parentId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Make it a root category.' })
  makeRoot?: boolean | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'New commission rate.' })
  commissionRate?: string | null;

  @Field(() => [CategoryAttributeInput], { nullable: true, description: 'New attribute template (replaces the old one).' })
  attributes?: CategoryAttributeInput[] | null;
}

@ObjectType({ description: 'Result of a category mutation.' })
export class CategoryPayload {
  @Field(() => Category, { nullable: true, description: 'The category after the change.' })
  category?: Category | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

// ---------- merchant applications ----------

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

  @Field(() => String, { nullable: true, description: 'Description.' })
  description?: string | null;
}

@InputType({ description: "A reviewer's decision." })
export class ReviewMerchantApplicationInput {
  @Field(() => ID, { description: 'The application, claimed by you.' })
  applicationId!: string;

  @Field(() => ApplicationDecisionType, { description: 'The decision.' })
  decision!: ApplicationDecisionType;

  @Field(() => String, { nullable: true, description: 'Why; required for REJECT and REQUEST_CHANGES. Shown to the applicant.' })
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

// ---------- shops ----------

@InputType({ description: 'Identifies a shop and states why (staff moderation).' })
export class ShopModerationInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field({ description: 'Why; shown to the shop and kept in the audit log.' })
  reason!: string;
}

@InputType({ description: 'Accept the current merchant agreement for a shop (OWNER).' })
export class AcceptMerchantAgreementInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field({ description: 'The version being accepted; must be the current one (`merchantAgreement.version`).' })
  version!: string;
}

@InputType({ description: 'Publish a new version of the merchant agreement (OPERATIONS staff).' })
export class PublishMerchantAgreementInput {
  @Field({ description: 'New version label, e.g. "2027-01".' })
  version!: string;

  @Field({ description: 'Full text.' })
  text!: string;
}

@ObjectType({ description: 'Result of publishing an agreement version.' })
export class MerchantAgreementPayload {
  @Field(() => MerchantAgreement, { nullable: true, description: 'The new current agreement.' })
  merchantAgreement?: MerchantAgreement | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'Opening hours on one weekday.' })
export class BusinessHoursInput {
  @Field(() => Int, { description: 'ISO weekday: 1 = Monday … 7 = Sunday.' })
  weekday!: number;

  @Field({ description: 'Opening time, "HH:MM".' })
  opens!: string;

  @Field({ description: 'Closing time, "HH:MM", after opening.' })
  closes!: string;
}

@InputType({ description: "Changes to a shop's public profile (OWNER, MANAGER); omitted fields stay as they are." })
export class UpdateShopProfileInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field(() => String, { nullable: true, description: 'Display name, 2–40 characters, unique among live shops.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Description.' })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Logo URL (http/https).' })
  logoUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Customer phone: mainland mobile or E.164.' })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'Address, one line.' })
  address?: string | null;

  @Field(() => [BusinessHoursInput], { nullable: true, description: 'Opening hours; replaces the old list.' })
  businessHours?: BusinessHoursInput[] | null;

  @Field(() => [String], { nullable: true, description: 'Store photo URLs; replaces the old list.' })
  photoUrls?: string[] | null;
}

@ObjectType({ description: 'Result of a shop mutation.' })
export class ShopPayload {
  @Field(() => Shop, { nullable: true, description: 'The shop after the change.' })
  shop?: Shop | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

// ---------- training ----------

@InputType({ description: 'A new training course (OPERATIONS staff).' })
export class TrainingCourseInput {
  @Field({ description: 'Title.' })
  title!: string;

  @Field({ description: 'What it covers.' })
  description!: string;

  @Field({ description: 'Required before a shop may be activated.' })
  required!: boolean;

  @Field(() => Int, { description: 'Score (percent) needed to pass.' })
  passScore!: number;
}

@InputType({ description: 'A lesson to append to an unpublished course.' })
export class TrainingLessonInput {
  @Field(() => ID, { description: 'The course.' })
  courseId!: string;

  @Field({ description: 'Lesson title.' })
  title!: string;

  @Field({ description: 'Lesson text (Markdown).' })
  body!: string;
}

@InputType({ description: 'A quiz question to append to an unpublished course.' })
export class QuizQuestionInput {
  @Field(() => ID, { description: 'The course.' })
  courseId!: string;

  @Field({ description: 'The question.' })
  prompt!: string;

  @Field(() => [String], { description: '2 to 10 distinct options.' })
  options!: string[];

  @Field(() => [Int], { description: 'Indexes of the correct options (one or more).' })
  correctOptionIndexes!: number[];
}

@InputType({ description: 'An answer to one quiz question.' })
export class QuizAnswerInput {
  @Field(() => ID, { description: 'The question.' })
  questionId!: string;

  @Field(() => [Int], { description: 'Indexes of the chosen options.' })
  optionIndexes!: number[];
}

@InputType({ description: "A shop's answers to a course quiz." })
export class SubmitQuizAttemptInput {
  @Field(() => ID, { description: 'The shop taking the course.' })
  shopId!: string;

  @Field(() => ID, { description: 'The course.' })
  courseId!: string;

  @Field(() => [QuizAnswerInput], { description: 'Answers; unanswered questions count as wrong.' })
  answers!: QuizAnswerInput[];
}

@ObjectType({ description: 'Result of a training course mutation.' })
export class TrainingCoursePayload {
  @Field(() => TrainingCourse, { nullable: true, description: 'The course after the change.' })
  trainingCourse?: TrainingCourse | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of a quiz attempt.' })
export class QuizAttemptPayload {
  @Field(() => QuizAttempt, { nullable: true, description: 'The graded attempt.' })
  quizAttempt?: QuizAttempt | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: "A shop's standing in one published course." })
export class TrainingProgress {
  @Field(() => TrainingCourse, { description: 'The course.' })
  course!: TrainingCourse;

  @Field({ description: 'Whether any attempt passed.' })
  passed!: boolean;

  @Field(() => Int, { nullable: true, description: 'Best score so far; null before the first attempt.' })
  bestScore!: number | null;

  @Field(() => Int, { description: 'Attempts so far.' })
  attempts!: number;
}

// ---------- team ----------

@InputType({ description: 'Invite someone to a shop by email (OWNER).' })
export class InviteShopMemberInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field({ description: "Invitee's email; they may register later." })
  email!: string;

  @Field(() => ShopMemberRole, { description: 'Role on joining.' })
  role!: ShopMemberRole;
}

@InputType({ description: 'Accept an invitation addressed to your email.' })
export class AcceptShopInvitationInput {
  @Field(() => ID, { description: 'The invitation.' })
  id!: string;

  @Field({ description: 'The secret the shop sent with the invitation (`invitationToken` of `inviteShopMember`).' })
  token!: string;
}

@InputType({ description: "Change a member's role (OWNER)." })
export class ChangeShopMemberRoleInput {
  @Field(() => ID, { description: 'The member.' })
  memberId!: string;

  @Field(() => ShopMemberRole, { description: 'New role.' })
  role!: ShopMemberRole;
}

@InputType({ description: 'Identifies a shop member.' })
export class ShopMemberIdInput {
  @Field(() => ID, { description: 'The member.' })
  memberId!: string;
}

@ObjectType({ description: 'Result of a team mutation.' })
export class ShopMemberPayload {
  @Field(() => ShopMember, { nullable: true, description: 'The member after the change (null for a pending invitation).' })
  shopMember?: ShopMember | null;

  @Field(() => ShopInvitation, { nullable: true, description: 'The invitation, for `inviteShopMember` and invitation changes.' })
  invitation?: ShopInvitation | null;

  @Field(() => String, {
    nullable: true,
    description: 'Single-use secret for the invitee, returned once by `inviteShopMember` (inviting again replaces it). Send it with the invitation; `acceptShopInvitation` requires it.',
  })
  invitationToken?: string | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

// ---------- audit ----------

@InputType({ description: 'Filters for the audit log.' })
export class AuditLogFilter {
  @Field(() => ID, { nullable: true, description: 'Only actions by this user.' })
  actorId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only this action, e.g. "shop.suspend".' })
  action?: string | null;

  @Field(() => String, { nullable: true, description: 'Only actions on this type, e.g. "Shop".' })
  targetType?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only actions on this object (global ID; needs targetType).' })
  targetId?: string | null;
}

export const { ConnectionType: AuditEntryConnection } = connectionTypes(AuditEntry);
