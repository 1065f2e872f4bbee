import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Brand, Category, Product, ProductAction, ProductStatus, ProductStatusChange, ProductVariant, Promotion, ShippingTemplate, Shop } from '../../entities';
import * as catalog from '../../services/catalog';
import { money } from '../../services/shared';
import {
  CreateProductInput,
  ProductConnection,
  ProductFilter,
  ProductModerationInput,
  ProductPayload,
  ProductRevision,
  ProductSort,
  ReviewProductInput,
  StockLevel,
  UpdateProductInput,
} from '../../schema/catalog/catalog';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput, type IdFields } from '../../schema/shared/globalId';
import { Money, MoneyRange } from '../../schema/shared/money';
import { connection, ConnectionArgs, toConnection } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class ProductsArgs extends ConnectionArgs {
  @Field(() => ProductFilter, { nullable: true, description: 'Filters; all given must match.' })
  filter?: ProductFilter | null;

  @Field(() => ProductSort, { nullable: true, description: 'Order; RELEVANCE (with a search) or NEWEST by default.' })
  sort?: ProductSort | null;
}

@ArgsType()
class ShopProductsArgs extends ConnectionArgs {
  @Field(() => ProductStatus, { nullable: true, description: 'Only this status (members and staff; the public sees products on sale only).' })
  status?: ProductStatus | null;
}

const wrap = (product: Product) => ({ product });

const CREATE_IDS: IdFields<CreateProductInput> = { shopId: 'Shop', shippingTemplateId: 'ShippingTemplate', categoryId: 'Category', brandId: 'Brand' };
const UPDATE_IDS: IdFields<UpdateProductInput> = { id: 'Product', shippingTemplateId: 'ShippingTemplate', categoryId: 'Category', brandId: 'Brand', variants: { id: 'ProductVariant' } };

@Resolver(() => Product)
export class ProductResolver {
  @Query(() => ProductConnection, { description: 'The catalog: products on sale in ACTIVE shops, searched, filtered and sorted, with facets.' })
  async products(@Args() args: ProductsArgs, @Ctx() ctx: Context) {
    const filter = args.filter && decodeInput(args.filter, { categoryId: 'Category', brandIds: ['Brand'], shopId: 'Shop' });
    const found = await catalog.searchProducts(ctx, { ...args, filter });
    return { ...toConnection(found), facetsOf: found.facetsOf };
  }

  @Query(() => Product, { nullable: true, description: 'One product; null when it does not exist or is not for your eyes (the public sees products on sale only).' })
  product(@Arg('id', () => ID, { description: 'Global ID of the product.' }) id: string, @Ctx() ctx: Context): Promise<Product | null> {
    return catalog.visibleProduct(ctx, decodeId('Product', id));
  }

  @Query(() => ProductConnection, { description: 'The product review queue, oldest submission first (REVIEWER, OPERATIONS).' })
  productsForReview(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(catalog.productsForReview(ctx, args));
  }

  @Mutation(() => ProductPayload, { description: 'Create a DRAFT product with its variants (shop OWNER, MANAGER, OPERATOR).' })
  createProduct(@Arg('input', { description: INPUT_DESCRIPTION }) input: CreateProductInput, @Ctx() ctx: Context): Promise<ProductPayload> {
    return payload(() => catalog.createProduct(ctx, decodeInput(input, CREATE_IDS)), wrap);
  }

  @Mutation(() => ProductPayload, { description: 'Change a product (shop OWNER, MANAGER, OPERATOR); see UpdateProductInput for what needs review.' })
  updateProduct(@Arg('input', { description: INPUT_DESCRIPTION }) input: UpdateProductInput, @Ctx() ctx: Context): Promise<ProductPayload> {
    return payload(() => catalog.updateProduct(ctx, decodeInput(input, UPDATE_IDS)), wrap);
  }

