import { BigIntType, Check, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import { Checkout, Order } from './Order';
import type { Product, ProductVariant } from './Product';
import { Funder } from './Promotion';
import { Shop } from './Shop';
import { User } from './User';

export enum FlashSaleItemStatus {
  NOMINATED = 'NOMINATED',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}

registerEnumType(FlashSaleItemStatus, {
  name: 'FlashSaleItemStatus',
  description: 'Where a flash-sale item stands.',
  valuesConfig: {
    NOMINATED: { description: 'Nominated by its shop; waiting for staff.' },
    APPROVED: { description: 'Approved: its quantity is set aside from the variant’s stock until the sale ends.' },
    REJECTED: { description: 'Rejected by staff, with a reason.' },
  },
});

export enum GroupStatus {
  FORMING = 'FORMING',
  FORMED = 'FORMED',
  FAILED = 'FAILED',
}

registerEnumType(GroupStatus, {
  name: 'GroupStatus',
  description: 'Where a group (拼團) stands.',
  valuesConfig: {
    FORMING: { description: 'Waiting for members to pay before `expiresAt`.' },
    FORMED: { description: '`size` members paid: their orders are released to the merchant.' },
    FAILED: { description: 'Not formed in time: every member’s order was cancelled and the paid ones refunded in full.' },
  },
});

export enum BargainStatus {
  ACTIVE = 'ACTIVE',
  BOUGHT = 'BOUGHT',
  EXPIRED = 'EXPIRED',
}

registerEnumType(BargainStatus, {
  name: 'BargainStatus',
  description: 'Where a bargain (砍價) stands.',
  valuesConfig: {
    ACTIVE: { description: 'Open for help and for buying at the current price until `expiresAt`.' },
    BOUGHT: { description: 'The starter bought at the price reached.' },
    EXPIRED: { description: 'Not bought before `expiresAt`.' },
  },
});

/** A flash sale (限時搶購 / 秒殺), run by staff OPERATIONS; shops nominate items. */
@ObjectType({ implements: Node, description: 'A flash sale: items at a sale price for a short window, in limited quantities.' })
@Entity({ tableName: 'flash_sale' })
@Check({ name: 'flash_sale_window_check', expression: '"ends_at" > "starts_at"' })
@Index({ name: 'flash_sale_window_idx', properties: ['endsAt', 'startsAt'] })
export class FlashSale extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'Title, e.g. "雙12 秒殺".' })
  @Property({ type: 'text' })
  title!: string;

  @Field(() => Date, { description: 'When it starts.' })
  @Property({ type: 'timestamptz', length: 3 })
  startsAt!: Date;

  @Field(() => Date, { description: 'When it ends (exclusive).' })
  @Property({ type: 'timestamptz', length: 3 })
  endsAt!: Date;

  /** When `end-flash-sales` returned its unsold quantities to stock. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  settledAt?: Date | null;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  createdBy!: Rel<User>;
}

/** A variant in a flash sale, nominated by its shop. Its approved quantity lives in buckets while the sale runs. */
@ObjectType({ implements: Node, description: 'A variant offered in a flash sale.' })
@Entity({ tableName: 'flash_sale_item' })
@Unique({ name: 'flash_sale_item_variant_unique', properties: ['flashSale', 'variant'] })
@Check({ name: 'flash_sale_item_amounts_check', expression: '"sale_price" > 0 and "quantity" > 0 and "per_user_limit" > 0' })
@Index({ name: 'flash_sale_item_variant_idx', properties: ['variant'] })
@Index({ name: 'flash_sale_item_shop_idx', properties: ['shop', 'id'] })
export class FlashSaleItem extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => FlashSale, { deleteRule: 'cascade' })
  flashSale!: Rel<FlashSale>;

  @ManyToOne(() => Shop, { deleteRule: 'restrict' })
  shop!: Rel<Shop>;

  @ManyToOne('ProductVariant', { deleteRule: 'restrict' })
  variant!: Rel<ProductVariant>;

  @Property({ type: new BigIntType('number') })
  salePrice!: number;

  @Field(() => Int, { description: 'Units offered.' })
  @Property({ type: 'int' })
  quantity!: number;

  @Field(() => Int, { description: 'Units one buyer may have in orders not cancelled, paid or unpaid.' })
  @Property({ type: 'int' })
  perUserLimit!: number;

  @Field(() => FlashSaleItemStatus, { description: 'Status.' })
  @Enum({ items: () => FlashSaleItemStatus })
  status: Opt<FlashSaleItemStatus> = FlashSaleItemStatus.NOMINATED;

  @Field(() => Funder, { description: 'Who pays the difference to the normal price: the shop for an item it nominated; the platform for one staff placed when creating the sale (a platform subsidy: the shop is paid its normal price).' })
  @Enum({ items: () => Funder, default: Funder.SHOP })
  fundedBy: Opt<Funder> = Funder.SHOP;

  @Field(() => String, { nullable: true, description: 'Why staff rejected it.' })
  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  nominatedBy!: Rel<User>;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'restrict' })
  reviewedBy?: Rel<User> | null;
}

