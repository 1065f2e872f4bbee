import { toGlobalId } from '../src/schema/shared/globalId';
import { DEMO_PASSWORD } from '../src/seeds/demo';
import { gql, gqlOk } from './client';
import type { BenchDatabase } from './database';
import { ADD_TO_CART, ADJUST_STOCK, CREATE_ADDRESS, LOGIN, MY_ADDRESSES, PRODUCTS, REGISTER } from './operations';

export const MERCHANT_EMAIL = 'merchant@demo.test';
export const MERCHANT_SHOP = 'blue-sea-digital';
const SHOPPER_PASSWORD = 'bench-shopper-password-2026';

export interface Shopper {
  email: string;
  userId: string;
  token: string;
  addressId: string;
}

export interface Fixtures {
  /** ~100 products on sale, as global IDs, for the detail scenarios to rotate over. */
  productIds: string[];
  /** The same products' database keys (bench/reviews.ts gives them reviews). */
  productKeys: string[];
  /** The category page: a department with enough products for a third page, and the cursor after page 2. */
  category: { id: string; name: string; products: number; page: number; after: string | null };
  /** Shoppers of the cart scenario, each with a default address and a cart of three lines from three shops. */
  cartShoppers: Shopper[];
  /** Shoppers of the checkout loop, one per connection, each with a default address and an empty cart. */
  checkoutShoppers: Shopper[];
  merchant: { token: string; shopSlug: string };
  /** Search terms of the signed-in search scenario, each matching products of the bench catalog (checked in SQL), with how many. */
  searchTerms: { term: string; products: number }[];
  /** The variant the checkout loop sells out, and one with plenty of stock for warming up. */
  limited: { variantId: string; variantKey: string; sku: string };
  warmup: { variantId: string; variantKey: string };
}

/** `fn` over `items`, at most `limit` at a time; the results in the items' order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

/** Signs a bench shopper in, registering the account the first time; gives it a default address. */
async function shopper(base: string, email: string): Promise<Shopper> {
  const login = await gql<{ login: { accessToken: string | null; user: { id: string } | null } }>(base, LOGIN, { input: { email, password: SHOPPER_PASSWORD } });
  let auth = login.data?.login;
  if (!auth?.accessToken) {
    const reg = await gqlOk<{ register: { accessToken: string; user: { id: string } } }>(base, REGISTER, { input: { email, password: SHOPPER_PASSWORD, displayName: email.split('@')[0] } });
    auth = reg.register;
  }
  const token = auth.accessToken!;
  const { myAddresses } = await gqlOk<{ myAddresses: { id: string; isDefault: boolean }[] }>(base, MY_ADDRESSES, {}, token);
  let addressId = myAddresses.find((a) => a.isDefault)?.id ?? myAddresses[0]?.id;
  if (!addressId) {
    const created = await gqlOk<{ createAddress: { address: { id: string } } }>(
      base,
      CREATE_ADDRESS,
      { input: { recipientName: '王小明', phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: '文三路 100 號', isDefault: true } },
      token,
    );
    addressId = created.createAddress.address.id;
  }
  const parsed = Buffer.from(auth.user!.id, 'base64url').toString('utf8').split(':')[1];
  return { email, userId: parsed, token, addressId };
}

/**
 * Signs in (registering the first time) one shopper per email, each with a default address,
 * `concurrency` at a time, and empties their carts: checkout shoppers as the fixtures make them.
 */
export async function prepareShoppers(base: string, db: BenchDatabase, emails: string[], concurrency = 4): Promise<Shopper[]> {
  const shoppers = await mapLimit(emails, concurrency, (email) => shopper(base, email));
  if (shoppers.length) await db.sql('delete from cart_line where user_id in (?)', [shoppers.map((s) => s.userId)]);
  return shoppers;
}

/** Makes a variant's available stock exactly `units`, through the merchant's adjustStock (a CORRECTION in the ledger). */
export async function setAvailable(base: string, db: BenchDatabase, merchantToken: string, variantKey: string, units: number): Promise<void> {
  const [row] = await db.sql<{ available: number }>('select on_hand - reserved as available from product_variant where id = ?', [variantKey]);
  const delta = units - row.available;
  if (delta === 0) return;
  await gqlOk(base, ADJUST_STOCK, { input: { variantId: toGlobalId('ProductVariant', variantKey), delta, reason: 'CORRECTION', note: 'benchmark stock' } }, merchantToken);
}