  @Mutation(() => ProductPayload, { description: 'DRAFT or REJECTED → PENDING_REVIEW, when the product meets the listing standard.' })
  submitProductForReview(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<ProductPayload> {
    return payload(() => catalog.submitProduct(ctx, decodeId('Product', input.id)), wrap);
  }

  @Mutation(() => ProductPayload, { description: 'Approve or reject a product in the review queue (REVIEWER, OPERATIONS).' })
  reviewProduct(@Arg('input', { description: INPUT_DESCRIPTION }) input: ReviewProductInput, @Ctx() ctx: Context): Promise<ProductPayload> {
    return payload(() => catalog.reviewProduct(ctx, decodeInput(input, { productId: 'Product' })), wrap);
  }

  @Mutation(() => ProductPayload, { description: 'Take a product off sale: ACTIVE → DELISTED (下架).' })
  delistProduct(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<ProductPayload> {
    return payload(() => catalog.setProductListed(ctx, decodeId('Product', input.id), false), wrap);
  }

  @Mutation(() => ProductPayload, { description: 'Put a delisted product back on sale: DELISTED → ACTIVE (上架).' })
  relistProduct(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<ProductPayload> {
    return payload(() => catalog.setProductListed(ctx, decodeId('Product', input.id), true), wrap);
  }

  @Mutation(() => ProductPayload, { description: 'Ban a product for a violation, from any state (OPERATIONS, RISK). The shop cannot undo it.' })
  banProduct(@Arg('input', { description: INPUT_DESCRIPTION }) input: ProductModerationInput, @Ctx() ctx: Context): Promise<ProductPayload> {
    return payload(() => catalog.banProduct(ctx, decodeInput(input, { productId: 'Product' })), wrap);
  }

  @FieldResolver(() => ProductStatus, { description: 'Life-cycle status. For the public, a product on sale is always ACTIVE (a pending edit is private).' })
  async status(@Root() product: Product, @Ctx() ctx: Context): Promise<ProductStatus> {
    if (product.status === ProductStatus.PENDING_REVIEW && product.listed && !(await catalog.isProductInsider(ctx, product))) return ProductStatus.ACTIVE;
    return product.status;
  }

  @FieldResolver(() => [Promotion], { description: 'The promotions that apply to it now (its shop’s and the platform’s), for badges such as "滿200減20"; the cart and checkout apply them.' })
  promotions(@Root() product: Product, @Ctx() ctx: Context): Promise<Promotion[]> {
    return ctx.loaders.promotionsByProductId.load(product.id);
  }

  @FieldResolver(() => Shop, { description: 'The shop selling it.' })
  async shop(@Root() product: Product, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(product.shop.id))!;
  }

  @FieldResolver(() => Category, { description: 'The category it is listed in.' })
  async category(@Root() product: Product, @Ctx() ctx: Context): Promise<Category> {
    return (await ctx.loaders.categoryById.load(product.category.id))!;
  }

  @FieldResolver(() => [Category], { description: 'The category and its ancestors, root first (a breadcrumb).' })
  async breadcrumb(@Root() product: Product, @Ctx() ctx: Context): Promise<Category[]> {
    const ids = product.categoryPath.split('/').filter(Boolean);
    return (await ctx.loaders.categoryById.loadMany(ids)).filter((c): c is Category => c instanceof Category);
  }

  @FieldResolver(() => Brand, { nullable: true, description: 'Brand, if any.' })
  brand(@Root() product: Product, @Ctx() ctx: Context): Promise<Brand | null> | null {
    return product.brand ? ctx.loaders.brandById.load(product.brand.id) : null;
  }

  @FieldResolver(() => ShippingTemplate, { nullable: true, description: 'The shipping-fee template it names; null means the shop’s default (members and staff).' })
  shippingTemplate(@Root() product: Product, @Ctx() ctx: Context): Promise<ShippingTemplate | null> | null {
    return product.shippingTemplate ? ctx.loaders.shippingTemplateById.load(product.shippingTemplate.id) : null;
  }

  @FieldResolver(() => [ProductVariant], { description: 'Variants (SKUs), in the shop’s order.' })
  variants(@Root() product: Product, @Ctx() ctx: Context): Promise<ProductVariant[]> {
    return ctx.loaders.variantsByProductId.load(product.id);
  }

  @FieldResolver(() => MoneyRange, { description: 'Lowest and highest variant price.' })
  priceRange(@Root() product: Product, @Ctx() ctx: Context): MoneyRange {
    const { currency } = ctx.deps.config;
    return { min: money(product.minPrice, currency), max: money(product.maxPrice, currency) };
  }

  @FieldResolver(() => Int, { description: 'Units sold in completed orders (what BEST_SELLING sorts by).' })
  salesCount(@Root() product: Product): number {
    return product.salesCount;
  }

  @FieldResolver(() => ProductRevision, { nullable: true, description: 'An edit of the product on sale waiting for review (members and staff).' })
  async pendingRevision(@Root() product: Product, @Ctx() ctx: Context): Promise<ProductRevision | null> {
    const r = product.pendingRevision;
    if (!r) return null;
    const [category, brand] = await Promise.all([ctx.loaders.categoryById.load(r.categoryId), r.brandId ? ctx.loaders.brandById.load(r.brandId) : null]);
    return { ...r, category: category!, brand };
  }

  @FieldResolver(() => [ProductStatusChange], { description: 'Every life-cycle step with its reason, oldest first (members and staff).' })
  statusHistory(@Root() product: Product, @Ctx() ctx: Context): Promise<ProductStatusChange[]> {
    return ctx.loaders.statusChangesByProductId.load(product.id);
  }

  @FieldResolver(() => [ProductAction], { description: 'What you may do next: the shop’s steps for members, the review steps for staff.' })
  nextActions(@Root() product: Product, @Ctx() ctx: Context): ProductAction[] {
    return catalog.nextProductActions(product.status, ctx.viewer.isStaff);
  }
}

@Resolver(() => ProductVariant)
export class ProductVariantResolver {
  @FieldResolver(() => Money, { description: 'Price.' })
  price(@Root() variant: ProductVariant, @Ctx() ctx: Context): Money {
    return money(variant.price, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { nullable: true, description: 'Compare-at (original) price, shown struck through.' })
  compareAtPrice(@Root() variant: ProductVariant, @Ctx() ctx: Context): Money | null {
    return variant.compareAtPrice == null ? null : money(variant.compareAtPrice, ctx.deps.config.currency);
  }

  @FieldResolver(() => Boolean, { description: 'Whether at least one unit can be bought now.' })
  inStock(@Root() variant: ProductVariant): boolean {
    return variant.onHand > variant.reserved;
  }

  @FieldResolver(() => StockLevel, { description: 'Stock levels (the shop’s members and staff).' })
  stock(@Root() variant: ProductVariant): StockLevel {
    return { onHand: variant.onHand, reserved: variant.reserved, available: variant.onHand - variant.reserved };
  }

  @FieldResolver(() => Int, { description: 'Low-stock warning line (the shop’s members and staff).' })
  lowStockThreshold(@Root() variant: ProductVariant): number {
    return variant.lowStockThreshold;
  }

  @FieldResolver(() => Product, { description: 'The product this variant belongs to.' })
  async product(@Root() variant: ProductVariant, @Ctx() ctx: Context): Promise<Product> {
    return (await ctx.loaders.productById.load(variant.product.id))!;
  }
}

@Resolver(() => Shop)
export class ShopProductsResolver {
  @FieldResolver(() => ProductConnection, { description: 'The shop’s products, newest first. Members and staff see every state; the public sees products on sale.' })
  products(@Root() shop: Shop, @Args() args: ShopProductsArgs, @Ctx() ctx: Context) {
    return connection(catalog.shopProducts(ctx, shop, args));
  }
}
