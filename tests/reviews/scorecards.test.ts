import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withQueryCount } from '../../src/db/queryCounter';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { computeScorecards } from '../../src/services/reviews';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { type Seller, seller, staff } from '../helpers/catalog';
import { createUser, userWithToken } from '../helpers/factories';
import { code, keyOf, okPayload } from '../helpers/kit';
import { type Account, type ScenarioProduct, type ScenarioShop, scenario } from '../helpers/scenario';

/**
 * The merchant scorecard (商家績效): `compute-scorecards` scores every ACTIVE or SUSPENDED shop over
 * the 30 days before the business clock in one statement. Histories are written straight into the
 * tables (orders, after-sale cases, tickets, reviews), some just outside the window, and every
 * figure and score is checked against an answer worked out by hand from the README's weights.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = new Date('2031-09-10T02:00:00.000Z');
/** The second run's time: an hour later. */
const LATER = new Date(NOW.getTime() + HOUR);
const clock = new ManualClock(NOW);
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const plus = (at: Date, ms: number) => new Date(at.getTime() + ms);

const FIGURES = `computedAt windowStart paidOrders shipOnTimeRate cancellationRate afterSaleRate refundRate disputeRate
  averageRating reviewCount firstResponseMinutesP50 score level levelSince`;
const SCORECARD = `query($id: ID!) { shop(id: $id) { scorecard { ${FIGURES} shop { id } levelChanges { fromLevel toLevel score at shop { id } } } } }`;
const LATEST_CHANGE = `query($id: ID!) { shop(id: $id) { scorecard { levelChanges(first: 1) { fromLevel toLevel } } } }`;
const SCORECARDS = `query($level: ScorecardLevel, $sort: ScorecardSort, $first: Int, $after: String, $last: Int, $before: String) {
  shopScorecards(level: $level, sort: $sort, first: $first, after: $after, last: $last, before: $before) {
    totalCount nodes { score level shop { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
const CHANGES = `query($shopId: ID, $toLevel: ScorecardLevel) { scorecardLevelChanges(shopId: $shopId, toLevel: $toLevel) {
  totalCount nodes { fromLevel toLevel score at shop { id } } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let admin: string;
let risk: string;
let analyst: string;
let finance: string;
let shopper: string;
/** The slipping shop, with a CUSTOMER_SERVICE member, a product (for reviews) and the full history. */
let shopA: ScenarioShop;
let productA: ScenarioProduct;
let csA: Account;
/** Good shops: B (and its twin G) ship 9 of 10 on time; F 3 of 4; B has a product for a review outside the window. */
let shopB: ScenarioShop;
let productB: ScenarioProduct;
let shopF: Seller;
let shopG: Seller;
/** C: ACTIVE without a paid order; D: SUSPENDED; E: CLOSED, never scored. */
let shopC: Seller;
let shopD: Seller;
let shopE: Seller;
let buyerKey: string;
let checkoutKey: string;

// --- Writing a history --------------------------------------------------------------------------

let serial = 0;
const next = (prefix: string) => `${prefix}${String(++serial).padStart(8, '0')}`;
const ADDRESS = JSON.stringify({ recipientName: '王小明', phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: '文三路 100 號' });

interface OrderSpec {
  /** Null: never paid. */
  paid: Date | null;
  /** Ten minutes before it was paid (or before NOW) unless given. */
  placed?: Date;
  shipped?: Date;
  cancelled?: { by: 'BUYER' | 'SHOP' | 'STAFF' | 'PLATFORM'; at: Date };
  /** Held by risk control (still, or until `released`). */
  held?: { released?: Date };
}

async function order(shopKey: string, spec: OrderSpec): Promise<string> {
  const placed = spec.placed ?? new Date((spec.paid ?? NOW).getTime() - 10 * MINUTE);
  const status = spec.cancelled ? 'CANCELLED' : spec.shipped ? 'SHIPPED' : spec.paid ? 'PAID' : 'PENDING_PAYMENT';
  const [row] = await t.sql(
    `insert into orders (number, checkout_id, shop_id, buyer_id, status, subtotal, shipping_fee, total, shipping_address,
                         placed_at, paid_at, shipped_at, cancelled_at, cancelled_by, created_at, updated_at, held, hold_released_at)
     values (?, ?, ?, ?, ?, 1000, 0, 1000, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [next('SC'), checkoutKey, shopKey, buyerKey, status, ADDRESS, placed, spec.paid, spec.shipped ?? null, spec.cancelled?.at ?? null, spec.cancelled?.by ?? null, placed, placed,
     spec.held !== undefined && !spec.held.released, spec.held?.released ?? null],
  );
  return String(row.id);
}

interface CaseSpec {
  order: string;
  created: Date;
  closed?: { at: Date; outcome: 'REFUNDED' | 'REJECTED'; ruling?: 'FOR_BUYER' | 'FOR_MERCHANT' };
  /** [party, type, minutes after opening] */
  events?: [string, string, number][];
  /** [role, minutes after opening] */
  messages?: [string, number][];
}

async function afterSale(shopKey: string, spec: CaseSpec): Promise<void> {
  const [row] = await t.sql(
    `insert into after_sale_case (number, order_id, shop_id, buyer_id, type, status, outcome, reason, refund_amount, ruling, closed_at, created_at, updated_at)
     values (?, ?, ?, ?, 'REFUND_ONLY', ?, ?, 'Arrived broken', 1000, ?, ?, ?, ?) returning id`,
    [next('AS'), spec.order, shopKey, buyerKey, spec.closed ? 'CLOSED' : 'REQUESTED', spec.closed?.outcome ?? null, spec.closed?.ruling ?? null, spec.closed?.at ?? null, spec.created, spec.created],
  );
  for (const [party, type, minutes] of spec.events ?? []) {
    await t.sql(`insert into after_sale_event (case_id, type, status, party, at) values (?, ?, 'REQUESTED', ?, ?)`, [row.id, type, party, plus(spec.created, minutes * MINUTE)]);
  }
  for (const [role, minutes] of spec.messages ?? []) {
    await t.sql(`insert into after_sale_message (case_id, author_id, role, body, at) values (?, ?, ?, 'About the parcel', ?)`, [row.id, buyerKey, role, plus(spec.created, minutes * MINUTE)]);
  }
}

/** A ticket naming the shop (`shopKey` null: none), answered `respondedAfter` minutes after opening or never. */
async function ticket(shopKey: string | null, created: Date, respondedAfter: number | null): Promise<void> {
  await t.sql(
    `insert into ticket (number, kind, subject, status, requester_id, shop_id, first_response_due_at, first_responded_at, created_at, updated_at)
     values (?, 'COMPLAINT_ABOUT_SHOP', 'Where is my parcel', ?, ?, ?, ?, ?, ?, ?)`,
    [next('T'), respondedAfter === null ? 'OPEN' : 'IN_PROGRESS', buyerKey, shopKey, plus(created, DAY), respondedAfter === null ? null : plus(created, respondedAfter * MINUTE), created, created],
  );
}

/** A review written at `created`, of a line of an order paid 45 days ago (outside the window, so it adds no paid order). */
async function review(shopKey: string, product: ScenarioProduct, rating: number, status: 'PUBLISHED' | 'HIDDEN' | 'PENDING_MODERATION', created: Date): Promise<void> {
  const orderKey = await order(shopKey, { paid: ago(45 * DAY), shipped: ago(44 * DAY) });
  const [line] = await t.sql(
    `insert into order_line (order_id, variant_id, product_id, product_title, variant_title, sku, unit_price, quantity, line_total)
     values (?, ?, ?, 'Wireless Earphones Pro', 'V0', 'SKU-0', 1000, 1, 1000) returning id`,
    [orderKey, product.variantKeys[0], keyOf(product.id)],
  );
  await t.sql(
    `insert into review (order_line_id, order_id, product_id, shop_id, buyer_id, variant_title, rating, status, created_at, updated_at)
     values (?, ?, ?, ?, ?, 'V0', ?, ?, ?, ?)`,
    [line.id, orderKey, keyOf(product.id), shopKey, buyerKey, rating, status, created, created],
  );
}

/** Nine orders shipped within 48 hours and one shipped after 72, paid 20 to 11 days ago. */
async function nineOfTenOnTime(shopKey: string): Promise<void> {
  for (let i = 0; i < 9; i++) {
    const paid = ago((20 - i) * DAY);
    await order(shopKey, { paid, shipped: plus(paid, 10 * HOUR) });
  }
  await order(shopKey, { paid: ago(11 * DAY), shipped: ago(11 * DAY - 72 * HOUR) });
}

/**
 * Shop A over [NOW − 30 days, NOW), SHIP_WITHIN_HOURS = 48:
 * - 50 orders paid in the window: 43 shipped in time (one paid exactly at the window's start and
 *   shipped at exactly 48 hours), one shipped after 49 hours, one unshipped for 3 days, one the
 *   shop cancelled, one the buyer cancelled, one the platform cancelled, two paid 10 and 47 hours
 *   ago (not due yet). Due: 43 + 1 + 1 + 1 = 46 (the buyer's and the platform's cancellations are
 *   not the shop's fault), 43 in time. Outside: one paid a minute before the window (cancelled by
 *   the shop), one paid exactly at NOW, one never paid.
 * - Cases opened in the window: c1 (answered by the merchant after 30 minutes, refunded in the
 *   window), c2 (merchant message after 90 minutes, rejected after 120, ruled FOR_BUYER and refunded
 *   in the window), c4 (3 days unanswered). c3 was opened before the window and refunded in it; c5
 *   opened and closed before it.
 * - Tickets naming the shop opened in the window: answered after 45 and 200 minutes, one a day
 *   unanswered; one older, one naming no shop.
 * - Reviews in the window: 5★, 4★, 4★ published; a hidden 1★ and a held 2★; a 1★ published before.
 */
async function historyOfA(): Promise<void> {
  const a = shopA.shop.id;
  const start = ago(30 * DAY);
  const orders: string[] = [await order(a, { paid: start, shipped: plus(start, 48 * HOUR) })];
  for (let k = 0; k < 42; k++) {
    const paid = plus(ago(25 * DAY), k * 4 * HOUR);
    orders.push(await order(a, { paid, shipped: plus(paid, 20 * HOUR) }));
  }
  await order(a, { paid: ago(10 * DAY), shipped: ago(10 * DAY - 49 * HOUR) });
  await order(a, { paid: ago(3 * DAY) });
  await order(a, { paid: ago(8 * DAY), cancelled: { by: 'SHOP', at: ago(8 * DAY - 3 * HOUR) } });
  await order(a, { paid: ago(7 * DAY), cancelled: { by: 'BUYER', at: ago(7 * DAY - HOUR) } });
  await order(a, { paid: ago(6 * DAY), cancelled: { by: 'PLATFORM', at: ago(6 * DAY - 30 * HOUR) } });
  await order(a, { paid: ago(10 * HOUR) });
  await order(a, { paid: ago(47 * HOUR) });
  await order(a, { paid: ago(30 * DAY + MINUTE), cancelled: { by: 'SHOP', at: ago(30 * DAY - HOUR) } });
  await order(a, { paid: NOW, placed: ago(5 * MINUTE) });
  await order(a, { paid: null, placed: ago(2 * DAY) });

  await afterSale(a, {
    order: orders[1],
    created: ago(15 * DAY),
    closed: { at: ago(10 * DAY), outcome: 'REFUNDED' },
    events: [['BUYER', 'REQUESTED', 0], ['MERCHANT', 'APPROVED', 30]],
  });
  await afterSale(a, {
    order: orders[2],
    created: ago(12 * DAY),
    closed: { at: ago(2 * DAY), outcome: 'REFUNDED', ruling: 'FOR_BUYER' },
    events: [['BUYER', 'REQUESTED', 0], ['MERCHANT', 'REJECTED', 120], ['BUYER', 'ESCALATED', 24 * 60], ['PLATFORM', 'RULED', 48 * 60]],
    messages: [['BUYER', 5], ['MERCHANT', 90]],
  });
  await afterSale(a, { order: orders[3], created: ago(40 * DAY), closed: { at: ago(20 * DAY), outcome: 'REFUNDED' }, events: [['MERCHANT', 'APPROVED', 10]] });
  await afterSale(a, { order: orders[4], created: ago(3 * DAY), events: [['BUYER', 'REQUESTED', 0]], messages: [['BUYER', 60]] });
  await afterSale(a, { order: orders[5], created: ago(35 * DAY), closed: { at: ago(31 * DAY), outcome: 'REFUNDED', ruling: 'FOR_BUYER' } });

  await ticket(a, ago(20 * DAY), 45);
  await ticket(a, ago(5 * DAY), 200);
  await ticket(a, ago(DAY), null);
  await ticket(a, ago(31 * DAY), 10_000);
  await ticket(null, ago(2 * DAY), 5000);

  await review(a, productA, 5, 'PUBLISHED', ago(10 * DAY));
  await review(a, productA, 4, 'PUBLISHED', ago(9 * DAY));
  await review(a, productA, 4, 'PUBLISHED', ago(8 * DAY));
  await review(a, productA, 1, 'HIDDEN', ago(7 * DAY));
  await review(a, productA, 2, 'PENDING_MODERATION', ago(6 * DAY));
  await review(a, productA, 1, 'PUBLISHED', ago(31 * DAY));
}

// The expected answers, worked out from the weights (README “Merchant scorecard”): each component
// in 0..1 times its weight, over the weights of the components that are not null (all 100 here).
const SCORE_A = Math.round(
  25 * (43 / 46) + // ship on time: 43 of 46 due
    15 * (1 - Math.min(1 / 50 / 0.05, 1)) + // cancellations: 1 of 50 → 0.6
    10 * (1 - Math.min(3 / 50 / 0.2, 1)) + // after-sales: 3 of 50 → 0.7
    15 * (1 - Math.min(3 / 50 / 0.1, 1)) + // refunds: 3 of 50 → 0.4
    10 * (1 - Math.min(1 / 50 / 0.02, 1)) + // disputes: 1 of 50 → 0
    15 * ((13 / 3 - 3) / 2) + // rating: (5 + 4 + 4) / 3 → 0.667
    10 * (1 - (145 - 60) / (1440 - 60)), // response: median of 30, 45, 90, 200, 1440, 4320 → 145 minutes
);
// No review, ticket or case: 75 of the weights count.
const SCORE_B = Math.round((100 * (25 * 0.9 + 15 + 10 + 15 + 10)) / 75);
const SCORE_F = Math.round((100 * (25 * 0.8 + 15 + 10 + 15 + 10)) / 75);

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  admin = (await staff(t, StaffRole.ADMIN)).token;
  risk = (await staff(t, StaffRole.RISK)).token;
  analyst = (await staff(t, StaffRole.ANALYST)).token;
  finance = (await staff(t, StaffRole.FINANCE)).token;
  shopper = (await userWithToken(t)).token;

  const a = await scenario(t).shop({ members: [ShopMemberRole.CUSTOMER_SERVICE] }).product().run();
  shopA = a.shop;
  productA = a.product;
  csA = shopA.members[ShopMemberRole.CUSTOMER_SERVICE]!;
  const b = await scenario(t).shop().product().run();
  shopB = b.shop;
  productB = b.product;
  shopF = await seller(t);
  shopG = await seller(t);
  shopC = await seller(t);
  shopD = await seller(t, 'SUSPENDED');
  shopE = await seller(t, 'CLOSED');

  buyerKey = (await createUser(t)).id;
  const [checkout] = await t.sql(`insert into checkout (buyer_id, idempotency_key, total, expires_at, status) values (?, 'scorecards', 1000, ?, 'PAID') returning id`, [buyerKey, NOW]);
  checkoutKey = String(checkout.id);

  await historyOfA();
  await nineOfTenOnTime(shopB.shop.id);
  await order(shopB.shop.id, { paid: ago(31 * DAY), shipped: ago(31 * DAY - 100 * HOUR) });
  await review(shopB.shop.id, productB, 5, 'PUBLISHED', ago(31 * DAY));
  await nineOfTenOnTime(shopG.shop.id);
  for (const days of [15, 14, 13]) await order(shopF.shop.id, { paid: ago(days * DAY), shipped: ago(days * DAY - HOUR) });
  await order(shopF.shop.id, { paid: ago(12 * DAY), shipped: ago(12 * DAY - 50 * HOUR) });
  // Risk control held two: one still held ten days after payment (not due: the shop cannot ship
  // it), one released a day after payment and shipped 47 h after the release (on time).
  await order(shopF.shop.id, { paid: ago(10 * DAY), held: {} });
  await order(shopF.shop.id, { paid: ago(11 * DAY), held: { released: ago(10 * DAY) }, shipped: ago(10 * DAY - 47 * HOUR) });
  await ticket(shopC.shop.id, ago(2 * DAY), 30);
  await order(shopC.shop.id, { paid: null, placed: ago(DAY) });
  await order(shopE.shop.id, { paid: ago(5 * DAY), shipped: ago(5 * DAY - HOUR) });
});
afterAll(() => t.close());

const runTask = async (): Promise<string> => okPayload(await t.gql(RUN, { input: { name: 'compute-scorecards' } }, { token: admin }), 'runScheduledTask').task.lastResult;
const scorecardOf = async (shopId: string, token: string) => (await t.gql(SCORECARD, { id: shopId }, { token })).data!.shop.scorecard;
const scoredShops = async () => (await t.sql(`select count(*)::int as n from shop where status in ('ACTIVE', 'SUSPENDED')`))[0].n as number;
const changeRows = async () => (await t.sql('select count(*)::int as n from scorecard_level_change'))[0].n as number;
/** Every page of `shopScorecards` with these arguments, following `endCursor`, as shop IDs. */
async function everyPage(args: Record<string, unknown>, size: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await t.gql(SCORECARDS, { ...args, first: size, after }, { token: risk });
    expect(res.errors).toBeUndefined();
    const page = res.data!.shopScorecards;
    expect(page.nodes.length).toBeLessThanOrEqual(size);
    ids.push(...page.nodes.map((n: { shop: { id: string } }) => n.shop.id));
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor;
  }
}

describe('compute-scorecards', () => {
  it('leaves Shop.scorecard null until it first runs', async () => {
    expect(await scorecardOf(shopA.shopId, shopA.owner.token)).toBeNull();
  });

  it('scores a constructed 30-day history with the figures and score worked out by hand', async () => {
    expect(SCORE_A).toBe(65);
    expect(await runTask()).toBe(`done: ${await scoredShops()}`);

    const a = await scorecardOf(shopA.shopId, shopA.owner.token);
    expect(a).toMatchObject({
      computedAt: NOW.toISOString(),
      windowStart: ago(30 * DAY).toISOString(),
      paidOrders: 50,
      shipOnTimeRate: 43 / 46,
      cancellationRate: 1 / 50,
      afterSaleRate: 3 / 50,
      refundRate: 3 / 50,
      disputeRate: 1 / 50,
      reviewCount: 3,
      firstResponseMinutesP50: 145,
      score: SCORE_A,
      level: 'NEEDS_IMPROVEMENT',
      levelSince: NOW.toISOString(),
      shop: { id: shopA.shopId },
      levelChanges: [{ fromLevel: null, toLevel: 'NEEDS_IMPROVEMENT', score: SCORE_A, at: NOW.toISOString(), shop: { id: shopA.shopId } }],
    });
    expect(a.averageRating).toBeCloseTo(13 / 3, 12);
  });

  it('leaves a component without a figure out of the score and scales the other weights up', async () => {
    expect(SCORE_B).toBe(97);
    expect(await scorecardOf(shopB.shopId, shopB.owner.token)).toMatchObject({
      paidOrders: 10,
      shipOnTimeRate: 0.9,
      cancellationRate: 0,
      afterSaleRate: 0,
      refundRate: 0,
      disputeRate: 0,
      averageRating: null,
      reviewCount: 0,
      firstResponseMinutesP50: null,
      score: SCORE_B,
      level: 'EXCELLENT',
    });
    expect(SCORE_F).toBe(93);
    expect(await scorecardOf(shopF.shopId, shopF.owner.token)).toMatchObject({ paidOrders: 6, shipOnTimeRate: 0.8, score: SCORE_F, level: 'EXCELLENT' });
  });

  it('rates a shop without a paid order NOT_RATED, scores SUSPENDED shops and never CLOSED ones', async () => {
    expect(await scorecardOf(shopC.shopId, shopC.owner.token)).toMatchObject({
      paidOrders: 0,
      shipOnTimeRate: null,
      cancellationRate: null,
      afterSaleRate: null,
      refundRate: null,
      disputeRate: null,
      averageRating: null,
      reviewCount: 0,
      firstResponseMinutesP50: 30,
      score: null,
      level: 'NOT_RATED',
      levelChanges: [{ fromLevel: null, toLevel: 'NOT_RATED', score: null }],
    });
    expect(await scorecardOf(shopD.shopId, shopD.owner.token)).toMatchObject({ paidOrders: 0, score: null, level: 'NOT_RATED' });
    expect(await scorecardOf(shopE.shopId, shopE.owner.token)).toBeNull();
  });

  it('changes nothing on a second run at the same time (done: 0, no level change)', async () => {
    const before = await scorecardOf(shopA.shopId, shopA.owner.token);
    const changes = await changeRows();
    expect(await runTask()).toBe('done: 0');
    expect(await scorecardOf(shopA.shopId, shopA.owner.token)).toEqual(before);
    expect(await changeRows()).toBe(changes);
  });

  it('records exactly one change when a shop drops to AT_RISK, for its owner and the RISK team, and keeps levelSince of unchanged levels', async () => {
    // Ten more orders the shop cancelled, paid 5 days ago; then the clock moves on an hour.
    for (let i = 0; i < 10; i++) await order(shopA.shop.id, { paid: ago(5 * DAY), cancelled: { by: 'SHOP', at: ago(5 * DAY - HOUR) } });
    clock.set(LATER);
    const changes = await changeRows();
    expect(await runTask()).toBe(`done: ${await scoredShops()}; 1 dropped to AT_RISK`);
    expect(await changeRows()).toBe(changes + 1);

    // At LATER the order paid at the window's old start has left it, the one paid at NOW entered
    // it, the one paid 47 hours before NOW is due (and late), and the unanswered case and ticket
    // are an hour older; the median response is still 145 minutes.
    const expected = Math.round(
      25 * (42 / 56) + 15 * 0 + 10 * (1 - 3 / 60 / 0.2) + 15 * (1 - 3 / 60 / 0.1) + 10 * (1 - 1 / 60 / 0.02) + 15 * ((13 / 3 - 3) / 2) + 10 * (1 - (145 - 60) / 1380),
    );
    expect(expected).toBe(55);
    const a = await scorecardOf(shopA.shopId, shopA.owner.token);
    expect(a).toMatchObject({ paidOrders: 60, shipOnTimeRate: 42 / 56, cancellationRate: 11 / 60, score: expected, level: 'AT_RISK', levelSince: LATER.toISOString() });
    expect(a.levelChanges).toEqual([
      { fromLevel: 'NEEDS_IMPROVEMENT', toLevel: 'AT_RISK', score: expected, at: LATER.toISOString(), shop: { id: shopA.shopId } },
      { fromLevel: null, toLevel: 'NEEDS_IMPROVEMENT', score: SCORE_A, at: NOW.toISOString(), shop: { id: shopA.shopId } },
    ]);
    expect((await t.gql(LATEST_CHANGE, { id: shopA.shopId }, { token: csA.token })).data!.shop.scorecard.levelChanges).toEqual([{ fromLevel: 'NEEDS_IMPROVEMENT', toLevel: 'AT_RISK' }]);

    const drops = (await t.gql(CHANGES, { toLevel: 'AT_RISK' }, { token: risk })).data!.scorecardLevelChanges;
    expect(drops).toEqual({ totalCount: 1, nodes: [{ fromLevel: 'NEEDS_IMPROVEMENT', toLevel: 'AT_RISK', score: expected, at: LATER.toISOString(), shop: { id: shopA.shopId } }] });
    const ofA = (await t.gql(CHANGES, { shopId: shopA.shopId }, { token: analyst })).data!.scorecardLevelChanges;
    expect(ofA.nodes.map((c: { toLevel: string }) => c.toLevel)).toEqual(['AT_RISK', 'NEEDS_IMPROVEMENT']);

    const b = await scorecardOf(shopB.shopId, shopB.owner.token);
    expect(b).toMatchObject({ computedAt: LATER.toISOString(), level: 'EXCELLENT', score: SCORE_B, levelSince: NOW.toISOString() });
    expect(b.levelChanges).toHaveLength(1);

    expect(await runTask()).toBe('done: 0');
    expect(await changeRows()).toBe(changes + 1);
    expect(await scorecardOf(shopA.shopId, shopA.owner.token)).toEqual(a);
  });
});

describe('shopScorecards', () => {
  const rated = () => [shopA.shopId, shopF.shopId, shopB.shopId, shopG.shopId];

  it('pages the rated shops worst first, then best first, ties by shop', async () => {
    expect(await everyPage({}, 1)).toEqual(rated());
    expect(await everyPage({ sort: 'SCORE_ASC' }, 3)).toEqual(rated());
    expect(await everyPage({ sort: 'SCORE_DESC' }, 1)).toEqual([...rated()].reverse());
    const first = (await t.gql(SCORECARDS, { first: 2 }, { token: risk })).data!.shopScorecards;
    expect(first.totalCount).toBe(4);
    expect(first.nodes).toEqual([
      { score: 55, level: 'AT_RISK', shop: { id: shopA.shopId } },
      { score: SCORE_F, level: 'EXCELLENT', shop: { id: shopF.shopId } },
    ]);
  });

  it('pages backwards with last and before', async () => {
    const end = (await t.gql(SCORECARDS, { last: 2 }, { token: risk })).data!.shopScorecards;
    expect(end.nodes.map((n: { shop: { id: string } }) => n.shop.id)).toEqual([shopB.shopId, shopG.shopId]);
    expect(end.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const before = (await t.gql(SCORECARDS, { last: 2, before: end.pageInfo.startCursor }, { token: risk })).data!.shopScorecards;
    expect(before.nodes.map((n: { shop: { id: string } }) => n.shop.id)).toEqual([shopA.shopId, shopF.shopId]);
    expect(before.pageInfo.hasPreviousPage).toBe(false);
  });

  it('filters by level; NOT_RATED shops only when asked for, by shop', async () => {
    expect(await everyPage({ level: 'EXCELLENT' }, 2)).toEqual([shopF.shopId, shopB.shopId, shopG.shopId]);
    expect(await everyPage({ level: 'EXCELLENT', sort: 'SCORE_DESC' }, 2)).toEqual([shopG.shopId, shopB.shopId, shopF.shopId]);
    expect(await everyPage({ level: 'AT_RISK' }, 5)).toEqual([shopA.shopId]);
    const unrated = await everyPage({ level: 'NOT_RATED' }, 2);
    const expected = await t.sql(`select shop_id::text as id from shop_scorecard where level = 'NOT_RATED' order by shop_id`);
    expect(unrated.map(keyOf)).toEqual(expected.map((r) => r.id));
    expect(unrated).toEqual(expect.arrayContaining([shopC.shopId, shopD.shopId]));
  });

  it('refuses a cursor of another shape', async () => {
    const res = await t.gql(SCORECARDS, { after: Buffer.from('["x"]').toString('base64url') }, { token: risk });
    expect(code(res)).toBe('BAD_USER_INPUT');
  });
});

describe('who sees scorecards', () => {
  const SHOP_SCORE = `query($id: ID!) { shop(id: $id) { scorecard { score } } }`;

  it('shows Shop.scorecard to the shop’s members of any role and to staff; NOT_FOUND to shoppers and other shops’ members, UNAUTHENTICATED anonymously', async () => {
    for (const token of [shopA.owner.token, csA.token, finance, risk]) {
      const res = await t.gql(SHOP_SCORE, { id: shopA.shopId }, { token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.shop.scorecard.score).toBe(55);
    }
    for (const token of [shopper, shopB.owner.token]) {
      const res = await t.gql(SHOP_SCORE, { id: shopA.shopId }, { token });
      expect(res.errors![0]).toMatchObject({ path: ['shop', 'scorecard'], extensions: { code: 'NOT_FOUND' } });
      expect(res.data!.shop.scorecard).toBeNull();
    }
    expect(code(await t.gql(SHOP_SCORE, { id: shopA.shopId }))).toBe('UNAUTHENTICATED');
  });

  it('lists scorecards and level changes to staff RISK, OPERATIONS, ANALYST and ADMIN only', async () => {
    const operations = (await staff(t, StaffRole.OPERATIONS)).token;
    for (const token of [risk, operations, analyst, admin]) {
      expect((await t.gql(SCORECARDS, {}, { token })).errors, 'shopScorecards').toBeUndefined();
      expect((await t.gql(CHANGES, {}, { token })).errors, 'scorecardLevelChanges').toBeUndefined();
    }
    for (const token of [finance, shopper, shopA.owner.token]) {
      expect(code(await t.gql(SCORECARDS, {}, { token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(CHANGES, { toLevel: 'AT_RISK' }, { token }))).toBe('FORBIDDEN');
    }
    expect(code(await t.gql(SCORECARDS, {}))).toBe('UNAUTHENTICATED');
    expect(code(await t.gql(CHANGES, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('the statement count', () => {
  it('is one SQL statement for the task however many shops it scores, and fixed for the run through the API', async () => {
    const direct = async () => {
      clock.advance(MINUTE);
      return withQueryCount(() => computeScorecards(t.app.deps, t.orm.em.fork()));
    };
    const few = await direct();
    expect(few.result.done).toBe(await scoredShops());
    expect(few.queries).toBe(1);
    const extra = await Promise.all([1, 2, 3, 4, 5].map(() => seller(t)));
    for (const s of extra) await order(s.shop.id, { paid: plus(clock.now(), -DAY), shipped: plus(clock.now(), -DAY + HOUR) });
    const many = await direct();
    expect(many.result.done).toBe(few.result.done + 5);
    expect(many.queries).toBe(1);

    // The run's own statements (the task's state, the audit entry) do not grow with the shops either.
    const viaApi = async () => {
      clock.advance(MINUTE);
      return t.countQueries(RUN, { input: { name: 'compute-scorecards' } }, { token: admin });
    };
    const before = await viaApi();
    await Promise.all([1, 2, 3].map(() => seller(t)));
    const after = await viaApi();
    expect(after.result.data!.runScheduledTask.task.lastResult).toBe(`done: ${await scoredShops()}`);
    expect(after.queries).toBe(before.queries);
  });
});

describe('a closed shop', () => {
  it('leaves shopScorecards once closed, its last scorecard still readable by its members', async () => {
    const s = await seller(t);
    await order(s.shop.id, { paid: plus(clock.now(), -DAY), shipped: plus(clock.now(), -DAY + HOUR) });
    clock.advance(MINUTE);
    await computeScorecards(t.app.deps, t.orm.em.fork());
    const listed = async () => ((await t.gql(SCORECARDS, { first: 100 }, { token: risk })).data!.shopScorecards.nodes as { shop: { id: string } }[]).map((n) => n.shop.id);
    expect(await listed()).toContain(s.shopId);
    await t.sql("update shop set status = 'CLOSED' where id = ?", [s.shop.id]);
    expect(await listed()).not.toContain(s.shopId);
    expect(await scorecardOf(s.shopId, s.owner.token)).toMatchObject({ paidOrders: 1 });
  });
});
