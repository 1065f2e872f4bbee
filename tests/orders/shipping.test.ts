import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { withQueryCount } from '../../src/db/queryCounter';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { quoteShipping, shippingFee } from '../../src/services/orders';
import { type TestApp, createTestApp } from '../helpers/app';
import { type Seller, seller, staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, keyOf } from '../helpers/kit';
import { scenario } from '../helpers/scenario';

const { OWNER, MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE } = ShopMemberRole;

const TEMPLATE_FIELDS = `id name isDefault
  rules { regions firstUnits firstFee { amount amountMinor } additionalUnits additionalFee { amount } }
  defaultRule { firstUnits firstFee { amount amountMinor currency } additionalUnits additionalFee { amount amountMinor } }
  freeShippingThreshold { amount amountMinor }
  shop { id }`;
const CREATE = `mutation($input: ShippingTemplateInput!) { createShippingTemplate(input: $input) { shippingTemplate { ${TEMPLATE_FIELDS} } errors { code field } } }`;
const UPDATE = `mutation($input: UpdateShippingTemplateInput!) { updateShippingTemplate(input: $input) { shippingTemplate { ${TEMPLATE_FIELDS} } errors { code field } } }`;
const SHOP_TEMPLATES = `query($id: ID!) { shop(id: $id) { shippingTemplates { id name isDefault } } }`;

type Account = { user: { id: string }; token: string };

const XINJIANG = '新疆維吾爾自治區';

/** The README example: 10.00 for the first unit, 5.00 for every further 2; Xinjiang 20.00 first. */
function standardInput(shopId: string, overrides: Record<string, unknown> = {}) {
  return {
    shopId,
    name: 'Standard courier',
    rules: [{ regions: [` ${XINJIANG} `, '西藏自治區'], firstUnits: 1, firstFee: '20.00', additionalUnits: 2, additionalFee: '5.00' }],
    defaultRule: { firstUnits: 1, firstFee: '10.00', additionalUnits: 2, additionalFee: 5 },
    ...overrides,
  };
}

let t: TestApp;
let shop: Seller;
let other: Seller;
const members = {} as Record<ShopMemberRole, Account>;

beforeAll(async () => {
  t = await createTestApp();
  // `shop` has one member of every role (invited and joined through the API); `other` only its OWNER.
  const { shops } = await scenario(t).shop({ members: [MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE] }).shop().run();
  [shop, other] = shops;
  Object.assign(members, shops[0].members);
});
afterAll(() => t.close());

async function createTemplate(s: Seller, overrides: Record<string, unknown> = {}, token = s.owner.token): Promise<{ id: string; isDefault: boolean }> {
  const res = await t.gql(CREATE, { input: standardInput(s.shopId, overrides) }, { token });
  const out = res.data?.createShippingTemplate;
  if (!out?.shippingTemplate) throw new Error(`createShippingTemplate failed: ${JSON.stringify(res.errors ?? out?.errors)}`);
  return out.shippingTemplate;
}

async function templateRows(s: Seller) {
  return t.sql('select id, name, is_default, rules, default_rule, free_shipping_threshold from shipping_template where shop_id = ? order by id', [s.shop.id]);
}

