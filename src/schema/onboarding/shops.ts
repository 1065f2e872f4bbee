import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { MerchantAgreement, Shop } from '../../entities';
import { UserError } from '../shared/common';
import { Multiline } from '../shared/textRule';

@InputType({ description: 'Identifies a shop and states why (staff moderation).' })
export class ShopModerationInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Multiline()
  @Field({ description: 'Why, 3 to 1000 characters; shown to the shop and kept in the audit log.' })
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

  @Multiline()
  @Field({ description: 'Full text, 20 to 100,000 characters.' })
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

  @Multiline()
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
