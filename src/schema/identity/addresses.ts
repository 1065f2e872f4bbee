import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Address } from '../../entities';
import { UserError } from '../shared/common';

@InputType({ description: 'A new delivery address.' })
export class AddressInput {
  @Field({ description: 'Who receives the parcel, 1–40 characters.' })
  recipientName!: string;

  @Field({ description: 'Recipient phone: a mainland mobile number (11 digits, optionally +86) or an E.164 number. Spaces and dashes are ignored.' })
  phone!: string;

  @Field({ description: 'Province (省), 1–40 characters, e.g. 浙江省. Shipping-fee rules match it exactly.' })
  province!: string;

  @Field({ description: 'City (市), 1–40 characters.' })
  city!: string;

  @Field({ description: 'District (區/縣), 1–40 characters.' })
  district!: string;

  @Field({ description: 'Street address, 1–200 characters.' })
  line1!: string;

  @Field(() => String, { nullable: true, description: 'Postal code: 6 digits.' })
  postalCode?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Make it the default address. Your first address is the default whatever this says.' })
  isDefault?: boolean | null;
}

@InputType({ description: 'Changes to one of your addresses; omitted fields stay as they are.' })
export class UpdateAddressInput {
  @Field(() => ID, { description: 'The address.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Who receives the parcel.' })
  recipientName?: string | null;

  @Field(() => String, { nullable: true, description: 'Recipient phone.' })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'Province (省).' })
  province?: string | null;

  @Field(() => String, { nullable: true, description: 'City (市).' })
  city?: string | null;

  @Field(() => String, { nullable: true, description: 'District (區/縣).' })
  district?: string | null;

  @Field(() => String, { nullable: true, description: 'Street address.' })
  line1?: string | null;

  @Field(() => String, { nullable: true, description: 'Postal code (6 digits); an explicit null removes it.' })
  postalCode?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true makes it the default (the previous default stops being one). false on the default is refused: make another address the default instead.',
  })
  isDefault?: boolean | null;
}

@ObjectType({ description: 'Result of an address mutation.' })
export class AddressPayload {
  @Field(() => Address, { nullable: true, description: 'The address; null when `errors` is not empty.' })
  address?: Address | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `deleteAddress`.' })
export class DeleteAddressPayload {
  @Field(() => ID, { nullable: true, description: 'Global ID of the deleted address; null when `errors` is not empty.' })
  deletedAddressId?: string | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
