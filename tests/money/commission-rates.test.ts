import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole as M, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { createCategory } from '../helpers/factories';
import { code, failuresOf, idOf, okPayload } from '../helpers/kit';
import { type Scenario, scenario, type ScenarioShop } from '../helpers/scenario';

/**
 * Commission rates: `setShopCommissionRate` (staff FINANCE), the rate each checkout snapshots on its
 * lines (the shop's own, else the category's, else DEFAULT_COMMISSION_RATE), and who may read the
 * commission of an order and its lines.
 */

const clock = new ManualClock(new Date('2031-07-07T02:00:00Z'));
const SET_RATE = `mutation($input: SetShopCommissionRateInput!) { setShopCommissionRate(input: $input) { shop { id commissionRate } errors { code field } } }`;
const UPDATE_CATEGORY = `mutation($input: UpdateCategoryInput!) { updateCategory(input: $input) { category { id } errors { code } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id number commission { amountMinor } lines { sku commissionRate commission { amountMinor } } } }`;
const LEDGER_ORDERS = `query($filter: LedgerFilter!) { ledgerEntries(filter: $filter) { nodes { order { id commission { amountMinor } lines { commissionRate commission { amountMinor } } } } } }`;

let t: TestApp;
let finance: string;
let operations: string;

beforeAll(async () => {
  t = await createTestApp({ DEFAULT_COMMISSION_RATE: '0.05' }, { clock });
  finance = (await staff(t, StaffRole.FINANCE)).token;
  operations = (await staff(t, StaffRole.OPERATIONS)).token;
});
afterAll(() => t.close());

const setRate = (shop: ScenarioShop, commissionRate: string | null, token = finance) => t.gql(SET_RATE, { input: { shopId: shop.shopId, commissionRate } }, { token });

/** The commission rate and amount snapshotted on the single line of the order, as its shop's OWNER reads them. */
async function lineCommission(s: Scenario): Promise<{ rate: number; commission: number; orderCommission: number }> {
  const res = await t.gql(ORDER, { id: s.order.id }, { token: s.shop.owner.token });
  expect(res.errors).toBeUndefined();
  const order = res.data!.order;
  return { rate: Number(order.lines[0].commissionRate), commission: order.lines[0].commission.amountMinor, orderCommission: order.commission.amountMinor };
}

describe('setShopCommissionRate', () => {
  it('sets the shop’s own rate for later checkouts, earlier orders keeping theirs, and audits it', async () => {
    const before = await scenario(t).shop().product({ price: 33333 }).buyer().inCart(1).checkout().run();
    expect(await lineCommission(before)).toEqual({ rate: 0.05, commission: 1667, orderCommission: 1667 });

    const shop = okPayload(await setRate(before.shop, '0.08'), 'setShopCommissionRate', 'shop');
    expect(shop).toEqual({ id: before.shop.shopId, commissionRate: '0.08' });
    const after = await scenario(t).shop(before.shop).product({ price: 33333 }).buyer().inCart(1).checkout().run();
    // 333.33 × 8% = 26.6664, rounded to 26.67.
    expect(await lineCommission(after)).toEqual({ rate: 0.08, commission: 2667, orderCommission: 2667 });
    expect(await lineCommission(before)).toEqual({ rate: 0.05, commission: 1667, orderCommission: 1667 });

    const [audit] = await t.sql(`select action, before, after from audit_entry where target_type = 'Shop' and target_id = ? and action = 'shop.setCommissionRate'`, [before.shop.shop.id]);
    expect(audit).toMatchObject({ before: { commissionRate: null }, after: { commissionRate: '0.08' } });
  });

  it('clears the shop’s rate: the category’s rate applies again, and without one DEFAULT_COMMISSION_RATE', async () => {
    const category = await createCategory(t);
    const categoryId = idOf('Category', category.id);
    okPayload(await t.gql(UPDATE_CATEGORY, { input: { id: categoryId, commissionRate: '0.1' } }, { token: operations }), 'updateCategory');
    const s = await scenario(t, { categoryId }).shop().run();
    okPayload(await setRate(s.shop, '0.02'), 'setShopCommissionRate');
    const buy = async () => lineCommission(await scenario(t, { categoryId }).shop(s.shop).product({ price: 10000 }).buyer().inCart(1).checkout().run());

    expect(await buy()).toMatchObject({ rate: 0.02, commission: 200 });
    expect(okPayload(await setRate(s.shop, null), 'setShopCommissionRate', 'shop').commissionRate).toBeNull();
    expect(await buy()).toMatchObject({ rate: 0.1, commission: 1000 });
    okPayload(await t.gql(UPDATE_CATEGORY, { input: { id: categoryId, commissionRate: null } }, { token: operations }), 'updateCategory');
    expect(await buy()).toMatchObject({ rate: 0.05, commission: 500 });
  });

  it('refuses a rate outside 0–1 or with more than 4 decimals (INVALID_INPUT) and an unknown shop (SHOP_NOT_FOUND), changing nothing', async () => {
    const s = await scenario(t).shop().run();
    for (const rate of ['1.5', '-0.1', '0.12345']) expect(failuresOf(await setRate(s.shop, rate), 'setShopCommissionRate', 'shop')).toEqual([['INVALID_INPUT', 'input.commissionRate']]);
    const unknown = await t.gql(SET_RATE, { input: { shopId: idOf('Shop', '999999999'), commissionRate: '0.1' } }, { token: finance });
    expect(failuresOf(unknown, 'setShopCommissionRate', 'shop')).toEqual([['SHOP_NOT_FOUND', 'input.shopId']]);
    const [row] = await t.sql('select commission_rate from shop where id = ?', [s.shop.shop.id]);
    expect(row.commission_rate).toBeNull();
  });

  it('is for staff FINANCE and ADMIN only: FORBIDDEN to the shop’s OWNER, other staff and shoppers', async () => {
    const s = await scenario(t).shop().buyer().run();
    for (const token of [s.shop.owner.token, operations, (await staff(t, StaffRole.RISK)).token, s.buyer.token]) expect(code(await setRate(s.shop, '0.2', token))).toBe('FORBIDDEN');
    expect(code(await t.gql(SET_RATE, { input: { shopId: s.shop.shopId, commissionRate: '0.2' } }))).toBe('UNAUTHENTICATED');
    const admin = (await staff(t, StaffRole.ADMIN)).token;
    expect(okPayload(await setRate(s.shop, '0.2', admin), 'setShopCommissionRate', 'shop').commissionRate).toBe('0.2');
  });
});

