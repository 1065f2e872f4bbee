import { BigIntType, Entity, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import { Shop } from './Shop';

/** Fees of one shipping rule, in minor units (first units cost firstFee, every further block additionalFee). */
export interface ShippingRuleData {
  firstUnits: number;
  firstFee: number;
  additionalUnits: number;
  additionalFee: number;
}

export interface RegionRuleData extends ShippingRuleData {
  regions: string[];
}

/**
 * 運費模板: a shop's shipping-fee template. Rules by province, a default rule for everywhere else,
 * and an optional free-shipping threshold on the shop group's subtotal. A shop's template marked
 * default applies to its products that name none; a shop with no template ships free.
 */
@ObjectType({ implements: Node, description: 'A shipping-fee template (運費模板) of a shop.' })
@Entity({ tableName: 'shipping_template' })
@Index({ name: 'shipping_template_shop_idx', properties: ['shop', 'id'] })
@Index({ name: 'shipping_template_one_default', expression: 'create unique index "shipping_template_one_default" on "shipping_template" ("shop_id") where "is_default"' })
export class ShippingTemplate extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Field({ description: 'Name, e.g. "Standard courier".' })
  @Property({ type: 'text' })
  name!: string;

  @Field(() => Boolean, { description: 'Whether it applies to the shop’s products that name no template.' })
  @Property({ type: 'boolean', default: false })
  isDefault: Opt<boolean> = false;

  /** Rules by province, first match wins. */
  @Property({ type: 'jsonb', default: '[]' })
  rules: Opt<RegionRuleData[]> = [];

  /** The rule for provinces no rule lists. */
  @Property({ type: 'jsonb' })
  defaultRule!: ShippingRuleData;

  /** Shop-group subtotal (minor units) from which shipping is free; null for never. */
  @Property({ type: new BigIntType('number'), nullable: true })
  freeShippingThreshold?: number | null;
}

