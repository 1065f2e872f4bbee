import { BigIntType, Entity, Enum, Index, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../schema/shared/scalars';
import { ShopStatus } from './enums';
import { Node } from './Node';
import { RatedNode } from './Rated';

@ObjectType({ description: 'Opening hours on one weekday.' })
export class BusinessHours {
  @Field(() => Int, { description: 'ISO weekday: 1 = Monday … 7 = Sunday.' })
  weekday!: number;

  @Field({ description: 'Opening time, "HH:MM" (24-hour).' })
  opens!: string;

  @Field({ description: 'Closing time, "HH:MM" (24-hour), after `opens`.' })
  closes!: string;
}

@ObjectType({ implements: Node, description: 'A third-party merchant shop on the marketplace.' })
@Entity({ tableName: 'shop' })
@Index({ name: 'shop_live_name_unique', expression: `create unique index "shop_live_name_unique" on "shop" (lower("name")) where "status" <> 'CLOSED'` })
export class Shop extends RatedNode {
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

  @Field(() => String, { nullable: true, description: 'Why staff suspended or closed the shop. Visible to its members and staff.' })
  @Property({ type: 'text', nullable: true })
  statusReason?: string | null;

  @Field(() => String, { nullable: true, description: 'What the shop sells and stands for.' })
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Logo image URL.' })
  @Property({ type: 'text', nullable: true })
  logoUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Customer contact phone.' })
  @Property({ type: 'text', nullable: true })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'Address, one line.' })
  @Property({ type: 'text', nullable: true })
  address?: string | null;

  @Field(() => [BusinessHours], { description: 'Opening hours per weekday; weekdays not listed are closed.' })
  @Property({ type: 'jsonb', default: '[]' })
  businessHours: BusinessHours[] = [];

  @Field(() => [String], { description: 'Store photo URLs.' })
  @Property({ type: 'jsonb', default: '[]' })
  photoUrls: string[] = [];

  @Field(() => DecimalScalar, {
    nullable: true,
    description: "The shop's own commission rate (0–1), set by staff; null when the category rates apply (else DEFAULT_COMMISSION_RATE). Visible to its members and staff.",
  })
  @Property({ type: 'decimal', precision: 5, scale: 4, nullable: true })
  commissionRate?: string | null = null;

  /** When the shop first became ACTIVE; reinstating a suspended shop returns it there. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  activatedAt?: Date | null;

  /** Points of the shop's ACTIVE violations (kept on write; services/risk/violations.ts). Credit score = max(0, 100 − points). */
  @Property({ type: 'int', default: 0 })
  violationPoints: Opt<number> = 0;

  /** Restricted (VIOLATION_RESTRICT_POINTS reached): no new listings, no campaigns. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  restrictedAt?: Date | null;

  /** Suspended automatically at VIOLATION_SUSPEND_POINTS (reinstated automatically when an appeal takes it back under). */
  @Property({ type: 'boolean', default: false })
  suspendedForViolations: Opt<boolean> = false;

  constructor(name: string, slug: string) {
    super();
    this.name = name;
    this.slug = slug;
  }
}
