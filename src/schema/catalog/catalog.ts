import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Brand, Category, Product, ProductAttributeValue } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';
import { Multiline } from '../shared/textRule';

// ---------- brands ----------

@InputType({ description: 'A new brand (OPERATIONS staff).' })
export class BrandInput {
  @Field({ description: 'Display name, 1–60 characters, unique (case-insensitive).' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'URL handle; derived from the name when omitted.' })
  slug?: string | null;

  @Field(() => String, { nullable: true, description: 'Logo image URL (http or https).' })
  logoUrl?: string | null;
}

@InputType({ description: 'Changes to a brand (OPERATIONS staff). A rename updates the search index of its products.' })
export class UpdateBrandInput {
  @Field(() => ID, { description: 'The brand.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New URL handle.' })
  slug?: string | null;

  @Field(() => String, { nullable: true, description: 'New logo URL.' })
  logoUrl?: string | null;
}

@ObjectType({ description: 'Result of a brand mutation.' })
export class BrandPayload {
  @Field(() => Brand, { nullable: true, description: 'The brand; null when `errors` is not empty.' })
  brand?: Brand | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

export const { ConnectionType: BrandConnection } = connectionTypes(Brand);

// ---------- products: inputs ----------

@InputType({ description: 'One option of a variant, e.g. Colour = Black.' })
export class VariantOptionInput {
  @Field({ description: 'Option name, 1–40 characters.' })
  name!: string;

  @Field({ description: 'Option value, 1–40 characters.' })
  value!: string;
}

@InputType({ description: 'A value of one category attribute.' })
export class ProductAttributeInput {
  @Field({ description: 'Attribute name, as in the category template.' })
  name!: string;

  @Field({ description: 'The value: free text, a decimal number, or one of the allowed values.' })
  value!: string;
}

@InputType({ description: 'A variant (SKU) of a new product.' })
export class ProductVariantInput {
  @Field({ description: 'SKU code: 1–64 letters, digits, ".", "-" or "_", unique within the shop.' })
  sku!: string;

  @Field({ description: 'Variant title, e.g. "Black / L" (1–80 characters).' })
  title!: string;

  @Field(() => [VariantOptionInput], { defaultValue: [], description: 'Option values; no two variants of a product may have the same ones.' })
  options!: VariantOptionInput[];

  @Field(() => DecimalScalar, { description: 'Price, e.g. "199.00"; more than zero to be listed.' })
  price!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Compare-at (original) price, at least `price`.' })
  compareAtPrice?: string | null;

  @Field(() => Int, { description: 'Units on hand, 0–1,000,000.' })
  stockOnHand!: number;

  @Field(() => Int, { nullable: true, description: 'Low-stock warning line (警戒線); the platform default when omitted.' })
  lowStockThreshold?: number | null;
}

@InputType({ description: 'A new product of a shop, created as a DRAFT.' })
export class CreateProductInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field({ description: 'Title, at most 120 characters (5 to be listed).' })
  title!: string;

  @Multiline()
  @Field({ defaultValue: '', description: 'Description (at least 20 characters to be listed).' })
  description!: string;

  @Field(() => ID, { description: 'Category.' })
  categoryId!: string;

  @Field(() => ID, { nullable: true, description: 'Brand.' })
  brandId?: string | null;

  @Field(() => [String], { defaultValue: [], description: 'Keywords and tags, at most 20 of 1–30 characters.' })
  tags!: string[];

  @Field(() => [String], { defaultValue: [], description: 'Image URLs (http or https), main image first, at most 20.' })
  imageUrls!: string[];

  @Field(() => [ProductAttributeInput], { defaultValue: [], description: 'Values of the category attributes.' })
  attributes!: ProductAttributeInput[];

  @Field(() => ID, { nullable: true, description: 'Shipping-fee template of the shop; the shop’s default template when omitted.' })
  shippingTemplateId?: string | null;

  @Field(() => [ProductVariantInput], { description: 'Variants, 1 to 100.' })
  variants!: ProductVariantInput[];
}

@InputType({ description: 'A variant in `updateProduct`: with `id` it changes that variant, without it adds one.' })
export class ProductVariantUpdateInput {
  @Field(() => ID, { nullable: true, description: 'The variant to change; omit to add a variant.' })
  id?: string | null;

