import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { lockById, lockWhere } from '../../db/rows';
import {
  Brand,
  Category,
  type CategoryAttribute,
  Product,
  ProductAction,
  type ProductContent,
  ProductStatus as P,
  ProductStatusChange,
  ProductVariant,
  Shop,
  ShippingTemplate,
  StockMovementReason,
} from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { refreshProducts } from './catalogIndex';
import { checkListingContent, checkListingVariants, type ContentInput, parseContent, type ParsedVariant, parseVariants, type VariantInputShape } from './listing';
import { PRODUCT_TRANSITIONS } from './productLifecycle';
import { lockSellingMembership } from '../onboarding';
import { assertShopUnrestricted } from '../risk';
import { guardUnique, transition, CATALOG_ROLES } from '../shared';
import { applyMoves, type StockMove } from '../inventory';


/** Product inputs carry database keys (shop, template, category, brand, variants), decoded by the GraphQL layer. */
export interface CreateProductInput extends ContentInput {
  shopId: string;
  shippingTemplateId?: string | null;
  title: string;
  categoryId: string;
  brandId?: string | null;
  variants: VariantInputShape[];
}

export interface UpdateProductInput extends ContentInput {
  id: string;
  shippingTemplateId?: string | null;
  categoryId?: string | null;
  brandId?: string | null;
  variants?: VariantInputShape[] | null;
}

const skuTaken = (message: string) =>
  message.includes('product_variant_sku_unique') ? new Failure(UserErrorCode.SKU_TAKEN, 'Another variant of the shop uses this SKU', ['input', 'variants']) : undefined;

/** Appends a life-cycle step to the product's history. */
export function recordStep(ctx: Context, em: EntityManager, product: Product, action: ProductAction, from: P | null, reason: string | null = null): void {
  em.persist(
    em.create(ProductStatusChange, {
      product,
      action,
      fromStatus: from,
      toStatus: product.status,
      reason,
      byStaff: [ProductAction.APPROVE, ProductAction.REJECT, ProductAction.BAN].includes(action),
      actor: ctx.viewer.userId ? em.getReference('User', ctx.viewer.userId) : null,
    } as never),
  );
}

/**
 * Locks the product for update and re-reads the caller's shop role under a share lock on the
 * membership (the shield rule ran before the transaction; a removal may have committed since).
 * Products of suspended or closed shops cannot change.
 */
export async function lockProductAsMember(ctx: Context, em: EntityManager, productId: string): Promise<Product> {
  const product = await lockById(em, Product, productId);
  if (!product) throw new NotFoundError('No such product');
  await lockSellingMembership(ctx, em, product.shop.id, CATALOG_ROLES, 'No such product');
  return product;
}

async function findCategory(em: EntityManager, id: string): Promise<Category> {
  const category = await em.findOne(Category, { id });
  if (!category) throw new Failure(UserErrorCode.CATEGORY_NOT_FOUND, 'No such category', ['input', 'categoryId']);
  return category;
}

/** A shipping template of the product's shop (a product never uses another shop's template). */
async function findTemplate(em: EntityManager, id: string, shopKey: string): Promise<ShippingTemplate> {
  const template = await em.findOne(ShippingTemplate, { id, shop: shopKey });
  if (!template) throw new Failure(UserErrorCode.INVALID_INPUT, 'No such shipping template in this shop', ['input', 'shippingTemplateId']);
  return template;
}

async function findBrand(em: EntityManager, id: string): Promise<Brand> {
  const brand = await em.findOne(Brand, { id });
  if (!brand) throw new Failure(UserErrorCode.BRAND_NOT_FOUND, 'No such brand', ['input', 'brandId']);
  return brand;
}

/** The attribute template a product of `category` follows: its ancestors' attributes, then its own (same name overrides). */
export async function effectiveTemplate(em: EntityManager, categoryKey: string): Promise<CategoryAttribute[]> {
  const category = await em.findOne(Category, { id: categoryKey });
  if (!category) return [];
  const ids = category.path.split('/').filter(Boolean);
  const chain = await em.find(Category, { id: { $in: ids } });
  const byName = new Map<string, CategoryAttribute>();
  for (const c of chain.sort((a, b) => a.depth - b.depth)) for (const a of c.attributes) byName.set(a.name.toLowerCase(), a);
  return [...byName.values()];
}

/**
 * Reports SKUs a live variant of another product of the shop already uses. Within one product the
 * input list was checked already; the unique index still guards races and swaps.
 */
async function checkSkusFree(em: EntityManager, shopId: string, variants: ParsedVariant[], problems: Problems, productId = '0'): Promise<void> {
  const rows = await em.execute<{ sku: string }[]>(
    'select sku from product_variant where shop_id = ? and sku in (?) and not archived and product_id <> ?',
    [shopId, variants.map((v) => v.sku), productId],
  );
  const taken = new Set(rows.map((r) => r.sku));
  variants.forEach((v, i) => {
    if (taken.has(v.sku)) problems.add(UserErrorCode.SKU_TAKEN, `SKU ${v.sku} is used by another product of the shop`, ['input', 'variants', String(i), 'sku']);
  });
}

