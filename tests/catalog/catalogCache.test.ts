import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type TestApp, createTestApp } from '../helpers/app';
import { listedProduct, productInput, type Seller, seller, staff } from '../helpers/catalog';
import { addressFor, CHECKOUT, cartLine, newKey, variantKeys } from '../helpers/buying';
import { createCategory, userWithToken } from '../helpers/factories';

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

  it('shares a signed-in shopper’s answer when nothing in it depends on who asks, and never one that does', async () => {
    const token = shop.owner.token;
    await t.gql(LIST, { first: 7 }, { token });
    // The compiled reads keep what is the same for everyone (src/catalogReads), the session checked each time.
    const shared = await eventually(() => t.gql(LIST, { first: 7 }, { token }), (r) => r.headers['x-catalog-cache'] === 'hit');
    expect(shared.headers['x-catalog-cache']).toBe('hit');
    // A product's status shows a pending edit to its own shop only: never shared.
    const personal = `query($first: Int) { products(first: $first) { nodes { id status } } }`;
    await t.gql(personal, { first: 7 }, { token });
    expect((await t.gql(personal, { first: 7 }, { token })).headers['x-catalog-cache']).toBeUndefined();
  });

  it('never caches other operations', async () => {
    const mixed = `{ products(first: 2) { nodes { id } } me { id } }`;
    await t.gql(mixed);
    expect((await t.gql(mixed)).headers['x-catalog-cache']).toBeUndefined();
  });
});

/**
 * The notifications `write` causes on the catalog_changed channel, observed by a LISTEN connection
 * of our own. A sentinel sent after the write arrives after anything the write sent (notifications
 * are delivered in commit order), so "none before the sentinel" is exact, not a timing guess.
 */
async function notificationsOf(write: () => Promise<void>): Promise<number> {
  const client = new Client({ connectionString: String(t.orm.config.get('clientUrl')) });
  await client.connect();
  try {
    let seen = 0;
    let sentinel!: () => void;
    const arrived = new Promise<void>((resolve) => (sentinel = resolve));
    client.on('notification', (n) => (n.payload === 'sentinel' ? sentinel() : (seen += 1)));
    await client.query('listen catalog_changed');
    await write();
    await t.sql("select pg_notify('catalog_changed', 'sentinel')");
    await arrived;
    return seen;
  } finally {
    await client.end();
  }
}

describe('catalog change notifications', () => {
  let variant: string;
  let buyer: { user: { id: string }; token: string };
  let addressId: string;

  beforeAll(async () => {
    const categoryId = toGlobalId('Category', (await createCategory(t)).id);
    const reviewer = await staff(t, StaffRole.REVIEWER);
    const id = await listedProduct(t, shop, reviewer.token, productInput(shop.shopId, categoryId, { title: 'Notified Kettle' }));
    [variant] = await variantKeys(t, id); // 10 on hand
    buyer = await userWithToken(t);
    addressId = await addressFor(t, buyer.user.id);
  });

  async function buy(quantity: number): Promise<void> {
    await cartLine(t, buyer.user.id, variant, quantity);
    const res = await t.gql(CHECKOUT, { input: { addressId }, key: newKey() }, { token: buyer.token });
    expect(res.data!.checkout.errors).toEqual([]);
  }

  it('stay silent for a checkout that leaves the variant in stock, so the cache survives checkout traffic', async () => {
    expect(await notificationsOf(() => buy(3))).toBe(0);
    expect(await t.sql('select reserved from product_variant where id = ?', [variant])).toEqual([{ reserved: 3 }]);
  });

  it('fire when a checkout reserves the last units (the variant goes out of stock)', async () => {
    expect(await notificationsOf(() => buy(7))).toBeGreaterThan(0);
    expect(await t.sql('select on_hand - reserved as available from product_variant where id = ?', [variant])).toEqual([{ available: 0 }]);
  });

  it('fire when a shopper-visible variant field changes, and not for the warning line', async () => {
    expect(await notificationsOf(async () => void (await t.sql('update product_variant set price = price + 1 where id = ?', [variant])))).toBeGreaterThan(0);
    expect(await notificationsOf(async () => void (await t.sql('update product_variant set low_stock_threshold = 3, updated_at = now() where id = ?', [variant])))).toBe(0);
  });
});