describe('the shipping fee: worked examples', () => {
  let examplesShop: Seller;
  /** A shop without templates. */
  let free: Seller;
  /** Database keys of the example shop's templates. */
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    [examplesShop, free] = [await seller(t), await seller(t)];
    await createTemplate(examplesShop, { freeShippingThreshold: '99.00' });
    await createTemplate(examplesShop, { name: 'Bulky', rules: [], defaultRule: { firstUnits: 1, firstFee: '30.00', additionalUnits: 1, additionalFee: '10.00' } });
    const [standard, bulky] = await templateRows(examplesShop);
    Object.assign(ids, { standard: String(standard.id), bulky: String(bulky.id) });
  });

  // Standard: first 1 unit 10.00, then 5.00 per 2 units; 新疆維吾爾自治區: first unit 20.00; free from 99.00.
  // Bulky: first unit 30.00, then 10.00 per unit. The fee per shop group sums its templates.
  it.each([
    { example: '1 unit → 10.00', lines: [['standard', 1]], subtotal: 1000, province: '浙江省', fee: '10.00' },
    { example: '2 units → 10.00 + 5.00 = 15.00', lines: [['standard', 2]], subtotal: 2000, province: '浙江省', fee: '15.00' },
    { example: '3 units → 10.00 + 5.00 = 15.00 (one started block of 2)', lines: [['standard', 3]], subtotal: 3000, province: '浙江省', fee: '15.00' },
    { example: '4 units → 10.00 + 2 × 5.00 = 20.00', lines: [['standard', 4]], subtotal: 4000, province: '浙江省', fee: '20.00' },
    { example: `3 units to ${XINJIANG} → its rule: 20.00 + 5.00 = 25.00`, lines: [['standard', 3]], subtotal: 3000, province: XINJIANG, fee: '25.00' },
    { example: 'the province is matched trimmed', lines: [['standard', 1]], subtotal: 1000, province: `  ${XINJIANG}\t`, fee: '20.00' },
    { example: 'no address yet → the default rule', lines: [['standard', 3]], subtotal: 3000, province: null, fee: '15.00' },
    { example: 'shop subtotal 98.99 < threshold 99.00 → charged', lines: [['standard', 2]], subtotal: 9899, province: '浙江省', fee: '15.00' },
    { example: 'shop subtotal 99.00 ≥ threshold 99.00 → 0.00', lines: [['standard', 2]], subtotal: 9900, province: '浙江省', fee: '0.00' },
    { example: 'lines of one template add up their units: 1 + 2 units → as 3 units = 15.00', lines: [['standard', 1], ['standard', 2]], subtotal: 3000, province: '浙江省', fee: '15.00' },
    { example: 'a product naming no template uses the shop default', lines: [[null, 4]], subtotal: 4000, province: '浙江省', fee: '20.00' },
    { example: 'two templates in one shop: standard 2 units (15.00) + bulky 2 units (30.00 + 10.00) = 55.00', lines: [['standard', 2], ['bulky', 2]], subtotal: 5000, province: '浙江省', fee: '55.00' },
    { example: 'the threshold waives only the template that has one: 0.00 + bulky 40.00 = 40.00', lines: [['standard', 2], ['bulky', 2]], subtotal: 10000, province: '浙江省', fee: '40.00' },
    { example: 'a shop without templates ships free → 0.00', lines: [[null, 5]], subtotal: 5000, province: '浙江省', fee: '0.00', noTemplates: true },
  ])('$example', async ({ lines, subtotal, province, fee, noTemplates }) => {
    const s = noTemplates ? free : examplesShop;
    const fees = await quoteShipping(
      t.orm.em.fork(),
      [{ shopId: s.shop.id, subtotal, lines: lines.map(([template, quantity]) => ({ templateId: template ? ids[template as string] : null, quantity: quantity as number })) }],
      province,
    );
    expect((fees.get(s.shop.id)! / 100).toFixed(2)).toBe(fee);
  });

  it('quotes several shops with one query for all their templates', async () => {
    const em = t.orm.em.fork();
    const { queries, result } = await withQueryCount(() =>
      quoteShipping(em, [
        { shopId: examplesShop.shop.id, subtotal: 1000, lines: [{ templateId: null, quantity: 1 }] },
        { shopId: free.shop.id, subtotal: 1000, lines: [{ templateId: null, quantity: 1 }] },
      ], '浙江省'),
    );
    expect(queries).toBe(1);
    expect([...result.entries()]).toEqual([[examplesShop.shop.id, 1000], [free.shop.id, 0]]);
  });

  it('charges by the formula firstFee + ceil((u − firstUnits) / additionalUnits) × additionalFee', () => {
    const template = { rules: [], defaultRule: { firstUnits: 3, firstFee: 800, additionalUnits: 5, additionalFee: 300 } };
    expect([0, 1, 3, 4, 8, 9, 13].map((u) => shippingFee(template, u, null))).toEqual([0, 800, 800, 1100, 1100, 1400, 1400]);
  });

  it('applies the first rule that lists the province', () => {
    const template = {
      rules: [
        { regions: ['A'], firstUnits: 1, firstFee: 100, additionalUnits: 1, additionalFee: 0 },
        { regions: ['A', 'B'], firstUnits: 1, firstFee: 200, additionalUnits: 1, additionalFee: 0 },
      ],
      defaultRule: { firstUnits: 1, firstFee: 300, additionalUnits: 1, additionalFee: 0 },
    };
    expect(['A', 'B', 'C', 'a'].map((p) => shippingFee(template, 1, p))).toEqual([100, 200, 300, 300]);
  });
});

