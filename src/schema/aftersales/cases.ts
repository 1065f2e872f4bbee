import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AfterSaleCase, AfterSaleStatus, AfterSaleType, ArbitrationRuling } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';
import { Multiline } from '../shared/textRule';

export enum AfterSaleDecision {
  APPROVE = 'APPROVE',
  REJECT = 'REJECT',
}

registerEnumType(AfterSaleDecision, {
  name: 'AfterSaleDecision',
  description: 'The merchant’s answer to a request.',
  valuesConfig: {
    APPROVE: { description: 'REFUND_ONLY: refunded at once. Other types: the buyer ships the goods back.' },
    REJECT: { description: 'With a reason; the buyer may escalate within ESCALATION_DAYS.' },
  },
});

@InputType({ description: 'Units of one order line.' })
export class AfterSaleLineInput {
  @Field(() => ID, { description: 'The order line (`OrderLine.id`).' })
  orderLineId!: string;

  @Field(() => Int, { description: 'Units: at most what was bought minus what earlier cases took.' })
  quantity!: number;
}

@InputType({ description: 'Open an after-sale case on one of your orders.' })
export class RequestAfterSaleInput {
  @Field(() => ID, { description: 'Your order: PAID or PROCESSING (REFUND_ONLY), SHIPPED (REFUND_ONLY, RETURN_AND_REFUND), DELIVERED or COMPLETED within AFTER_SALES_DAYS of delivery (any type).' })
  orderId!: string;

  @Field(() => AfterSaleType, { description: 'What you ask for.' })
  type!: AfterSaleType;

  @Field(() => [AfterSaleLineInput], { description: 'The lines and units (1–100 lines, each once).' })
  lines!: AfterSaleLineInput[];

  @Field({ description: 'Why (2–200 characters).' })
  reason!: string;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'What went wrong (up to 2000 characters).' })
  description?: string | null;

  @Field(() => [String], { nullable: true, description: 'Evidence photos: up to 9 http(s) URLs.' })
  evidenceUrls?: string[] | null;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'REFUND_ONLY and RETURN_AND_REFUND: the amount asked, e.g. "59.00"; by default the units’ share of their lines (plus shipping when they are the order’s last units and nothing shipped). At most what was paid minus refunds and other open cases (REFUND_EXCEEDS_PAID).',
  })
  refundAmount?: string | null;
}

@InputType({ description: 'The merchant’s answer.' })
export class RespondAfterSaleInput {
  @Field(() => ID, { description: 'The case, REQUESTED.' })
  caseId!: string;

  @Field(() => AfterSaleDecision, { description: 'Approve or reject.' })
  decision!: AfterSaleDecision;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'Required to reject (3–500 characters).' })
  reason?: string | null;

  @Field(() => String, { nullable: true, description: 'Where the goods go back (up to 300 characters); the shop’s address when omitted.' })
  returnAddress?: string | null;
}

@InputType({ description: 'A parcel of a case: carrier and tracking number.' })
export class ReturnShipmentInput {
  @Field(() => ID, { description: 'The case.' })
  caseId!: string;

  @Field({ description: 'Carrier (1–60 characters).' })
  carrier!: string;

  @Field({ description: 'Tracking number (4–40 letters, digits and dashes).' })
  trackingNumber!: string;
}

@InputType({ description: 'The merchant ships the replacement or repaired goods.' })
export class ResendInput extends ReturnShipmentInput {}

@InputType({ description: 'The merchant confirms a return arrived.' })
export class ConfirmReturnInput {
  @Field(() => ID, { description: 'The case, RETURN_SHIPPED.' })
  caseId!: string;

  @Field({ description: 'Put the units back on hand (a RETURN stock movement); false for damaged goods.' })
  restock!: boolean;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'The inspection’s result (up to 500 characters).' })
  note?: string | null;
}

@InputType({ description: 'Take a case to platform arbitration.' })
export class EscalateInput {
  @Field(() => ID, { description: 'The case: REJECTED (the buyer), or AWAITING_RETURN, RETURN_SHIPPED, RECEIVED or RESENT (either party).' })
  caseId!: string;

  @Multiline()
  @Field({ description: 'Why (3–500 characters).' })
  reason!: string;
}

@InputType({ description: 'The platform’s ruling.' })
export class ArbitrateInput {
  @Field(() => ID, { description: 'The case, ARBITRATION.' })
  caseId!: string;

  @Field(() => ArbitrationRuling, { description: 'For whom.' })
  ruling!: ArbitrationRuling;

  @Field(() => DecimalScalar, { nullable: true, description: 'FOR_BUYER: the refund; by default the case’s, else its units’ value. At most what is left to refund (REFUND_EXCEEDS_PAID).' })
  refundAmount?: string | null;

  @Multiline()
  @Field({ description: 'The reasons for the ruling (3–2000 characters), recorded and audited.' })
  note!: string;
}

@InputType({ description: 'A message in a case’s thread.' })
export class CaseMessageInput {
  @Field(() => ID, { description: 'The case, not CLOSED.' })
  caseId!: string;

  @Multiline()
  @Field({ description: 'Text (1–2000 characters).' })
  body!: string;

  @Field(() => [String], { nullable: true, description: 'Up to 9 http(s) URLs.' })
  attachmentUrls?: string[] | null;
}

@InputType({ description: 'Filters of a shop’s cases.' })
export class AfterSaleFilter {
  @Field(() => AfterSaleStatus, { nullable: true, description: 'Only this status.' })
  status?: AfterSaleStatus | null;

  @Field(() => AfterSaleType, { nullable: true, description: 'Only this type.' })
  type?: AfterSaleType | null;
}

@ObjectType({ description: 'Result of the after-sale mutations.' })
export class AfterSaleCasePayload {
  @Field(() => AfterSaleCase, { nullable: true, description: 'The case as it now stands; null when `errors` is not empty.' })
  afterSaleCase?: AfterSaleCase | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

export const { ConnectionType: AfterSaleCaseConnection } = connectionTypes(AfterSaleCase);
