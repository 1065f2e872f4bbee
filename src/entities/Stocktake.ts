import { BigIntType, Entity, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import type { ProductVariant } from './Product';
import { Shop } from './Shop';
import { User } from './User';

/** 盤點: a count of a shop's stock; differences were applied as STOCKTAKE movements. */
@ObjectType({ implements: Node, description: 'A stocktake (盤點): counted against expected stock, differences applied.' })
@Entity({ tableName: 'stocktake' })
@Index({ name: 'stocktake_shop_idx', properties: ['shop', 'id'] })
export class Stocktake extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Index({ name: 'stocktake_actor_idx' })
  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  actor?: Rel<User> | null;

  @Field(() => String, { nullable: true, description: 'Note.' })
  @Property({ type: 'text', nullable: true })
  note?: string | null;
}

@ObjectType({ description: 'One variant of a stocktake.' })
@Entity({ tableName: 'stocktake_line' })
export class StocktakeLine {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'stocktake_line_stocktake_idx' })
  @ManyToOne(() => Stocktake, { deleteRule: 'cascade' })
  stocktake!: Rel<Stocktake>;

  @Index({ name: 'stocktake_line_variant_idx' })
  @ManyToOne('ProductVariant', { deleteRule: 'cascade' })
  variant!: Rel<ProductVariant>;

  @Field(() => Int, { description: 'On-hand units the system expected.' })
  @Property({ type: 'int' })
  expected!: number;

  @Field(() => Int, { description: 'Units counted.' })
  @Property({ type: 'int' })
  counted!: number;

  @Field(() => Int, { description: 'counted − expected, applied as a STOCKTAKE movement.' })
  @Property({ type: 'int' })
  difference!: number;
}

/**
 * A low-stock event: a variant's available stock fell to or below its warning line. Recorded in the
 * same transaction as the change, for a notifier to deliver later (`notifiedAt`).
 */
@ObjectType({ description: 'A low-stock warning (庫存預警) of a variant.' })
@Entity({ tableName: 'stock_alert' })
@Index({ name: 'stock_alert_shop_idx', properties: ['shop', 'id'] })
@Index({ name: 'stock_alert_pending_idx', expression: 'create index "stock_alert_pending_idx" on "stock_alert" ("id") where "notified_at" is null' })
export class StockAlert {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Index({ name: 'stock_alert_variant_idx' })
  @ManyToOne('ProductVariant', { deleteRule: 'cascade' })
  variant!: Rel<ProductVariant>;

  @Field(() => Int, { description: 'Available units when it fired.' })
  @Property({ type: 'int' })
  available!: number;

  @Field(() => Int, { description: 'The warning line then.' })
  @Property({ type: 'int' })
  threshold!: number;

  @Field(() => Date, { description: 'When.' })
  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  notifiedAt?: Date | null;
}