describe('who reads commission', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario(t).shop({ members: [M.FINANCE, M.MANAGER, M.OPERATOR, M.CUSTOMER_SERVICE] }).product({ price: 10000 }).buyer().inCart(2).paid().run();
  });

  it('shows the order’s and its lines’ commission to the shop’s OWNER and FINANCE members and to ADMIN', async () => {
    for (const token of [s.shop.owner.token, s.shop.members.FINANCE!.token, (await staff(t, StaffRole.ADMIN)).token]) {
      const res = await t.gql(ORDER, { id: s.order.id }, { token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.order).toMatchObject({ commission: { amountMinor: 1000 }, lines: [{ commissionRate: '0.0500', commission: { amountMinor: 1000 } }] });
    }
  });

  it('shows it to staff FINANCE wherever they reach the order', async () => {
    const res = await t.gql(LEDGER_ORDERS, { filter: { account: 'SHOP_PAYABLE', shopId: s.shop.shopId } }, { token: finance });
    expect(res.errors).toBeUndefined();
    expect(res.data!.ledgerEntries.nodes).toEqual([{ order: { id: s.order.id, commission: { amountMinor: 1000 }, lines: [{ commissionRate: '0.0500', commission: { amountMinor: 1000 } }] } }]);
  });

  it('answers FORBIDDEN on the commission fields alone to the buyer, other shop roles and order staff', async () => {
    const callers = [
      s.buyer.token,
      s.shop.members.MANAGER!.token,
      s.shop.members.OPERATOR!.token,
      s.shop.members.CUSTOMER_SERVICE!.token,
      (await staff(t, StaffRole.CUSTOMER_SERVICE)).token,
      operations,
    ];
    for (const token of callers) {
      const res = await t.gql(ORDER, { id: s.order.id }, { token });
      expect(res.data!.order).toEqual({ id: s.order.id, number: s.order.number, commission: null, lines: [{ sku: s.order.lines[0].sku, commissionRate: null, commission: null }] });
      expect(res.errors!.map((e) => [e.extensions!.code, e.path!.join('.')]).sort()).toEqual([
        ['FORBIDDEN', 'order.commission'],
        ['FORBIDDEN', 'order.lines.0.commission'],
        ['FORBIDDEN', 'order.lines.0.commissionRate'],
      ]);
    }
  });

  it('shows the shop’s own rate to its OWNER and FINANCE members and to staff, FORBIDDEN to its other roles', async () => {
    const SHOP_RATE = `query($id: ID!) { shop(id: $id) { id commissionRate } }`;
    for (const token of [s.shop.owner.token, s.shop.members.FINANCE!.token, operations]) {
      const res = await t.gql(SHOP_RATE, { id: s.shop.shopId }, { token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.shop).toEqual({ id: s.shop.shopId, commissionRate: null });
    }
    for (const token of [s.shop.members.MANAGER!.token, s.shop.members.OPERATOR!.token, s.shop.members.CUSTOMER_SERVICE!.token]) {
      const res = await t.gql(SHOP_RATE, { id: s.shop.shopId }, { token });
      expect(res.errors!.map((e) => [e.extensions!.code, e.path!.join('.')])).toEqual([['FORBIDDEN', 'shop.commissionRate']]);
    }
  });

  it('costs no query per line: a page of orders with their lines’ commission takes at most one query more', async () => {
    for (let i = 0; i < 3; i++) await scenario(t).shop(s.shop).product({ price: 1000 }).buyer().inCart(1).checkout().run();
    const page = (fields: string) => `query($id: ID!) { shop(id: $id) { orders(first: 20) { nodes { id lines { sku ${fields} } } } } }`;
    const plain = await t.countQueries(page(''), { id: s.shop.shopId }, { token: s.shop.owner.token });
    const withCommission = await t.countQueries(page('commissionRate commission { amountMinor }'), { id: s.shop.shopId }, { token: s.shop.owner.token });
    expect(withCommission.result.errors).toBeUndefined();
    expect(withCommission.result.data!.shop.orders.nodes).toHaveLength(4);
    expect(withCommission.queries).toBeLessThanOrEqual(plain.queries + 1);
  });
});
