import type { EntityManager } from '@mikro-orm/postgresql';
import { columnsOf } from '../../db/rows';
import { Promotion } from '../../entities';
import { LIVE_PROMOTION_SQL } from './rules';

/**
 * The promotions live at `now` that apply to each product (its shop's and the platform's whose
 * scope covers it), for `Product.promotions` badges such as "滿200減20": one statement for a page
 * of products, in the order of `productIds`.
 */
export async function promotionsForProducts(em: EntityManager, productIds: readonly string[], now: Date): Promise<Promotion[][]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `select pr.id as "for_product", ${columnsOf(em, Promotion, 'p')}
     from product pr
     join promotion p on (p.shop_id is null or p.shop_id = pr.shop_id)
     where pr.id in (?) and ${LIVE_PROMOTION_SQL}
       and ((p.scope->>'all')::boolean
            or p.scope->'productIds' @> jsonb_build_array(pr.id::text)
            or exists (select 1 from jsonb_array_elements_text(p.scope->'categoryIds') c where pr.category_path like '%/' || c || '/%'))
     order by p.shop_id nulls last, p.id`,
    [productIds, now, now],
  );
  const byProduct = new Map<string, Promotion[]>(productIds.map((id) => [id, []]));
  for (const row of rows) {
    const productId = String(row.for_product);
    delete row.for_product;
    byProduct.get(productId)?.push(em.map(Promotion, row as never));
  }
  return productIds.map((id) => byProduct.get(id)!);
}
