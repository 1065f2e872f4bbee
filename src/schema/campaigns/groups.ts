import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Checkout, Group, GroupBuy } from '../../entities';
import { UserError } from '../shared/common';
import { Money } from '../shared/money';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';

/** Where a group-buy offer stands, read off the clock (`groupBuyStatus`). */
export enum GroupBuyStatus {
  UPCOMING = 'UPCOMING',
  LIVE = 'LIVE',
  ENDED = 'ENDED',
}

registerEnumType(GroupBuyStatus, {
  name: 'GroupBuyStatus',
  description: 'Where a group-buy offer stands now.',
  valuesConfig: {
    UPCOMING: { description: 'Before `startsAt`: no group may start yet.' },
    LIVE: { description: 'Between `startsAt` and `endsAt`: buyers start groups (and join them).' },
    ENDED: { description: 'From `endsAt`: no new group starts; groups already started run on until they form or expire.' },
  },
});

@InputType({ description: 'A variant’s group price.' })
export class GroupBuyVariantPriceInput {
  @Field(() => ID, { description: 'A live variant of the offer’s product.' })
  variantId!: string;

  @Field(() => DecimalScalar, { description: 'The price in a group: more than 0 and less than the variant’s price.' })
  groupPrice!: string;
}

@InputType({ description: 'A new group-buy offer (拼團) for a product of your shop: its OWNER, MANAGER and OPERATOR members, an ACTIVE shop.' })
export class GroupBuyInput {
  @Field(() => ID, { description: 'A product of your shop that is on sale.' })
  productId!: string;

  @Field(() => [GroupBuyVariantPriceInput], { description: '1 to 50 of the product’s variants, each once, with its group price.' })
  variantPrices!: GroupBuyVariantPriceInput[];

  @Field(() => Int, { description: 'Paid members a group needs to form, 2 to 100.' })
  groupSize!: number;

  @Field(() => Int, { description: 'Hours a group has to form from its start, 0 to 720 (0: it fails at the next run of `expire-groups`).' })
  hoursToForm!: number;

  @Field(() => Date, { description: 'Groups may start from.' })
  startsAt!: Date;

  @Field(() => Date, { description: 'Groups may start until (exclusive): after `startsAt`, in the future, at most 90 days after the start.' })
  endsAt!: Date;
}

@InputType({ description: 'Start a group of a live group-buy offer, and place your order in it.' })
export class StartGroupInput {
  @Field(() => ID, { description: 'The group-buy offer.' })
  groupBuyId!: string;

  @Field(() => ID, { description: 'One of the offer’s variants.' })
  variantId!: string;

  @Field(() => Int, { description: 'Units, 1 to 10.' })
  quantity!: number;

  @Field(() => ID, { description: 'An address of your address book to ship to.' })
  addressId!: string;
}

@InputType({ description: 'Join a forming group, and place your order in it.' })
export class JoinGroupInput {
  @Field(() => ID, { description: 'The group: FORMING, not expired, with a seat left.' })
  groupId!: string;

  @Field(() => ID, { description: 'One of its offer’s variants.' })
  variantId!: string;

  @Field(() => Int, { description: 'Units, 1 to 10.' })
  quantity!: number;

  @Field(() => ID, { description: 'An address of your address book to ship to.' })
  addressId!: string;
}

@ObjectType({ description: 'Result of `createGroupBuy`.' })
export class GroupBuyPayload {
  @Field(() => GroupBuy, { nullable: true, description: 'The offer; null when `errors` is not empty.' })
  groupBuy?: GroupBuy | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `startGroup` and `joinGroup`.' })
export class GroupPayload {
  @Field(() => Group, { nullable: true, description: 'The group; null when `errors` is not empty.' })
  group?: Group | null;

  @Field(() => Checkout, { nullable: true, description: 'Your checkout of one order at the group price: pay it with `payCheckout` (you count as a member once paid); null when `errors` is not empty.' })
  checkout?: Checkout | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'A variant of a group-buy offer at its group price.' })
export class GroupBuyVariantPrice {
  @Field(() => Money, { description: 'The price in a group.' })
  groupPrice!: Money;

  /** Database key of the variant, for the `variant` field resolver. */
  variantKey!: string;
}

@ObjectType('GroupMember', { description: 'A buyer in a group: someone whose order in it is not cancelled (of a FAILED group, those in it when it failed).' })
export class GroupMemberInfo {
  @Field(() => Date, { description: 'When they joined (the leader: when they started it).' })
  joinedAt!: Date;

  @Field(() => Boolean, { description: 'Whether they paid for their order: a member counts towards the group’s size once paid.' })
  paid!: boolean;

  /** Database key of the user, for the `user` field resolver. */
  userKey!: string;
}

@InputType({ description: 'Filters of the group-buy list.' })
export class GroupBuyFilter {
  @Field(() => ID, { nullable: true, description: 'Only this shop’s offers. Its members see every one; anyone else the LIVE ones.' })
  shopId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only offers of this product.' })
  productId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only LIVE offers; false: only the others (shoppers see LIVE ones only: false finds none).' })
  live?: boolean | null;
}

export const { ConnectionType: GroupBuyConnection } = connectionTypes(GroupBuy);
export const { ConnectionType: GroupConnection } = connectionTypes(Group);