/** Changes the on-hand stock of stored variants through the inventory's one writer, recorded as `reason` at the business time. */
async function moveStock(ctx: Context, em: EntityManager, reason: StockMovementReason, moves: StockMove[]): Promise<void> {
  // A count below the reserved units was refused under the variants' locks; new variants reserve none.
  const { short } = await applyMoves(em, moves, { reason, actorId: ctx.viewer.userId, guard: 'available', at: ctx.now() });
  if (short.length > 0) throw new Error(`Stock of variants ${short.join(', ')} refused`);
}

/** A new variant of `product`, stored with no stock: its starting stock is an INITIAL move (`initial`) once it is stored. */
function addVariant(ctx: Context, em: EntityManager, product: Product, v: ParsedVariant, position: number, initial: { variant: ProductVariant; units: number }[]): void {
  const variant = em.create(ProductVariant, {
    product,
    shop: product.shop,
    sku: v.sku,
    title: v.title,
    options: v.options,
    price: v.price,
    compareAtPrice: v.compareAtPrice,
    onHand: 0,
    lowStockThreshold: v.lowStockThreshold ?? ctx.deps.config.defaultLowStockThreshold,
    position,
  });
  if (v.stockOnHand) initial.push({ variant, units: v.stockOnHand });
}

/** Stores the new variants and moves in their starting stock. */
async function stockNewVariants(ctx: Context, em: EntityManager, initial: { variant: ProductVariant; units: number }[]): Promise<void> {
  await em.flush();
  await moveStock(ctx, em, StockMovementReason.INITIAL, initial.map(({ variant, units }) => ({ variantId: variant.id, dOnHand: units, dReserved: 0 })));
}

/** Flushes, recomputes the derived catalog columns in SQL and re-reads them into the entity. */
export async function refreshed(em: EntityManager, product: Product): Promise<Product> {
  await em.flush();
  await refreshProducts(em, { productIds: [product.id] });
  await em.refresh(product);
  return product;
}

export function createProduct(ctx: Context, input: CreateProductInput): Promise<Product> {
  return guardUnique(() => createProductTx(ctx, input), skuTaken);
}

async function createProductTx(ctx: Context, input: CreateProductInput): Promise<Product> {
  const problems = new Problems();
  const content = parseContent(problems, { ...input, description: input.description ?? '' });
  const variants = parseVariants(problems, input.variants, ctx.deps.config.currency);
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const shopKey = input.shopId;
    await lockSellingMembership(ctx, em, shopKey, CATALOG_ROLES, 'No such shop');
    await assertShopUnrestricted(em, shopKey, ['input', 'shopId']);
    const category = await findCategory(em, input.categoryId);
    const brand = input.brandId ? await findBrand(em, input.brandId) : null;
    const shippingTemplate = input.shippingTemplateId ? await findTemplate(em, input.shippingTemplateId, shopKey) : null;
    await checkSkusFree(em, shopKey, variants, problems);
    problems.throwIfAny();

    const shop = em.getReference(Shop, shopKey);
    const product = em.create(Product, {
      shop,
      category,
      categoryPath: category.path,
      brand,
      title: content.title!,
      description: content.description ?? '',
      tags: content.tags ?? [],
      imageUrls: content.imageUrls ?? [],
      attributes: content.attributes ?? [],
      status: P.DRAFT,
      shippingTemplate,
    });
    const initial: { variant: ProductVariant; units: number }[] = [];
    variants.forEach((v, position) => addVariant(ctx, em, product, v, position, initial));
    recordStep(ctx, em, product, ProductAction.CREATE, null);
    await stockNewVariants(ctx, em, initial);
    return refreshed(em, product);
  });
}

function contentOf(product: Product): ProductContent {
  return (
    product.pendingRevision ?? {
      title: product.title,
      description: product.description,
      categoryId: product.category.id,
      brandId: product.brand?.id ?? null,
      tags: product.tags,
      imageUrls: product.imageUrls,
      attributes: product.attributes,
    }
  );
}

function applyContent(em: EntityManager, product: Product, content: ProductContent): void {
  product.title = content.title;
  product.description = content.description;
  product.category = em.getReference(Category, content.categoryId);
  product.brand = content.brandId ? em.getReference(Brand, content.brandId) : null;
  product.tags = content.tags;
  product.imageUrls = content.imageUrls;
  product.attributes = content.attributes;
}

/** Whether the shop offers an approved version of the product (so its variants must meet the standard at all times). */
function hasApprovedVersion(product: Product): boolean {
  return product.listed || product.status === P.DELISTED || product.status === P.PENDING_REVIEW;
}

export function updateProduct(ctx: Context, input: UpdateProductInput): Promise<Product> {
  return guardUnique(() => updateProductTx(ctx, input), skuTaken);
}

