import { expect } from 'vitest';
import type { TestApp } from './app';
import { idOf, keyOf } from './kit';
import { createUser, signIn } from './factories';
import { type Account, scenario, type ScenarioShop, type Shopper } from './scenario';

/**
 * Reviews for tests/reviews: the operations, buyers with a display name of their choosing, lines
 * bought through the API or written straight into the database as delivered, and the full recount
 * of a rating that the kept columns must always equal.
 */

// --- Operations -----------------------------------------------------------------------------------

export const REVIEW_FIELDS = `id status rating body photoUrls anonymous automatic featured helpfulCount variantTitle reviewerName
  reviewer { id displayName } aspects { description service logistics } flags
  followUp { body photoUrls held } reply { body editedAt held }`;
const PAYLOAD = `review { ${REVIEW_FIELDS} } errors { code field message }`;
export const CREATE_REVIEW = `mutation($input: CreateReviewInput!) { createReview(input: $input) { ${PAYLOAD} } }`;
export const FOLLOW_UP = `mutation($input: ReviewFollowUpInput!) { addReviewFollowUp(input: $input) { ${PAYLOAD} } }`;
export const REPLY = `mutation($input: ReviewReplyInput!) { replyToReview(input: $input) { ${PAYLOAD} } }`;
export const REPORT = `mutation($input: ReportReviewInput!) { reportReview(input: $input) { ${PAYLOAD} } }`;
export const MODERATE = `mutation($input: ModerateReviewInput!) { moderateReview(input: $input) { ${PAYLOAD} } }`;
export const HELPFUL = `mutation($input: MarkReviewHelpfulInput!) { markReviewHelpful(input: $input) { review { id helpfulCount } errors { code field } } }`;
export const BLOCK_WORDS = `mutation($input: BlockedWordsInput!) { addBlockedWords(input: $input) { blockedWords { word } errors { code field } } }`;
export const PRODUCT_REVIEWS = `query($id: ID!, $filter: ReviewFilter, $sort: ReviewSort, $first: Int, $after: String) {
  productReviews(productId: $id, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount nodes { ${REVIEW_FIELDS} } pageInfo { hasNextPage endCursor } } }`;
