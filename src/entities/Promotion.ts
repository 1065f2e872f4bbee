import { BigIntType, Check, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Checkout, Order } from './Order';
import { Node, TimestampedNode } from './Node';
import { Shop } from './Shop';
import { User } from './User';

export enum PromotionKind {
  AMOUNT_OFF_THRESHOLD = 'AMOUNT_OFF_THRESHOLD',
  PERCENT_OFF = 'PERCENT_OFF',
  FIXED_PRICE_BUNDLE = 'FIXED_PRICE_BUNDLE',
  GIFT_WITH_PURCHASE = 'GIFT_WITH_PURCHASE',
}

registerEnumType(PromotionKind, {
  name: 'PromotionKind',
  description: 'How a promotion discounts. Its tiers carry the numbers; the pricing engine reads them as data.',
  valuesConfig: {
    AMOUNT_OFF_THRESHOLD: { description: '滿減: spend `threshold` on the promotion’s scope, get `amountOff` off (the best tier met applies; with `every`, the one tier repeats for every full threshold, e.g. every 200 off 20).' },
    PERCENT_OFF: { description: '折扣: `percentOff` off the scope once it reaches the tier’s `threshold` (0 for always), at most `maxDiscount`.' },
    FIXED_PRICE_BUNDLE: { description: '任選 N 件 X 元: every `quantity` units of the scope cost `price` together (the dearest units are bundled first).' },
    GIFT_WITH_PURCHASE: { description: '買贈: spend `threshold` on the scope and the tier’s gift variant (of the same shop) is added at 0, while it is in stock.' },
  },
});

export enum PromotionStatus {
  DRAFT = 'DRAFT',
  SCHEDULED = 'SCHEDULED',
  ACTIVE = 'ACTIVE',
  ENDED = 'ENDED',
  CANCELLED = 'CANCELLED',
}

registerEnumType(PromotionStatus, {
  name: 'PromotionStatus',
  description: 'Where a promotion stands, by the clock: derived from its window, budget and cancellation.',
  valuesConfig: {
    DRAFT: { description: 'Not used by this server: a promotion is SCHEDULED or ACTIVE from creation (reserved for editors that save drafts client-side).' },
    SCHEDULED: { description: 'Created; its window has not started.' },
    ACTIVE: { description: 'In its window, budget left: the pricing engine applies it.' },
    ENDED: { description: 'Its window is over, or its budget is spent.' },
    CANCELLED: { description: 'Cancelled by its shop or staff before its end.' },
  },
});

export enum DiscountSource {
  PROMOTION = 'PROMOTION',
  COUPON = 'COUPON',
  FLASH_SALE = 'FLASH_SALE',
  GROUP_BUY = 'GROUP_BUY',
  BARGAIN = 'BARGAIN',
  POINTS = 'POINTS',
  MEMBER_SHIPPING = 'MEMBER_SHIPPING',
}

registerEnumType(DiscountSource, {
  name: 'DiscountSource',
  description: 'What a discount came from.',
  valuesConfig: {
    PROMOTION: { description: 'An automatic promotion (滿減, percent off, bundle).' },
    COUPON: { description: 'A coupon the buyer chose at checkout.' },
    FLASH_SALE: { description: 'A flash sale’s price (限時搶購): the variant’s price less the sale price; the shop funds it.' },
    GROUP_BUY: { description: 'A group buy’s price (拼團); the shop funds it.' },
    BARGAIN: { description: 'The price a bargain reached (砍價); the shop funds it.' },
    POINTS: { description: 'Points redeemed at checkout (積分抵現); the platform funds it.' },
    MEMBER_SHIPPING: { description: 'A member level’s free shipping (its threshold reached); the platform pays the fee.' },
  },
});

export enum Funder {
  PLATFORM = 'PLATFORM',
  SHOP = 'SHOP',
}

registerEnumType(Funder, {
  name: 'Funder',
  description: 'Who pays for a discount. A shop-funded discount lowers what the shop is paid; a platform-funded one is paid to the shop by the platform (ledger account PLATFORM_PROMOTIONS).',
  valuesConfig: {
    PLATFORM: { description: 'The platform: platform-wide promotions and platform coupons.' },
    SHOP: { description: 'The shop: its own promotions and coupons.' },
  },
});

export enum CouponKind {
  AMOUNT_OFF = 'AMOUNT_OFF',
  PERCENT_OFF = 'PERCENT_OFF',
  FREE_SHIPPING = 'FREE_SHIPPING',
}

