import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import {
  BLOCK_WORDS,
  CREATE_REVIEW,
  expectRatingsRecounted,
  FOLLOW_UP,
  insertOrder,
  keptRating,
  MODERATE,
  PRODUCT_RATING,
  recountedRating,
  REPLY,
  REPORT,
  RUN_TASK,
  signedIn,
} from '../helpers/reviews';
import { type Account, scenario, type ScenarioProduct, type ScenarioShop } from '../helpers/scenario';

/**
 * Ratings are kept on write (services/reviews/ratings.ts), never recounted per read. These tests
 * check the kept columns against a full recount over the PUBLISHED reviews after random sequences
 * of writes, the TOP_RATED sort and its paging, the statement count of the hot reads, and the two
 * review tasks. Delivered lines are written straight into the database (each line is reviewable
 * once, and the property needs hundreds); reviews are written and moderated through the API.
 */

const clock = new ManualClock(new Date('2031-06-01T02:00:00.000Z'));
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let t: TestApp;
let ops: Account;
let admin: Account;
/** Writes the reviews (its orders are inserted as delivered). */
let buyer: Account;
/** Reports reviews. */
let reporter: Account;
/** Shop A sells products 0 and 1, shop B product 2. */
let shopA: ScenarioShop;
let shopB: ScenarioShop;
let products: ScenarioProduct[];

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  ops = await staff(t, StaffRole.OPERATIONS);
  admin = await staff(t, StaffRole.ADMIN);
  buyer = await signedIn(t, '錢多多');
  reporter = await signedIn(t, '孫舉報');
  const a = await scenario(t).shop().product({ title: 'Ceramic Teapot A' }).product({ title: 'Ceramic Teapot B' }).run();
  const b = await scenario(t).shop().product({ title: 'Bamboo Whisk C' }).run();
  shopA = a.shop;
  shopB = b.shop;
  products = [...a.products, ...b.products];
  okPayload(await t.gql(BLOCK_WORDS, { input: { words: ['刷單'] } }, { token: ops.token }), 'addBlockedWords');
});
afterAll(() => t.close());

/** A line of `product`, delivered an hour ago (or at `deliveredAt`), bought by `who`; its global ID. */
async function deliveredLine(product: ScenarioProduct, who: Account = buyer, deliveredAt = new Date(clock.now().getTime() - HOUR)): Promise<string> {
  const { lineIds } = await insertOrder(t, {
    buyerKey: who.user.id,
    shopKey: keyOf(product.shop.shopId),
    lines: [{ productKey: keyOf(product.id), variantKey: product.variantKeys[0] }],
    deliveredAt,
  });
  return lineIds[0];
}

const review = (who: Account, input: Record<string, unknown>) => t.gql(CREATE_REVIEW, { input }, { token: who.token });
const created = async (who: Account, input: Record<string, unknown>) => okPayload(await review(who, input), 'createReview', 'review');
const moderate = (reviewId: string, decision: string) => t.gql(MODERATE, { input: { reviewId, decision, reason: 'Property test decision' } }, { token: ops.token });
const runTask = async (app: TestApp, name: string): Promise<string> => okPayload(await app.gql(RUN_TASK, { input: { name } }, { token: admin.token }), 'runScheduledTask', 'task').lastResult;

// --- The property --------------------------------------------------------------------------------

type Status = 'PUBLISHED' | 'PENDING_MODERATION' | 'HIDDEN';
type Command =
  | { kind: 'create'; product: number; rating: number; aspects: [number, number, number] | null; held: boolean; anonymous: boolean }
  | { kind: 'HIDE' | 'PUBLISH' | 'FEATURE' | 'report'; target: number };

const star = fc.integer({ min: 1, max: 5 });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      product: fc.integer({ min: 0, max: 2 }),
      rating: star,
      aspects: fc.option(fc.tuple(star, star, star), { nil: null }),
      held: fc.boolean(),
      anonymous: fc.boolean(),
    }),
  },
  // Reports come twice as often as each decision, so some runs report a review twice.
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('HIDE' as const, 'PUBLISH' as const, 'FEATURE' as const, 'report' as const, 'report' as const), target: fc.nat({ max: 2 }) }) },
);

