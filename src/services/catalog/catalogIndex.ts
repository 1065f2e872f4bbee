import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The derived columns of `product` that make every shopper filter and sort one indexed column:
 * category path, lowest and highest variant price, visibility (listed and the shop is ACTIVE) and
 * the full-text document (title A, tags and brand B, category names C, description D). Recomputed
 * in one statement for whatever set of products a change touches: one product, a brand's, a
 * category subtree's or a shop's.
 */
export type ProductScope =
  | { productIds: string[] }
  | { brandId: string }
  | { categoryPathPrefix: string }
  | { shopId: string };

function scopeSql(scope: ProductScope): { sql: string; params: unknown[] } {
  if ('productIds' in scope) return { sql: 'p.id in (?)', params: [scope.productIds] };
  if ('brandId' in scope) return { sql: 'p.brand_id = ?', params: [scope.brandId] };
  if ('shopId' in scope) return { sql: 'p.shop_id = ?', params: [scope.shopId] };
  return { sql: "p.category_path like ? || '%'", params: [scope.categoryPathPrefix] };
}

export const REFRESH_PRODUCTS_SQL = `
  update product p set
    category_path = c.path,
    min_price = coalesce((select min(v.price) from product_variant v where v.product_id = p.id and not v.archived), 0),
    max_price = coalesce((select max(v.price) from product_variant v where v.product_id = p.id and not v.archived), 0),
    visible = p.listed and (select s.status = 'ACTIVE' from shop s where s.id = p.shop_id),
    search_vector =
      catalog_document(p.title, 'A')
      || catalog_document(concat_ws(' ', array_to_string(p.tags, ' '), (select b.name from brand b where b.id = p.brand_id)), 'B')
      || catalog_document((select string_agg(a.name, ' ') from category a
                           where a.id = any(string_to_array(trim(both '/' from c.path), '/')::bigint[])), 'C')
      || catalog_document(p.description, 'D')
  from category c
  where c.id = p.category_id and `;

export async function refreshProducts(em: EntityManager, scope: ProductScope): Promise<void> {
  const { sql, params } = scopeSql(scope);
  await em.execute(REFRESH_PRODUCTS_SQL + sql, params);
}

/** After a shop's status changes: its listed products appear or disappear for shoppers. */
export async function refreshShopVisibility(em: EntityManager, shopId: string): Promise<void> {
  await em.execute(
    `update product p set visible = p.listed and s.status = 'ACTIVE' from shop s
     where s.id = p.shop_id and p.shop_id = ? and p.visible is distinct from (p.listed and s.status = 'ACTIVE')`,
    [shopId],
  );
}