export const SHOP_REVIEWS = `query($id: ID!) { shopReviews(shopId: $id, first: 100) { nodes { id } } }`;
export const MY_REVIEWS = `query { myReviews(first: 100) { nodes { id status followUp { held } } } }`;
export const QUEUE = `query { reviewsForModeration(first: 100) { nodes { id status flags reports { reason resolvedAt } } } }`;
export const PENDING = `query { myPendingReviews { id reviewDeadline productTitle } }`;
const RATING_FIELDS = 'average count distribution aspects { description service logistics count }';
export const PRODUCT_RATING = `query($id: ID!) { product(id: $id) { rating { ${RATING_FIELDS} } } }`;
export const SHOP_RATING = `query($id: ID!) { shop(id: $id) { rating { ${RATING_FIELDS} } } }`;
export const RUN_TASK = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code field } } }`;
const ORDER_LINES = `query($id: ID!) { order(id: $id) { status lines { id gift productTitle variantTitle } } }`;

// --- People and purchases -------------------------------------------------------------------------

/** A shopper called `displayName`, signed in, with a default address. */
export async function namedShopper(t: TestApp, displayName: string): Promise<Shopper> {
  const user = await createUser(t, { displayName });
  const { accessToken: token } = await signIn(t, user.email);
  const res = await t.gql(
    `mutation($input: AddressInput!) { createAddress(input: $input) { address { id } errors { code } } }`,
    { input: { recipientName: displayName, phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: '文三路 100 號' } },
    { token },
  );
  return { user, token, addressId: res.data!.createAddress.address.id };
}

/** A signed-in user without an address (a buyer whose orders are written in the database). */
export async function signedIn(t: TestApp, displayName = 'Test User'): Promise<Account> {
  const user = await createUser(t, { displayName });
  return { user, token: (await signIn(t, user.email)).accessToken };
}

export type Stage = 'paid' | 'shipped' | 'delivered' | 'completed';

export interface Purchase {
  orderId: string;
  orderKey: string;
  /** Global IDs of the order's lines, in order (gifts included). */
  lineIds: string[];
  lines: { id: string; gift: boolean; productTitle: string; variantTitle: string }[];
}

/** `buyer` buys one unit of each variant (global IDs) of `shop` in one checkout, brought to `stage` through the API. */
export async function buy(t: TestApp, shop: ScenarioShop, buyer: Shopper, variantIds: string[], stage: Stage = 'delivered'): Promise<Purchase> {
  let b = scenario(t).shop(shop).buyer(buyer);
  for (const v of variantIds) b = b.inCart(1, v);
  b = b.checkout().paid();
  if (stage !== 'paid') b = b.shipped();
  if (stage === 'delivered' || stage === 'completed') b = b.delivered();
  if (stage === 'completed') b = b.completed();
  const s = await b.run();
  const res = await t.gql(ORDER_LINES, { id: s.order.id }, { token: buyer.token });
  const lines = res.data!.order.lines;
  return { orderId: s.order.id, orderKey: s.order.key, lineIds: lines.map((l: { id: string }) => l.id), lines };
}

let serial = 0;

export interface LineSpec {
  productKey: string;
  variantKey: string;
  gift?: boolean;
}

/**
 * An order of `buyerKey` at `shopKey` written straight into the database, with `lines`, in
 * `status` (DELIVERED) and delivered at `deliveredAt` (null for an undelivered one). Returns the
 * order's key and its lines' global IDs.
 */
export async function insertOrder(
  t: TestApp,
  spec: { buyerKey: string; shopKey: string; lines: LineSpec[]; deliveredAt: Date | null; status?: string },
): Promise<{ orderKey: string; lineIds: string[] }> {
  const at = spec.deliveredAt ?? new Date();
  const paid = new Date(at.getTime() - 3 * 86_400_000);
  const [checkout] = await t.sql(`insert into checkout (buyer_id, idempotency_key, total, expires_at, status) values (?, ?, 1000, ?, 'PAID') returning id`, [
    spec.buyerKey,
    `reviews-${process.pid}-${++serial}`,
    paid,
  ]);
  const total = 1000 * spec.lines.filter((l) => !l.gift).length;
  const [order] = await t.sql(
    `insert into orders (number, checkout_id, shop_id, buyer_id, status, subtotal, shipping_fee, total, shipping_address, placed_at, paid_at, shipped_at, delivered_at, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, 0, ?, ?::jsonb, ?, ?, ?, ?, ?, ?) returning id`,
    [
      `RV${process.pid}${String(serial).padStart(8, '0')}`,
      checkout.id,
      spec.shopKey,
      spec.buyerKey,
      spec.status ?? 'DELIVERED',
      total,
      total,
      JSON.stringify({ recipientName: '王小明', phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: '文三路 100 號' }),
      paid,
      paid,
      spec.deliveredAt ? paid : null,
      spec.deliveredAt,
      paid,
      paid,
    ],
  );
  const lineIds: string[] = [];
  for (const line of spec.lines) {
    const price = line.gift ? 0 : 1000;
    const [row] = await t.sql(
      `insert into order_line (order_id, variant_id, product_id, product_title, variant_title, sku, unit_price, quantity, line_total, gift)
       select ?, v.id, v.product_id, p.title, v.title, v.sku, ?, 1, ?, ? from product_variant v join product p on p.id = v.product_id where v.id = ? returning id`,
      [order.id, price, price, line.gift ?? false, line.variantKey],
    );
    lineIds.push(idOf('OrderLine', String(row.id)));
  }
  return { orderKey: String(order.id), lineIds };
}

// --- Ratings --------------------------------------------------------------------------------------

export interface RatingColumns {
  rating_count: number;
  rating_sum: number;
  rating_distribution: number[];
  aspect_count: number;
  aspect_description_sum: number;
  aspect_service_sum: number;
  aspect_logistics_sum: number;
}

const KEPT = 'rating_count, rating_sum, rating_distribution, aspect_count, aspect_description_sum, aspect_service_sum, aspect_logistics_sum';

/** The kept rating columns of a product or a shop. */
export async function keptRating(t: TestApp, table: 'product' | 'shop', key: string): Promise<RatingColumns> {
  const [row] = await t.sql(`select ${KEPT} from ${table} where id = ?`, [key]);
  return row;
}

/** The same figures counted afresh over the PUBLISHED reviews. */
export async function recountedRating(t: TestApp, table: 'product' | 'shop', key: string): Promise<RatingColumns> {
  const [row] = await t.sql(
    `select count(*)::int as rating_count, coalesce(sum(rating), 0)::int as rating_sum,
       array[count(*) filter (where rating = 1), count(*) filter (where rating = 2), count(*) filter (where rating = 3),
             count(*) filter (where rating = 4), count(*) filter (where rating = 5)]::int[] as rating_distribution,
       count(aspect_description)::int as aspect_count, coalesce(sum(aspect_description), 0)::int as aspect_description_sum,
       coalesce(sum(aspect_service), 0)::int as aspect_service_sum, coalesce(sum(aspect_logistics), 0)::int as aspect_logistics_sum
     from review where ${table}_id = ? and status = 'PUBLISHED'`,
    [key],
  );
  return row;
}

/** The rating the API must show for these columns. */
export function ratingView(c: RatingColumns) {
  const round2 = (n: number) => Math.round(n * 100) / 100;
  return {
    average: c.rating_count > 0 ? round2(c.rating_sum / c.rating_count) : null,
    count: c.rating_count,
    distribution: c.rating_distribution,
    aspects:
      c.aspect_count > 0
        ? {
            description: round2(c.aspect_description_sum / c.aspect_count),
            service: round2(c.aspect_service_sum / c.aspect_count),
            logistics: round2(c.aspect_logistics_sum / c.aspect_count),
            count: c.aspect_count,
          }
        : null,
  };
}

/**
 * Asserts that the kept ratings of `products` and `shops` (global IDs) equal a full recount over
 * their PUBLISHED reviews, and that `Product.rating` / `Shop.rating` show them.
 */
export async function expectRatingsRecounted(t: TestApp, ids: { products?: string[]; shops?: string[] }): Promise<void> {
  for (const [table, list, query] of [
    ['product', ids.products ?? [], PRODUCT_RATING],
    ['shop', ids.shops ?? [], SHOP_RATING],
  ] as const) {
    for (const id of list) {
      const recount = await recountedRating(t, table, keyOf(id));
      expect(await keptRating(t, table, keyOf(id)), `${table} ${id}`).toEqual(recount);
      const res = await t.gql(query, { id });
      expect(res.errors).toBeUndefined();
      expect(res.data![table].rating, `${table} ${id} via GraphQL`).toEqual(ratingView(recount));
    }
  }
}