  @Field({ description: 'SKU code, unique within the shop.' })
  sku!: string;

  @Field({ description: 'Variant title.' })
  title!: string;

  @Field(() => [VariantOptionInput], { defaultValue: [], description: 'Option values.' })
  options!: VariantOptionInput[];

  @Field(() => DecimalScalar, { description: 'Price; applies at once, also on a product on sale.' })
  price!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Compare-at price.' })
  compareAtPrice?: string | null;

  @Field(() => Int, { nullable: true, description: 'Units on hand. Omit to leave stock alone; a change is recorded as a CORRECTION in the stock ledger.' })
  stockOnHand?: number | null;

  @Field(() => Int, { nullable: true, description: 'Low-stock warning line.' })
  lowStockThreshold?: number | null;
}

@InputType({
  description:
    'Changes to a product; omitted fields stay as they are. On a product on sale, changes to the listing content (title, description, category, brand, tags, images, attributes) wait for review while the approved version stays on sale; variant changes apply at once.',
})
export class UpdateProductInput {
  @Field(() => ID, { description: 'The product.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Title.' })
  title?: string | null;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'Description.' })
  description?: string | null;

  @Field(() => ID, { nullable: true, description: 'Category.' })
  categoryId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Brand; an explicit null removes the brand.' })
  brandId?: string | null;

  @Field(() => [String], { nullable: true, description: 'Tags (replaces the list).' })
  tags?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Image URLs (replaces the list).' })
  imageUrls?: string[] | null;

  @Field(() => [ProductAttributeInput], { nullable: true, description: 'Attribute values (replaces the list).' })
  attributes?: ProductAttributeInput[] | null;

  @Field(() => ID, { nullable: true, description: 'Shipping-fee template of the shop; an explicit null means the shop’s default. Applies at once, without review.' })
  shippingTemplateId?: string | null;

  @Field(() => [ProductVariantUpdateInput], {
    nullable: true,
    description: 'The complete list of variants: listed ones are changed or added, variants not listed are removed (refused while they hold reserved stock).',
  })
  variants?: ProductVariantUpdateInput[] | null;
}

export enum ProductReviewDecision {
  APPROVE = 'APPROVE',
  REJECT = 'REJECT',
}

registerEnumType(ProductReviewDecision, {
  name: 'ProductReviewDecision',
  description: "A reviewer's decision on a product in the review queue.",
  valuesConfig: {
    APPROVE: { description: 'Approve: the product (or its pending edit) goes on sale.' },
    REJECT: { description: 'Reject (a reason is required): a new product becomes REJECTED; a pending edit of a product on sale is dropped and the approved version stays on sale.' },
  },
});

@InputType({ description: 'A review decision (REVIEWER or OPERATIONS staff).' })
export class ReviewProductInput {
  @Field(() => ID, { description: 'The product.' })
  productId!: string;

  @Field(() => ProductReviewDecision, { description: 'The decision.' })
  decision!: ProductReviewDecision;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'Why, at most 1000 characters; required to reject (at least 3). The shop sees it.' })
  reason?: string | null;
}

@InputType({ description: 'A staff moderation action on a product (OPERATIONS or RISK staff).' })
export class ProductModerationInput {
  @Field(() => ID, { description: 'The product.' })
  productId!: string;

  @Multiline()
  @Field({ description: 'Why (required, 3 to 1000 characters); the shop sees it.' })
  reason!: string;
}

@ObjectType({ description: 'Result of a product mutation.' })
export class ProductPayload {
  @Field(() => Product, { nullable: true, description: 'The product; null when `errors` is not empty.' })
  product?: Product | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

// ---------- products: outputs ----------

@ObjectType({ description: 'Stock of a variant (for the shop’s members and staff).' })
export class StockLevel {
  @Field(() => Int, { description: 'Units in the warehouse, reserved ones included.' })
  onHand!: number;

  @Field(() => Int, { description: 'Units held by checkouts awaiting payment.' })
  reserved!: number;

  @Field(() => Int, { description: 'Units that can still be bought: onHand − reserved.' })
  available!: number;
}

@ObjectType({ description: 'An edit of a product on sale, waiting for review. The product’s own fields show the approved version.' })
export class ProductRevision {
  @Field({ description: 'Proposed title.' })
  title!: string;

