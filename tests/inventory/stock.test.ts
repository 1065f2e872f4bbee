import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole, type User } from '../../src/entities';
import { decodeId, toGlobalId } from '../../src/schema/shared/globalId';
import { reserveStock } from '../../src/services/inventory';
import { type TestApp, createTestApp } from '../helpers/app';
import { listedProduct, productInput, type Seller, seller, staff } from '../helpers/catalog';
import { createCategory, userWithToken } from '../helpers/factories';
import { code } from '../helpers/kit';
import { scenario } from '../helpers/scenario';

const { MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE } = ShopMemberRole;

const ADJUST = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) {
  variant { id stock { onHand reserved available } } errors { code field message } } }`;
const STOCKTAKE = `mutation($input: StocktakeInput!) { submitStocktake(input: $input) {
  stocktake { id note createdAt shop { id } actor { id } lines { variant { id } expected counted difference } } errors { code field message } } }`;
const MOVEMENTS = `query($id: ID!, $first: Int, $after: String) { product(id: $id) { variants { id
  stockMovements(first: $first, after: $after) { totalCount edges { cursor node { deltaOnHand deltaReserved reason note at actor { id } } } pageInfo { hasNextPage endCursor } } } } }`;
const LOW_STOCK = `query($id: ID!, $first: Int, $after: String) { shop(id: $id) {
  lowStockVariants(first: $first, after: $after) { totalCount nodes { id sku stock { available } lowStockThreshold } pageInfo { hasNextPage endCursor } } } }`;
const ALERTS = `query($id: ID!) { shop(id: $id) { stockAlerts(first: 100) { totalCount nodes { available threshold createdAt variant { id } } } } }`;

type Account = { user: User; token: string };

let t: TestApp;
let shop: Seller;
let other: Seller;
let shopper: Account;
let reviewer: Account;
let ops: Account;
const members = {} as Record<ShopMemberRole, Account>;
let category: string;

beforeAll(async () => {
  t = await createTestApp();
  // `shop` has one member of every role (invited and joined through the API); `other` only its OWNER.
  const { shops } = await scenario(t).shop({ members: [MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE] }).run();
  Object.assign(members, shops[0].members);
  [shop, other] = [shops[0], await seller(t)];
  [shopper, reviewer, ops] = await Promise.all([userWithToken(t), staff(t, StaffRole.REVIEWER), staff(t, StaffRole.OPERATIONS)]);
  category = toGlobalId('Category', (await createCategory(t, 'Stock')).id);
});
afterAll(() => t.close());

interface Variant {
  id: string;
  key: string;
  productId: string;
}

/** A new DRAFT product of `s` with one variant per entry (units on hand, warning line); returns the variants in order. */
async function variants(s: Seller, ...stock: { onHand: number; threshold?: number }[]): Promise<Variant[]> {
  const { product } = await scenario(t, { reviewer, categoryId: category })
    .shop(s)
    .product({ listed: false, variants: stock.map((v) => ({ stock: v.onHand, threshold: v.threshold ?? 5, price: '10.00' })) })
    .run();
  return product.variantIds.map((id, i) => ({ id, key: product.variantKeys[i], productId: product.id }));
}

async function variant(s: Seller, onHand: number, threshold = 5): Promise<Variant> {
  return (await variants(s, { onHand, threshold }))[0];
}

async function stockOf(v: Variant): Promise<{ on_hand: number; reserved: number }> {
  const [row] = await t.sql('select on_hand, reserved from product_variant where id = ?', [v.key]);
  return { on_hand: row.on_hand, reserved: row.reserved };
}

/** The variant's ledger, oldest first (the INITIAL row included). */
async function ledger(v: Variant): Promise<any[]> {
  return t.sql('select shop_id, delta_on_hand, delta_reserved, reason, note, actor_id, stocktake_id from stock_movement where variant_id = ? order by id', [v.key]);
}

async function alerts(v: Variant): Promise<any[]> {
  return t.sql('select available, threshold from stock_alert where variant_id = ? order by id', [v.key]);
}

const adjust = (v: Variant, delta: number, token = shop.owner.token, extra: Record<string, unknown> = {}) =>
  t.gql(ADJUST, { input: { variantId: v.id, delta, reason: 'RESTOCK', ...extra } }, { token });

const stocktake = (s: Seller, counts: { variantId: string; counted: number }[], token = s.owner.token, note?: string) =>
  t.gql(STOCKTAKE, { input: { shopId: s.shopId, counts, note } }, { token });

// ---------------------------------------------------------------------------------------------

describe('adjustStock', () => {
  it('adds received units and writes one ledger row with reason, note and actor', async () => {
    const v = await variant(shop, 10);
    const res = await adjust(v, 5, shop.owner.token, { note: 'Delivery #42' });
    expect(res.data!.adjustStock).toEqual({ variant: { id: v.id, stock: { onHand: 15, reserved: 0, available: 15 } }, errors: [] });
    expect(await stockOf(v)).toEqual({ on_hand: 15, reserved: 0 });
    const rows = await ledger(v);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ delta_on_hand: 5, delta_reserved: 0, reason: 'RESTOCK', note: 'Delivery #42', stocktake_id: null });
    expect(String(rows[1].actor_id)).toBe(shop.owner.user.id);
    expect(String(rows[1].shop_id)).toBe(shop.shop.id);
  });

  it.each([MANAGER, OPERATOR])('lets a %s remove damaged units', async (role) => {
    const v = await variant(shop, 10);
    const res = await t.gql(ADJUST, { input: { variantId: v.id, delta: -3, reason: 'DAMAGE' } }, { token: members[role].token });
    expect(res.data!.adjustStock.errors).toEqual([]);
    expect(res.data!.adjustStock.variant.stock).toEqual({ onHand: 7, reserved: 0, available: 7 });
    expect((await ledger(v)).at(-1)).toMatchObject({ delta_on_hand: -3, reason: 'DAMAGE', note: null });
  });

  it('removes units down to the reserved ones but never below them: INSUFFICIENT_STOCK, nothing changed', async () => {
    const v = await variant(shop, 10);
    await t.sql('update product_variant set reserved = 3 where id = ?', [v.key]);
    const refused = await adjust(v, -8);
    expect(refused.data!.adjustStock.variant).toBeNull();
    expect(refused.data!.adjustStock.errors).toEqual([{ code: 'INSUFFICIENT_STOCK', field: ['input', 'delta'], message: expect.any(String) }]);
    expect(await stockOf(v)).toEqual({ on_hand: 10, reserved: 3 });
    expect(await ledger(v)).toHaveLength(1);

    const res = await adjust(v, -7, shop.owner.token, { reason: 'CORRECTION' });
    expect(res.data!.adjustStock.variant.stock).toEqual({ onHand: 3, reserved: 3, available: 0 });
    expect(await ledger(v)).toHaveLength(2);
  });

  it.each([
    ['zero', { delta: 0 }, 'delta'],
    ['more than 1,000,000 units', { delta: 1_000_001 }, 'delta'],
    ['less than -1,000,000 units', { delta: -1_000_001 }, 'delta'],
    ['a note over 500 characters', { delta: 1, note: 'x'.repeat(501) }, 'note'],
  ])('refuses %s with INVALID_INPUT and changes nothing', async (_case, input, field) => {
    const v = await variant(shop, 10);
    const res = await t.gql(ADJUST, { input: { variantId: v.id, reason: 'RESTOCK', ...input } }, { token: shop.owner.token });
    expect(res.data!.adjustStock.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', field], message: expect.any(String) }]);
    expect(await stockOf(v)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await ledger(v)).toHaveLength(1);
  });

  it.each(['SUSPENDED', 'CLOSED'])('refuses SHOP_NOT_ACTIVE while the shop is %s', async (status) => {
    const s = await seller(t);
    const v = await variant(s, 10);
    await t.sql('update shop set status = ? where id = ?', [status, s.shop.id]);
    const res = await adjust(v, 5, s.owner.token);
    expect(res.data!.adjustStock.errors).toEqual([{ code: 'SHOP_NOT_ACTIVE', field: null, message: expect.any(String) }]);
    expect(await stockOf(v)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await ledger(v)).toHaveLength(1);
  });

  it('treats an archived variant, or an ID of another type, as NOT_FOUND', async () => {
    const v = await variant(shop, 10);
    await t.sql('update product_variant set archived = true where id = ?', [v.key]);
    const archived = await adjust(v, 5);
    expect(code(archived)).toBe('NOT_FOUND');
    expect(await stockOf(v)).toEqual({ on_hand: 10, reserved: 0 });
    expect(code(await adjust({ ...v, id: v.productId }, 5))).toBe('NOT_FOUND');
  });

  it.each([
    ['CUSTOMER_SERVICE member', 'FORBIDDEN', () => members[CUSTOMER_SERVICE].token],
    ['FINANCE member', 'FORBIDDEN', () => members[FINANCE].token],
    ['shopper', 'NOT_FOUND', () => shopper.token],
    ['owner of another shop', 'NOT_FOUND', () => other.owner.token],
    ['OPERATIONS staff member', 'NOT_FOUND', () => ops.token],
    ['anonymous caller', 'UNAUTHENTICATED', () => undefined],
  ])('refuses a %s with %s and changes nothing', async (_who, expected, token) => {
    const v = await variant(shop, 10);
    const res = await t.gql(ADJUST, { input: { variantId: v.id, delta: -5, reason: 'DAMAGE' } }, { token: token() });
    expect(code(res)).toBe(expected);
    expect(res.data).toBeNull();
    expect(await stockOf(v)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await ledger(v)).toHaveLength(1);
  });

  it('never oversells: of 20 concurrent removals of one unit from 10, exactly 10 succeed', async () => {
    const v = await variant(shop, 10);
    const results = await Promise.all(Array.from({ length: 20 }, () => adjust(v, -1, shop.owner.token, { reason: 'DAMAGE' })));
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    const codes = results.map((r) => r.data!.adjustStock.errors[0]?.code ?? 'OK');
    expect(codes.filter((c) => c === 'OK')).toHaveLength(10);
    expect(codes.filter((c) => c === 'INSUFFICIENT_STOCK')).toHaveLength(10);
    expect(await stockOf(v)).toEqual({ on_hand: 0, reserved: 0 });
    const rows = await ledger(v);
    expect(rows.filter((r) => r.reason === 'DAMAGE')).toHaveLength(10);
    expect(rows.slice(1).every((r) => r.delta_on_hand === -1)).toBe(true);
    // Crossing the warning line (5) happened once, whatever the interleaving.
    expect(await alerts(v)).toEqual([{ available: 5, threshold: 5 }]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('submitStocktake', () => {
  it('sets on-hand stock to the counts and records each difference as a STOCKTAKE movement', async () => {
    const [a, b, c] = await variants(shop, { onHand: 10 }, { onHand: 4 }, { onHand: 0 });
    const res = await stocktake(
      shop,
      [
        { variantId: a.id, counted: 7 },
        { variantId: b.id, counted: 4 },
        { variantId: c.id, counted: 12 },
      ],
      members[OPERATOR].token,
      'Monthly count',
    );
    const out = res.data!.submitStocktake;
    expect(out.errors).toEqual([]);
    expect(out.stocktake).toMatchObject({ note: 'Monthly count', shop: { id: shop.shopId }, actor: { id: toGlobalId('User', members[OPERATOR].user.id) } });
    expect(out.stocktake.lines).toEqual([
      { variant: { id: a.id }, expected: 10, counted: 7, difference: -3 },
      { variant: { id: b.id }, expected: 4, counted: 4, difference: 0 },
      { variant: { id: c.id }, expected: 0, counted: 12, difference: 12 },
    ]);
    expect([await stockOf(a), await stockOf(b), await stockOf(c)].map((s) => s.on_hand)).toEqual([7, 4, 12]);

    const stocktakeKey = decodeId('Stocktake', out.stocktake.id);
    expect((await ledger(a)).at(-1)).toMatchObject({ delta_on_hand: -3, reason: 'STOCKTAKE', note: 'Monthly count', stocktake_id: stocktakeKey });
    expect(await ledger(b)).toHaveLength(1);
    expect((await ledger(c)).at(-1)).toMatchObject({ delta_on_hand: 12, reason: 'STOCKTAKE', stocktake_id: stocktakeKey });
    expect(await t.sql('select count(*)::int as n from stocktake_line where stocktake_id = ?', [stocktakeKey])).toEqual([{ n: 3 }]);

    // Its members refetch it by ID; other shops cannot.
    const NODE = `query($id: ID!) { node(id: $id) { ... on Stocktake { id lines { counted } } } }`;
    expect((await t.gql(NODE, { id: out.stocktake.id }, { token: members[FINANCE].token })).data!.node.lines).toHaveLength(3);
    expect((await t.gql(NODE, { id: out.stocktake.id }, { token: other.owner.token })).data!.node).toBeNull();
  });

  it('refuses a count below the reserved units with INSUFFICIENT_STOCK naming the count, and changes nothing', async () => {
    const [a, b] = await variants(shop, { onHand: 10 }, { onHand: 10 });
    await t.sql('update product_variant set reserved = 4 where id = ?', [b.key]);
    const before = (await t.sql('select count(*)::int as n from stocktake'))[0].n;
    const res = await stocktake(shop, [
      { variantId: a.id, counted: 9 },
      { variantId: b.id, counted: 3 },
    ]);
    expect(res.data!.submitStocktake).toEqual({
      stocktake: null,
      errors: [{ code: 'INSUFFICIENT_STOCK', field: ['input', 'counts', '1', 'counted'], message: expect.any(String) }],
    });
    expect(await stockOf(a)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await stockOf(b)).toEqual({ on_hand: 10, reserved: 4 });
    expect(await ledger(a)).toHaveLength(1);
    expect((await t.sql('select count(*)::int as n from stocktake'))[0].n).toBe(before);
  });

  it('refuses a stocktake naming a variant of another shop with NOT_FOUND, and changes nothing', async () => {
    const mine = await variant(shop, 10);
    const theirs = await variant(other, 10);
    const before = (await t.sql('select count(*)::int as n from stocktake'))[0].n;
    const res = await stocktake(shop, [
      { variantId: mine.id, counted: 2 },
      { variantId: theirs.id, counted: 2 },
    ]);
    expect(code(res)).toBe('NOT_FOUND');
    expect(res.data).toBeNull();
    expect(await stockOf(mine)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await stockOf(theirs)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await ledger(mine)).toHaveLength(1);
    expect(await ledger(theirs)).toHaveLength(1);
    expect((await t.sql('select count(*)::int as n from stocktake'))[0].n).toBe(before);
  });

  it('refuses a variant counted twice, a negative count and an empty list with INVALID_INPUT', async () => {
    const v = await variant(shop, 10);
    const twice = await stocktake(shop, [
      { variantId: v.id, counted: 1 },
      { variantId: v.id, counted: 2 },
    ]);
    expect(twice.data!.submitStocktake.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'counts', '1', 'variantId'], message: expect.any(String) }]);
    const negative = await stocktake(shop, [{ variantId: v.id, counted: -1 }]);
    expect(negative.data!.submitStocktake.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'counts', '0', 'counted'], message: expect.any(String) }]);
    const empty = await stocktake(shop, []);
    expect(empty.data!.submitStocktake.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'counts'], message: expect.any(String) }]);
    expect(await stockOf(v)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await ledger(v)).toHaveLength(1);
  });

  it('refuses SHOP_NOT_ACTIVE for a suspended shop', async () => {
    const s = await seller(t);
    const v = await variant(s, 10);
    await t.sql("update shop set status = 'SUSPENDED' where id = ?", [s.shop.id]);
    const res = await stocktake(s, [{ variantId: v.id, counted: 1 }]);
    expect(res.data!.submitStocktake.errors).toEqual([{ code: 'SHOP_NOT_ACTIVE', field: null, message: expect.any(String) }]);
    expect(await stockOf(v)).toEqual({ on_hand: 10, reserved: 0 });
  });

  it.each([
    ['CUSTOMER_SERVICE member', 'FORBIDDEN', () => members[CUSTOMER_SERVICE].token],
    ['FINANCE member', 'FORBIDDEN', () => members[FINANCE].token],
    ['shopper', 'NOT_FOUND', () => shopper.token],
    ['owner of another shop', 'NOT_FOUND', () => other.owner.token],
    ['anonymous caller', 'UNAUTHENTICATED', () => undefined],
  ])('refuses a %s with %s and changes nothing', async (_who, expected, token) => {
    const v = await variant(shop, 10);
    const res = await t.gql(STOCKTAKE, { input: { shopId: shop.shopId, counts: [{ variantId: v.id, counted: 0 }] } }, { token: token() });
    expect(code(res)).toBe(expected);
    expect(res.data).toBeNull();
    expect(await stockOf(v)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await ledger(v)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('low-stock warnings', () => {
  it('raise one alert when available stock crosses the warning line, not again while it stays below', async () => {
    const s = await seller(t);
    const v = await variant(s, 10, 5);
    const listed = async () => (await t.gql(LOW_STOCK, { id: s.shopId }, { token: s.owner.token })).data!.shop.lowStockVariants;

    expect((await adjust(v, -4, s.owner.token)).data!.adjustStock.errors).toEqual([]);
    expect(await alerts(v)).toEqual([]);
    expect((await listed()).totalCount).toBe(0);

    await adjust(v, -1, s.owner.token);
    expect(await alerts(v)).toEqual([{ available: 5, threshold: 5 }]);
    expect((await listed()).nodes).toEqual([{ id: v.id, sku: expect.any(String), stock: { available: 5 }, lowStockThreshold: 5 }]);

    await adjust(v, -2, s.owner.token);
    expect(await alerts(v)).toHaveLength(1);

    // Restocked above the line, then counted back down to it: a new crossing, a new alert.
    await adjust(v, 10, s.owner.token);
    expect((await listed()).totalCount).toBe(0);
    expect((await stocktake(s, [{ variantId: v.id, counted: 2 }])).data!.submitStocktake.errors).toEqual([]);
    expect(await alerts(v)).toEqual([
      { available: 5, threshold: 5 },
      { available: 2, threshold: 5 },
    ]);

    const shown = (await t.gql(ALERTS, { id: s.shopId }, { token: s.owner.token })).data!.shop.stockAlerts;
    expect(shown.totalCount).toBe(2);
    expect(shown.nodes.map((a: any) => [a.available, a.variant.id])).toEqual([
      [2, v.id],
      [5, v.id],
    ]);
  });

  it('count reserved units as unavailable', async () => {
    const s = await seller(t);
    const v = await variant(s, 10, 5);
    await t.sql('update product_variant set reserved = 4 where id = ?', [v.key]);
    await adjust(v, -1, s.owner.token);
    expect(await alerts(v)).toEqual([{ available: 5, threshold: 5 }]);
  });

  it('list only live variants at or below their line, paged by id', async () => {
    const s = await seller(t);
    const [low1, , low2, atLine] = await variants(s, { onHand: 0 }, { onHand: 20 }, { onHand: 3 }, { onHand: 5, threshold: 5 });
    const [archived] = await variants(s, { onHand: 1 });
    await t.sql('update product_variant set archived = true where id = ?', [archived.key]);

    const first = (await t.gql(LOW_STOCK, { id: s.shopId, first: 2 }, { token: s.owner.token })).data!.shop.lowStockVariants;
    expect(first.totalCount).toBe(3);
    expect(first.nodes.map((n: any) => n.id)).toEqual([low1.id, low2.id]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await t.gql(LOW_STOCK, { id: s.shopId, first: 2, after: first.pageInfo.endCursor }, { token: s.owner.token })).data!.shop.lowStockVariants;
    expect(second.nodes.map((n: any) => n.id)).toEqual([atLine.id]);
    expect(second.pageInfo.hasNextPage).toBe(false);

    // Staff see it too.
    expect((await t.gql(LOW_STOCK, { id: s.shopId }, { token: ops.token })).data!.shop.lowStockVariants.totalCount).toBe(3);
  });

  it('are hidden from shoppers, other shops and anonymous callers', async () => {
    for (const query of [LOW_STOCK, ALERTS]) {
      for (const token of [shopper.token, other.owner.token]) {
        const res = await t.gql(query, { id: shop.shopId }, { token });
        expect(['FORBIDDEN', 'NOT_FOUND']).toContain(code(res));
        expect(res.data!.shop).toBeNull();
      }
      expect(code(await t.gql(query, { id: shop.shopId }))).toBe('UNAUTHENTICATED');
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('stockMovements', () => {
  it('lists the ledger newest first, paged with first/after, with the actor', async () => {
    const v = await variant(shop, 10);
    await adjust(v, 5, shop.owner.token, { note: 'first' });
    await adjust(v, -2, members[MANAGER].token, { reason: 'DAMAGE', note: 'second' });
    await adjust(v, 1, members[OPERATOR].token, { reason: 'RETURN', note: 'third' });

    const page = async (after?: string) => {
      const res = await t.gql(MOVEMENTS, { id: v.productId, first: 2, after }, { token: members[FINANCE].token });
      expect(res.errors).toBeUndefined();
      return res.data!.product.variants[0].stockMovements;
    };
    const first = await page();
    expect(first.totalCount).toBe(4);
    expect(first.edges.map((e: any) => e.node)).toEqual([
      { deltaOnHand: 1, deltaReserved: 0, reason: 'RETURN', note: 'third', at: expect.any(String), actor: { id: toGlobalId('User', members[OPERATOR].user.id) } },
      { deltaOnHand: -2, deltaReserved: 0, reason: 'DAMAGE', note: 'second', at: expect.any(String), actor: { id: toGlobalId('User', members[MANAGER].user.id) } },
    ]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(first.pageInfo.endCursor);
    expect(second.edges.map((e: any) => [e.node.reason, e.node.deltaOnHand])).toEqual([
      ['RESTOCK', 5],
      ['INITIAL', 10],
    ]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('is shown to staff and hidden from shoppers, other shops and anonymous callers', async () => {
    const productId = await listedProduct(t, shop, reviewer.token, productInput(shop.shopId, category));
    const staffView = await t.gql(MOVEMENTS, { id: productId }, { token: ops.token });
    expect(staffView.errors).toBeUndefined();
    expect(staffView.data!.product.variants[0].stockMovements.totalCount).toBe(1);
    for (const token of [shopper.token, other.owner.token]) {
      const res = await t.gql(MOVEMENTS, { id: productId }, { token });
      expect(['FORBIDDEN', 'NOT_FOUND']).toContain(code(res));
      expect(JSON.stringify(res.data)).not.toMatch(/INITIAL/);
    }
    const anonymous = await t.gql(MOVEMENTS, { id: productId });
    expect(code(anonymous)).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(anonymous.data)).not.toMatch(/INITIAL/);
  });
});

describe('stock updates and the variant indexes', () => {
  /**
   * Runs `work` in a transaction that is rolled back, and says how many product_variant updates it
   * made and how many were HOT. The per-backend counters may still hold earlier transactions' counts
   * (PostgreSQL flushes them at most once a second), so this takes the difference across `work`.
   */
  async function updatesOf(work: (em: EntityManager) => Promise<void>): Promise<{ updated: number; hot: number }> {
    const COUNTERS = "select pg_stat_get_xact_tuples_updated('product_variant'::regclass)::int as updated, pg_stat_get_xact_tuples_hot_updated('product_variant'::regclass)::int as hot";
    let counts = { updated: 0, hot: 0 };
    await t.orm.em
      .fork()
      .transactional(async (em) => {
        const [before] = await em.execute(COUNTERS);
        await work(em);
        const [after] = await em.execute(COUNTERS);
        counts = { updated: after.updated - before.updated, hot: after.hot - before.hot };
        throw new Error('roll back');
      })
      .catch((err: Error) => {
        if (err.message !== 'roll back') throw err;
      });
    return counts;
  }

  it('reserves and sells without new index entries (HOT updates) while the variant stays in stock and above its warning line', async () => {
    const v = await variant(shop, 100, 5);
    expect(await updatesOf(async (em) => void (await reserveStock(em, [{ variantId: v.key, quantity: 3 }], new Date())))).toEqual({ updated: 1, hot: 1 });
  });

  it('updates the in-stock and low-stock flags when stock crosses them', async () => {
    const v = await variant(shop, 6, 5);
    const flags = async () => (await t.sql('select in_stock, low_stock from product_variant where id = ?', [v.key]))[0];
    expect(await flags()).toEqual({ in_stock: true, low_stock: false });
    expect((await adjust(v, -1)).data!.adjustStock.errors).toEqual([]);
    expect(await flags()).toEqual({ in_stock: true, low_stock: true });
    expect((await adjust(v, -5)).data!.adjustStock.errors).toEqual([]);
    expect(await flags()).toEqual({ in_stock: false, low_stock: true });
  });
});
