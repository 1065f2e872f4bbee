import { randomBytes } from 'node:crypto';
import { type Shop, ShopMemberRole, StaffRole, type User } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import type { TestApp } from './app';
import { createCategory, createShop, userWithToken } from './factories';

export const PRODUCT_FIELDS = `id title description status tags imageUrls listedAt
  attributes { name value }
  shop { id } category { id name } brand { id name } breadcrumb { name }
  priceRange { min { amount amountMinor currency } max { amount } }
  variants { id sku title options { name value } price { amount amountMinor } compareAtPrice { amount } inStock }`;

export const CREATE_PRODUCT = `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { ${PRODUCT_FIELDS} } errors { code field message } } }`;
export const UPDATE_PRODUCT = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { ${PRODUCT_FIELDS} pendingRevision { title category { id } } } errors { code field message } } }`;
export const SUBMIT_PRODUCT = `mutation($input: IdInput!) { submitProductForReview(input: $input) { product { id status } errors { code field message } } }`;
export const REVIEW_PRODUCT = `mutation($input: ReviewProductInput!) { reviewProduct(input: $input) { product { id status title } errors { code field message } } }`;

export interface Seller {
  shop: Shop;
  shopId: string;
  owner: { user: User; token: string };
}

/** A shop in `status` (ACTIVE by default) with an OWNER who has a token. */
export async function seller(t: TestApp, status = 'ACTIVE'): Promise<Seller> {
  const owner = await userWithToken(t);
  const shop = await createShop(t, [{ user: owner.user, role: ShopMemberRole.OWNER }]);
  await t.sql('update shop set status = ?, activated_at = now() where id = ?', [status, shop.id]);
  return { shop, shopId: toGlobalId('Shop', shop.id), owner };
}

export async function staff(t: TestApp, ...roles: StaffRole[]) {
  return userWithToken(t, { roles: roles.length ? roles : [StaffRole.REVIEWER] });
}

/** Two ACTIVE shops, a REVIEWER to approve their products and a category to list them in: where the buying tests sell from. */
export interface Market {
  reviewer: { token: string };
  shopA: Seller;
  shopB: Seller;
  categoryId: string;
}

/** Makes a `Market` in that order: the reviewer, shop A, shop B, then the category (named `categoryName`, or a random name). */
export async function createMarket(t: TestApp, categoryName?: string): Promise<Market> {
  const reviewer = await staff(t, StaffRole.REVIEWER);
  const shopA = await seller(t);
  const shopB = await seller(t);
  const categoryId = toGlobalId('Category', (await createCategory(t, categoryName)).id);
  return { reviewer, shopA, shopB, categoryId };
}

/** A valid product input for `shopId` in `categoryId`; overrides replace top-level fields. */
export function productInput(shopId: string, categoryId: string, overrides: Record<string, unknown> = {}) {
  const sku = randomBytes(4).toString('hex');
  return {
    shopId,
    categoryId,
    title: 'Wireless Earphones Pro',
    description: 'Bluetooth 5.3 earphones with active noise cancelling and a 30 hour battery.',
    tags: ['audio'],
    imageUrls: ['https://img.example.com/earphones.jpg'],
    attributes: [],
    variants: [
      { sku: `${sku}-B`, title: 'Black', options: [{ name: 'Colour', value: 'Black' }], price: '199.00', compareAtPrice: '249.00', stockOnHand: 10 },
      { sku: `${sku}-W`, title: 'White', options: [{ name: 'Colour', value: 'White' }], price: '209.00', stockOnHand: 0 },
    ],
    ...overrides,
  };
}

/** Creates a product through the API and returns its global ID (fails loudly on errors). */
export async function createProduct(t: TestApp, token: string, input: Record<string, unknown>): Promise<string> {
  const res = await t.gql(CREATE_PRODUCT, { input }, { token });
  const out = res.data?.createProduct;
  if (!out?.product) throw new Error(`createProduct failed: ${JSON.stringify(res.errors ?? out?.errors)}`);
  return out.product.id;
}

/** Creates, submits and approves a product: it is on sale when its shop is ACTIVE. */
export async function listedProduct(t: TestApp, s: Seller, reviewerToken: string, input: Record<string, unknown>): Promise<string> {
  const id = await createProduct(t, s.owner.token, input);
  const submitted = await t.gql(SUBMIT_PRODUCT, { input: { id } }, { token: s.owner.token });
  if (submitted.data?.submitProductForReview.errors.length) throw new Error(JSON.stringify(submitted.data.submitProductForReview.errors));
  const approved = await t.gql(REVIEW_PRODUCT, { input: { productId: id, decision: 'APPROVE' } }, { token: reviewerToken });
  if (approved.data?.reviewProduct.errors.length || approved.errors) throw new Error(JSON.stringify(approved.errors ?? approved.data?.reviewProduct.errors));
  return id;
}