  @Field({ description: 'Proposed description.' })
  description!: string;

  @Field(() => Category, { description: 'Proposed category.' })
  category!: Category;

  @Field(() => Brand, { nullable: true, description: 'Proposed brand.' })
  brand?: Brand | null;

  @Field(() => [String], { description: 'Proposed tags.' })
  tags!: string[];

  @Field(() => [String], { description: 'Proposed image URLs.' })
  imageUrls!: string[];

  @Field(() => [ProductAttributeValue], { description: 'Proposed attribute values.' })
  attributes!: ProductAttributeValue[];
}

export enum ProductSort {
  RELEVANCE = 'RELEVANCE',
  NEWEST = 'NEWEST',
  PRICE_ASC = 'PRICE_ASC',
  PRICE_DESC = 'PRICE_DESC',
  BEST_SELLING = 'BEST_SELLING',
  TOP_RATED = 'TOP_RATED',
}

registerEnumType(ProductSort, {
  name: 'ProductSort',
  description: 'Order of a product list.',
  valuesConfig: {
    RELEVANCE: { description: 'Best match for `filter.search` first (title matches rank above tags, brand, category, then description); NEWEST without a search.' },
    NEWEST: { description: 'Most recently listed first.' },
    PRICE_ASC: { description: 'Lowest price first (a product’s price is its cheapest variant).' },
    PRICE_DESC: { description: 'Highest price first (a product’s price is its cheapest variant).' },
    BEST_SELLING: { description: 'Most units sold in completed orders first.' },
    TOP_RATED: { description: 'Best rated first, by a damped average of the published reviews — (Σ stars + 5 × 4) / (count + 5) — so one five-star review does not outrank hundreds averaging 4.8; products without reviews last.' },
  },
});

@InputType({ description: 'Filters of the product catalog; all given filters must match.' })
export class ProductFilter {
  @Field(() => String, {
    nullable: true,
    description:
      'Full-text search over title, tags, brand, category and description. English words are case-insensitive, stemmed and match as prefixes; Chinese (CJK) text matches any substring of two or more characters.',
  })
  search?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only this category and its descendants.' })
  categoryId?: string | null;

  @Field(() => [ID], { nullable: true, description: 'Only these brands (any of them).' })
  brandIds?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'Only this shop.' })
  shopId?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Lowest price (of the cheapest variant), inclusive.' })
  priceMin?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Highest price (of the cheapest variant), inclusive.' })
  priceMax?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only products with a variant that can be bought now.' })
  inStock?: boolean | null;

  @Field(() => [String], { nullable: true, description: 'Only products with any of these tags.' })
  tags?: string[] | null;
}

@ObjectType({ description: 'How many products of the current filter are in one category.' })
export class CategoryFacet {
  @Field(() => Category, { description: 'The category (the one products are listed in).' })
  category!: Category;

  @Field(() => Int, { description: 'Matching products.' })
  count!: number;
}

@ObjectType({ description: 'How many products of the current filter have one brand.' })
export class BrandFacet {
  @Field(() => Brand, { description: 'The brand.' })
  brand!: Brand;

  @Field(() => Int, { description: 'Matching products.' })
  count!: number;
}

@ObjectType({
  description:
    'Counts for refining a product list. Each facet counts the products matching every filter except its own (so a client can offer the other brands while some are selected); most products first.',
})
export class ProductFacets {
  @Field(() => [CategoryFacet], { description: 'Per category.' })
  categories!: CategoryFacet[];

  @Field(() => [BrandFacet], { description: 'Per brand (products without a brand are not counted).' })
  brands!: BrandFacet[];
}

const { ConnectionType: ProductConnectionBase } = connectionTypes(Product, 'Product', true);

@ObjectType('ProductConnection', { description: 'A page of products (Relay connection), with facets of the whole result.' })
export class ProductConnection extends ProductConnectionBase {
  facetsOf?: () => Promise<ProductFacets>;

  @Field(() => ProductFacets, { description: 'Counts per category and brand for the current filter (computed only when asked).' })
  facets(): Promise<ProductFacets> {
    return this.facetsOf ? this.facetsOf() : Promise.resolve({ categories: [], brands: [] });
  }
}