/** The endCursor after `pages` pages of 20 of the category's products by PRICE_ASC. */
async function cursorAfter(base: string, categoryId: string, pages: number): Promise<{ after: string | null; page: number }> {
  let after: string | null = null;
  for (let page = 1; page <= pages; page++) {
    const res: { products: { pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await gqlOk(base, PRODUCTS, { first: 20, after, filter: { categoryId }, sort: 'PRICE_ASC' });
    if (!res.products.pageInfo.hasNextPage) return { after, page };
    after = res.products.pageInfo.endCursor;
  }
  return { after, page: pages + 1 };
}

export async function prepareFixtures(
  base: string,
  db: BenchDatabase,
  opts: { connections: number; stock: number; terms?: string[] },
  log: (m: string) => void,
): Promise<Fixtures> {
  const started = performance.now();
  const productKeys = (await db.sql<{ id: string }>('select id from product where visible order by hashint8extended(id, 7), id limit 100')).map((r) => String(r.id));
  const productIds = productKeys.map((id) => toGlobalId('Product', id));

  // A department (depth 1 when one has three pages of products, else a root) by how many products it holds.
  const [category] = await db.sql<{ id: string; name: string; n: number }>(
    `select c.id, c.name, count(p.id)::int as n
     from category c join product p on p.visible and p.category_path like c.path || '%'
     where c.depth <= 1 group by c.id, c.name, c.depth
     order by count(p.id) >= 60 desc, c.depth desc, count(p.id) desc, c.id limit 1`,
  );
  const categoryId = toGlobalId('Category', category.id);
  const cursor = await cursorAfter(base, categoryId, 2);

  const merchantLogin = await gqlOk<{ login: { accessToken: string } }>(base, LOGIN, { input: { email: MERCHANT_EMAIL, password: DEMO_PASSWORD } });
  const merchant = { token: merchantLogin.login.accessToken, shopSlug: MERCHANT_SHOP };

  const variants = await db.sql<{ id: string; sku: string }>(
    `select v.id, v.sku from product_variant v join product p on p.id = v.product_id join shop s on s.id = p.shop_id
     where s.slug = ? and p.visible and not v.archived order by v.id limit 2`,
    [MERCHANT_SHOP],
  );
  if (variants.length < 2) throw new Error(`${MERCHANT_SHOP} has fewer than two variants on sale: is the demo catalog seeded?`);
  const [limitedRow, warmupRow] = variants;

  const cartEmails = Array.from({ length: Math.min(opts.connections, 16) }, (_, i) => `bench-cart-${i + 1}@bench.test`);
  const checkoutEmails = Array.from({ length: opts.connections }, (_, i) => `bench-shopper-${i + 1}@bench.test`);
  const all = await mapLimit([...cartEmails, ...checkoutEmails], 4, (email) => shopper(base, email));
  const cartShoppers = all.slice(0, cartEmails.length);
  const checkoutShoppers = all.slice(cartEmails.length);
  // Carts start as the scenario describes them, whatever an earlier run left behind.
  await db.sql('delete from cart_line where user_id in (?)', [all.map((s) => s.userId)]);

  // Cart lines: three variants in stock from three different shops.
  const lines = await db.sql<{ id: string }>(
    `select distinct on (p.shop_id) v.id from product_variant v join product p on p.id = v.product_id
     where p.visible and not v.archived and v.on_hand - v.reserved >= 20 and p.shop_id <> (select id from shop where slug = ?)
     order by p.shop_id, v.id limit 3`,
    [MERCHANT_SHOP],
  );
  await mapLimit(cartShoppers, 4, async (s) => {
    for (const [i, line] of lines.entries()) {
      await gqlOk(base, ADD_TO_CART, { input: { variantId: toGlobalId('ProductVariant', line.id), quantity: 1 + (i % 2) } }, s.token);
    }
  });

  await setAvailable(base, db, merchant.token, limitedRow.id, opts.stock);
  await setAvailable(base, db, merchant.token, warmupRow.id, 100_000);

  // Search terms that hit: the catalog search's own match (catalog_query over search_vector), counted.
  const searchTerms: Fixtures['searchTerms'] = [];
  for (const term of [...new Set(opts.terms ?? [])]) {
    const [{ n }] = await db.sql<{ n: number }>('select count(*)::int as n from product where visible and search_vector @@ catalog_query(?)', [term]);
    if (n > 0) searchTerms.push({ term, products: n });
  }
  const missed = (opts.terms ?? []).filter((t) => !searchTerms.some((s) => s.term === t));
  if (missed.length) log(`search terms without a match in the bench catalog, left out: ${missed.join(', ')}`);

  log(`fixtures ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${all.length} shoppers, ${productIds.length} detail products, category "${category.name}" (${category.n} products), limited stock ${opts.stock} × ${limitedRow.sku}${searchTerms.length ? `, search terms ${searchTerms.map((t) => `${t.term} (${t.products})`).join(', ')}` : ''}`);
  return {
    productIds,
    productKeys,
    category: { id: categoryId, name: category.name, products: category.n, page: cursor.page, after: cursor.after },
    cartShoppers,
    checkoutShoppers,
    merchant,
    searchTerms,
    limited: { variantId: toGlobalId('ProductVariant', limitedRow.id), variantKey: limitedRow.id, sku: limitedRow.sku },
    warmup: { variantId: toGlobalId('ProductVariant', warmupRow.id), variantKey: warmupRow.id },
  };
}
