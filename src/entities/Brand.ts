import { BigIntType, Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';

/** 品牌: a brand products may name. Names are unique regardless of case. */
@ObjectType({ implements: Node, description: 'A brand that products may belong to.' })
@Entity({ tableName: 'brand' })
@Index({ name: 'brand_name_unique', expression: 'create unique index "brand_name_unique" on "brand" (lower("name"))' })
@Index({ name: 'brand_name_prefix_idx', expression: 'create index "brand_name_prefix_idx" on "brand" ((lower("name") collate "C"), "id")' })
export class Brand extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'Display name, unique (case-insensitive).' })
  @Property({ type: 'text' })
  name!: string;

  @Field({ description: 'URL-safe unique handle.' })
  @Property({ type: 'text', unique: 'brand_slug_unique' })
  slug!: string;

  @Field(() => String, { nullable: true, description: 'Logo image URL.' })
  @Property({ type: 'text', nullable: true })
  logoUrl?: string | null;

  constructor(name: string, slug: string) {
    super();
    this.name = name;
    this.slug = slug;
  }
}