describe('ratings kept on write', () => {
  it('equal a full recount over the published reviews after any sequence of creates, holds, hides, publishes, features and reports', async () => {
    let runs = 0;
    /** What the runs exercised: a command and the status (or report state) it met. */
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 3, maxLength: 10 }), async (commands) => {
        runs++;
        const model: { id: string; status: Status; reported: boolean }[] = [];
        for (const c of commands) {
          if (c.kind === 'create') {
            const orderLineId = await deliveredLine(products[c.product]);
            const body = c.held ? '好像有人刷單' : c.rating >= 4 ? '茶具做工精細' : null;
            const input = { orderLineId, rating: c.rating, body, anonymous: c.anonymous, aspects: c.aspects && { description: c.aspects[0], service: c.aspects[1], logistics: c.aspects[2] } };
            const r = await created(buyer, input);
            expect(r.status).toBe(c.held ? 'PENDING_MODERATION' : 'PUBLISHED');
            seen.add(`create:${r.status}`);
            model.push({ id: r.id, status: r.status, reported: false });
            continue;
          }
          if (model.length === 0) continue;
          const target = model[c.target % model.length];
          if (c.kind === 'report') {
            const res = await t.gql(REPORT, { input: { reviewId: target.id, reason: 'Does not look genuine' } }, { token: reporter.token });
            // Only a published review can be seen (so reported) by another shopper; once per reporter.
            const expected = target.status !== 'PUBLISHED' ? 'thrown:NOT_FOUND' : target.reported ? 'ALREADY_REPORTED' : 'OK';
            expect(outcomeOf(res, 'reportReview')).toBe(expected);
            seen.add(`report:${expected}`);
            if (expected === 'OK') target.reported = true;
          } else {
            const res = await moderate(target.id, c.kind);
            expect(outcomeOf(res, 'moderateReview')).toBe('OK');
            seen.add(`${c.kind}:${target.status}`);
            target.status = c.kind === 'HIDE' ? 'HIDDEN' : 'PUBLISHED';
            expect(res.data!.moderateReview.review).toMatchObject({ status: target.status, featured: c.kind === 'FEATURE' });
          }
        }
        const rows = model.length ? await t.sql('select id, status from review where id in (?)', [model.map((m) => keyOf(m.id))]) : [];
        expect(Object.fromEntries(rows.map((r) => [String(r.id), r.status]))).toEqual(Object.fromEntries(model.map((m) => [keyOf(m.id), m.status])));
        await expectRatingsRecounted(t, { products: products.map((p) => p.id), shops: [shopA.shopId, shopB.shopId] });
      }),
      { seed: 20_261_206, numRuns: 40 },
    );
    expect(runs).toBeGreaterThanOrEqual(40);
    // Every move in and out of PUBLISHED was met, and every answer to a report.
    for (const move of ['create:PUBLISHED', 'create:PENDING_MODERATION', 'HIDE:PUBLISHED', 'HIDE:PENDING_MODERATION', 'PUBLISH:HIDDEN', 'PUBLISH:PENDING_MODERATION', 'FEATURE:PUBLISHED', 'FEATURE:HIDDEN', 'report:OK', 'report:ALREADY_REPORTED', 'report:thrown:NOT_FOUND']) {
      expect(seen, move).toContain(move);
    }
    // The runs did move the ratings: something was published on each product.
    for (const p of products) expect((await keptRating(t, 'product', keyOf(p.id))).rating_count).toBeGreaterThan(0);
  });
});

describe('ratings under concurrent moderation', () => {
  it('counts a held review once when two moderators publish it at the same moment, and removes it once when two hide it', async () => {
    const [p] = products;
    const held = await created(buyer, { orderLineId: await deliveredLine(p), rating: 5, body: '這家刷單', aspects: { description: 5, service: 5, logistics: 5 } });
    const before = await keptRating(t, 'product', keyOf(p.id));
    const published = await Promise.all([moderate(held.id, 'PUBLISH'), moderate(held.id, 'FEATURE')]);
    expect(published.map((r) => outcomeOf(r, 'moderateReview'))).toEqual(['OK', 'OK']);
    const after = await keptRating(t, 'product', keyOf(p.id));
    expect(after.rating_count).toBe(before.rating_count + 1);
    expect(after.aspect_count).toBe(before.aspect_count + 1);
    const hidden = await Promise.all([moderate(held.id, 'HIDE'), moderate(held.id, 'HIDE')]);
    expect(hidden.map((r) => outcomeOf(r, 'moderateReview'))).toEqual(['OK', 'OK']);
    expect(await keptRating(t, 'product', keyOf(p.id))).toEqual(before);
    await expectRatingsRecounted(t, { products: [p.id], shops: [shopA.shopId] });
  });
});

