import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../src/entities';
import { toGlobalId } from '../src/schema/globalId';
import { type TestApp, createTestApp } from './helpers/app';
import { CREATE_PRODUCT, REVIEW_PRODUCT, SUBMIT_PRODUCT, UPDATE_PRODUCT, createProduct, listedProduct, productInput, type Seller, seller, staff } from './helpers/catalog';
import { createCategory } from './helpers/factories';

let t: TestApp;
let shop: Seller;
let reviewer: { token: string };
let categoryId: string;

beforeAll(async () => {
  t = await createTestApp();
  shop = await seller(t);
  reviewer = await staff(t, StaffRole.REVIEWER);
  categoryId = toGlobalId('Category', (await createCategory(t, 'Audio')).id);
});
afterAll(() => t.close());

describe('creating products', () => {
  it('creates a DRAFT with variants, prices in minor units and an initial stock movement', async () => {
    const res = await t.gql(CREATE_PRODUCT, { input: productInput(shop.shopId, categoryId) }, { token: shop.owner.token });
    expect(res.errors).toBeUndefined();
    const { product, errors } = res.data!.createProduct;
    expect(errors).toEqual([]);
    expect(product).toMatchObject({
      status: 'DRAFT',
      priceRange: { min: { amount: '199.00', amountMinor: 19900, currency: 'CNY' }, max: { amount: '209.00' } },
      breadcrumb: [{ name: 'Audio' }],
    });
    expect(product.variants.map((v: { sku: string; inStock: boolean }) => v.inStock)).toEqual([true, false]);
    const moves = await t.sql("select delta_on_hand, reason from stock_movement m join product_variant v on v.id = m.variant_id where v.sku = ?", [product.variants[0].sku]);
    expect(moves).toEqual([{ delta_on_hand: 10, reason: 'INITIAL' }]);
  });

  it('submits, approves and shows the product to anonymous shoppers', async () => {
    const id = await listedProduct(t, shop, reviewer.token, productInput(shop.shopId, categoryId, { title: '無線藍牙耳機 降噪版' }));
    const res = await t.gql(`query($id: ID!) { product(id: $id) { id status title } }`, { id });
    expect(res.data!.product).toEqual({ id, status: 'ACTIVE', title: '無線藍牙耳機 降噪版' });
    const search = await t.gql(`{ products(filter: { search: "耳機" }) { totalCount nodes { id } } }`);
    expect(search.errors).toBeUndefined();
    expect(search.data!.products.nodes.map((n: { id: string }) => n.id)).toContain(id);
  });

  it('keeps the live version on sale while an edit waits for review', async () => {
    const id = await listedProduct(t, shop, reviewer.token, productInput(shop.shopId, categoryId, { title: 'Original Title Here' }));
    const edit = await t.gql(UPDATE_PRODUCT, { input: { id, title: 'Edited Title Here' } }, { token: shop.owner.token });
    expect(edit.data!.updateProduct.errors).toEqual([]);
    expect(edit.data!.updateProduct.product).toMatchObject({ status: 'PENDING_REVIEW', title: 'Original Title Here', pendingRevision: { title: 'Edited Title Here' } });
    const publicView = await t.gql(`query($id: ID!) { product(id: $id) { status title } }`, { id });
    expect(publicView.data!.product).toEqual({ status: 'ACTIVE', title: 'Original Title Here' });
    const approved = await t.gql(REVIEW_PRODUCT, { input: { productId: id, decision: 'APPROVE' } }, { token: reviewer.token });
    expect(approved.data!.reviewProduct.product).toMatchObject({ status: 'ACTIVE', title: 'Edited Title Here' });
  });

  it('refuses a submit below the listing standard', async () => {
    const id = await createProduct(t, shop.owner.token, productInput(shop.shopId, categoryId, { title: 'Tiny', imageUrls: [] }));
    const res = await t.gql(SUBMIT_PRODUCT, { input: { id } }, { token: shop.owner.token });
    expect(res.data!.submitProductForReview.errors.map((e: { code: string; field: string[] }) => [e.code, e.field.join('.')])).toEqual([
      ['LISTING_STANDARD', 'product.title'],
      ['LISTING_STANDARD', 'product.imageUrls'],
    ]);
  });
});
