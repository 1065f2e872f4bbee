import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { rowShape, selectRows } from '../../db/rows';
import { Category, type Product, type ScopeData } from '../../entities';
import { Failure, type Problems, UserErrorCode } from '../../errors';
import { resolveCategoryIds, visibleProduct } from '../catalog';

/**
 * What a promotion or coupon covers (`ScopeData`): everything, or listed products and categories
 * (a category covers its subcategories). The input is checked here in two steps: its shape, with
 * the other field checks, then its references, inside the creating transaction. A shop's scope
 * lists only that shop's own products; a platform scope any product.
 */

/** The most products and categories one scope lists, together. */
export const MAX_SCOPE_ENTRIES = 200;

/** A scope as an input gives it, with database keys. */
export interface ScopeInput {
  all: boolean;
  productIds?: readonly string[] | null;
  categoryIds?: readonly string[] | null;
}

/**
 * The scope of `input` (at `path`, e.g. ['input', 'scope']): `all: true` lists nothing; `all: false`
 * lists 1 to MAX_SCOPE_ENTRIES products and categories in total. Repeated keys are kept once.
 * Reports INVALID_INPUT on `path` otherwise.
 */
export function parseScope(problems: Problems, input: ScopeInput, path: string[]): ScopeData {
  const productIds = [...new Set(input.productIds ?? [])];
  const categoryIds = [...new Set(input.categoryIds ?? [])];
  const listed = productIds.length + categoryIds.length;
  if (input.all && listed > 0) problems.add(UserErrorCode.INVALID_INPUT, 'A scope of everything lists no products or categories', path);
  if (!input.all && (listed === 0 || listed > MAX_SCOPE_ENTRIES)) {
    problems.add(UserErrorCode.INVALID_INPUT, `A scope lists 1 to ${MAX_SCOPE_ENTRIES} products and categories in total (or is \`all\`)`, path);
  }
  return { all: input.all, productIds, categoryIds };
}

const PRODUCT_KEY = rowShape({ id: 'key' });

/**
 * Checks what `input` (the scope at `path`) names: every product exists and, for a shop's scope
 * (`shopId`), is that shop's (INVALID_INPUT naming the entry: another shop's product does not
 * exist for it); every category exists (CATEGORY_NOT_FOUND).
 */
export async function checkScopeReferences(em: EntityManager, input: ScopeInput, shopId: string | null, path: string[]): Promise<void> {
  const productIds = input.productIds ?? [];
  if (productIds.length > 0) {
    const rows = await selectRows(em, PRODUCT_KEY, `select id from product where id in (?)${shopId ? ' and shop_id = ?' : ''}`, shopId ? [[...productIds], shopId] : [[...productIds]]);
    const found = new Set(rows.map((r) => r.id));
    const missing = productIds.findIndex((id) => !found.has(id));
    if (missing >= 0) {
      const message = shopId ? 'No product of this shop has this ID' : 'No product has this ID';
      throw new Failure(UserErrorCode.INVALID_INPUT, message, [...path, 'productIds', String(missing)]);
    }
  }
  if (input.categoryIds?.length) await resolveCategoryIds(em, input.categoryIds, [...path, 'categoryIds']);
}

/** The scope's products the viewer may see, in the order listed (one batched load). */
export async function scopeProducts(ctx: Context, scope: ScopeData): Promise<Product[]> {
  const products = await Promise.all(scope.productIds.map((id) => visibleProduct(ctx, id)));
  return products.filter((p): p is Product => p !== null);
}

/** The scope's categories, in the order listed (a category deleted since is left out). */
export async function scopeCategories(ctx: Context, scope: ScopeData): Promise<Category[]> {
  const categories = await ctx.loaders.categoryById.loadMany(scope.categoryIds);
  return categories.filter((c): c is Category => c instanceof Category);
}
