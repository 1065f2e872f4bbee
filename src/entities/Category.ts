import { BigIntType, Entity, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar } from '../schema/shared/scalars';
import { Node, TimestampedNode } from './Node';

export enum AttributeType {
  TEXT = 'TEXT',
  NUMBER = 'NUMBER',
  ENUM = 'ENUM',
}

registerEnumType(AttributeType, {
  name: 'AttributeType',
  description: 'Type of a category attribute value.',
  valuesConfig: {
    TEXT: { description: 'Free text.' },
    NUMBER: { description: 'A decimal number.' },
    ENUM: { description: 'One of `allowedValues`.' },
  },
});

@ObjectType({ description: "An attribute every product of a category carries (part of the category's template)." })
export class CategoryAttribute {
  @Field({ description: 'Attribute name, unique within the category, e.g. "Material".' })
  name!: string;

  @Field(() => AttributeType, { description: 'Value type.' })
  type!: AttributeType;

  @Field(() => [String], { description: 'Allowed values for ENUM attributes; empty otherwise.' })
  allowedValues!: string[];

  @Field({ description: 'Whether a product must give a value before it can be listed.' })
  required!: boolean;
}

/**
 * A node of the category tree. `path` is the materialized path of ids from the root
 * ("/1/7/12/"), so "category X and its descendants" is one indexed prefix query.
 */
@ObjectType({ implements: Node, description: 'A product category; categories form a tree of any depth.' })
@Entity({ tableName: 'category' })
@Index({ name: 'category_path_idx', expression: 'create index "category_path_idx" on "category" ("path" text_pattern_ops)' })
export class Category extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'Display name.' })
  @Property({ type: 'text' })
  name!: string;

  @Field({ description: 'URL-safe unique handle.' })
  @Property({ type: 'text', unique: 'category_slug_unique' })
  slug!: string;

  @Index({ name: 'category_parent_idx' })
  @ManyToOne(() => Category, { nullable: true, deleteRule: 'restrict' })
  parent?: Rel<Category> | null;

  /** Ids from the root down to this category, e.g. "/1/7/12/". Indexed with text_pattern_ops. */
  @Property({ type: 'text' })
  path!: string;

  @Field(() => Int, { description: 'Depth in the tree; roots are 0.' })
  @Property({ type: 'int' })
  depth!: number;

  @Field(() => DecimalScalar, { nullable: true, description: 'Commission rate set on this category (0–1), or null to inherit.' })
  @Property({ type: 'decimal', precision: 5, scale: 4, nullable: true })
  ownCommissionRate?: string | null;

  @Field(() => [CategoryAttribute], { description: "Attribute template for this category's products." })
  @Property({ type: 'jsonb', default: '[]' })
  attributes: CategoryAttribute[] = [];

  @Property({ type: 'int', default: 0 })
  position: number = 0;
}
