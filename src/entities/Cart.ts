import { BigIntType, Check, Entity, Index, ManyToOne, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import type { ProductVariant } from './Product';
import { User } from './User';

/** One line of a shopper's server-side cart: a variant and a quantity (1–999). */
@ObjectType({ implements: Node, description: 'A line of your cart.' })
@Entity({ tableName: 'cart_line' })
@Unique({ name: 'cart_line_user_variant_unique', properties: ['user', 'variant'] })
@Check({ name: 'cart_line_quantity_check', expression: '"quantity" >= 1 and "quantity" <= 999' })
@Index({ name: 'cart_line_user_idx', properties: ['user', 'id'] })
export class CartLine extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: Rel<User>;

  @Index({ name: 'cart_line_variant_idx' })
  @ManyToOne('ProductVariant', { deleteRule: 'cascade' })
  variant!: Rel<ProductVariant>;

  @Field(() => Int, { description: 'Units, 1–999.' })
  @Property({ type: 'int' })
  quantity!: number;
}
