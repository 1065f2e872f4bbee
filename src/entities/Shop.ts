import { BigIntType, Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { ShopStatus } from './enums';
import { Node, TimestampedNode } from './Node';

@ObjectType({ implements: Node, description: 'A third-party merchant shop on the marketplace.' })
@Entity({ tableName: 'shop' })
export class Shop extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'Display name, unique among live shops (case-insensitive).' })
  @Property({ type: 'text' })
  name!: string;

  @Field({ description: 'URL-safe unique handle.' })
  @Property({ type: 'text', unique: 'shop_slug_unique' })
  slug!: string;

  @Field(() => ShopStatus, { description: 'Life-cycle status. Shoppers only ever see ACTIVE shops.' })
  @Enum({ items: () => ShopStatus, default: ShopStatus.ONBOARDING })
  status: ShopStatus = ShopStatus.ONBOARDING;

  constructor(name: string, slug: string) {
    super();
    this.name = name;
    this.slug = slug;
  }
}
