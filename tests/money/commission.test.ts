import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { keyOf, okPayload } from '../helpers/kit';
import { expectLedgerInvariants, postings } from '../helpers/ledger';
import { type Scenario, scenario } from '../helpers/scenario';

/**
 * Commission: snapshotted on each order line at checkout as round_half_even(line total × rate),
 * the rate being the shop's own, else the nearest category's up the product's path, else
 * DEFAULT_COMMISSION_RATE (0.025 here, so whole-fen prices hit exact halves). Never recomputed.
 */

const clock = new ManualClock(new Date('2031-05-01T08:00:00Z'));
const CREATE_CATEGORY = `mutation($input: CategoryInput!) { createCategory(input: $input) { category { id } errors { code field } } }`;
const UPDATE_CATEGORY = `mutation($input: UpdateCategoryInput!) { updateCategory(input: $input) { category { id } errors { code field } } }`;

let t: TestApp;
let ops: { token: string };

beforeAll(async () => {
  t = await createTestApp({ DEFAULT_COMMISSION_RATE: '0.025' }, { clock });
  ops = await staff(t, StaffRole.OPERATIONS);
});
afterAll(() => t.close());

/** A category made through the API (OPERATIONS); returns its global ID. */
async function category(opts: { parentId?: string; commissionRate?: string } = {}): Promise<string> {
  const input = { name: `Cat ${Math.random().toString(36).slice(2, 8)}`, ...opts };
  return okPayload(await t.gql(CREATE_CATEGORY, { input }, { token: ops.token }), 'createCategory', 'category').id;
}

const setShopRate = (shopId: string, rate: string | null) => t.sql('update shop set commission_rate = ? where id = ?', [rate, keyOf(shopId)]);

interface LineRow {
  price: number;
  quantity: number;
  rate: string;
  commission: number;
}

/** An order's lines as snapshotted, by price then quantity. */
async function linesOf(orderKey: string): Promise<LineRow[]> {
  const rows = await t.sql(
    'select unit_price as price, quantity, commission_rate::text as rate, commission from order_line where order_id = ? order by unit_price, quantity, id',
    [orderKey],
  );
  return rows.map((r) => ({ price: Number(r.price), quantity: r.quantity, rate: r.rate, commission: Number(r.commission) }));
}

async function orderRow(orderKey: string): Promise<{ total: number; commission: number }> {
  const [row] = await t.sql('select total, commission from orders where id = ?', [orderKey]);
  return { total: Number(row.total), commission: Number(row.commission) };
}

/** The order of `s`'s latest checkout that belongs to shop `shopId`. */
const orderOf = (s: Scenario, shopId: string) => s.orders.find((o) => o.shop.id === shopId)!;

