import { ArrayType, BigIntType, Check, Entity, Enum, Index, ManyToOne, type Opt, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Brand } from './Brand';
import { Category } from './Category';
import { Node, TimestampedNode } from './Node';
import { RatedNode } from './Rated';
import { ShippingTemplate } from './ShippingTemplate';
import { Shop } from './Shop';
import { User } from './User';

export enum ProductStatus {
  DRAFT = 'DRAFT',
  PENDING_REVIEW = 'PENDING_REVIEW',
  ACTIVE = 'ACTIVE',
  REJECTED = 'REJECTED',
  DELISTED = 'DELISTED',
  BANNED = 'BANNED',
}

registerEnumType(ProductStatus, {
  name: 'ProductStatus',
  description: 'Where a product stands in its listing life cycle.',
  valuesConfig: {
    DRAFT: { description: 'Being written by the shop; not for sale.' },
    PENDING_REVIEW: {
      description: 'Waiting for staff review. An edit of a product on sale waits here too, while the approved version stays on sale.',
    },
    ACTIVE: { description: 'Approved and on sale (when the shop is ACTIVE).' },
    REJECTED: { description: 'Refused by staff; the shop edits it and submits again.' },
    DELISTED: { description: 'Taken off sale by the shop (下架); the shop may relist it.' },
    BANNED: { description: 'Taken down by staff for a violation; the shop cannot undo this.' },
  },
});

@ObjectType({ description: 'A value of one category attribute (規格參數), e.g. Material = Aluminium.' })
export class ProductAttributeValue {
  @Field({ description: 'Attribute name, as in the category template.' })
  name!: string;

  @Field({ description: 'The value, as text (NUMBER attributes hold a decimal number).' })
  value!: string;
}

@ObjectType({ description: 'One option of a variant, e.g. Colour = Black.' })
export class VariantOption {
  @Field({ description: 'Option name, e.g. "Colour".' })
  name!: string;

  @Field({ description: 'Option value, e.g. "Black".' })
  value!: string;
}

/** The listing content that staff review: a pending edit of a product on sale holds these. */
export interface ProductContent {
  title: string;
  description: string;
  categoryId: string;
  brandId: string | null;
  tags: string[];
  imageUrls: string[];
  attributes: ProductAttributeValue[];
}

/**
 * A product (SPU) of one shop. The row holds the version shoppers see; an edit of a product on sale
 * waits in `pendingRevision` until staff approve it. `listed` means the shop offers an approved
 * version; `visible` adds "and the shop is ACTIVE" and is what every shopper query filters on.
 * `minPrice`, `maxPrice` and `categoryPath` are kept in step by the catalog service so that every
 * filter and sort of the public catalog is one indexed column.
 */
