import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { code, failuresOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { insertPromotion } from '../helpers/promotions';
import {
  BLOCK_WORDS,
  buy,
  CREATE_REVIEW,
  expectRatingsRecounted,
  FOLLOW_UP,
  HELPFUL,
  keptRating,
  MODERATE,
  MY_REVIEWS,
  namedShopper,
  PENDING,
  PRODUCT_RATING,
  PRODUCT_REVIEWS,
  QUEUE,
  REPLY,
  REPORT,
  SHOP_RATING,
  SHOP_REVIEWS,
} from '../helpers/reviews';
import { type Account, scenario, type ScenarioProduct, type ScenarioShop, type Shopper } from '../helpers/scenario';

/**
 * Buyer reviews through the API, against the real database: who may review which line and when,
 * what bad input is refused, how an anonymous reviewer is masked for each kind of reader, what the
 * screening holds and how moderation releases or hides it, follow-ups, the shop's reply, helpful
 * votes and the lists. Every refusal is checked to have changed nothing.
 */

const clock = new ManualClock(new Date('2031-03-02T02:00:00.000Z'));
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let t: TestApp;
let ops: Account;
let financeStaff: Account;
/** The shop under review, with a member of every role; its product has three variants, 500 units each. */
let shop: ScenarioShop;
let product: ScenarioProduct;
/** A rival shop (for cross-shop refusals). */
let rival: ScenarioShop;
/** The buyer (王小明), another shopper (李四) and a third. */
let wang: Shopper;
let li: Shopper;
let zhao: Shopper;

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  ops = await staff(t, StaffRole.OPERATIONS);
  financeStaff = await staff(t, StaffRole.FINANCE);
  const s = await scenario(t)
    .shop({ members: [ShopMemberRole.MANAGER, ShopMemberRole.CUSTOMER_SERVICE, ShopMemberRole.OPERATOR, ShopMemberRole.FINANCE] })
    .product({ title: '降噪藍牙耳機', variants: [{ stock: 500, price: 100 }, { stock: 500, price: 100 }, { stock: 500, price: 100 }] })
    .run();
  shop = s.shop;
  product = s.product;
  rival = (await scenario(t).shop().run()).shop;
  wang = await namedShopper(t, '王小明');
  li = await namedShopper(t, '李四');
  zhao = await namedShopper(t, '趙六');
});
afterAll(() => t.close());

// --- Small helpers ------------------------------------------------------------------------------

const as = (who: { token: string } | null) => (who ? { token: who.token } : {});
const createReview = (who: { token: string } | null, input: Record<string, unknown>) => t.gql(CREATE_REVIEW, { input }, as(who));
const created = async (who: { token: string }, input: Record<string, unknown>) => okPayload(await createReview(who, input), 'createReview', 'review');
const moderate = (who: { token: string }, reviewId: string, decision: string, reason = 'Checked by operations') => t.gql(MODERATE, { input: { reviewId, decision, reason } }, as(who));
const moderated = async (reviewId: string, decision: string) => okPayload(await moderate(ops, reviewId, decision), 'moderateReview', 'review');
const publicList = async (productId: string, vars: Record<string, unknown> = {}, who: { token: string } | null = null) => {
  const res = await t.gql(PRODUCT_REVIEWS, { id: productId, first: 100, ...vars }, as(who));
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.productReviews;
};
const publicIds = async (productId: string, vars: Record<string, unknown> = {}) => (await publicList(productId, vars)).nodes.map((n: { id: string }) => n.id);
const queue = async () => {
  const res = await t.gql(QUEUE, {}, as(ops));
  expect(res.errors).toBeUndefined();
  return res.data!.reviewsForModeration.nodes as { id: string; status: string; flags: string[]; reports: { reason: string; resolvedAt: string | null }[] }[];
};
const productRating = async (id: string) => (await t.gql(PRODUCT_RATING, { id })).data!.product.rating;
const shopRating = async (id: string) => (await t.gql(SHOP_RATING, { id })).data!.shop.rating;
const reviewRows = async (lineIds: string[]) => t.sql('select id, status from review where order_line_id in (?)', [lineIds.map(keyOf)]);

/** What a refused write must leave as it was: the review rows, the product's and the shop's ratings. */
async function snapshot(productId = product.id, shopKey = shop.shop.id) {
  const [{ n }] = await t.sql('select count(*)::int as n from review');
  return { reviews: n, product: await keptRating(t, 'product', keyOf(productId)), shop: await keptRating(t, 'shop', shopKey) };
}

/** A fresh product of the shop (three variants), for tests that read absolute ratings or a whole list. */
async function freshProduct(title: string): Promise<ScenarioProduct> {
  const s = await scenario(t).shop(shop).product({ title, variants: [{ stock: 50 }, { stock: 50 }, { stock: 50 }] }).run();
  return s.product;
}