describe('createShippingTemplate', () => {
  it('stores fees as minor units, trims regions, shows Money, and makes the first template the default', async () => {
    const s = await seller(t);
    const res = await t.gql(CREATE, { input: standardInput(s.shopId, { freeShippingThreshold: '99', isDefault: false }) }, { token: s.owner.token });
    expect(res.data!.createShippingTemplate.errors).toEqual([]);
    expect(res.data!.createShippingTemplate.shippingTemplate).toMatchObject({
      name: 'Standard courier',
      isDefault: true,
      rules: [{ regions: [XINJIANG, '西藏自治區'], firstUnits: 1, firstFee: { amount: '20.00', amountMinor: 2000 }, additionalUnits: 2, additionalFee: { amount: '5.00' } }],
      defaultRule: { firstUnits: 1, firstFee: { amount: '10.00', amountMinor: 1000, currency: 'CNY' }, additionalUnits: 2, additionalFee: { amount: '5.00', amountMinor: 500 } },
      freeShippingThreshold: { amount: '99.00', amountMinor: 9900 },
      shop: { id: s.shopId },
    });
    const [row] = await templateRows(s);
    expect(row).toMatchObject({
      is_default: true,
      rules: [{ regions: [XINJIANG, '西藏自治區'], firstUnits: 1, firstFee: 2000, additionalUnits: 2, additionalFee: 500 }],
      default_rule: { firstUnits: 1, firstFee: 1000, additionalUnits: 2, additionalFee: 500 },
      free_shipping_threshold: '9900',
    });
  });

  it('leaves the default alone for a later template, and moves it for one created with isDefault: true', async () => {
    const s = await seller(t);
    const first = await createTemplate(s);
    const second = await createTemplate(s, { name: 'Second' });
    expect(second.isDefault).toBe(false);
    const third = await createTemplate(s, { name: 'Third', isDefault: true });
    expect(third.isDefault).toBe(true);
    expect((await templateRows(s)).map((r) => [toGlobalId('ShippingTemplate', r.id), r.is_default])).toEqual([
      [first.id, false],
      [second.id, false],
      [third.id, true],
    ]);
  });

  it('makes exactly one of two first templates created at the same moment the default', async () => {
    const s = await seller(t);
    const results = await Promise.all([1, 2].map((i) => t.gql(CREATE, { input: standardInput(s.shopId, { name: `Race ${i}` }) }, { token: s.owner.token })));
    expect(results.map((r) => r.data!.createShippingTemplate.errors)).toEqual([[], []]);
    expect((await templateRows(s)).map((r) => r.is_default).sort()).toEqual([false, true]);
  });

  it.each([
    ['firstUnits below 1', { defaultRule: { firstUnits: 0, firstFee: '10', additionalUnits: 1, additionalFee: '1' } }, ['input', 'defaultRule', 'firstUnits']],
    ['additionalUnits below 1', { defaultRule: { firstUnits: 1, firstFee: '10', additionalUnits: 0, additionalFee: '1' } }, ['input', 'defaultRule', 'additionalUnits']],
    ['a fee with more decimals than the currency', { defaultRule: { firstUnits: 1, firstFee: '10.005', additionalUnits: 1, additionalFee: '1' } }, ['input', 'defaultRule', 'firstFee']],
    ['a negative fee', { defaultRule: { firstUnits: 1, firstFee: '10', additionalUnits: 1, additionalFee: '-1' } }, ['input', 'defaultRule', 'additionalFee']],
    ['a rule without provinces', { rules: [{ regions: [], firstUnits: 1, firstFee: '1', additionalUnits: 1, additionalFee: '1' }] }, ['input', 'rules', '0', 'regions']],
    ['a blank province', { rules: [{ regions: [' '], firstUnits: 1, firstFee: '1', additionalUnits: 1, additionalFee: '1' }] }, ['input', 'rules', '0', 'regions', '0']],
    ['a rule fee with three decimals', { rules: [{ regions: ['A'], firstUnits: 1, firstFee: '1.001', additionalUnits: 1, additionalFee: '1' }] }, ['input', 'rules', '0', 'firstFee']],
    ['a blank name', { name: '  ' }, ['input', 'name']],
    ['a threshold with three decimals', { freeShippingThreshold: '99.999' }, ['input', 'freeShippingThreshold']],
  ])('refuses %s with INVALID_INPUT and stores nothing', async (_what, overrides, field) => {
    const s = await seller(t);
    const res = await t.gql(CREATE, { input: standardInput(s.shopId, overrides) }, { token: s.owner.token });
    expect(res.data!.createShippingTemplate.shippingTemplate).toBeNull();
    expect(res.data!.createShippingTemplate.errors).toContainEqual({ code: 'INVALID_INPUT', field });
    expect(await templateRows(s)).toEqual([]);
  });

  it('refuses a closed shop with INVALID_TRANSITION', async () => {
    const s = await seller(t, 'CLOSED');
    const res = await t.gql(CREATE, { input: standardInput(s.shopId) }, { token: s.owner.token });
    expect(res.data!.createShippingTemplate.errors.map((e: { code: string }) => e.code)).toEqual(['INVALID_TRANSITION']);
    expect(await templateRows(s)).toEqual([]);
  });

  it.each([OWNER, MANAGER, OPERATOR])('lets the %s create one', async (role) => {
    const res = await t.gql(CREATE, { input: standardInput(shop.shopId, { name: `By ${role}` }) }, { token: members[role].token });
    expect(res.data!.createShippingTemplate.errors).toEqual([]);
    expect(res.data!.createShippingTemplate.shippingTemplate.name).toBe(`By ${role}`);
  });

  it.each([CUSTOMER_SERVICE, FINANCE])('is FORBIDDEN to the %s, and creates nothing', async (role) => {
    const before = await templateRows(shop);
    const res = await t.gql(CREATE, { input: standardInput(shop.shopId) }, { token: members[role].token });
    expect(code(res)).toBe('FORBIDDEN');
    expect(await templateRows(shop)).toEqual(before);
  });

  it("answers another shop's owner and a shopper with NOT_FOUND, anonymous with UNAUTHENTICATED", async () => {
    const before = await templateRows(shop);
    const shopper = await userWithToken(t);
    for (const token of [other.owner.token, shopper.token]) {
      expect(code(await t.gql(CREATE, { input: standardInput(shop.shopId) }, { token }))).toBe('NOT_FOUND');
    }
    expect(code(await t.gql(CREATE, { input: standardInput(shop.shopId) }))).toBe('UNAUTHENTICATED');
    expect(await templateRows(shop)).toEqual(before);
  });
});