@ObjectType({ implements: Node, description: 'A product with its variants (SKUs).' })
@Entity({ tableName: 'product' })
@Index({ name: 'product_shop_idx', properties: ['shop', 'id'] })
@Index({ name: 'product_review_queue_idx', expression: `create index "product_review_queue_idx" on "product" ("submitted_at", "id") where "status" = 'PENDING_REVIEW'` })
@Index({ name: 'product_search_idx', expression: 'create index "product_search_idx" on "product" using gin ("search_vector") where "visible"' })
@Index({ name: 'product_category_path_idx', expression: 'create index "product_category_path_idx" on "product" ("category_path" text_pattern_ops) where "visible"' })
@Index({ name: 'product_newest_idx', expression: 'create index "product_newest_idx" on "product" ("listed_at" desc, "id" desc) where "visible"' })
@Index({ name: 'product_price_idx', expression: 'create index "product_price_idx" on "product" ("min_price", "id") where "visible"' })
@Index({ name: 'product_top_rated_idx', expression: 'create index "product_top_rated_idx" on "product" ("rating_rank" desc, "id" desc) where "visible"' })
@Index({ name: 'product_best_selling_idx', expression: 'create index "product_best_selling_idx" on "product" ("sales_count" desc, "id" desc) where "visible"' })
@Index({ name: 'product_visible_brand_idx', expression: 'create index "product_visible_brand_idx" on "product" ("brand_id", "id") where "visible"' })
@Index({ name: 'product_tags_idx', expression: 'create index "product_tags_idx" on "product" using gin ("tags") where "visible"' })
export class Product extends RatedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Index({ name: 'product_category_idx' })
  @ManyToOne(() => Category, { deleteRule: 'restrict' })
  category!: Rel<Category>;

  /** The category's materialized path, so "category X and below" is one indexed prefix match. */
  @Property({ type: 'text' })
  categoryPath!: string;

  @Index({ name: 'product_brand_idx' })
  @ManyToOne(() => Brand, { nullable: true, deleteRule: 'restrict' })
  brand?: Rel<Brand> | null;

  @Field({ description: 'Title (5–120 characters to be listed).' })
  @Property({ type: 'text' })
  title!: string;

  @Field({ description: 'Description: features, functions, usage (at least 20 characters to be listed).' })
  @Property({ type: 'text' })
  description!: string;

  @Field(() => [String], { description: 'Keywords and tags (關鍵詞, 標籤) for search and filtering.' })
  @Property({ type: ArrayType, columnType: 'text[]', default: '{}' })
  tags: Opt<string[]> = [];

  @Field(() => [String], { description: 'Image URLs, main image first.' })
  @Property({ type: 'jsonb', default: '[]' })
  imageUrls: Opt<string[]> = [];

  @Field(() => [ProductAttributeValue], { description: 'Values of the category attributes (規格參數).' })
  @Property({ type: 'jsonb', default: '[]' })
  attributes: Opt<ProductAttributeValue[]> = [];

  @Enum({ items: () => ProductStatus })
  status: Opt<ProductStatus> = ProductStatus.DRAFT;

  /** Whether the shop offers an approved version (ACTIVE, or PENDING_REVIEW with a pending edit). */
  @Property({ type: 'boolean', default: false })
  listed: Opt<boolean> = false;

  /** `listed` and the shop is ACTIVE: the only products shoppers can see. */
  @Property({ type: 'boolean', default: false })
  visible: Opt<boolean> = false;

  @Field(() => Date, { nullable: true, description: 'When the product first went on sale.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  listedAt?: Date | null;

  /** When the product last entered the review queue; the queue is oldest first. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  submittedAt?: Date | null;

  /** An edit of a product on sale, waiting for review (title, images, category, attributes …). */
  @Property({ type: 'jsonb', nullable: true })
  pendingRevision?: ProductContent | null;

  /** Whether the shop changed the product since staff last rejected it (required to resubmit). */
  @Property({ type: 'boolean', default: false })
  editedSinceDecision: Opt<boolean> = false;

  /** Lowest and highest price of the live variants, in minor units. */
  @Property({ type: new BigIntType('number'), default: 0 })
  minPrice: Opt<number> = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  maxPrice: Opt<number> = 0;

  @Property({ type: 'int', default: 0 })
  salesCount: Opt<number> = 0;

  /**
   * Generated: the TOP_RATED sort key, a damped average ×1000 — (Σ stars + 5 × 4) / (count + 5) — so
   * one five-star review does not outrank hundreds averaging 4.8; 0 without reviews (last).
   */
  @Property({ type: 'int', generated: '(case when "rating_count" = 0 then 0 else round(("rating_sum" + 20) * 1000.0 / ("rating_count" + 5))::int end) stored' })
  ratingRank!: Opt<number>;

  /** The shipping-fee template; null means the shop's default template. */
  @ManyToOne(() => ShippingTemplate, { nullable: true, deleteRule: 'set null' })
  shippingTemplate?: Rel<ShippingTemplate> | null;

  /** Full-text document (title, tags, brand, category names, description) built in SQL by catalog_document(). */
  @Property({ columnType: 'tsvector', type: 'unknown', nullable: true, lazy: true })
  searchVector?: unknown;
}

/** A purchasable variant (SKU) of a product: its own price and stock. */
@ObjectType({ implements: Node, description: 'A purchasable variant (SKU) of a product, e.g. Black / L.' })
@Entity({ tableName: 'product_variant' })
@Index({ name: 'product_variant_product_idx', properties: ['product', 'position', 'id'] })
@Index({ name: 'product_variant_sku_unique', expression: 'create unique index "product_variant_sku_unique" on "product_variant" ("shop_id", "sku") where not "archived"' })
@Check({ name: 'product_variant_stock_check', expression: '"reserved" >= 0 and "on_hand" >= "reserved"' })
@Check({ name: 'product_variant_price_check', expression: '"price" >= 0 and ("compare_at_price" is null or "compare_at_price" >= 0) and "low_stock_threshold" >= 0' })
@Index({ name: 'product_variant_low_stock_idx', expression: 'create index "product_variant_low_stock_idx" on "product_variant" ("shop_id", "id") where "low_stock"' })
@Index({ name: 'product_variant_in_stock_idx', expression: 'create index "product_variant_in_stock_idx" on "product_variant" ("product_id") where "in_stock"' })
export class ProductVariant extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Product, { deleteRule: 'cascade' })
  product!: Rel<Product>;

  @Index({ name: 'product_variant_shop_idx' })
  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Field({ description: 'Stock-keeping unit code, unique within the shop.' })
  @Property({ type: 'text' })
  sku!: string;

  @Field({ description: 'Variant title, e.g. "Black / L".' })
  @Property({ type: 'text' })
  title!: string;

  @Field(() => [VariantOption], { description: 'Option values, e.g. Colour = Black, Size = L.' })
  @Property({ type: 'jsonb', default: '[]' })
  options: Opt<VariantOption[]> = [];

  /** Price in minor units of the deployment currency. */
  @Property({ type: new BigIntType('number') })
  price!: number;

  @Property({ type: new BigIntType('number'), nullable: true })
  compareAtPrice?: number | null;

  /** Units in the warehouse, reserved ones included. Never below `reserved` (a check constraint). */
  @Property({ type: 'int' })
  onHand!: number;

  /** Units held by checkouts awaiting payment. */
  @Property({ type: 'int', default: 0 })
  reserved: Opt<number> = 0;

  /** The warning line (警戒線): at or below this many available units the variant is low on stock. */
  @Property({ type: 'int' })
  lowStockThreshold!: number;

  @Property({ type: 'int', default: 0 })
  position: Opt<number> = 0;

  /** Removed from the product; kept for the stock ledger and orders that name it. */
  @Property({ type: 'boolean', default: false })
  archived: Opt<boolean> = false;

  /**
   * Generated by PostgreSQL: a unit can be bought. The in-stock and low-stock indexes use these
   * flags, not `on_hand` and `reserved`, so a reservation or sale that flips neither is a HOT
   * update (no new index entries): a variant selling hundreds of units a second stays one short
   * chain of row versions instead of bloating every index of the table. Read-only here.
   */
  @Property({ type: 'boolean', fieldName: 'in_stock', generated: '("on_hand" > "reserved" and not "archived") stored' })
  inStockFlag!: Opt<boolean>;

  /** Generated: at or below the warning line (see `inStockFlag`). */
  @Property({ type: 'boolean', fieldName: 'low_stock', generated: '(not "archived" and "on_hand" - "reserved" <= "low_stock_threshold") stored' })
  lowStockFlag!: Opt<boolean>;
}

