import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Bargain, BargainCampaign } from '../../entities';
import { UserError } from '../shared/common';
import { Money } from '../shared/money';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';

/** Where a bargain campaign stands, derived from its counts and its end (`bargainCampaignStatus`). */
export enum BargainCampaignStatus {
  ACTIVE = 'ACTIVE',
  SOLD_OUT = 'SOLD_OUT',
  ENDED = 'ENDED',
}

registerEnumType(BargainCampaignStatus, {
  name: 'BargainCampaignStatus',
  description: 'Where a bargain campaign stands now.',
  valuesConfig: {
    ACTIVE: { description: 'Buyers may start bargains.' },
    SOLD_OUT: { description: 'Every bargain it offers has been started.' },
    ENDED: { description: 'Ended by its shop or staff: no new bargains (those started run on until they expire).' },
  },
});

@InputType({ description: 'A new bargain campaign (砍價) of a shop: its OWNER, MANAGER and OPERATOR members, an ACTIVE shop.' })
export class BargainCampaignInput {
  @Field(() => ID, { description: 'The variant bargained for: of a product of your shop that is on sale.' })
  variantId!: string;

  @Field(() => DecimalScalar, { description: 'The price the last needed helper reaches, more than 0 and below the variant’s price by at least one minor unit per helper.' })
  floorPrice!: string;

  @Field(() => Int, { description: 'Helpers a bargain needs to reach the floor price, 1 to 100.' })
  helpersNeeded!: number;

  @Field(() => Int, { description: 'Hours a bargain has to be helped and bought from its start, 0 to 720 (0: it expires at once, and is marked EXPIRED at the next run of `expire-bargains`).' })
  hoursToFinish!: number;

  @Field(() => Int, { description: 'Bargains buyers may start, 1 to 100,000.' })
  quantity!: number;
}

@InputType({ description: 'Start a bargain of a campaign.' })
export class StartBargainInput {
  @Field(() => ID, { description: 'The bargain campaign.' })
  campaignId!: string;
}

@InputType({ description: 'Buy your bargain at the price it reached.' })
export class BuyBargainInput {
  @Field(() => ID, { description: 'Your bargain, before it expires.' })
  bargainId!: string;

  @Field(() => ID, { description: 'An address of your address book to ship to.' })
  addressId!: string;
}

@ObjectType({ description: 'Result of `createBargainCampaign` and `endBargainCampaign`.' })
export class BargainCampaignPayload {
  @Field(() => BargainCampaign, { nullable: true, description: 'The campaign; null when `errors` is not empty.' })
  bargainCampaign?: BargainCampaign | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `startBargain` and `helpBargain`.' })
export class BargainPayload {
  @Field(() => Bargain, { nullable: true, description: 'The bargain; null when `errors` is not empty.' })
  bargain?: Bargain | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType('BargainHelp', { description: 'One helper’s cut of a bargain (who helped is not shown).' })
export class BargainHelpView {
  @Field(() => Money, { description: 'What the help took off the price.' })
  amount!: Money;

  @Field(() => Date, { description: 'When.' })
  at!: Date;
}

@InputType({ description: 'Filters of the bargain campaign list.' })
export class BargainCampaignFilter {
  @Field(() => ID, { nullable: true, description: 'Only this shop’s campaigns. Its members see every one; anyone else those not ended.' })
  shopId?: string | null;
}

export const { ConnectionType: BargainCampaignConnection } = connectionTypes(BargainCampaign);
export const { ConnectionType: BargainConnection } = connectionTypes(Bargain);