describe('updateShippingTemplate', () => {
  it('changes the fields given, and an explicit null removes the threshold', async () => {
    const s = await seller(t);
    const tpl = await createTemplate(s, { freeShippingThreshold: '99.00' });
    const res = await t.gql(
      UPDATE,
      { input: { id: tpl.id, name: 'Express', rules: [], defaultRule: { firstUnits: 2, firstFee: '12.50', additionalUnits: 1, additionalFee: '3' } } },
      { token: s.owner.token },
    );
    expect(res.data!.updateShippingTemplate.errors).toEqual([]);
    expect(res.data!.updateShippingTemplate.shippingTemplate).toMatchObject({
      name: 'Express',
      rules: [],
      defaultRule: { firstUnits: 2, firstFee: { amount: '12.50' }, additionalUnits: 1, additionalFee: { amount: '3.00' } },
      freeShippingThreshold: { amount: '99.00' },
    });
    const cleared = await t.gql(UPDATE, { input: { id: tpl.id, freeShippingThreshold: null } }, { token: s.owner.token });
    expect(cleared.data!.updateShippingTemplate.shippingTemplate).toMatchObject({ name: 'Express', freeShippingThreshold: null });
    expect((await templateRows(s))[0]).toMatchObject({ name: 'Express', free_shipping_threshold: null, default_rule: { firstFee: 1250 } });
  });

  it('moves the default with isDefault: true, and refuses to unset it with INVALID_INPUT', async () => {
    const s = await seller(t);
    const a = await createTemplate(s);
    const b = await createTemplate(s, { name: 'B' });
    expect((await t.gql(UPDATE, { input: { id: b.id, isDefault: true } }, { token: s.owner.token })).data!.updateShippingTemplate.shippingTemplate.isDefault).toBe(true);
    expect((await templateRows(s)).map((r) => r.is_default)).toEqual([false, true]);
    const refused = await t.gql(UPDATE, { input: { id: b.id, isDefault: false, name: 'Renamed' } }, { token: s.owner.token });
    expect(refused.data!.updateShippingTemplate).toEqual({ shippingTemplate: null, errors: [{ code: 'INVALID_INPUT', field: ['input', 'isDefault'] }] });
    expect((await templateRows(s)).map((r) => [toGlobalId('ShippingTemplate', r.id), r.name, r.is_default])).toEqual([
      [a.id, 'Standard courier', false],
      [b.id, 'B', true],
    ]);
  });

  it('refuses invalid rules with INVALID_INPUT and changes nothing', async () => {
    const s = await seller(t);
    const tpl = await createTemplate(s);
    const before = await templateRows(s);
    const res = await t.gql(UPDATE, { input: { id: tpl.id, name: 'New', defaultRule: { firstUnits: 1, firstFee: '1', additionalUnits: 0, additionalFee: '1' } } }, { token: s.owner.token });
    expect(res.data!.updateShippingTemplate.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'defaultRule', 'additionalUnits'] }]);
    expect(await templateRows(s)).toEqual(before);
  });

  it.each([MANAGER, OPERATOR])('lets the %s change one', async (role) => {
    const tpl = await createTemplate(shop);
    const res = await t.gql(UPDATE, { input: { id: tpl.id, name: `Renamed by ${role}` } }, { token: members[role].token });
    expect(res.data!.updateShippingTemplate.shippingTemplate.name).toBe(`Renamed by ${role}`);
  });

  it.each([CUSTOMER_SERVICE, FINANCE])('is FORBIDDEN to the %s, and changes nothing', async (role) => {
    const tpl = await createTemplate(shop, { name: 'Untouched' });
    const res = await t.gql(UPDATE, { input: { id: tpl.id, name: 'Changed' } }, { token: members[role].token });
    expect(code(res)).toBe('FORBIDDEN');
    expect((await templateRows(shop)).find((r) => toGlobalId('ShippingTemplate', r.id) === tpl.id)!.name).toBe('Untouched');
  });

  it("answers another shop's owner with NOT_FOUND, anonymous with UNAUTHENTICATED, and a foreign ID with NOT_FOUND", async () => {
    const tpl = await createTemplate(shop, { name: 'Mine' });
    expect(code(await t.gql(UPDATE, { input: { id: tpl.id, name: 'Theirs' } }, { token: other.owner.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(UPDATE, { input: { id: tpl.id, name: 'Theirs' } }))).toBe('UNAUTHENTICATED');
    expect(code(await t.gql(UPDATE, { input: { id: shop.shopId, name: 'x' } }, { token: shop.owner.token }))).toBe('NOT_FOUND');
    expect((await templateRows(shop)).find((r) => toGlobalId('ShippingTemplate', r.id) === tpl.id)!.name).toBe('Mine');
  });
});