export enum ProductAction {
  CREATE = 'CREATE',
  SUBMIT = 'SUBMIT',
  REVISE = 'REVISE',
  APPROVE = 'APPROVE',
  REJECT = 'REJECT',
  DELIST = 'DELIST',
  RELIST = 'RELIST',
  BAN = 'BAN',
  REOPEN = 'REOPEN',
}

registerEnumType(ProductAction, {
  name: 'ProductAction',
  description: 'A step in a product’s life cycle.',
  valuesConfig: {
    CREATE: { description: 'The shop created the product as a DRAFT.' },
    SUBMIT: { description: 'The shop submitted it for review.' },
    REVISE: { description: 'The shop edited the listing content of a product on sale; the edit waits for review.' },
    APPROVE: { description: 'Staff approved it (or its pending edit).' },
    REJECT: { description: 'Staff rejected it (or its pending edit), with a reason.' },
    DELIST: { description: 'The shop took it off sale.' },
    RELIST: { description: 'The shop put it back on sale.' },
    BAN: { description: 'Staff banned it, with a reason.' },
    REOPEN: { description: 'The shop edited the listing content of a delisted product; it is a DRAFT again.' },
  },
});

/** One step of a product's life cycle, kept forever so the shop sees every decision and reason. */
@ObjectType({ description: 'A life-cycle step of a product: who decided what, when and why.' })
@Entity({ tableName: 'product_status_change' })
export class ProductStatusChange {
  declare [OptionalProps]?: 'at';

  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'product_status_change_product_idx' })
  @ManyToOne(() => Product, { deleteRule: 'cascade' })
  product!: Rel<Product>;

  @Field(() => ProductAction, { description: 'What happened.' })
  @Enum({ items: () => ProductAction })
  action!: ProductAction;

  @Field(() => ProductStatus, { nullable: true, description: 'Status before (null when created).' })
  @Enum({ items: () => ProductStatus, nullable: true })
  fromStatus?: ProductStatus | null;

  @Field(() => ProductStatus, { description: 'Status after.' })
  @Enum({ items: () => ProductStatus })
  toStatus!: ProductStatus;

  @Field(() => String, { nullable: true, description: 'Why; always given for REJECT and BAN.' })
  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  @Field({ description: 'Whether platform staff took this step (rather than the shop).' })
  @Property({ type: 'boolean' })
  byStaff!: boolean;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  actor?: Rel<User> | null;

  @Field(() => Date, { description: 'When.' })
  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  at: Date = new Date();
}
