import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../src/entities';
import { toGlobalId } from '../src/schema/globalId';
import { type TestApp, createTestApp } from './helpers/app';
import { listedProduct, productInput, type Seller, seller, staff } from './helpers/catalog';
import { createCategory } from './helpers/factories';

const LIST = `query($first: Int) { products(first: $first) { nodes { id title } } }`;
let t: TestApp;
let shop: Seller;
let productId: string;

beforeAll(async () => {
  t = await createTestApp({ CATALOG_CACHE_ENTRIES: '100' });
  shop = await seller(t);
  const reviewer = await staff(t, StaffRole.REVIEWER);
  const categoryId = toGlobalId('Category', (await createCategory(t)).id);
  productId = await listedProduct(t, shop, reviewer.token, productInput(shop.shopId, categoryId, { title: 'Cached Kettle 1.7L' }));
});
afterAll(() => t.close());

/** Retries `read` until `done` holds (the change notification arrives within milliseconds). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  return read();
}

describe('anonymous catalog cache', () => {
  it('answers a repeated anonymous catalog query from the cache', async () => {
    const first = await t.gql(LIST, { first: 5 });
    expect(first.headers['x-catalog-cache']).toBeUndefined();
    // Notifications of the set-up's own writes may still be arriving: the answer is cached once they have.
    const second = await eventually(() => t.gql(LIST, { first: 5 }), (r) => r.headers['x-catalog-cache'] === 'hit');
    expect(second.headers['x-catalog-cache']).toBe('hit');
    expect(second.data).toEqual(first.data);
  });

  it('drops cached answers when the catalog changes', async () => {
    const cached = await eventually(() => t.gql(LIST, { first: 6 }), (r) => r.headers['x-catalog-cache'] === 'hit');
    expect(cached.headers['x-catalog-cache']).toBe('hit');
    const delist = await t.gql(`mutation($input: IdInput!) { delistProduct(input: $input) { errors { code } } }`, { input: { id: productId } }, { token: shop.owner.token });
    expect(delist.data!.delistProduct.errors).toEqual([]);
    const after = await eventually(() => t.gql(LIST, { first: 6 }), (r) => !r.data!.products.nodes.some((n: { id: string }) => n.id === productId));
    expect(after.data!.products.nodes.map((n: { id: string }) => n.id)).not.toContain(productId);
  });

  it('never caches signed-in callers or other operations', async () => {
    const token = shop.owner.token;
    await t.gql(LIST, { first: 7 }, { token });
    expect((await t.gql(LIST, { first: 7 }, { token })).headers['x-catalog-cache']).toBeUndefined();
    const mixed = `{ products(first: 2) { nodes { id } } me { id } }`;
    await t.gql(mixed);
    expect((await t.gql(mixed)).headers['x-catalog-cache']).toBeUndefined();
  });
});
