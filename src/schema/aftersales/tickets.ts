import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Faq, Ticket, TicketKind, TicketStatus } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { Multiline } from '../shared/textRule';

// ---------- tickets ----------

@InputType({ description: 'Open a ticket with customer service.' })
export class OpenTicketInput {
  @Field(() => TicketKind, { description: 'What it is about. A complaint about a shop names the shop (or an order of it), about a product the product, about a delivery the order.' })
  kind!: TicketKind;

  @Field({ description: 'One-line subject, 3 to 120 characters.' })
  subject!: string;

  @Multiline()
  @Field({ description: 'What happened or what you ask, 1 to 5,000 characters: the first message.' })
  body!: string;

  @Field(() => ID, { nullable: true, description: 'One of your orders it is about; names the order’s shop too.' })
  orderId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The shop it is about (any shop; must be the order’s or the product’s shop when those are given).' })
  shopId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The product it is about; names the product’s shop too.' })
  productId?: string | null;

  @Field(() => [String], { nullable: true, description: 'Evidence: up to 9 http(s) URLs of images or files.' })
  attachmentUrls?: string[] | null;
}

@InputType({ description: 'Write to a ticket.' })
export class TicketReplyInput {
  @Field(() => ID, { description: 'The ticket.' })
  ticketId!: string;

  @Multiline()
  @Field({ description: 'The message, 1 to 5,000 characters.' })
  body!: string;

  @Field(() => [String], { nullable: true, description: 'Evidence: up to 9 http(s) URLs of images or files.' })
  attachmentUrls?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Customer service or the shop only: the reply asks the requester something, and the ticket waits on them (WAITING_ON_CUSTOMER).' })
  waitingOnCustomer?: boolean | null;
}

@InputType({ description: 'Assign a ticket to a customer service agent.' })
export class AssignTicketInput {
  @Field(() => ID, { description: 'The ticket.' })
  ticketId!: string;

  @Field(() => ID, { description: 'The agent: a user with the CUSTOMER_SERVICE (or ADMIN) staff role.' })
  assigneeId!: string;
}

@InputType({ description: 'Resolve a ticket.' })
export class ResolveTicketInput {
  @Field(() => ID, { description: 'The ticket: OPEN, IN_PROGRESS or WAITING_ON_CUSTOMER.' })
  ticketId!: string;

  @Multiline()
  @Field({ description: 'How it was resolved (處理結果), 3 to 2,000 characters: told to the requester as a message.' })
  resolution!: string;
}

@InputType({ description: 'Rate how a resolved ticket was handled (滿意度調查).' })
export class RateTicketInput {
  @Field(() => ID, { description: 'Your RESOLVED ticket.' })
  ticketId!: string;

  @Field(() => Int, { description: 'Satisfaction from 1 (very dissatisfied) to 5 (very satisfied).' })
  score!: number;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'A comment, at most 1,000 characters.' })
  comment?: string | null;
}

@ObjectType({ description: 'Result of the ticket mutations.' })
export class TicketPayload {
  @Field(() => Ticket, { nullable: true, description: 'The ticket as it now stands; null when `errors` is not empty.' })
  ticket?: Ticket | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'The requester’s rating of a resolved ticket (滿意度).' })
export class TicketSatisfaction {
  @Field(() => Int, { description: 'From 1 (very dissatisfied) to 5 (very satisfied).' })
  score!: number;

  @Field(() => String, { nullable: true, description: 'The requester’s comment.' })
  comment!: string | null;

  @Field(() => Date, { description: 'When it was rated.' })
  at!: Date;
}

@InputType({ description: 'Filters of the ticket list.' })
export class TicketFilter {
  @Field(() => TicketStatus, { nullable: true, description: 'Only tickets with this status.' })
  status?: TicketStatus | null;

  @Field(() => TicketKind, { nullable: true, description: 'Only tickets of this kind.' })
  kind?: TicketKind | null;

