import { BigIntType, Entity, Index, ManyToOne, PrimaryKey, Property, type Rel, Unique, OptionalProps } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { Shop } from './Shop';
import { User } from './User';

/** A version of the merchant cooperation agreement (合作協議). The newest version is current. */
@ObjectType({ description: 'The merchant agreement a shop must accept before it may trade.' })
@Entity({ tableName: 'merchant_agreement' })
export class MerchantAgreement {
  declare [OptionalProps]?: 'publishedAt';

  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'Version label, e.g. "2026-11". Pass it to `acceptMerchantAgreement`.' })
  @Property({ type: 'text', unique: 'merchant_agreement_version_unique' })
  version!: string;

  @Field({ description: 'Full text of the agreement.' })
  @Property({ type: 'text' })
  text!: string;

  @Field(() => Date, { description: 'When this version was published.' })
  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  publishedAt: Date = new Date();
}

/** Evidence of a signature: which shop, who, which version, when and from which IP. */
@ObjectType({ description: 'A record of a shop accepting a version of the merchant agreement.' })
@Entity({ tableName: 'agreement_acceptance' })
@Unique({ name: 'agreement_acceptance_shop_version_unique', properties: ['shop', 'version'] })
export class AgreementAcceptance {
  declare [OptionalProps]?: 'acceptedAt';

  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Index({ name: 'agreement_acceptance_user_idx' })
  @ManyToOne(() => User, { deleteRule: 'restrict' })
  acceptedBy!: Rel<User>;

  @Field({ description: 'The agreement version accepted.' })
  @Property({ type: 'text' })
  version!: string;

  @Field(() => String, { nullable: true, description: 'Client IP the acceptance came from.' })
  @Property({ type: 'text', nullable: true })
  ip?: string | null;

  @Field(() => Date, { description: 'When it was accepted.' })
  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  acceptedAt: Date = new Date();
}