/**
 * Part of an approved item's units. A checkout takes units from a bucket with units left that no
 * other transaction holds (SKIP LOCKED), so buyers of one item do not queue on one row.
 */
@Entity({ tableName: 'flash_sale_bucket' })
@Unique({ name: 'flash_sale_bucket_unique', properties: ['item', 'bucket'] })
@Check({ name: 'flash_sale_bucket_remaining_check', expression: '"remaining" >= 0' })
export class FlashSaleBucket {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => FlashSaleItem, { deleteRule: 'cascade' })
  item!: Rel<FlashSaleItem>;

  @Property({ type: 'int' })
  bucket!: number;

  @Property({ type: 'int' })
  remaining!: number;
}

/** A shop's group-buy offer (拼團) for one product: group prices per variant, a group size and time to form. */
@ObjectType({ implements: Node, description: 'A group-buy offer (拼團): buyers start or join a group by paying; the group forms when `groupSize` members paid.' })
@Entity({ tableName: 'group_buy' })
@Check({ name: 'group_buy_check', expression: '"group_size" between 2 and 100 and "hours_to_form" between 0 and 720 and "ends_at" > "starts_at"' })
@Index({ name: 'group_buy_shop_idx', properties: ['shop', 'id'] })
@Index({ name: 'group_buy_product_idx', properties: ['product'] })
@Index({ name: 'group_buy_window_idx', properties: ['endsAt', 'startsAt'] })
export class GroupBuy extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'restrict' })
  shop!: Rel<Shop>;

  @ManyToOne('Product', { deleteRule: 'restrict' })
  product!: Rel<Product>;

  /** [{variantId, groupPrice}] in minor units. */
  @Property({ type: 'jsonb' })
  variantPrices!: { variantId: string; groupPrice: number }[];

  @Field(() => Int, { description: 'Paid members a group needs.' })
  @Property({ type: 'int' })
  groupSize!: number;

  @Field(() => Int, { description: 'Hours a group has to form from its start (0: it expires at the next run of `expire-groups`).' })
  @Property({ type: 'int' })
  hoursToForm!: number;

  @Field(() => Date, { description: 'Groups may start from.' })
  @Property({ type: 'timestamptz', length: 3 })
  startsAt!: Date;

  @Field(() => Date, { description: 'Groups may start until (exclusive).' })
  @Property({ type: 'timestamptz', length: 3 })
  endsAt!: Date;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  createdBy!: Rel<User>;
}

/** One group of a group buy. */
@ObjectType({ implements: Node, description: 'A group (團) of a group buy.' })
@Entity({ tableName: 'buy_group' })
@Index({ name: 'buy_group_expiry_idx', expression: `create index "buy_group_expiry_idx" on "buy_group" ("expires_at") where "status" = 'FORMING'` })
@Index({ name: 'buy_group_group_buy_idx', properties: ['groupBuy', 'id'] })
export class Group extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => GroupBuy, { deleteRule: 'restrict' })
  groupBuy!: Rel<GroupBuy>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  leader!: Rel<User>;

  @Field(() => Int, { description: 'Paid members it needs.' })
  @Property({ type: 'int' })
  size!: number;

  @Field(() => Date, { description: 'When it fails unless formed.' })
  @Property({ type: 'timestamptz', length: 3 })
  expiresAt!: Date;

  @Field(() => GroupStatus, { description: 'Status.' })
  @Enum({ items: () => GroupStatus })
  status: Opt<GroupStatus> = GroupStatus.FORMING;

  @Field(() => Date, { nullable: true, description: 'When it formed or failed.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  settledAt?: Date | null;
}

/** A buyer in a group, with the order they placed to join. */
@Entity({ tableName: 'group_member' })
@Unique({ name: 'group_member_unique', properties: ['group', 'user'] })
@Index({ name: 'group_member_order_idx', properties: ['order'] })
@Index({ name: 'group_member_user_idx', properties: ['user', 'group'] })
export class GroupMember {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Group, { deleteRule: 'cascade' })
  group!: Rel<Group>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  user!: Rel<User>;

  @ManyToOne(() => Order, { deleteRule: 'restrict' })
  order!: Rel<Order>;

  @Property({ type: 'timestamptz', length: 3 })
  joinedAt!: Date;
}