// --- TOP_RATED ------------------------------------------------------------------------------------

const TOP_RATED = `query($first: Int, $after: String, $filter: ProductFilter) { products(sort: TOP_RATED, first: $first, after: $after, filter: $filter) {
  nodes { id title rating { average count distribution aspects { description service logistics count } } } pageInfo { hasNextPage endCursor } } }`;

/** Every product of the TOP_RATED order, paging `first` at a time; fails on a repeated product. */
async function pageThrough(first: number, filter?: Record<string, unknown>): Promise<{ ids: string[]; titles: string[] }> {
  const ids: string[] = [];
  const titles: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const res = await t.gql(TOP_RATED, { first, after, filter });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const page: any = res.data!.products;
    expect(page.nodes.length).toBeLessThanOrEqual(first);
    for (const n of page.nodes) {
      expect(ids).not.toContain(n.id);
      ids.push(n.id);
      titles.push(n.title);
    }
    if (!page.pageInfo.hasNextPage) return { ids, titles };
    after = page.pageInfo.endCursor;
  }
  throw new Error('TOP_RATED paging did not end');
}

describe('TOP_RATED', () => {
  let rated: ScenarioShop;
  /** The damped rank each product must get: round((Σ + 20) × 1000 / (n + 5)), 0 without reviews. */
  const plan: [title: string, stars: number[]][] = [
    ['No reviews yet one', []],
    ['Twenty reviews at 4.8', [...Array<number>(16).fill(5), ...Array<number>(4).fill(4)]],
    ['A single five star', [5]],
    ['Three at four stars', [4, 4, 4]],
    ['A five and a one', [5, 1]],
    ['Another single five', [5]],
    ['A single one star', [1]],
    ['No reviews yet two', []],
  ];

  beforeAll(async () => {
    let b = scenario(t).shop();
    for (const [title] of plan) b = b.product({ title });
    const s = await b.run();
    rated = s.shop;
    for (const [i, [, stars]] of plan.entries()) {
      const product = s.products[i];
      for (const rating of stars) await created(buyer, { orderLineId: await deliveredLine(product), rating });
    }
  });

  it('keeps the damped average as the rank: one five-star review does not beat twenty averaging 4.8', async () => {
    const rows = await t.sql('select title, rating_rank from product where shop_id = ?', [keyOf(rated.shopId)]);
    const rank = (stars: number[]) => (stars.length === 0 ? 0 : Math.round(((stars.reduce((a, b) => a + b, 0) + 20) * 1000) / (stars.length + 5)));
    expect(Object.fromEntries(rows.map((r) => [r.title, r.rating_rank]))).toEqual(Object.fromEntries(plan.map(([title, stars]) => [title, rank(stars)])));
    expect(rank([5])).toBeLessThan(rank(plan[1][1]));
  });

  it('pages forward with `after`, without gaps or repeats, in rating_rank then id order, unrated products last', async () => {
    const { ids, titles } = await pageThrough(2, { shopId: rated.shopId });
    const expected = await t.sql('select id from product where visible and shop_id = ? order by rating_rank desc, id desc', [keyOf(rated.shopId)]);
    expect(ids).toEqual(expected.map((r) => idOf('Product', String(r.id))));
    // Ties go to the newer product.
    expect(titles).toEqual([
      'Twenty reviews at 4.8',
      'Another single five',
      'A single five star',
      'Three at four stars',
      'A five and a one',
      'A single one star',
      'No reviews yet two',
      'No reviews yet one',
    ]);
    // The whole catalog too, against the same ordering in SQL.
    const all = await pageThrough(2);
    const everything = await t.sql('select id from product where visible order by rating_rank desc, id desc');
    expect(all.ids).toEqual(everything.map((r) => idOf('Product', String(r.id))));
  });

  it('costs the same number of statements for a page of 5 and of 50, with Product.rating selected', async () => {
    const five = await t.countQueries(TOP_RATED, { first: 5 });
    const fifty = await t.countQueries(TOP_RATED, { first: 50 });
    expect(five.result.errors).toBeUndefined();
    expect(five.result.data!.products.nodes).toHaveLength(5);
    expect(fifty.result.data!.products.nodes.length).toBeGreaterThan(10);
    expect(fifty.queries).toBe(five.queries);
    // One statement: the page (no total, no facets asked); the rating is read from the product row.
    expect(fifty.queries).toBe(1);
  });
});

