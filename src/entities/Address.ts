import { BigIntType, Entity, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import { User } from './User';

/** A shopper's delivery address (收貨地址). One per user may be the default. */
@ObjectType({ implements: Node, description: 'A delivery address in your address book.' })
@Entity({ tableName: 'address' })
@Index({ name: 'address_user_idx', properties: ['user', 'id'] })
@Index({ name: 'address_one_default_per_user', expression: 'create unique index "address_one_default_per_user" on "address" ("user_id") where "is_default"' })
export class Address extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: Rel<User>;

  @Field({ description: 'Who receives the parcel (收貨人).' })
  @Property({ type: 'text' })
  recipientName!: string;

  @Field({ description: 'Recipient phone: a mainland mobile number or E.164.' })
  @Property({ type: 'text' })
  phone!: string;

  @Field({ description: 'Province (省), e.g. 浙江省. Shipping-fee rules match it exactly.' })
  @Property({ type: 'text' })
  province!: string;

  @Field({ description: 'City (市).' })
  @Property({ type: 'text' })
  city!: string;

  @Field({ description: 'District (區/縣).' })
  @Property({ type: 'text' })
  district!: string;

  @Field({ description: 'Street address.' })
  @Property({ type: 'text' })
  line1!: string;

  @Field(() => String, { nullable: true, description: 'Postal code (6 digits in mainland China).' })
  @Property({ type: 'text', nullable: true })
  postalCode?: string | null;

  @Field(() => Boolean, { description: 'Whether this is the default address.' })
  @Property({ type: 'boolean', default: false })
  isDefault: Opt<boolean> = false;
}