/** A shop's bargain campaign (砍價): helpers cut the price from the variant's price to the floor. */
@ObjectType({ implements: Node, description: 'A bargain campaign (砍價) of a shop.' })
@Entity({ tableName: 'bargain_campaign' })
@Check({ name: 'bargain_campaign_check', expression: '"floor_price" > 0 and "helpers_needed" between 1 and 100 and "hours_to_finish" between 0 and 720 and "quantity" > 0 and "started" between 0 and "quantity"' })
@Index({ name: 'bargain_campaign_shop_idx', properties: ['shop', 'id'] })
@Index({ name: 'bargain_campaign_variant_idx', properties: ['variant'] })
export class BargainCampaign extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'restrict' })
  shop!: Rel<Shop>;

  @ManyToOne('ProductVariant', { deleteRule: 'restrict' })
  variant!: Rel<ProductVariant>;

  @Property({ type: new BigIntType('number') })
  floorPrice!: number;

  @Field(() => Int, { description: 'Helpers needed to reach the floor price.' })
  @Property({ type: 'int' })
  helpersNeeded!: number;

  @Field(() => Int, { description: 'Hours a bargain has from its start (0: it expires at the next run of `expire-bargains`).' })
  @Property({ type: 'int' })
  hoursToFinish!: number;

  @Field(() => Int, { description: 'Bargains that may be started.' })
  @Property({ type: 'int' })
  quantity!: number;

  @Field(() => Int, { description: 'Bargains started.' })
  @Property({ type: 'int', default: 0 })
  started: Opt<number> = 0;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  endedAt?: Date | null;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  createdBy!: Rel<User>;
}

/** One buyer's bargain: a price cut by helpers, bought by its starter before it expires. */
@ObjectType({ implements: Node, description: 'A bargain (砍價) a buyer started.' })
@Entity({ tableName: 'bargain' })
@Check({ name: 'bargain_price_check', expression: '"current_price" >= "floor_price" and "current_price" <= "start_price" and "helped" >= 0' })
@Index({ name: 'bargain_user_idx', properties: ['user', 'id'] })
@Index({ name: 'bargain_active_unique', expression: `create unique index "bargain_active_unique" on "bargain" ("campaign_id", "user_id") where "status" = 'ACTIVE'` })
@Index({ name: 'bargain_expiry_idx', expression: `create index "bargain_expiry_idx" on "bargain" ("expires_at") where "status" = 'ACTIVE'` })
export class Bargain extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => BargainCampaign, { deleteRule: 'restrict' })
  campaign!: Rel<BargainCampaign>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  user!: Rel<User>;

  @Property({ type: new BigIntType('number') })
  startPrice!: number;

  @Property({ type: new BigIntType('number') })
  floorPrice!: number;

  @Property({ type: new BigIntType('number') })
  currentPrice!: number;

  /** The cut each helper in turn makes, minor units: drawn once at the start (seeded), summing to start − floor. */
  @Property({ type: 'jsonb' })
  cuts!: number[];

  @Field(() => Int, { description: 'Helpers so far.' })
  @Property({ type: 'int', default: 0 })
  helped: Opt<number> = 0;

  @Field(() => Date, { description: 'Help and buying end.' })
  @Property({ type: 'timestamptz', length: 3 })
  expiresAt!: Date;

  @Field(() => BargainStatus, { description: 'Status.' })
  @Enum({ items: () => BargainStatus })
  status: Opt<BargainStatus> = BargainStatus.ACTIVE;

  @ManyToOne(() => Checkout, { nullable: true, deleteRule: 'set null' })
  checkout?: Rel<Checkout> | null;
}

/** A helper's cut of a bargain. */
@Entity({ tableName: 'bargain_help' })
@Unique({ name: 'bargain_help_unique', properties: ['bargain', 'helper'] })
export class BargainHelp {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Bargain, { deleteRule: 'cascade' })
  bargain!: Rel<Bargain>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  helper!: Rel<User>;

  @Property({ type: new BigIntType('number') })
  amount!: number;

  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;
}