describe('who may review which line', () => {
  it('publishes the buyer’s review of a DELIVERED line with its stars, aspects, photos and anonymity, and moves the product’s and the shop’s ratings', async () => {
    const p = await freshProduct('便攜藍牙音箱');
    const shopBefore = await keptRating(t, 'shop', shop.shop.id);
    const { lineIds } = await buy(t, shop, wang, [p.variantIds[0]]);
    const photos = ['https://img.example.com/r/1.jpg', 'https://img.example.com/r/2.jpg'];
    const review = await created(wang, {
      orderLineId: lineIds[0],
      rating: 4,
      body: '音質很好，續航也長',
      photoUrls: photos,
      anonymous: true,
      aspects: { description: 5, service: 4, logistics: 3 },
    });
    expect(review).toMatchObject({
      status: 'PUBLISHED',
      rating: 4,
      body: '音質很好，續航也長',
      photoUrls: photos,
      anonymous: true,
      automatic: false,
      variantTitle: 'V0',
      reviewerName: '王**',
      reviewer: { id: expect.any(String), displayName: '王小明' },
      aspects: { description: 5, service: 4, logistics: 3 },
    });
    const [row] = await t.sql(
      'select rating, aspect_description, aspect_service, aspect_logistics, photo_urls, anonymous, status, buyer_id, product_id, shop_id from review where order_line_id = ?',
      [keyOf(lineIds[0])],
    );
    expect(row).toEqual({
      rating: 4,
      aspect_description: 5,
      aspect_service: 4,
      aspect_logistics: 3,
      photo_urls: photos,
      anonymous: true,
      status: 'PUBLISHED',
      buyer_id: wang.user.id,
      product_id: keyOf(p.id),
      shop_id: shop.shop.id,
    });
    expect(await productRating(p.id)).toEqual({ average: 4, count: 1, distribution: [0, 0, 0, 1, 0], aspects: { description: 5, service: 4, logistics: 3, count: 1 } });
    const shopAfter = await keptRating(t, 'shop', shop.shop.id);
    expect(shopAfter.rating_count).toBe(shopBefore.rating_count + 1);
    expect(shopAfter.rating_sum).toBe(shopBefore.rating_sum + 4);
    expect(shopAfter.rating_distribution[3]).toBe(shopBefore.rating_distribution[3] + 1);
    expect(shopAfter.aspect_count).toBe(shopBefore.aspect_count + 1);
    expect((await shopRating(shop.shopId)).count).toBe(shopAfter.rating_count);
    expect(await publicIds(p.id)).toEqual([review.id]);
    await expectRatingsRecounted(t, { products: [p.id], shops: [shop.shopId] });
  });

  it('answers a review with the product’s and the shop’s ratings as they now stand', async () => {
    const p = await freshProduct('旅行收納包');
    const { lineIds } = await buy(t, shop, wang, [p.variantIds[0], p.variantIds[1]]);
    const WITH_RATINGS = `mutation($input: CreateReviewInput!) { createReview(input: $input) {
      review { id product { rating { count average } } shop { rating { count } } } errors { code } } }`;
    const first = okPayload(await t.gql(WITH_RATINGS, { input: { orderLineId: lineIds[0], rating: 5 } }, as(wang)), 'createReview', 'review');
    expect(first.product.rating).toEqual({ count: 1, average: 5 });
    expect(first.shop.rating.count).toBe((await keptRating(t, 'shop', shop.shop.id)).rating_count);
    const second = okPayload(await t.gql(WITH_RATINGS, { input: { orderLineId: lineIds[1], rating: 2 } }, as(wang)), 'createReview', 'review');
    expect(second.product.rating).toEqual({ count: 2, average: 3.5 });
    const MODERATE_WITH_RATINGS = `mutation($input: ModerateReviewInput!) { moderateReview(input: $input) { review { status product { rating { count average } } } errors { code } } }`;
    const hidden = okPayload(await t.gql(MODERATE_WITH_RATINGS, { input: { reviewId: second.id, decision: 'HIDE', reason: 'Off-topic' } }, as(ops)), 'moderateReview', 'review');
    expect(hidden).toEqual({ status: 'HIDDEN', product: { rating: { count: 1, average: 5 } } });
  });

  it('accepts a review of a line of a COMPLETED order', async () => {
    const purchase = await buy(t, shop, wang, [product.variantIds[0]], 'completed');
    const [{ status }] = await t.sql('select status from orders where id = ?', [purchase.orderKey]);
    expect(status).toBe('COMPLETED');
    const review = await created(wang, { orderLineId: purchase.lineIds[0], rating: 5 });
    expect(review.status).toBe('PUBLISHED');
    await expectRatingsRecounted(t, { products: [product.id], shops: [shop.shopId] });
  });

  it('refuses a line that is paid or shipped but not yet delivered (NOT_ELIGIBLE), and changes nothing', async () => {
    const paid = await buy(t, shop, wang, [product.variantIds[0]], 'paid');
    const shipped = await buy(t, shop, wang, [product.variantIds[1]], 'shipped');
    const before = await snapshot();
    for (const lineId of [paid.lineIds[0], shipped.lineIds[0]]) {
      expect(failuresOf(await createReview(wang, { orderLineId: lineId, rating: 5 }), 'createReview', 'review')).toEqual([['NOT_ELIGIBLE', 'input.orderLineId']]);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('accepts a review until REVIEW_WINDOW_DAYS after delivery and refuses it a minute later (NOT_ELIGIBLE)', async () => {
    const { lineIds } = await buy(t, shop, wang, [product.variantIds[0], product.variantIds[1]]);
    const deliveredAt = clock.now().getTime();
    expect(t.config.reviews.windowDays).toBe(15);
    clock.set(new Date(deliveredAt + 15 * DAY - MINUTE));
    expect((await created(wang, { orderLineId: lineIds[0], rating: 3 })).status).toBe('PUBLISHED');
    clock.set(new Date(deliveredAt + 15 * DAY + MINUTE));
    const before = await snapshot();
    expect(failuresOf(await createReview(wang, { orderLineId: lineIds[1], rating: 3 }), 'createReview', 'review')).toEqual([['NOT_ELIGIBLE', 'input.orderLineId']]);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a line of an order cancelled after delivery (NOT_ELIGIBLE)', async () => {
    const cs = await staff(t, StaffRole.CUSTOMER_SERVICE);
    const purchase = await buy(t, shop, wang, [product.variantIds[0]]);
    const cancelled = await t.gql(`mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`, {
      input: { orderId: purchase.orderId, reason: 'Counterfeit reported, refunded offline' },
    }, as(cs));
    expect(okPayload(cancelled, 'cancelOrder', 'order').status).toBe('CANCELLED');
    const before = await snapshot();
    expect(failuresOf(await createReview(wang, { orderLineId: purchase.lineIds[0], rating: 1 }), 'createReview', 'review')).toEqual([['NOT_ELIGIBLE', 'input.orderLineId']]);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses the gift line of a GIFT_WITH_PURCHASE order (NOT_ELIGIBLE) but takes the bought line', async () => {
    const s = await scenario(t).shop(shop).product({ title: '軟木杯墊贈品', stock: 5, price: 1 }).product({ title: '半自動咖啡機', stock: 5, price: 10000 }).run();
    const [gift, machine] = s.products.slice(-2);
    await insertPromotion(t, {
      shopKey: shop.shop.id,
      kind: 'GIFT_WITH_PURCHASE',
      title: '買咖啡機送杯墊',
      tiers: [{ threshold: 10000, giftVariantId: gift.variantKeys[0] }],
      scope: { productIds: [keyOf(machine.id)] },
      at: clock.now(),
    });
    const purchase = await buy(t, shop, wang, [machine.variantIds[0]]);
    const giftLine = purchase.lines.find((l) => l.gift);
    const boughtLine = purchase.lines.find((l) => !l.gift);
    expect(giftLine).toBeDefined();
    const deadlines = (await t.gql(`query($id: ID!) { order(id: $id) { lines { gift reviewDeadline } } }`, { id: purchase.orderId }, as(wang))).data!.order.lines;
    expect(deadlines.find((l: { gift: boolean }) => l.gift).reviewDeadline).toBeNull();
    const before = await snapshot(gift.id);
    expect(failuresOf(await createReview(wang, { orderLineId: giftLine!.id, rating: 5 }), 'createReview', 'review')).toEqual([['NOT_ELIGIBLE', 'input.orderLineId']]);
    expect(await snapshot(gift.id)).toEqual(before);
    expect((await created(wang, { orderLineId: boughtLine!.id, rating: 5 })).status).toBe('PUBLISHED');
  });

  it('finds no line of another buyer (thrown NOT_FOUND), for a shopper and for the shop’s owner', async () => {
    const { lineIds } = await buy(t, shop, wang, [product.variantIds[0]]);
    const before = await snapshot();
    for (const who of [li, shop.owner]) {
      const res = await createReview(who, { orderLineId: lineIds[0], rating: 1 });
      expect(code(res)).toBe('NOT_FOUND');
      expect(res.data?.createReview ?? null).toBeNull();
    }
    expect(await snapshot()).toEqual(before);
    expect(await reviewRows(lineIds)).toEqual([]);
  });

  it('refuses a second review of the same line (ALREADY_REVIEWED)', async () => {
    const { lineIds } = await buy(t, shop, wang, [product.variantIds[0]]);
    const first = await created(wang, { orderLineId: lineIds[0], rating: 4 });
    const before = await snapshot();
    expect(failuresOf(await createReview(wang, { orderLineId: lineIds[0], rating: 1 }), 'createReview', 'review')).toEqual([['ALREADY_REVIEWED', 'input.orderLineId']]);
    expect(await snapshot()).toEqual(before);
    expect(await reviewRows(lineIds)).toEqual([{ id: keyOf(first.id), status: 'PUBLISHED' }]);
  });

  it('lets exactly one of two simultaneous reviews of a line through and counts its stars once', async () => {
    const p = await freshProduct('同時評價測試品');
    const { lineIds } = await buy(t, shop, wang, [p.variantIds[0]]);
    const results = await Promise.all([5, 2].map((rating) => createReview(wang, { orderLineId: lineIds[0], rating })));
    const outcomes = results.map((r) => outcomeOf(r, 'createReview'));
    expect(outcomes.sort()).toEqual(['ALREADY_REVIEWED', 'OK']);
    const winner = results.find((r) => outcomeOf(r, 'createReview') === 'OK')!.data!.createReview.review;
    expect(await reviewRows(lineIds)).toEqual([{ id: keyOf(winner.id), status: 'PUBLISHED' }]);
    const rating = await productRating(p.id);
    expect(rating).toMatchObject({ count: 1, average: winner.rating });
    await expectRatingsRecounted(t, { products: [p.id], shops: [shop.shopId] });
  });

  it('asks a signed-out visitor to sign in (UNAUTHENTICATED), and changes nothing', async () => {
    const { lineIds } = await buy(t, shop, wang, [product.variantIds[0]]);
    const before = await snapshot();
    expect(code(await createReview(null, { orderLineId: lineIds[0], rating: 5 }))).toBe('UNAUTHENTICATED');
    expect(code(await createReview({ token: 'not-a-token' }, { orderLineId: lineIds[0], rating: 5 }))).toBe('UNAUTHENTICATED');
    expect(await snapshot()).toEqual(before);
  });
});

describe('bad input', () => {
  let lineId: string;
  beforeAll(async () => {
    lineId = (await buy(t, shop, wang, [product.variantIds[2]])).lineIds[0];
  });

  const refusal = async (input: Record<string, unknown>) => {
    const before = await snapshot();
    const failures = failuresOf(await createReview(wang, { orderLineId: lineId, rating: 5, ...input }), 'createReview', 'review');
    expect(await snapshot()).toEqual(before);
    return failures;
  };

  it('refuses 0 and 6 stars with INVALID_INPUT on `rating`', async () => {
    expect(await refusal({ rating: 0 })).toEqual([['INVALID_INPUT', 'input.rating']]);
    expect(await refusal({ rating: 6 })).toEqual([['INVALID_INPUT', 'input.rating']]);
  });

  it('refuses aspects out of 1..5, naming each', async () => {
    expect(await refusal({ aspects: { description: 0, service: 6, logistics: 3 } })).toEqual([
      ['INVALID_INPUT', 'input.aspects.description'],
      ['INVALID_INPUT', 'input.aspects.service'],
    ]);
    expect(await refusal({ aspects: { description: 5, service: 5, logistics: -1 } })).toEqual([['INVALID_INPUT', 'input.aspects.logistics']]);
  });

  it('refuses ten photos, an http:// photo and a photo that is no URL', async () => {
    const ten = Array.from({ length: 10 }, (_, i) => `https://img.example.com/${i}.jpg`);
    expect(await refusal({ photoUrls: ten })).toEqual([['INVALID_INPUT', 'input.photoUrls']]);
    expect(await refusal({ photoUrls: ['https://img.example.com/ok.jpg', 'http://img.example.com/plain.jpg'] })).toEqual([['INVALID_INPUT', 'input.photoUrls.1']]);
    expect(await refusal({ photoUrls: ['a photo of the box'] })).toEqual([['INVALID_INPUT', 'input.photoUrls.0']]);
  });

  it('still takes a valid review of the line after the refusals (nine https photos)', async () => {
    const nine = Array.from({ length: 9 }, (_, i) => `https://img.example.com/${i}.jpg`);
    expect(await created(wang, { orderLineId: lineId, rating: 5, photoUrls: nine })).toMatchObject({ status: 'PUBLISHED', photoUrls: nine });
  });
});

describe('anonymous reviewers', () => {
  let p: ScenarioProduct;
  let orderId: string;
  let masked: string;
  let named: string;

  beforeAll(async () => {
    p = await freshProduct('青軸機械鍵盤');
    const bought = await buy(t, shop, wang, [p.variantIds[0]]);
    orderId = bought.orderId;
    masked = (await created(wang, { orderLineId: bought.lineIds[0], rating: 5, body: '手感很好', anonymous: true })).id;
    named = (await created(li, { orderLineId: (await buy(t, shop, li, [p.variantIds[1]])).lineIds[0], rating: 4, body: '還不錯' })).id;
  });

  const namesFor = async (who: { token: string } | null) => {
    const list = await publicList(p.id, {}, who);
    return Object.fromEntries(list.nodes.map((n: any) => [n.id, { reviewerName: n.reviewerName, reviewer: n.reviewer?.displayName ?? null }]));
  };

  it('shows "王**" and no reviewer to the public, the shop’s members and other shoppers; the display name when not anonymous', async () => {
    const readers: [string, { token: string } | null][] = [
      ['public', null],
      ['owner', shop.owner],
      ['customer service', shop.members[ShopMemberRole.CUSTOMER_SERVICE]!],
      ['another shopper', zhao],
    ];
    for (const [reader, who] of readers) {
      expect(await namesFor(who), reader).toEqual({ [masked]: { reviewerName: '王**', reviewer: null }, [named]: { reviewerName: '李四', reviewer: null } });
    }
  });

  it('shows the reviewer to the author and to staff OPERATIONS', async () => {
    expect((await namesFor(wang))[masked]).toEqual({ reviewerName: '王**', reviewer: '王小明' });
    expect(await namesFor(ops)).toEqual({ [masked]: { reviewerName: '王**', reviewer: '王小明' }, [named]: { reviewerName: '李四', reviewer: '李四' } });
  });

  it('shows OrderLine.review to the buyer but null to the shop’s members, who see the order', async () => {
    const LINE_REVIEW = `query($id: ID!) { order(id: $id) { lines { review { id reviewerName } } } }`;
    const forBuyer = await t.gql(LINE_REVIEW, { id: orderId }, as(wang));
    expect(forBuyer.data!.order.lines).toEqual([{ review: { id: masked, reviewerName: '王**' } }]);
    for (const who of [shop.owner, shop.members[ShopMemberRole.CUSTOMER_SERVICE]!]) {
      const forShop = await t.gql(LINE_REVIEW, { id: orderId }, as(who));
      expect(forShop.errors).toBeUndefined();
      expect(forShop.data!.order.lines).toEqual([{ review: null }]);
    }
  });
});

describe('screening and moderation', () => {
  let p: ScenarioProduct;
  let lines: string[];
  let blocked: string;
  let phone: string;
  let url: string;
  let plain: string;

  beforeAll(async () => {
    p = await freshProduct('人體工學無線滑鼠');
    // One unit of each of the three variants a checkout: two checkouts give six lines.
    lines = [];
    for (let i = 0; i < 2; i++) lines.push(...(await buy(t, shop, wang, p.variantIds)).lineIds);
    const words = okPayload(await t.gql(BLOCK_WORDS, { input: { words: ['刷單'] } }, as(ops)), 'addBlockedWords', 'blockedWords');
    expect(words).toContainEqual({ word: '刷單' });
  });

  it('holds a body with a blocked word, a phone number or a URL for moderation: not listed, not counted, queued with its flags', async () => {
    const before = await keptRating(t, 'product', keyOf(p.id));
    const review = (i: number, body: string) => created(wang, { orderLineId: lines[i], rating: 1, body });
    const held = [await review(0, '這家店刷單，別信'), await review(1, '有問題加我 138 1234 5678'), await review(2, '更便宜的在 www.example.com')];
    [blocked, phone, url] = held.map((r) => r.id);
    expect(held.map((r) => r.status)).toEqual(['PENDING_MODERATION', 'PENDING_MODERATION', 'PENDING_MODERATION']);
    expect(await publicIds(p.id)).toEqual([]);
    expect(await keptRating(t, 'product', keyOf(p.id))).toEqual(before);
    expect((await productRating(p.id)).count).toBe(0);
    const flagsOf = Object.fromEntries((await queue()).map((r) => [r.id, r.flags]));
    expect(flagsOf[blocked]).toEqual(['BLOCKED_WORD']);
    expect(flagsOf[phone]).toEqual(['PHONE_NUMBER']);
    expect(flagsOf[url]).toEqual(['URL']);
    // The author still sees them, held.
    const mine = (await t.gql(MY_REVIEWS, {}, as(wang))).data!.myReviews.nodes;
    expect(mine.filter((r: { id: string }) => held.some((h) => h.id === r.id)).map((r: { status: string }) => r.status)).toEqual(['PENDING_MODERATION', 'PENDING_MODERATION', 'PENDING_MODERATION']);
    await expectRatingsRecounted(t, { products: [p.id], shops: [shop.shopId] });
  });

  it('does not flag dates, durations and order numbers', async () => {
    const review = await created(wang, { orderLineId: lines[3], rating: 5, body: '用了3个月，2026.12.06 买的，订单 20261206000123' });
    plain = review.id;
    expect(review.status).toBe('PUBLISHED');
    expect((await queue()).map((r) => r.id)).not.toContain(plain);
  });

  it('refuses moderation by FINANCE staff and by the shop’s owner (FORBIDDEN), and changes nothing', async () => {
    const before = await snapshot(p.id);
    for (const who of [financeStaff, shop.owner]) expect(code(await moderate(who, blocked, 'PUBLISH'))).toBe('FORBIDDEN');
    expect(code(await t.gql(QUEUE, {}, as(shop.owner)))).toBe('FORBIDDEN');
    expect(await snapshot(p.id)).toEqual(before);
    expect((await queue()).map((r) => r.id)).toContain(blocked);
  });

  it('publishes a held review on PUBLISH: listed, counted, out of the queue', async () => {
    const review = await moderated(blocked, 'PUBLISH');
    expect(review).toMatchObject({ status: 'PUBLISHED', featured: false, flags: [] });
    const [row] = await t.sql('select moderation_decision, moderation_reason, moderator_id, queued from review where id = ?', [keyOf(blocked)]);
    expect(row).toEqual({ moderation_decision: 'PUBLISH', moderation_reason: 'Checked by operations', moderator_id: ops.user.id, queued: false });
    expect(await publicIds(p.id)).toEqual([plain, blocked]);
    expect((await productRating(p.id)).count).toBe(2);
    expect((await queue()).map((r) => r.id)).not.toContain(blocked);
    await expectRatingsRecounted(t, { products: [p.id], shops: [shop.shopId] });
  });

  it('features a held review on FEATURE, listed by filter { featured: true }', async () => {
    expect(await moderated(phone, 'FEATURE')).toMatchObject({ status: 'PUBLISHED', featured: true });
    expect(await publicIds(p.id, { filter: { featured: true } })).toEqual([phone]);
    expect(await publicIds(p.id, { filter: { featured: false } })).toEqual([plain, blocked]);
    expect((await productRating(p.id)).count).toBe(3);
  });

  it('takes a published review out of the lists and the ratings on HIDE', async () => {
    const before = await productRating(p.id);
    expect(await moderated(blocked, 'HIDE')).toMatchObject({ status: 'HIDDEN', featured: false });
    expect(await publicIds(p.id)).toEqual([plain, phone]);
    const shopList = (await t.gql(SHOP_REVIEWS, { id: shop.shopId })).data!.shopReviews.nodes.map((n: { id: string }) => n.id);
    expect(shopList).not.toContain(blocked);
    expect(shopList).toContain(plain);
    const after = await productRating(p.id);
    expect(after.count).toBe(before.count - 1);
    expect(after.distribution[0]).toBe(before.distribution[0] - 1);
    // A hidden review is not reachable for anyone but its author and staff.
    expect(code(await t.gql(REPORT, { input: { reviewId: blocked, reason: 'Still there?' } }, as(li)))).toBe('NOT_FOUND');
    await expectRatingsRecounted(t, { products: [p.id], shops: [shop.shopId] });
  });

  it('queues a reported review ahead of the merely held ones while it stays published; once per reporter, never one’s own', async () => {
    const report = (who: { token: string }, reviewId: string) => t.gql(REPORT, { input: { reviewId, reason: 'Looks like an advert' } }, as(who));
    const reported = okPayload(await report(li, plain), 'reportReview', 'review');
    expect(reported.status).toBe('PUBLISHED');
    expect(await publicIds(p.id)).toContain(plain);
    const q = await queue();
    const ids = q.map((r) => r.id);
    expect(ids.indexOf(plain)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(plain)).toBeLessThan(ids.indexOf(url));
    // Every reported review comes before every merely held one.
    const firstUnreported = q.findIndex((r) => !r.flags.includes('REPORTED'));
    expect(q.slice(firstUnreported).some((r) => r.flags.includes('REPORTED'))).toBe(false);
    expect(q.find((r) => r.id === plain)).toMatchObject({ flags: ['REPORTED'], reports: [{ reason: 'Looks like an advert', resolvedAt: null }] });

    const before = await snapshot(p.id);
    expect(failuresOf(await report(li, plain), 'reportReview', 'review')).toEqual([['ALREADY_REPORTED', 'input.reviewId']]);
    expect(failuresOf(await report(wang, plain), 'reportReview', 'review')).toEqual([['INVALID_INPUT', 'input.reviewId']]);
    expect(await snapshot(p.id)).toEqual(before);
    const [{ n }] = await t.sql('select count(*)::int as n from review_report where review_id = ?', [keyOf(plain)]);
    expect(n).toBe(1);
    // A shop member may report too.
    okPayload(await report(shop.owner, plain), 'reportReview', 'review');
  });

  it('pages the moderation queue one review at a time in the same order', async () => {
    const whole = (await queue()).map((r) => r.id);
    expect(whole.length).toBeGreaterThan(1);
    const paged: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const res: any = await t.gql(`query($after: String) { reviewsForModeration(first: 1, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }`, { after }, as(ops));
      expect(res.errors).toBeUndefined();
      paged.push(...res.data.reviewsForModeration.nodes.map((n: { id: string }) => n.id));
      if (!res.data.reviewsForModeration.pageInfo.hasNextPage) break;
      after = res.data.reviewsForModeration.pageInfo.endCursor;
    }
    expect(paged).toEqual(whole);
  });

  it('resolves the open reports with the decision and takes the review out of the queue', async () => {
    const review = await moderated(plain, 'PUBLISH');
    expect(review).toMatchObject({ status: 'PUBLISHED', flags: [] });
    const reports = await t.sql('select resolved_at from review_report where review_id = ?', [keyOf(plain)]);
    expect(reports).toHaveLength(2);
    expect(reports.every((r) => r.resolved_at !== null)).toBe(true);
    expect((await queue()).map((r) => r.id)).not.toContain(plain);
    // Still counted once.
    await expectRatingsRecounted(t, { products: [p.id], shops: [shop.shopId] });
  });

  it('leaves a held review out of the ratings when staff hide it', async () => {
    const before = await keptRating(t, 'product', keyOf(p.id));
    expect(await moderated(url, 'HIDE')).toMatchObject({ status: 'HIDDEN' });
    expect(await keptRating(t, 'product', keyOf(p.id))).toEqual(before);
    expect((await queue()).map((r) => r.id)).not.toContain(url);
  });
});

describe('follow-ups (追評)', () => {
  it('takes one follow-up from the author; a second is ALREADY_REVIEWED, another user’s is NOT_FOUND', async () => {
    const { lineIds } = await buy(t, shop, wang, [product.variantIds[0]]);
    const review = await created(wang, { orderLineId: lineIds[0], rating: 4, body: '先用一週看看' });
    const FU = (who: { token: string }, body: string) => t.gql(FOLLOW_UP, { input: { reviewId: review.id, body, photoUrls: ['https://img.example.com/fu.jpg'] } }, as(who));
    expect(code(await FU(li, '不是我的評價'))).toBe('NOT_FOUND');
    const withFollowUp = okPayload(await FU(wang, '用了一個月，電池還是很耐用'), 'addReviewFollowUp', 'review');
    expect(withFollowUp.followUp).toEqual({ body: '用了一個月，電池還是很耐用', photoUrls: ['https://img.example.com/fu.jpg'], held: false });
    expect(failuresOf(await FU(wang, '再追一次'), 'addReviewFollowUp', 'review')).toEqual([['ALREADY_REVIEWED', 'input.reviewId']]);
    const [row] = await t.sql('select follow_up_body from review where id = ?', [keyOf(review.id)]);
    expect(row.follow_up_body).toBe('用了一個月，電池還是很耐用');
    const listed = (await publicList(product.id)).nodes.find((n: { id: string }) => n.id === review.id);
    expect(listed.followUp).toMatchObject({ body: '用了一個月，電池還是很耐用', held: false });
  });

  it('holds a follow-up with a URL from the public (shown held to the author) until staff publish it', async () => {
    const { lineIds } = await buy(t, shop, wang, [product.variantIds[1]]);
    const review = await created(wang, { orderLineId: lineIds[0], rating: 5, body: '很好' });
    const fu = okPayload(await t.gql(FOLLOW_UP, { input: { reviewId: review.id, body: '配件在 www.example.com 買的' } }, as(wang)), 'addReviewFollowUp', 'review');
    expect(fu.status).toBe('PUBLISHED');
    expect(fu.followUp).toMatchObject({ held: true });
    const seenBy = async (who: { token: string } | null) => (await publicList(product.id, {}, who)).nodes.find((n: { id: string }) => n.id === review.id);
    expect((await seenBy(null)).followUp).toBeNull();
    expect((await seenBy(li)).followUp).toBeNull();
    expect((await seenBy(wang)).followUp).toMatchObject({ body: '配件在 www.example.com 買的', held: true });
    expect((await queue()).find((r) => r.id === review.id)?.flags).toEqual(['URL']);
    await moderated(review.id, 'PUBLISH');
    expect((await seenBy(null)).followUp).toMatchObject({ body: '配件在 www.example.com 買的', held: false });
  });

  it('refuses a follow-up REVIEW_FOLLOW_UP_DAYS after delivery (NOT_ELIGIBLE)', async () => {
    const { lineIds } = await buy(t, shop, wang, [product.variantIds[2]]);
    const review = await created(wang, { orderLineId: lineIds[0], rating: 5 });
    expect(t.config.reviews.followUpDays).toBe(90);
    clock.advance(90 * DAY + MINUTE);
    const res = await t.gql(FOLLOW_UP, { input: { reviewId: review.id, body: '三個月後' } }, as(wang));
    expect(failuresOf(res, 'addReviewFollowUp', 'review')).toEqual([['NOT_ELIGIBLE', 'input.reviewId']]);
    const [row] = await t.sql('select follow_up_body, follow_up_at from review where id = ?', [keyOf(review.id)]);
    expect(row).toEqual({ follow_up_body: null, follow_up_at: null });
  });
});

describe('the shop’s reply', () => {
  const reviewToReply = async () => {
    const { lineIds } = await buy(t, shop, wang, [product.variantIds[0]]);
    return (await created(wang, { orderLineId: lineIds[0], rating: 3, body: '物流有點慢' })).id;
  };
  const reply = (who: { token: string }, reviewId: string, body: string) => t.gql(REPLY, { input: { reviewId, body } }, as(who));

  it('takes a reply from the OWNER, a MANAGER and CUSTOMER_SERVICE', async () => {
    for (const role of [ShopMemberRole.OWNER, ShopMemberRole.MANAGER, ShopMemberRole.CUSTOMER_SERVICE]) {
      const reviewId = await reviewToReply();
      const review = okPayload(await reply(shop.members[role]!, reviewId, `感謝支持（${role}）`), 'replyToReview', 'review');
      expect(review.reply, role).toEqual({ body: `感謝支持（${role}）`, editedAt: null, held: false });
      const listed = (await publicList(product.id)).nodes.find((n: { id: string }) => n.id === reviewId);
      expect(listed.reply.body).toBe(`感謝支持（${role}）`);
    }
  });

  it('refuses an OPERATOR and a FINANCE member (FORBIDDEN) and another shop’s owner (NOT_FOUND)', async () => {
    const reviewId = await reviewToReply();
    expect(code(await reply(shop.members[ShopMemberRole.OPERATOR]!, reviewId, '您好'))).toBe('FORBIDDEN');
    expect(code(await reply(shop.members[ShopMemberRole.FINANCE]!, reviewId, '您好'))).toBe('FORBIDDEN');
    expect(code(await reply(rival.owner, reviewId, '您好'))).toBe('NOT_FOUND');
    expect(code(await reply(li, reviewId, '您好'))).toBe('NOT_FOUND');
    const [row] = await t.sql('select reply_body, replied_at from review where id = ?', [keyOf(reviewId)]);
    expect(row).toEqual({ reply_body: null, replied_at: null });
  });

  it('changes the reply within 24 hours of the first (editedAt set), and refuses after (ALREADY_REPLIED)', async () => {
    const reviewId = await reviewToReply();
    const cs = shop.members[ShopMemberRole.CUSTOMER_SERVICE]!;
    okPayload(await reply(cs, reviewId, '抱歉，已催快遞'), 'replyToReview', 'review');
    clock.advance(23 * HOUR);
    const edited = okPayload(await reply(cs, reviewId, '抱歉，已補償優惠券'), 'replyToReview', 'review');
    expect(edited.reply.body).toBe('抱歉，已補償優惠券');
    expect(new Date(edited.reply.editedAt).getTime()).toBe(clock.now().getTime());
    clock.advance(2 * HOUR);
    expect(failuresOf(await reply(cs, reviewId, '第三次'), 'replyToReview', 'review')).toEqual([['ALREADY_REPLIED', 'input.reviewId']]);
    const [row] = await t.sql('select reply_body from review where id = ?', [keyOf(reviewId)]);
    expect(row.reply_body).toBe('抱歉，已補償優惠券');
  });

  it('holds a reply with a phone number: null for the public, shown (held) to the shop', async () => {
    const reviewId = await reviewToReply();
    const held = okPayload(await reply(shop.owner, reviewId, '售後請撥 021-61234567'), 'replyToReview', 'review');
    expect(held.reply).toMatchObject({ held: true });
    expect(held.status).toBe('PUBLISHED');
    const seenBy = async (who: { token: string } | null) => (await publicList(product.id, {}, who)).nodes.find((n: { id: string }) => n.id === reviewId).reply;
    expect(await seenBy(null)).toBeNull();
    expect(await seenBy(wang)).toBeNull();
    expect(await seenBy(shop.members[ShopMemberRole.CUSTOMER_SERVICE]!)).toMatchObject({ body: '售後請撥 021-61234567', held: true });
    expect((await queue()).find((r) => r.id === reviewId)?.flags).toEqual(['PHONE_NUMBER']);
  });
});

describe('removing held parts (REMOVE_HELD)', () => {
  const reviewWith = async (body: string) => {
    const { lineIds } = await buy(t, shop, wang, [product.variantIds[0]]);
    return (await created(wang, { orderLineId: lineIds[0], rating: 4, body })).id;
  };
  const reply = (reviewId: string, body: string) => t.gql(REPLY, { input: { reviewId, body } }, as(shop.owner));

  it('deletes a held reply and follow-up, leaving the review published and counted, out of the queue; both may be written again', async () => {
    const reviewId = await reviewWith('不錯');
    okPayload(await reply(reviewId, '加微信 shop8888 領券'), 'replyToReview', 'review');
    okPayload(await t.gql(FOLLOW_UP, { input: { reviewId, body: '詳情看 www.example.com' } }, as(wang)), 'addReviewFollowUp', 'review');
    expect((await queue()).find((r) => r.id === reviewId)?.flags.sort()).toEqual(['PHONE_NUMBER', 'URL']);
    const rating = await keptRating(t, 'product', keyOf(product.id));

    const review = okPayload(await moderate(ops, reviewId, 'REMOVE_HELD', 'Contact details are not allowed'), 'moderateReview', 'review');
    expect(review).toMatchObject({ status: 'PUBLISHED', reply: null, followUp: null, flags: [] });
    expect(await keptRating(t, 'product', keyOf(product.id))).toEqual(rating);
    expect((await queue()).map((r) => r.id)).not.toContain(reviewId);
    const [row] = await t.sql('select reply_body, replied_at, follow_up_body, follow_up_at, queued, moderation_decision from review where id = ?', [keyOf(reviewId)]);
    expect(row).toEqual({ reply_body: null, replied_at: null, follow_up_body: null, follow_up_at: null, queued: false, moderation_decision: 'REMOVE_HELD' });

    expect(okPayload(await reply(reviewId, '感謝支持'), 'replyToReview', 'review').reply).toMatchObject({ body: '感謝支持', held: false });
    expect(okPayload(await t.gql(FOLLOW_UP, { input: { reviewId, body: '用了一週，很好' } }, as(wang)), 'addReviewFollowUp', 'review').followUp).toMatchObject({ held: false });
  });

  it('keeps a review held itself in the queue, its own flags kept, when only its held reply goes', async () => {
    const reviewId = await reviewWith('便宜的在 www.example.com');
    await t.sql("update review set reply_body = '請撥 021-61234567', replied_at = now(), reply_held = true, flags = '{URL,PHONE_NUMBER}' where id = ?", [keyOf(reviewId)]);
    const review = okPayload(await moderate(ops, reviewId, 'REMOVE_HELD'), 'moderateReview', 'review');
    expect(review).toMatchObject({ status: 'PENDING_MODERATION', reply: null });
    expect((await queue()).find((r) => r.id === reviewId)?.flags).toEqual(['URL', 'PHONE_NUMBER']);
  });

  it('refuses REMOVE_HELD on a review with nothing held (INVALID_INPUT on `decision`), and changes nothing', async () => {
    const reviewId = await reviewWith('很好用');
    const [before] = await t.sql('select status, moderation_decision, updated_at from review where id = ?', [keyOf(reviewId)]);
    expect(failuresOf(await moderate(ops, reviewId, 'REMOVE_HELD'), 'moderateReview', 'review')).toEqual([['INVALID_INPUT', 'input.decision']]);
    const [after] = await t.sql('select status, moderation_decision, updated_at from review where id = ?', [keyOf(reviewId)]);
    expect(after).toEqual(before);
  });
});

describe('the blocked words', () => {
  const LIST = 'query { blockedWords { word } }';
  const REMOVE = 'mutation($input: BlockedWordsInput!) { removeBlockedWords(input: $input) { blockedWords { word } errors { code field } } }';
  const words = async () => ((await t.gql(LIST, {}, as(ops))).data!.blockedWords as { word: string }[]).map((w) => w.word);

  it('adds words lower-cased and once, removes them, and a removed word no longer holds a review', async () => {
    okPayload(await t.gql(BLOCK_WORDS, { input: { words: ['  VX返現 ', 'vx返現', '代購'] } }, as(ops)), 'addBlockedWords', 'blockedWords');
    expect(await words()).toEqual(expect.arrayContaining(['vx返現', '代購']));
    const after = okPayload(await t.gql(REMOVE, { input: { words: ['代購', '不在表裡'] } }, as(ops)), 'removeBlockedWords', 'blockedWords');
    expect(after.map((w: { word: string }) => w.word)).not.toContain('代購');
    expect(await words()).toContain('vx返現');
    const { lineIds } = await buy(t, shop, wang, [product.variantIds[0]]);
    expect((await created(wang, { orderLineId: lineIds[0], rating: 5, body: '代購也買不到這麼好的' })).status).toBe('PUBLISHED');
  });

  it('refuses no words, 101 words, an empty word and a 41-character word (INVALID_INPUT), and changes nothing', async () => {
    const before = await words();
    const refused = async (list: string[]) => failuresOf(await t.gql(BLOCK_WORDS, { input: { words: list } }, as(ops)), 'addBlockedWords', 'blockedWords');
    expect(await refused([])).toEqual([['INVALID_INPUT', 'input.words']]);
    expect(await refused(Array.from({ length: 101 }, (_, i) => `w${i}`))).toEqual([['INVALID_INPUT', 'input.words']]);
    expect(await refused(['ok', '  '])).toEqual([['INVALID_INPUT', 'input.words.1']]);
    expect(await refused(['字'.repeat(41)])).toEqual([['INVALID_INPUT', 'input.words.0']]);
    expect(await words()).toEqual(before);
  });

  it('refuses the list and its changes to FINANCE staff and to a shop owner (FORBIDDEN) and to visitors (UNAUTHENTICATED)', async () => {
    const before = await words();
    for (const who of [financeStaff, shop.owner]) {
      expect(code(await t.gql(LIST, {}, as(who)))).toBe('FORBIDDEN');
      expect(code(await t.gql(BLOCK_WORDS, { input: { words: ['廣告'] } }, as(who)))).toBe('FORBIDDEN');
      expect(code(await t.gql(REMOVE, { input: { words: [before[0]] } }, as(who)))).toBe('FORBIDDEN');
    }
    expect(code(await t.gql(LIST, {}))).toBe('UNAUTHENTICATED');
    expect(await words()).toEqual(before);
  });
});

describe('helpful votes', () => {
  it('counts a vote once per user, never the author’s, and sorts HELPFUL by it', async () => {
    const p = await freshProduct('不鏽鋼保溫杯');
    const { lineIds } = await buy(t, shop, wang, p.variantIds);
    const ids: string[] = [];
    for (const [i, rating] of [5, 4, 3].entries()) ids.push((await created(wang, { orderLineId: lineIds[i], rating })).id);
    const vote = (who: { token: string }, reviewId: string) => t.gql(HELPFUL, { input: { reviewId } }, as(who));
    // The oldest gets two votes (one repeated), the middle one one, the newest none.
    expect(okPayload(await vote(li, ids[0]), 'markReviewHelpful', 'review').helpfulCount).toBe(1);
    expect(okPayload(await vote(li, ids[0]), 'markReviewHelpful', 'review').helpfulCount).toBe(1);
    expect(okPayload(await vote(zhao, ids[0]), 'markReviewHelpful', 'review').helpfulCount).toBe(2);
    expect(okPayload(await vote(zhao, ids[1]), 'markReviewHelpful', 'review').helpfulCount).toBe(1);
    expect(failuresOf(await vote(wang, ids[2]), 'markReviewHelpful', 'review')).toEqual([['INVALID_INPUT', 'input.reviewId']]);
    expect(code(await t.gql(HELPFUL, { input: { reviewId: ids[2] } }))).toBe('UNAUTHENTICATED');
    const [{ n }] = await t.sql('select count(*)::int as n from review_vote where review_id in (?)', [ids.map(keyOf)]);
    expect(n).toBe(3);
    expect(await publicIds(p.id, { sort: 'HELPFUL' })).toEqual([ids[0], ids[1], ids[2]]);
    expect(await publicIds(p.id, { sort: 'NEWEST' })).toEqual([ids[2], ids[1], ids[0]]);
    // Paging the HELPFUL order keeps it.
    const first = await publicList(p.id, { sort: 'HELPFUL', first: 2 });
    const rest = await publicList(p.id, { sort: 'HELPFUL', first: 2, after: first.pageInfo.endCursor });
    expect([...first.nodes, ...rest.nodes].map((n: { id: string }) => n.id)).toEqual([ids[0], ids[1], ids[2]]);
  });
});

describe('the lists', () => {
  it('lists the lines a buyer may still review and drops one once reviewed, and all once the window closed', async () => {
    const buyer = await namedShopper(t, '孫七');
    const { lineIds } = await buy(t, shop, buyer, [product.variantIds[0], product.variantIds[1]]);
    const pending = async () => (await t.gql(PENDING, {}, as(buyer))).data!.myPendingReviews.map((l: { id: string }) => l.id);
    expect((await pending()).sort()).toEqual([...lineIds].sort());
    const [line] = (await t.gql(PENDING, {}, as(buyer))).data!.myPendingReviews;
    expect(new Date(line.reviewDeadline).getTime()).toBe(clock.now().getTime() + 15 * DAY);
    await created(buyer, { orderLineId: lineIds[0], rating: 5 });
    expect(await pending()).toEqual([lineIds[1]]);
    expect((await t.gql(PENDING, {}, as(li))).data!.myPendingReviews.map((l: { id: string }) => l.id)).not.toContain(lineIds[1]);
    const saved = clock.now();
    clock.advance(15 * DAY + MINUTE);
    expect(await pending()).toEqual([]);
    clock.set(saved);
    expect(code(await t.gql(PENDING, {}))).toBe('UNAUTHENTICATED');
  });

  it('lists the most recently delivered lines first', async () => {
    const buyer = await namedShopper(t, '吳九');
    // The first order is placed first but delivered an hour after the second.
    const slow = scenario(t).shop(shop).buyer(buyer).inCart(1, product.variantIds[0]).checkout().paid();
    const slowOrder = (await slow.run()).order;
    const fast = await buy(t, shop, buyer, [product.variantIds[1]]);
    clock.advance(HOUR);
    await slow.shipped().delivered().run();
    const slowLines = (await t.gql(`query($id: ID!) { order(id: $id) { lines { id } } }`, { id: slowOrder.id }, as(buyer))).data!.order.lines.map((l: { id: string }) => l.id);
    const pending = (await t.gql(PENDING, {}, as(buyer))).data!.myPendingReviews.map((l: { id: string }) => l.id);
    expect(pending).toEqual([...slowLines, ...fast.lineIds]);
  });

  it('lists all of the buyer’s reviews in myReviews, held ones included', async () => {
    const buyer = await namedShopper(t, '周八');
    const { lineIds } = await buy(t, shop, buyer, [product.variantIds[0], product.variantIds[1]]);
    const published = await created(buyer, { orderLineId: lineIds[0], rating: 4 });
    const held = await created(buyer, { orderLineId: lineIds[1], rating: 2, body: '客服電話 13912345678' });
    expect(held.status).toBe('PENDING_MODERATION');
    const mine = (await t.gql(MY_REVIEWS, {}, as(buyer))).data!.myReviews.nodes;
    expect(mine.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
      [held.id, 'PENDING_MODERATION'],
      [published.id, 'PUBLISHED'],
    ]);
  });

  it('filters a product’s reviews by stars and photos, and pages them with cursors', async () => {
    const p = await freshProduct('聲波電動牙刷');
    const photo = ['https://img.example.com/show.jpg'];
    const specs = [
      { rating: 5, photoUrls: photo },
      { rating: 4 },
      { rating: 5 },
      { rating: 3, photoUrls: photo },
      { rating: 5, photoUrls: photo },
    ];
    const ids: string[] = [];
    for (let i = 0; i < specs.length; i += 3) {
      const { lineIds } = await buy(t, shop, wang, p.variantIds.slice(0, Math.min(3, specs.length - i)));
      for (const [j, lineId] of lineIds.entries()) ids.push((await created(wang, { orderLineId: lineId, ...specs[i + j] })).id);
    }
    const newest = [...ids].reverse();
    expect(await publicIds(p.id, { filter: { rating: 5 } })).toEqual([ids[4], ids[2], ids[0]]);
    expect(await publicIds(p.id, { filter: { withPhotos: true } })).toEqual([ids[4], ids[3], ids[0]]);
    expect(await publicIds(p.id, { filter: { rating: 5, withPhotos: false } })).toEqual([ids[2]]);
    const pages: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await publicList(p.id, { first: 2, after });
      expect(page.totalCount).toBe(5);
      pages.push(page.nodes.map((n: { id: string }) => n.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toEqual([newest.slice(0, 2), newest.slice(2, 4), newest.slice(4)]);
    const res = await t.gql(PRODUCT_REVIEWS, { id: p.id, filter: { rating: 6 } });
    expect(code(res)).toBe('BAD_USER_INPUT');
  });

  it('answers NOT_FOUND for the reviews of a product that is not on sale', async () => {
    const draft = (await scenario(t).shop(shop).product({ title: '草稿中的商品', listed: false }).run()).product;
    for (const who of [null, li]) expect(code(await t.gql(PRODUCT_REVIEWS, { id: draft.id, first: 10 }, as(who)))).toBe('NOT_FOUND');
  });
});