async function updateProductTx(ctx: Context, input: UpdateProductInput): Promise<Product> {
  const problems = new Problems();
  const parsed = parseContent(problems, input);
  const variants = input.variants ? parseVariants(problems, input.variants, ctx.deps.config.currency) : null;
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const product = await lockProductAsMember(ctx, em, input.id);
    if (product.status === P.BANNED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'A banned product cannot be changed');
    const base = contentOf(product);
    const next: ProductContent = {
      ...base,
      ...parsed,
      categoryId: input.categoryId ? (await findCategory(em, input.categoryId)).id : base.categoryId,
      brandId: input.brandId === undefined ? base.brandId : input.brandId === null ? null : (await findBrand(em, input.brandId)).id,
    };
    const contentChanged = JSON.stringify(next) !== JSON.stringify(base);
    const strict = hasApprovedVersion(product);
    if (contentChanged && strict) checkListingContent(problems, next, await effectiveTemplate(em, next.categoryId), ['input']);
    if (variants) {
      // Drafts may break the listing standard until they are submitted; approved products may not.
      if (strict) checkListingVariants(problems, variants, ['input']);
      await checkSkusFree(em, product.shop.id, variants, problems, product.id);
    }
    problems.throwIfAny();
    if (variants) await applyVariants(ctx, em, product, variants);
    // Which template ships the product is not listing content: it applies at once.
    if (input.shippingTemplateId !== undefined) {
      product.shippingTemplate = input.shippingTemplateId === null ? null : await findTemplate(em, input.shippingTemplateId, product.shop.id);
    }

    const before = product.status;
    if (contentChanged) {
      if (product.status === P.ACTIVE || (product.status === P.PENDING_REVIEW && product.listed)) {
        // The approved version stays on sale while the edit waits for review.
        product.pendingRevision = next;
        if (product.status === P.ACTIVE) product.submittedAt = ctx.now();
        product.status = transition(PRODUCT_TRANSITIONS, 'revise', product.status, 'product');
        recordStep(ctx, em, product, ProductAction.REVISE, before);
      } else {
        applyContent(em, product, next);
        if (product.status === P.DELISTED) {
          product.status = transition(PRODUCT_TRANSITIONS, 'reopen', product.status, 'product');
          recordStep(ctx, em, product, ProductAction.REOPEN, before);
        }
      }
    }
    if ((contentChanged || variants) && product.status === P.REJECTED) product.editedSinceDecision = true;
    return refreshed(em, product);
  });
}

/**
 * Makes the product's variants match `wanted`: listed ids change, entries without id are added,
 * live variants not listed are archived. Stock set through here is recorded as a CORRECTION.
 */
async function applyVariants(ctx: Context, em: EntityManager, product: Product, wanted: ParsedVariant[]): Promise<void> {
  const current = await lockWhere(em, ProductVariant, 'e.product_id = ? and not e.archived', [product.id], { orderBy: 'e.id' });
  const byKey = new Map(current.map((v) => [v.id, v]));
  const problems = new Problems();
  const kept = new Set<string>();
  const changes: (() => void)[] = [];
  const corrections: StockMove[] = [];
  const initial: { variant: ProductVariant; units: number }[] = [];
  wanted.forEach((w, position) => {
    const path = ['input', 'variants', String(position)];
    const key = w.id ?? null;
    const variant = key ? byKey.get(key) : undefined;
    if (key && !variant) {
      problems.add(UserErrorCode.INVALID_INPUT, 'No such variant on this product', [...path, 'id']);
      return;
    }
    if (variant) {
      kept.add(variant.id);
      if (w.stockOnHand != null && w.stockOnHand < variant.reserved) {
        problems.add(UserErrorCode.STOCK_RESERVED, `${variant.reserved} units are reserved by checkouts`, [...path, 'stockOnHand']);
      }
      changes.push(() => {
        Object.assign(variant, { sku: w.sku, title: w.title, options: w.options, price: w.price, compareAtPrice: w.compareAtPrice, position });
        if (w.lowStockThreshold != null) variant.lowStockThreshold = w.lowStockThreshold;
        if (w.stockOnHand != null && w.stockOnHand !== variant.onHand) {
          corrections.push({ variantId: variant.id, dOnHand: w.stockOnHand - variant.onHand, dReserved: 0 });
        }
      });
    } else {
      changes.push(() => addVariant(ctx, em, product, w, position, initial));
    }
  });
  for (const v of current) {
    if (!kept.has(v.id) && v.reserved > 0) problems.add(UserErrorCode.STOCK_RESERVED, `Variant ${v.sku} holds ${v.reserved} reserved units`, ['input', 'variants']);
  }
  problems.throwIfAny();
  // Archive first, so a SKU moved from a removed variant to a new one does not collide.
  for (const v of current) if (!kept.has(v.id)) v.archived = true;
  await em.flush();
  for (const change of changes) change();
  await em.flush();
  await moveStock(ctx, em, StockMovementReason.CORRECTION, corrections);
  await stockNewVariants(ctx, em, initial);
}