  @Field(() => ID, { nullable: true, description: 'Only tickets assigned to this agent.' })
  assigneeId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only tickets nobody has answered past their first-response due time; false: only the others.' })
  overdue?: boolean | null;

  @Field(() => ID, { nullable: true, description: 'Only tickets naming this shop. A shop’s OWNER and CUSTOMER_SERVICE members see only their own shops’ tickets (another shop is NOT_FOUND).' })
  shopId?: string | null;
}

export const { ConnectionType: TicketConnection } = connectionTypes(Ticket);

@ObjectType({ description: 'Customer service figures of the tickets opened in a period (客服績效): response time against the first-response target, breaches and satisfaction.' })
export class ServiceMetrics {
  @Field(() => Date, { description: 'Start of the period (inclusive).' })
  from!: Date;

  @Field(() => Date, { description: 'End of the period (exclusive).' })
  to!: Date;

  @Field(() => Int, { description: 'The first-response target in hours (TICKET_FIRST_RESPONSE_HOURS).' })
  firstResponseTargetHours!: number;

  @Field(() => Int, { description: 'Tickets opened in the period.' })
  ticketsOpened!: number;

  @Field(() => Int, { description: 'Of those, tickets customer service or the shop has answered.' })
  ticketsResponded!: number;

  @Field(() => Int, { description: 'Of those, tickets now RESOLVED or CLOSED.' })
  ticketsResolved!: number;

  @Field(() => Float, { nullable: true, description: 'Median time from opening to the first response, in seconds, of the answered tickets (continuous percentile); null when none was answered.' })
  firstResponseP50Seconds!: number | null;

  @Field(() => Float, { nullable: true, description: '90th percentile of the time to the first response, in seconds (continuous percentile); null when none was answered.' })
  firstResponseP90Seconds!: number | null;

  @Field(() => Int, { description: 'Tickets whose first response was late: flagged by `ticket-sla`, answered after the due time, or unanswered and past it now.' })
  slaBreaches!: number;

  @Field(() => Float, { nullable: true, description: 'Average satisfaction score (1 to 5) of the rated tickets; null when none was rated.' })
  satisfactionAverage!: number | null;

  @Field(() => Int, { description: 'Tickets rated by their requester.' })
  satisfactionCount!: number;
}

// ---------- FAQ ----------

@InputType({ description: 'A new FAQ entry (staff CUSTOMER_SERVICE).' })
export class CreateFaqInput {
  @Field({ description: 'The question, 3 to 200 characters.' })
  question!: string;

  @Multiline()
  @Field({ description: 'The answer, 1 to 5,000 characters.' })
  answer!: string;

  @Field({ description: 'Category, 1 to 40 characters, e.g. "Returns" or "支付".' })
  category!: string;

  @Field(() => Int, { nullable: true, description: 'Sort position within the category, 0 to 1,000,000 (0 when omitted).' })
  position?: number | null;
}

@InputType({ description: 'Changes to a FAQ entry (staff CUSTOMER_SERVICE); omitted fields stay as they are.' })
export class UpdateFaqInput {
  @Field(() => ID, { description: 'The entry.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'The question, 3 to 200 characters.' })
  question?: string | null;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'The answer, 1 to 5,000 characters.' })
  answer?: string | null;

  @Field(() => String, { nullable: true, description: 'Category, 1 to 40 characters.' })
  category?: string | null;

  @Field(() => Int, { nullable: true, description: 'Sort position within the category, 0 to 1,000,000.' })
  position?: number | null;
}

@ObjectType({ description: 'Result of `createFaq` and `updateFaq`.' })
export class FaqPayload {
  @Field(() => Faq, { nullable: true, description: 'The entry; null when `errors` is not empty.' })
  faq?: Faq | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `deleteFaq`.' })
export class DeleteFaqPayload {
  @Field(() => ID, { nullable: true, description: 'Global ID of the deleted entry; null when `errors` is not empty.' })
  deletedFaqId?: string | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
