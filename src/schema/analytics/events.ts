import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BehaviourEventType } from '../../services/analytics';
import { UserError } from '../shared/common';
import { CalendarDateScalar } from '../shared/scalars';

registerEnumType(BehaviourEventType, {
  name: 'BehaviourEventType',
  description: 'What a shopper did, as a client reports it to `trackEvents`.',
  valuesConfig: {
    PRODUCT_VIEW: { description: 'Opened a product’s page (needs `productId`).' },
    SEARCH: { description: 'Searched the catalog (needs `query`, no product).' },
    ADD_TO_CART: { description: 'Added a product to the cart (needs `productId`).' },
    SHARE: { description: 'Shared a product (needs `productId`).' },
  },
});

@InputType({ description: 'One behaviour event.' })
export class BehaviourEventInput {
  @Field(() => BehaviourEventType, { description: 'What happened.' })
  type!: BehaviourEventType;

  @Field(() => ID, { nullable: true, description: 'The product, for every type but SEARCH.' })
  productId?: string | null;

  @Field(() => String, { nullable: true, description: 'SEARCH only: the text searched, 1 to 200 characters once trimmed.' })
  query?: string | null;

  @Field(() => Date, { nullable: true, description: 'When it happened on the client: at most 24 hours ago and not more than 5 minutes ahead (later than now is stored as now); now when omitted.' })
  at?: Date | null;
}

@InputType({ description: 'A batch of behaviour events from one client session.' })
export class TrackEventsInput {
  @Field({ description: 'The client’s session id, 8 to 128 letters, digits and `_ . : -`, the same for every batch of a visit: visitors are distinct sessions. Only a hash of it is kept.' })
  sessionId!: string;

  @Field(() => [BehaviourEventInput], { description: 'The events, at most 50. Stored all or nothing.' })
  events!: BehaviourEventInput[];
}

@ObjectType({ description: 'Result of `trackEvents`.' })
export class TrackEventsPayload {
  @Field(() => Int, { description: 'Events stored: all of the batch, or 0 when `errors` is not empty.' })
  accepted!: number;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'The days `snapshotMetrics` recomputes (Asia/Shanghai, both included; at most two years, not after today).' })
export class SnapshotMetricsInput {
  @Field(() => CalendarDateScalar, { description: 'The first day to recompute (Asia/Shanghai).' })
  from!: string;

  @Field(() => CalendarDateScalar, { description: 'The last day to recompute, included; not after today.' })
  to!: string;
}

@ObjectType({ description: 'Result of `snapshotMetrics`.' })
export class SnapshotMetricsPayload {
  @Field(() => Int, { nullable: true, description: 'Days recomputed; null when `errors` is not empty.' })
  days!: number | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
