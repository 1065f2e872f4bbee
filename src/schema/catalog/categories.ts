import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { AttributeType, Category } from '../../entities';
import { UserError } from '../shared/common';
import { DecimalScalar } from '../shared/scalars';

@InputType({ description: 'An attribute of a category template.' })
export class CategoryAttributeInput {
  @Field({ description: 'Attribute name, unique within the category.' })
  name!: string;

  @Field(() => AttributeType, { description: 'Value type.' })
  type!: AttributeType;

  @Field(() => [String], { nullable: true, description: 'Allowed values (ENUM only): at most 100, each at most 200 characters; blank ones are dropped.' })
  allowedValues?: string[];

  @Field({ defaultValue: false, description: 'Whether products must give a value.' })
  required!: boolean;
}

@InputType({ description: 'A new category (OPERATIONS staff).' })
export class CategoryInput {
  @Field({ description: 'Display name, 1–60 characters.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'URL handle; derived from the name when omitted.' })
  slug?: string | null;

  @Field(() => ID, { nullable: true, description: 'Parent category; omit for a root category.' })
  parentId?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Commission rate (0–1); omit to inherit from the parent or the platform default.' })
  commissionRate?: string | null;

  @Field(() => [CategoryAttributeInput], { nullable: true, description: 'Attribute template for products in this category.' })
  attributes?: CategoryAttributeInput[] | null;
}

@InputType({ description: 'Changes to a category: rename, re-slug, re-rate, or move it with its whole subtree.' })
export class UpdateCategoryInput {
  @Field(() => ID, { description: 'The category.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New slug.' })
  slug?: string | null;

  @Field(() => ID, { nullable: true, description: 'New parent; the subtree moves with it.' })
  parentId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Make it a root category.' })
  makeRoot?: boolean | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'New commission rate.' })
  commissionRate?: string | null;

  @Field(() => [CategoryAttributeInput], { nullable: true, description: 'New attribute template (replaces the old one).' })
  attributes?: CategoryAttributeInput[] | null;
}

@ObjectType({ description: 'Result of a category mutation.' })
export class CategoryPayload {
  @Field(() => Category, { nullable: true, description: 'The category after the change.' })
  category?: Category | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