registerEnumType(CouponKind, {
  name: 'CouponKind',
  description: 'What a coupon takes off.',
  valuesConfig: {
    AMOUNT_OFF: { description: '`amountOff` off its scope (never more than the scope costs).' },
    PERCENT_OFF: { description: '`percentOff` off its scope, at most `maxDiscount`.' },
    FREE_SHIPPING: { description: 'The shipping fee waived: the shop’s (a shop coupon) or every shop’s in the checkout (a platform coupon).' },
  },
});

export enum CouponAudience {
  ALL = 'ALL',
  NEW_USERS = 'NEW_USERS',
  MEMBER_LEVEL = 'MEMBER_LEVEL',
}

registerEnumType(CouponAudience, {
  name: 'CouponAudience',
  description: 'Who may claim a coupon campaign.',
  valuesConfig: {
    ALL: { description: 'Every signed-in shopper.' },
    NEW_USERS: { description: '新人專享: shoppers without a paid order yet (granted on registration when its claim window is open).' },
    MEMBER_LEVEL: { description: 'Members at `memberLevel` or above (every shopper is level 0 until membership levels are configured).' },
  },
});

export enum UserCouponStatus {
  AVAILABLE = 'AVAILABLE',
  USED = 'USED',
  EXPIRED = 'EXPIRED',
}

registerEnumType(UserCouponStatus, {
  name: 'UserCouponStatus',
  description: 'Where a claimed coupon stands.',
  valuesConfig: {
    AVAILABLE: { description: 'Claimed and not used (check `validFrom`/`validUntil` for whether it can be used now).' },
    USED: { description: 'Used by a checkout. Given back (AVAILABLE again, or EXPIRED when past its validity) when that checkout expires or every order it was used on is cancelled before shipping.' },
    EXPIRED: { description: 'Past its validity unused (task `expire-coupons`).' },
  },
});

/** One tier of a promotion (minor units, basis points). */
export interface PromotionTierData {
  /** Spend on the scope that unlocks the tier, minor units (AMOUNT_OFF_THRESHOLD, PERCENT_OFF, GIFT_WITH_PURCHASE). */
  threshold: number;
  amountOff?: number | null;
  /** Percent off in basis points: 1000 = 10%. */
  percentOffBp?: number | null;
  /** FIXED_PRICE_BUNDLE: units in a bundle and the bundle's price. */
  quantity?: number | null;
  price?: number | null;
  /** GIFT_WITH_PURCHASE: database key of the gift variant. */
  giftVariantId?: string | null;
}

/** What a promotion or coupon covers: everything, or listed products and categories (and their subcategories). */
export interface ScopeData {
  all: boolean;
  productIds: string[];
  categoryIds: string[];
}

/** An automatic promotion: a shop's own (shop set) or platform-wide (shop null, run by staff OPERATIONS). */
@ObjectType({ implements: Node, description: 'An automatic promotion: 滿減, percent off, a bundle price or a gift with purchase.' })
@Entity({ tableName: 'promotion' })
@Check({ name: 'promotion_window_check', expression: '"ends_at" > "starts_at"' })
@Check({ name: 'promotion_amounts_check', expression: '"spent" >= 0 and ("budget" is null or "budget" > 0) and ("max_discount" is null or "max_discount" > 0) and ("per_user_limit" is null or "per_user_limit" > 0)' })
@Index({ name: 'promotion_live_idx', expression: 'create index "promotion_live_idx" on "promotion" ("ends_at", "starts_at") where "cancelled_at" is null' })
@Index({ name: 'promotion_shop_idx', properties: ['shop', 'id'] })
@Index({ name: 'promotion_shop_live_idx', expression: 'create index "promotion_shop_live_idx" on "promotion" ("shop_id", "ends_at") where "cancelled_at" is null' })
export class Promotion extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  /** The shop running it; null for a platform-wide promotion. */
  @ManyToOne(() => Shop, { nullable: true, deleteRule: 'restrict' })
  shop?: Rel<Shop> | null;

  @Field({ description: 'Title shown to shoppers, e.g. "滿200減20".' })
  @Property({ type: 'text' })
  title!: string;

  @Field(() => PromotionKind, { description: 'Kind.' })
  @Enum({ items: () => PromotionKind })
  kind!: PromotionKind;

  @Property({ type: 'jsonb' })
  tiers!: PromotionTierData[];

  @Field(() => Boolean, { description: 'AMOUNT_OFF_THRESHOLD with one tier: the tier repeats for every full threshold (every 200 off 20: 400 gets 40).' })
  @Property({ type: 'boolean', default: false })
  every: Opt<boolean> = false;

  /** Cap of the discount, minor units (PERCENT_OFF, and `every` threshold promotions). */
  @Property({ type: new BigIntType('number'), nullable: true })
  maxDiscount?: number | null;

  @Property({ type: 'jsonb' })
  scope!: ScopeData;

  @Field(() => Date, { description: 'Start of its window.' })
  @Property({ type: 'timestamptz', length: 3 })
  startsAt!: Date;

  @Field(() => Date, { description: 'End of its window (exclusive).' })
  @Property({ type: 'timestamptz', length: 3 })
  endsAt!: Date;

  @Field(() => Int, { nullable: true, description: 'How many checkouts of one shopper it applies to; null for no limit.' })
  @Property({ type: 'int', nullable: true })
  perUserLimit?: number | null;

  /** Most it may give away in total, minor units; null for no budget. */
  @Property({ type: new BigIntType('number'), nullable: true })
  budget?: number | null;

  /** Discounts given on orders not cancelled, minor units (kept only for promotions with a budget). */
  @Property({ type: new BigIntType('number'), default: 0 })
  spent: Opt<number> = 0;

  @Field(() => Boolean, { description: 'Whether it combines with the other promotions of its funder on the same order. A promotion that does not stack is applied alone when it gives the shopper more than the stacking ones together. Coupons always combine with promotions.' })
  @Property({ type: 'boolean', default: true })
  stackable: Opt<boolean> = true;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  cancelledAt?: Date | null;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  createdBy!: Rel<User>;
}