// --- The product page ----------------------------------------------------------------------------

const PRODUCT_PAGE = `query($id: ID!) {
  product(id: $id) { title rating { average count distribution aspects { description service logistics count } } }
  productReviews(productId: $id, first: 10) { nodes { rating body reviewerName reply { body } followUp { body } } } }`;

describe('the product page', () => {
  const pageProducts: Record<number, ScenarioProduct> = {};

  beforeAll(async () => {
    const s = await scenario(t).shop().product({ title: 'Three reviews page' }).product({ title: 'Ten reviews page' }).product({ title: 'Thirty reviews page' }).run();
    const writers = [buyer, await signedIn(t, '李大方'), await signedIn(t, '張小氣')];
    for (const [i, n] of [3, 10, 30].entries()) {
      const product = s.products[i];
      pageProducts[n] = product;
      for (let k = 0; k < n; k++) {
        const who = writers[k % writers.length];
        const r = await created(who, {
          orderLineId: await deliveredLine(product, who),
          rating: 1 + (k % 5),
          body: `第 ${k + 1} 則評價`,
          anonymous: k % 2 === 0,
          aspects: { description: 5, service: 4, logistics: 1 + (k % 5) },
        });
        // The newest ones get the shop's reply and a follow-up, so the first page shows both.
        if (k >= n - 6) okPayload(await t.gql(REPLY, { input: { reviewId: r.id, body: '謝謝您的評價' } }, { token: s.shop.owner.token }), 'replyToReview');
        if (k >= n - 4) okPayload(await t.gql(FOLLOW_UP, { input: { reviewId: r.id, body: '用了一陣子還不錯' } }, { token: who.token }), 'addReviewFollowUp');
      }
    }
  });

  it('runs a fixed number of statements whatever the number of reviews (3, 10, 30)', async () => {
    const counts: number[] = [];
    for (const n of [3, 10, 30]) {
      const { result, queries } = await t.countQueries(PRODUCT_PAGE, { id: pageProducts[n].id });
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      const data = result.data!;
      expect(data.product.rating.count).toBe(n);
      expect(data.product.rating).toEqual({ ...(await expectedRating(pageProducts[n])) });
      expect(data.productReviews.nodes).toHaveLength(Math.min(n, 10));
      expect(data.productReviews.nodes[0]).toMatchObject({ reply: { body: '謝謝您的評價' }, followUp: { body: '用了一陣子還不錯' } });
      expect(new Set(data.productReviews.nodes.map((r: { reviewerName: string }) => r.reviewerName)).size).toBeGreaterThan(1);
      counts.push(queries);
    }
    expect(counts[1]).toBe(counts[0]);
    expect(counts[2]).toBe(counts[0]);
    // At most the product, the page of reviews and their reviewers (one batch): no per-review statement.
    expect(counts[0]).toBeLessThanOrEqual(3);
  });

  it('never recounts the reviews to show the rating', async () => {
    const { statements } = await t.captureQueries(PRODUCT_PAGE, { id: pageProducts[30].id });
    expect(statements.filter((s) => /\b(sum|avg)\s*\(|count\s*\(/i.test(s.sql)).map((s) => s.sql)).toEqual([]);
  });
});

async function expectedRating(product: ScenarioProduct) {
  const c = await recountedRating(t, 'product', keyOf(product.id));
  const round2 = (n: number) => Math.round(n * 100) / 100;
  return {
    average: round2(c.rating_sum / c.rating_count),
    count: c.rating_count,
    distribution: c.rating_distribution,
    aspects: {
      description: round2(c.aspect_description_sum / c.aspect_count),
      service: round2(c.aspect_service_sum / c.aspect_count),
      logistics: round2(c.aspect_logistics_sum / c.aspect_count),
      count: c.aspect_count,
    },
  };
}

// --- The tasks -----------------------------------------------------------------------------------

/** The lines `invite-reviews` must invite now, by an independent query: delivered within the window, not gifts, not reviewed. */
async function reviewableNow(): Promise<string[]> {
  const now = clock.now();
  const rows = await t.sql(
    `select l.id from order_line l join orders o on o.id = l.order_id
     where o.status in ('DELIVERED', 'COMPLETED') and o.delivered_at > ? and o.delivered_at <= ? and not l.gift
       and l.id not in (select order_line_id from review)
       and l.id not in (select cl.order_line_id from after_sale_case_line cl join after_sale_case c on c.id = cl.case_id where cl.counts and c.outcome = 'REFUNDED')
     order by l.id`,
    [new Date(now.getTime() - 15 * DAY), now],
  );
  return rows.map((r) => String(r.id));
}

describe('the review tasks', () => {
  let kettle: ScenarioProduct;
  let shopper: Account;
  /** reviewed: reviewed by the buyer; plain: not reviewed; gift: a gift line; completed: of a COMPLETED order; old: delivered 20 days ago; undelivered: PAID; refunded: returned and refunded through an after-sale case. */
  const line: Record<'reviewed' | 'plain' | 'gift' | 'completed' | 'old' | 'undelivered' | 'refunded', string> = {} as never;
  let buyersReview: { id: string; rating: number };
  let start: Date;

  beforeAll(async () => {
    start = clock.now();
    const s = await scenario(t).shop().product({ title: 'Electric Kettle K' }).run();
    kettle = s.product;
    shopper = await signedIn(t, '吳任務');
    const spec = (lines: { gift?: boolean }[], deliveredAt: Date | null, status = 'DELIVERED') =>
      insertOrder(t, {
        buyerKey: shopper.user.id,
        shopKey: keyOf(s.shop.shopId),
        lines: lines.map((l) => ({ productKey: keyOf(kettle.id), variantKey: kettle.variantKeys[0], gift: l.gift })),
        deliveredAt,
        status,
      });
    const recent = await spec([{}, {}, { gift: true }, {}], new Date(start.getTime() - DAY));
    [line.reviewed, line.plain, line.gift, line.refunded] = recent.lineIds;
    // The last line went back and was refunded: a closed REFUNDED case counting its unit.
    const [refundCase] = await t.sql(
      `insert into after_sale_case (number, order_id, shop_id, buyer_id, type, status, outcome, reason, refund_amount, closed_at, created_at, updated_at)
       select 'AS-RV-' || o.id, o.id, o.shop_id, o.buyer_id, 'RETURN_AND_REFUND', 'CLOSED', 'REFUNDED', 'Did not fit', 1000, now(), now(), now()
       from orders o join order_line l on l.order_id = o.id where l.id = ? returning id`,
      [keyOf(line.refunded)],
    );
    await t.sql('insert into after_sale_case_line (case_id, order_line_id, quantity, open, counts) values (?, ?, 1, false, true)', [refundCase.id, keyOf(line.refunded)]);
    [line.completed] = (await spec([{}], new Date(start.getTime() - 2 * DAY), 'COMPLETED')).lineIds;
    [line.old] = (await spec([{}], new Date(start.getTime() - 20 * DAY))).lineIds;
    [line.undelivered] = (await spec([{}], null, 'PAID')).lineIds;
    buyersReview = await created(shopper, { orderLineId: line.reviewed, rating: 2, body: '壺嘴有點漏水' });
  });

  const invitations = async () => (await t.sql('select order_line_id, buyer_id, invited_at, due_at from review_invitation order by order_line_id')) as { order_line_id: string; buyer_id: string; invited_at: Date; due_at: Date }[];

  it('invite-reviews invites each reviewable delivered line once: none for reviewed, refunded, gift, old or undelivered lines; a second run adds nothing', async () => {
    const expected = await reviewableNow();
    expect(expected).toEqual(expect.arrayContaining([keyOf(line.plain), keyOf(line.completed)]));
    expect(await runTask(t, 'invite-reviews')).toBe(`done: ${expected.length}`);
    const first = await invitations();
    expect(first.map((i) => String(i.order_line_id))).toEqual(expected);
    const mine = first.filter((i) => Object.values(line).map(keyOf).includes(String(i.order_line_id)));
    expect(mine.map((i) => String(i.order_line_id)).sort()).toEqual([keyOf(line.plain), keyOf(line.completed)].sort());
    const [{ delivered_at: deliveredAt }] = await t.sql('select o.delivered_at from orders o join order_line l on l.order_id = o.id where l.id = ?', [keyOf(line.plain)]);
    const invitation = mine.find((i) => String(i.order_line_id) === keyOf(line.plain))!;
    expect(invitation.buyer_id).toBe(shopper.user.id);
    expect(new Date(invitation.due_at).getTime()).toBe(new Date(deliveredAt).getTime() + 15 * DAY);
    expect(new Date(invitation.invited_at).getTime()).toBe(clock.now().getTime());

    clock.advance(MINUTE);
    expect(await runTask(t, 'invite-reviews')).toBe('done: 0');
    expect(await invitations()).toEqual(first);
  });

  it('default-reviews does nothing without REVIEW_DEFAULT_RATING', async () => {
    expect(t.config.reviews.defaultRating).toBeNull();
    clock.set(new Date(start.getTime() + 14 * DAY + HOUR));
    const [{ n: before }] = await t.sql('select count(*)::int as n from review');
    expect(await runTask(t, 'default-reviews')).toBe('done: 0');
    const [{ n: after }] = await t.sql('select count(*)::int as n from review');
    expect(after).toBe(before);
  });

  it('with REVIEW_DEFAULT_RATING leaves a published automatic review only where the window ended without one, counted in the ratings; a second run adds nothing', async () => {
    const withDefault = await createTestApp({ REVIEW_DEFAULT_RATING: '5' }, { clock });
    try {
      expect(withDefault.config.reviews.defaultRating).toBe(5);
      // Windows that ended in the last 7 days without a review: the plain and the completed line
      // (ended an hour and a day ago); the old line's ended 19 days ago, past the catch-up.
      const now = clock.now().getTime();
      const due = await t.sql(
        `select l.id from order_line l join orders o on o.id = l.order_id
         where o.status in ('DELIVERED', 'COMPLETED') and o.delivered_at > ? and o.delivered_at <= ? and not l.gift
           and l.id not in (select order_line_id from review) and l.id <> ? order by l.id`,
        [new Date(now - 22 * DAY), new Date(now - 15 * DAY), keyOf(line.refunded)],
      );
      expect(due.map((r) => String(r.id)).sort()).toEqual([keyOf(line.plain), keyOf(line.completed)].sort());
      const [{ n: before }] = await t.sql('select count(*)::int as n from review');
      const kettleBefore = await keptRating(t, 'product', keyOf(kettle.id));

      expect(await runTask(withDefault, 'default-reviews')).toBe('done: 2');

      const automatic = await t.sql('select order_line_id, rating, status, automatic, buyer_id, body from review where automatic order by order_line_id');
      expect(automatic).toEqual(
        [line.plain, line.completed].map(keyOf).sort().map((l) => ({ order_line_id: l, rating: 5, status: 'PUBLISHED', automatic: true, buyer_id: shopper.user.id, body: null })),
      );
      const [{ n: after }] = await t.sql('select count(*)::int as n from review');
      expect(after).toBe(before + 2);
      // The buyer's own review is untouched; gifts, old, undelivered and refunded lines got none.
      const [own] = await t.sql('select id, rating, automatic, status from review where order_line_id = ?', [keyOf(line.reviewed)]);
      expect(own).toEqual({ id: keyOf(buyersReview.id), rating: 2, automatic: false, status: 'PUBLISHED' });
      expect(await t.sql('select id from review where order_line_id in (?)', [[line.gift, line.old, line.undelivered, line.refunded].map(keyOf)])).toEqual([]);
      // Counted in the ratings, which still equal a recount everywhere.
      const kettleAfter = await keptRating(t, 'product', keyOf(kettle.id));
      expect(kettleAfter.rating_count).toBe(kettleBefore.rating_count + 2);
      expect(kettleAfter.rating_distribution[4]).toBe(kettleBefore.rating_distribution[4] + 2);
      const everyProduct = (await t.sql('select id from product')).map((r) => idOf('Product', String(r.id)));
      const everyShop = (await t.sql('select id from shop')).map((r) => idOf('Shop', String(r.id)));
      await expectRatingsRecounted(t, { products: everyProduct, shops: everyShop });
      expect((await t.gql(PRODUCT_RATING, { id: kettle.id })).data!.product.rating).toMatchObject({ count: 3, average: 4, distribution: [0, 1, 0, 0, 2] });

      // A second run (an hour later too) adds nothing.
      expect(await runTask(withDefault, 'default-reviews')).toBe('done: 0');
      clock.advance(HOUR);
      expect(await runTask(withDefault, 'default-reviews')).toBe('done: 0');
      const [{ n: again }] = await t.sql('select count(*)::int as n from review');
      expect(again).toBe(after);
    } finally {
      await withDefault.close();
    }
  });
});