describe('the commission snapshot', () => {
  it('takes DEFAULT_COMMISSION_RATE when neither the shop nor a category has a rate, rounding exact halves to even; the order’s commission is the sum of its lines’', async () => {
    const s = await scenario(t)
      .shop()
      .product({ variants: [{ price: 100 }, { price: 140 }, { price: 60 }, { price: 20 }, { price: 101 }, { price: 100 }] })
      .buyer()
      .inCart(1, 0)
      .inCart(1, 1)
      .inCart(1, 2)
      .inCart(1, 3)
      .inCart(1, 4)
      // The quantity counts: 3 × 1.00 = 3.00, × 0.025 = 7.5 fen.
      .inCart(3, 5)
      .checkout()
      .run();

    expect(await linesOf(s.order.key)).toEqual([
      { price: 20, quantity: 1, rate: '0.0250', commission: 0 }, // 0.5 → 0
      { price: 60, quantity: 1, rate: '0.0250', commission: 2 }, // 1.5 → 2
      { price: 100, quantity: 1, rate: '0.0250', commission: 2 }, // 2.5 → 2
      { price: 100, quantity: 3, rate: '0.0250', commission: 8 }, // 7.5 → 8
      { price: 101, quantity: 1, rate: '0.0250', commission: 3 }, // 2.525 → 3
      { price: 140, quantity: 1, rate: '0.0250', commission: 4 }, // 3.5 → 4
    ]);
    expect((await orderRow(s.order.key)).commission).toBe(0 + 2 + 2 + 8 + 3 + 4);
  });

  it('takes the rate of the product’s category, else of its nearest ancestor that has one, else the default', async () => {
    const root = await category({ commissionRate: '0.1' });
    const child = await category({ parentId: root });
    const grandchild = await category({ parentId: child, commissionRate: '0.0125' });
    const unrated = await category();
    const s = await scenario(t)
      .shop()
      .buyer()
      .product({ categoryId: grandchild, variants: [{ price: 200 }, { price: 600 }] })
      .inCart(1, 0)
      .inCart(1, 1)
      .product({ categoryId: child, price: 105 })
      .inCart(1)
      .product({ categoryId: root, price: 115 })
      .inCart(1)
      .product({ categoryId: unrated, price: 180 })
      .inCart(1)
      .checkout()
      .run();

    expect(await linesOf(s.order.key)).toEqual([
      { price: 105, quantity: 1, rate: '0.1000', commission: 10 }, // the child has none: its parent's 0.1; 10.5 → 10
      { price: 115, quantity: 1, rate: '0.1000', commission: 12 }, // 11.5 → 12
      { price: 180, quantity: 1, rate: '0.0250', commission: 4 }, // no category rate: the default; 4.5 → 4
      { price: 200, quantity: 1, rate: '0.0125', commission: 2 }, // its own, nearer than the root's; 2.5 → 2
      { price: 600, quantity: 1, rate: '0.0125', commission: 8 }, // 7.5 → 8
    ]);
    expect((await orderRow(s.order.key)).commission).toBe(36);
  });

  it('takes the shop’s own rate over any category’s, and posts exactly the snapshotted commission when paid', async () => {
    const rated = await category({ commissionRate: '0.0125' });
    const shop = (await scenario(t).shop().run()).shop;
    await setShopRate(shop.shopId, '0.075');
    const s = await scenario(t)
      .shop(shop)
      .buyer()
      .product({ categoryId: rated, variants: [{ price: 100 }, { price: 300 }] })
      .inCart(1, 0)
      .inCart(1, 1)
      .paid()
      .run();

    expect(await linesOf(s.order.key)).toEqual([
      { price: 100, quantity: 1, rate: '0.0750', commission: 8 }, // 7.5 → 8
      { price: 300, quantity: 1, rate: '0.0750', commission: 22 }, // 22.5 → 22
    ]);
    const { total, commission } = await orderRow(s.order.key);
    expect(commission).toBe(30);
    const [payment] = await postings(t, `p.kind = 'PAYMENT' and p.payment_id = ?`, [keyOf(s.payment.id)]);
    expect(payment.entries).toEqual([
      { account: 'BUYER_PAYMENTS', amount: total, shop: s.shop.shop.id, order: s.order.key },
      { account: 'PLATFORM_COMMISSION', amount: -30, shop: s.shop.shop.id, order: s.order.key },
      { account: 'SHOP_PAYABLE', amount: -(total - 30), shop: s.shop.shop.id, order: s.order.key },
    ]);
  });

  it('takes a rate of 0 as no commission and a rate of 1 as the whole line', async () => {
    const free = await scenario(t).shop().run();
    const whole = await scenario(t).shop().run();
    await setShopRate(free.shop.shopId, '0');
    await setShopRate(whole.shop.shopId, '1');
    const s = await scenario(t).buyer().shop(free.shop).product({ price: 999 }).inCart(2).shop(whole.shop).product({ price: 333 }).inCart(3).paid().run();

    const freeOrder = orderOf(s, free.shop.shopId);
    const wholeOrder = orderOf(s, whole.shop.shopId);
    expect(await linesOf(freeOrder.key)).toEqual([{ price: 999, quantity: 2, rate: '0.0000', commission: 0 }]);
    expect(await linesOf(wholeOrder.key)).toEqual([{ price: 333, quantity: 3, rate: '1.0000', commission: 999 }]);
    const [payment] = await postings(t, `p.payment_id = ?`, [keyOf(s.payment.id)]);
    // A zero commission posts no commission entry at all.
    expect(payment.entries.filter((e) => e.order === freeOrder.key).map((e) => e.account)).toEqual(['BUYER_PAYMENTS', 'SHOP_PAYABLE']);
    expect(payment.entries.find((e) => e.order === wholeOrder.key && e.account === 'PLATFORM_COMMISSION')?.amount).toBe(-999);
    await expectLedgerInvariants(t);
  });

  it('never changes after checkout: new shop and category rates apply to new checkouts only', async () => {
    const cat = await category({ commissionRate: '0.02' });
    const journey = scenario(t).shop().product({ categoryId: cat, price: 1250 }).buyer().inCart(2).checkout();
    const s = await journey.run();
    const placed = await linesOf(s.order.key);
    expect(placed).toEqual([{ price: 1250, quantity: 2, rate: '0.0200', commission: 50 }]);

    // The rates change while the order is unpaid, and again before it completes.
    okPayload(await t.gql(UPDATE_CATEGORY, { input: { id: cat, commissionRate: '0.3' } }, { token: ops.token }), 'updateCategory');
    await journey.paid().run();
    await setShopRate(s.shop.shopId, '0.5');
    await journey.completed().run();

    expect(await linesOf(s.order.key)).toEqual(placed);
    const { total, commission } = await orderRow(s.order.key);
    expect(commission).toBe(50);
    const [payment] = await postings(t, `p.payment_id = ?`, [keyOf(s.payment.id)]);
    expect(payment.entries.find((e) => e.account === 'PLATFORM_COMMISSION')?.amount).toBe(-50);
    expect(payment.entries.find((e) => e.account === 'SHOP_PAYABLE')?.amount).toBe(-(total - 50));

    // The changes took: a checkout now has the shop's new rate, and without it the category's.
    const now = await scenario(t).shop(s.shop).product({ categoryId: cat, price: 1250 }).buyer(s.buyer).inCart(1).checkout().run();
    expect(await linesOf(now.order.key)).toEqual([{ price: 1250, quantity: 1, rate: '0.5000', commission: 625 }]);
    await setShopRate(s.shop.shopId, null);
    const after = await scenario(t).shop(s.shop).product({ categoryId: cat, price: 1250 }).buyer(s.buyer).inCart(1).checkout().run();
    expect(await linesOf(after.order.key)).toEqual([{ price: 1250, quantity: 1, rate: '0.3000', commission: 375 }]);
  });

  it('gives each order of a multi-shop checkout its own shop’s rate', async () => {
    const a = (await scenario(t).shop().run()).shop;
    const b = (await scenario(t).shop().run()).shop;
    const c = (await scenario(t).shop().run()).shop; // no rate of its own: the default
    await setShopRate(a.shopId, '0.05');
    await setShopRate(b.shopId, '0.2');
    const s = await scenario(t)
      .buyer()
      .shop(a)
      .product({ price: 1010 })
      .inCart(1)
      .shop(b)
      .product({ price: 1010 })
      .inCart(1)
      .shop(c)
      .product({ price: 1010 })
      .inCart(1)
      .paid()
      .run();

    expect(s.orders).toHaveLength(3);
    expect(await linesOf(orderOf(s, a.shopId).key)).toEqual([{ price: 1010, quantity: 1, rate: '0.0500', commission: 50 }]); // 50.5 → 50
    expect(await linesOf(orderOf(s, b.shopId).key)).toEqual([{ price: 1010, quantity: 1, rate: '0.2000', commission: 202 }]);
    expect(await linesOf(orderOf(s, c.shopId).key)).toEqual([{ price: 1010, quantity: 1, rate: '0.0250', commission: 25 }]); // 25.25 → 25
    const [payment] = await postings(t, `p.payment_id = ?`, [keyOf(s.payment.id)]);
    const commissionOf = (shopId: string) => payment.entries.find((e) => e.order === orderOf(s, shopId).key && e.account === 'PLATFORM_COMMISSION')?.amount;
    expect([commissionOf(a.shopId), commissionOf(b.shopId), commissionOf(c.shopId)]).toEqual([-50, -202, -25]);
    await expectLedgerInvariants(t);
  });
});
