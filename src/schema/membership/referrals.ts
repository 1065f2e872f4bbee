import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { Referral } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';

@InputType({ description: 'Name the member who invited you, by their referral code.' })
export class ApplyReferralCodeInput {
  @Field({ description: 'Their referral code (推薦碼), any case, e.g. "7KQ2M9XA".' })
  code!: string;
}

@ObjectType({ description: 'Result of applying a referral code.' })
export class ReferralPayload {
  @Field(() => Referral, { nullable: true, description: 'The referral made: you are its invitee.' })
  referral?: Referral | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

/** What the referrer's invitees earned them, across every page. */
export interface ReferralSummaryView {
  rewardedCount: number;
  pointsEarned: number;
}

const { ConnectionType: ReferralConnectionBase } = connectionTypes(Referral, 'Referral', true);

@ObjectType('ReferralConnection', { description: 'A page of the people who joined with your referral code (Relay connection), with what they earned you.' })
export class ReferralConnection extends ReferralConnectionBase {
  summaryOf?: () => Promise<ReferralSummaryView>;

  @Field(() => Int, { description: 'How many of them have been rewarded (their first order completed), across all pages.' })
  async rewardedCount(): Promise<number> {
    return this.summaryOf ? (await this.summaryOf()).rewardedCount : 0;
  }

  @Field(() => Int, { description: 'The referral points they earned you, across all pages.' })
  async pointsEarned(): Promise<number> {
    return this.summaryOf ? (await this.summaryOf()).pointsEarned : 0;
  }
}