/** A coupon campaign: a batch of coupons shoppers claim (or redeem by code). */
@ObjectType({ implements: Node, description: 'A coupon campaign (優惠券): shoppers claim coupons from it, by its id or its code.' })
@Entity({ tableName: 'coupon_campaign' })
@Check({ name: 'coupon_campaign_window_check', expression: '"claim_ends_at" > "claim_starts_at"' })
@Check({ name: 'coupon_campaign_quantity_check', expression: '"claimed" >= 0 and "claimed" <= "total_quantity" and "per_user_limit" >= 1' })
@Check({ name: 'coupon_campaign_validity_check', expression: '("valid_days" is null) <> ("valid_until" is null)' })
@Index({ name: 'coupon_campaign_claim_idx', expression: 'create index "coupon_campaign_claim_idx" on "coupon_campaign" ("claim_ends_at", "claim_starts_at") where "ended_at" is null' })
@Index({ name: 'coupon_campaign_shop_idx', properties: ['shop', 'id'] })
export class CouponCampaign extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  /** The shop funding it; null for a platform coupon. */
  @ManyToOne(() => Shop, { nullable: true, deleteRule: 'restrict' })
  shop?: Rel<Shop> | null;

  @Field({ description: 'Title, e.g. "新人券 10 元".' })
  @Property({ type: 'text' })
  title!: string;

  @Field(() => CouponKind, { description: 'Kind.' })
  @Enum({ items: () => CouponKind })
  kind!: CouponKind;

  @Property({ type: new BigIntType('number'), nullable: true })
  amountOff?: number | null;

  /** Basis points: 1000 = 10%. */
  @Property({ type: 'int', nullable: true })
  percentOffBp?: number | null;

  @Property({ type: new BigIntType('number'), nullable: true })
  maxDiscount?: number | null;

  /** Spend on the scope the coupon needs, minor units (0: none). */
  @Property({ type: new BigIntType('number'), default: 0 })
  minSubtotal: Opt<number> = 0;

  @Property({ type: 'jsonb' })
  scope!: ScopeData;

  @Field(() => Int, { description: 'Coupons in the campaign.' })
  @Property({ type: 'int' })
  totalQuantity!: number;

  @Field(() => Int, { description: 'Coupons claimed so far.' })
  @Property({ type: 'int', default: 0 })
  claimed: Opt<number> = 0;

  @Field(() => Int, { description: 'Coupons one shopper may claim.' })
  @Property({ type: 'int' })
  perUserLimit!: number;

  @Field(() => Date, { description: 'Claiming opens.' })
  @Property({ type: 'timestamptz', length: 3 })
  claimStartsAt!: Date;

  @Field(() => Date, { description: 'Claiming closes (exclusive).' })
  @Property({ type: 'timestamptz', length: 3 })
  claimEndsAt!: Date;

  @Field(() => Int, { nullable: true, description: 'A claimed coupon is valid this many days from its claim; or see `validUntil`.' })
  @Property({ type: 'int', nullable: true })
  validDays?: number | null;

  @Field(() => Date, { nullable: true, description: 'Every coupon of the campaign is valid until then; or see `validDays`.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  validUntil?: Date | null;

  @Field(() => CouponAudience, { description: 'Who may claim.' })
  @Enum({ items: () => CouponAudience })
  audience!: CouponAudience;

  @Field(() => Int, { nullable: true, description: 'MEMBER_LEVEL: the lowest level that may claim.' })
  @Property({ type: 'int', nullable: true })
  memberLevel?: number | null;

  @Field(() => Boolean, { description: 'NEW_USERS campaigns: a coupon is granted to every shopper who registers while claiming is open (and coupons are left).' })
  @Property({ type: 'boolean', default: false })
  autoGrant: Opt<boolean> = false;

  /** A code shoppers type to claim (stored upper-case); unique among campaigns. */
  @Property({ type: 'text', nullable: true, unique: 'coupon_campaign_code_unique' })
  code?: string | null;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  endedAt?: Date | null;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  createdBy!: Rel<User>;
}

/** A coupon a shopper holds. */
@ObjectType({ implements: Node, description: 'A coupon you hold.' })
@Entity({ tableName: 'user_coupon' })
@Check({ name: 'user_coupon_validity_check', expression: '"valid_until" > "valid_from"' })
@Index({ name: 'user_coupon_user_idx', properties: ['user', 'status', 'validUntil', 'id'] })
@Index({ name: 'user_coupon_campaign_user_idx', properties: ['campaign', 'user'] })
@Index({ name: 'user_coupon_expiry_idx', expression: `create index "user_coupon_expiry_idx" on "user_coupon" ("valid_until") where "status" = 'AVAILABLE'` })
@Index({ name: 'user_coupon_checkout_idx', properties: ['checkout'] })
@Unique({ name: 'user_coupon_grant_unique', properties: ['campaign', 'user', 'grantKey'] })
export class UserCoupon extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => CouponCampaign, { deleteRule: 'restrict' })
  campaign!: Rel<CouponCampaign>;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: Rel<User>;

  @Field(() => UserCouponStatus, { description: 'Status.' })
  @Enum({ items: () => UserCouponStatus })
  status: Opt<UserCouponStatus> = UserCouponStatus.AVAILABLE;

  @Field(() => Date, { description: 'When you claimed it.' })
  @Property({ type: 'timestamptz', length: 3 })
  claimedAt!: Date;

  @Field(() => Date, { description: 'Usable from.' })
  @Property({ type: 'timestamptz', length: 3 })
  validFrom!: Date;

  @Field(() => Date, { description: 'Usable until (exclusive).' })
  @Property({ type: 'timestamptz', length: 3 })
  validUntil!: Date;

  /** A grant's key (a member level's monthly coupon "level:<rank>:2026-12", a referral's "referral:<id>"): one coupon per campaign, user and key. */
  @Property({ type: 'text', nullable: true })
  grantKey?: string | null;

  @Field(() => Date, { nullable: true, description: 'When a checkout used it.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  usedAt?: Date | null;

  /** The checkout that used it. */
  @ManyToOne(() => Checkout, { nullable: true, deleteRule: 'set null' })
  checkout?: Rel<Checkout> | null;
}

/** One discount of an order, with its source and funder; its amount is allocated to the order's lines (or its shipping). */
@Entity({ tableName: 'order_discount' })
@Check({ name: 'order_discount_amount_check', expression: '"amount" >= 0 and "shipping_amount" between 0 and "amount"' })
@Index({ name: 'order_discount_order_idx', properties: ['order', 'id'] })
@Index({ name: 'order_discount_promotion_idx', expression: 'create index "order_discount_promotion_idx" on "order_discount" ("promotion_id") where "promotion_id" is not null' })
@Index({ name: 'order_discount_coupon_idx', expression: 'create index "order_discount_coupon_idx" on "order_discount" ("user_coupon_id") where "user_coupon_id" is not null' })
export class OrderDiscount {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order!: Rel<Order>;

  @Enum({ items: () => DiscountSource })
  source!: DiscountSource;

  @ManyToOne(() => Promotion, { nullable: true, deleteRule: 'restrict' })
  promotion?: Rel<Promotion> | null;

  @ManyToOne(() => UserCoupon, { nullable: true, deleteRule: 'restrict' })
  userCoupon?: Rel<UserCoupon> | null;

  /** For a FLASH_SALE, GROUP_BUY or BARGAIN discount: the flash-sale item, group or bargain (by `source`). */
  @Property({ type: 'bigint', nullable: true })
  campaignId?: string | null;

  @Property({ type: 'text' })
  title!: string;

  @Enum({ items: () => Funder })
  fundedBy!: Funder;

  /** Minor units taken off this order. */
  @Property({ type: new BigIntType('number') })
  amount!: number;

  /** The part of `amount` taken off the shipping fee (a free-shipping coupon); the rest is on the lines. */
  @Property({ type: new BigIntType('number'), default: 0 })
  shippingAmount: Opt<number> = 0;
}