describe('Shop.shippingTemplates', () => {
  it('shows the default first to every member and to staff', async () => {
    const s = await seller(t);
    const a = await createTemplate(s, { name: 'A' });
    const b = await createTemplate(s, { name: 'B', isDefault: true });
    const fin = await userWithToken(t);
    await t.sql('insert into shop_member (shop_id, user_id, role) values (?, ?, ?)', [s.shop.id, fin.user.id, FINANCE]);
    const analyst = await staff(t, StaffRole.ANALYST);
    for (const token of [s.owner.token, fin.token, analyst.token]) {
      const res = await t.gql(SHOP_TEMPLATES, { id: s.shopId }, { token });
      expect(res.data!.shop.shippingTemplates).toEqual([
        { id: b.id, name: 'B', isDefault: true },
        { id: a.id, name: 'A', isDefault: false },
      ]);
    }
  });

  it('is hidden from shoppers and anonymous visitors', async () => {
    const s = await seller(t);
    await createTemplate(s);
    const shopper = await userWithToken(t);
    for (const opts of [{ token: shopper.token }, {}]) {
      const res = await t.gql(SHOP_TEMPLATES, { id: s.shopId }, opts);
      expect(res.errors![0].path).toEqual(['shop', 'shippingTemplates']);
      expect(res.data?.shop ?? null).toBeNull();
    }
  });

  it('refetches a template by node(id) for the shop’s members and staff only', async () => {
    const s = await seller(t);
    const tpl = await createTemplate(s);
    const query = `query($id: ID!) { node(id: $id) { id ... on ShippingTemplate { name } } }`;
    expect((await t.gql(query, { id: tpl.id }, { token: s.owner.token })).data!.node).toEqual({ id: tpl.id, name: 'Standard courier' });
    expect((await t.gql(query, { id: tpl.id }, { token: (await staff(t, StaffRole.OPERATIONS)).token })).data!.node).toEqual({ id: tpl.id, name: 'Standard courier' });
    expect((await t.gql(query, { id: tpl.id }, { token: other.owner.token })).data!.node).toBeNull();
  });
});

describe('a product naming its template', () => {
  const SET = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { id shippingTemplate { id } } errors { code field } } }`;

  it('uses the named template of its own shop, refuses another shop’s, and falls back to the default on null', async () => {
    const s = await seller(t);
    await createTemplate(s);
    const bulky = await createTemplate(s, { name: 'Bulky', rules: [], defaultRule: { firstUnits: 1, firstFee: '30.00', additionalUnits: 1, additionalFee: '10.00' } });
    const foreign = await createTemplate(other, { name: 'Other shop' });
    const { product: { id } } = await scenario(t).shop(s).product({ listed: false, shippingTemplateId: bulky.id }).run();

    const refused = await t.gql(SET, { input: { id, shippingTemplateId: foreign.id } }, { token: s.owner.token });
    expect(refused.data!.updateProduct.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'shippingTemplateId'] }]);
    const [named] = await t.sql('select shipping_template_id from product where id = ?', [keyOf(id)]);
    expect(String(named.shipping_template_id)).toBe(keyOf(bulky.id));

    const cleared = await t.gql(SET, { input: { id, shippingTemplateId: null } }, { token: s.owner.token });
    expect(cleared.data!.updateProduct.product.shippingTemplate).toBeNull();
  });
});
