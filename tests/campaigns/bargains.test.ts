import fc from 'fast-check';
import { isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { buildBareSchema } from '../../src/schema';
import { bargainCuts, bargainSeed, mulberry32 } from '../../src/services/campaigns';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { stockOf } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { newShopper, type Scenario, type ScenarioShop, scenario, type Shopper } from '../helpers/scenario';

/**
 * Bargains (砍價): the cuts (a property test of their arithmetic), who may create and end
 * campaigns, starting within the campaign's quantity, helping once each with every refusal,
 * concurrent helpers, buying at the price reached (a BARGAIN discount the shop funds), what
 * anyone sees, and `expire-bargains`.
 */

const HOUR = 3_600_000;
const clock = new ManualClock(new Date('2031-09-01T02:00:00.000Z'));

const CAMPAIGN_FIELDS = 'id status floorPrice { amount amountMinor } helpersNeeded hoursToFinish quantity started shop { id } variant { id }';
const BARGAIN_FIELDS = `id status helped helpersNeeded expiresAt startPrice { amountMinor } currentPrice { amountMinor } floorPrice { amountMinor }
  helps { amount { amountMinor } at } campaign { id started }`;
const CREATE = `mutation($input: BargainCampaignInput!) { createBargainCampaign(input: $input) { bargainCampaign { ${CAMPAIGN_FIELDS} } errors { code field message } } }`;
const END = `mutation($input: IdInput!) { endBargainCampaign(input: $input) { bargainCampaign { ${CAMPAIGN_FIELDS} } errors { code field message } } }`;
const START = `mutation($input: StartBargainInput!) { startBargain(input: $input) { bargain { ${BARGAIN_FIELDS} } errors { code field message } } }`;
const HELP = `mutation($input: IdInput!) { helpBargain(input: $input) { bargain { ${BARGAIN_FIELDS} } errors { code field message } } }`;
const BUY = `mutation($input: BuyBargainInput!) { buyBargain(input: $input) { checkout { id total { amountMinor } orders { id status
  subtotal { amountMinor } shippingFee { amountMinor } discountTotal { amountMinor } total { amountMinor }
  discounts { source title fundedBy amount { amountMinor } } lines { quantity unitPrice { amountMinor } lineTotal { amountMinor } discount { amountMinor } } } }
  errors { code field message } } }`;
const BARGAIN = `query($id: ID!) { bargain(id: $id) { ${BARGAIN_FIELDS} } }`;
const MY_BARGAINS = `query { myBargains(first: 100) { totalCount nodes { id } } }`;
const CAMPAIGNS = `query($filter: BargainCampaignFilter) { bargainCampaigns(filter: $filter, first: 100) { totalCount nodes { id status } } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on Bargain { currentPrice { amountMinor } } ... on BargainCampaign { status } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let admin: { token: string };
let ops: { token: string; user: { id: string } };
/** Shop A: a product at 100.00 with 50 units, and every member role that matters here. */
let a: Scenario;
let shopA: ScenarioShop;
/** Shop B, with a product. */
let b: Scenario;
let buyer: Shopper;
/** Users who help: any of them may help each bargain once. */
let helpers: { token: string; user: { id: string } }[];

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  ops = await staff(t, StaffRole.OPERATIONS);
  a = await scenario(t).shop({ members: [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR, ShopMemberRole.CUSTOMER_SERVICE] }).product({ price: 10000, stock: 50 }).run();
  shopA = a.shop;
  b = await scenario(t).shop().product().run();
  buyer = await newShopper(t);
  helpers = await Promise.all(Array.from({ length: 12 }, () => userWithToken(t)));
});
afterAll(() => t.close());

/** A valid campaign of shop A's variant (100.00): floor 60.00, 3 helpers, 24 hours, 10 bargains; `overrides` replace fields. */
const campaign = (overrides: Record<string, unknown> = {}) => ({ variantId: a.variantIds[0], floorPrice: '60.00', helpersNeeded: 3, hoursToFinish: 24, quantity: 10, ...overrides });

/** `token` null: anonymous. */
const create = (input: Record<string, unknown>, token: string | null = shopA.owner.token) => t.gql(CREATE, { input }, { token: token ?? undefined });
const created = async (overrides: Record<string, unknown> = {}, token?: string) => okPayload(await create(campaign(overrides), token), 'createBargainCampaign', 'bargainCampaign');
const end = (id: string, token: string | null = shopA.owner.token) => t.gql(END, { input: { id } }, { token: token ?? undefined });
const start = (campaignId: string, token: string | null = buyer.token) => t.gql(START, { input: { campaignId } }, { token: token ?? undefined });
const started = async (campaignId: string, token?: string) => okPayload(await start(campaignId, token), 'startBargain', 'bargain');
const help = (id: string, token: string | null) => t.gql(HELP, { input: { id } }, { token: token ?? undefined });
const helped = async (id: string, token: string) => okPayload(await help(id, token), 'helpBargain', 'bargain');
const buy = (bargainId: string, addressId = buyer.addressId, token = buyer.token) => t.gql(BUY, { input: { bargainId, addressId } }, { token });
const view = async (id: string, token?: string) => (await t.gql(BARGAIN, { id }, { token })).data!.bargain;
const count = async (table: string) => (await t.sql(`select count(*)::int as n from ${table}`))[0].n;
const runTask = async (name: string): Promise<string> => okPayload(await t.gql(RUN, { input: { name } }, { token: admin.token }), 'runScheduledTask').task.lastResult;
const ids = (page: { nodes: { id: string }[] }) => page.nodes.map((n) => n.id);
/** The stored row of a bargain, to compare before and after a refusal. */
const row = async (id: string) => (await t.sql('select status, current_price::int, helped, cuts, checkout_id, (select count(*)::int from bargain_help where bargain_id = b.id) as helps from bargain b where id = ?', [keyOf(id)]))[0];

describe('bargainCuts', () => {
  it('cuts exactly start − floor into helpersNeeded cuts, each at least 1 and bounded by the weights, the same for the same seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 10_000_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (helpers, floor, extra, seed) => {
          const start = floor + helpers + extra;
          const total = start - floor;
          const cuts = bargainCuts(total, helpers, seed);
          expect(cuts).toHaveLength(helpers);
          expect(cuts.reduce((s, c) => s + c, 0)).toBe(total);
          // The last needed helper reaches exactly the floor, and no help before goes below it.
          let price = start;
          for (const cut of cuts) {
            expect(Number.isInteger(cut)).toBe(true);
            expect(cut).toBeGreaterThanOrEqual(Math.max(1, Math.floor((total - helpers) / (3 * helpers)) + 1));
            expect(cut).toBeLessThanOrEqual((3 * total) / helpers);
            price -= cut;
            expect(price).toBeGreaterThanOrEqual(floor);
          }
          expect(price).toBe(floor);
          expect(bargainCuts(total, helpers, seed)).toEqual(cuts);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('draws different cuts from different seeds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 100 }),
        fc.integer({ min: 1000, max: 100_000 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 2, maxLength: 2 }),
        (helpers, perHelper, [s1, s2]) => {
          expect(bargainCuts(helpers * perHelper, helpers, s1)).not.toEqual(bargainCuts(helpers * perHelper, helpers, s2));
        },
      ),
    );
    // Bargains 1 to 200 (their ids seed the cuts) all draw differently.
    const drawn = new Set(Array.from({ length: 200 }, (_, i) => JSON.stringify(bargainCuts(4000, 5, bargainSeed(String(i + 1))))));
    expect(drawn.size).toBe(200);
    expect(Array.from({ length: 3 }, mulberry32(42))).toEqual(Array.from({ length: 3 }, mulberry32(42)));
  });

  it('gives a single helper the whole difference', () => {
    expect(bargainCuts(4000, 1, 7)).toEqual([4000]);
    expect(bargainCuts(3, 3, 7)).toEqual([1, 1, 1]);
  });
});

describe('createBargainCampaign', () => {
  it.each([ShopMemberRole.OWNER, ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR])('lets the %s create one: ACTIVE, nothing started', async (role) => {
    const c = await created({}, shopA.members[role]!.token);
    expect(c).toMatchObject({
      status: 'ACTIVE',
      floorPrice: { amount: '60.00', amountMinor: 6000 },
      helpersNeeded: 3,
      hoursToFinish: 24,
      quantity: 10,
      started: 0,
      shop: { id: shopA.shopId },
      variant: { id: a.variantIds[0] },
    });
  });

  it.each([
    ['a floor of 0', { floorPrice: '0' }, 'input.floorPrice'],
    ['a negative floor', { floorPrice: '-5.00' }, 'input.floorPrice'],
    ['a floor at the price', { floorPrice: '100.00' }, 'input.floorPrice'],
    ['a floor above the price', { floorPrice: '120.00' }, 'input.floorPrice'],
    ['a floor leaving less than one minor unit per helper', { floorPrice: '99.98' }, 'input.floorPrice'],
    ['a floor with too many digits', { floorPrice: '60.001' }, 'input.floorPrice'],
    ['no helpers', { helpersNeeded: 0 }, 'input.helpersNeeded'],
    ['101 helpers', { helpersNeeded: 101 }, 'input.helpersNeeded'],
    ['negative hours', { hoursToFinish: -1 }, 'input.hoursToFinish'],
    ['721 hours', { hoursToFinish: 721 }, 'input.hoursToFinish'],
    ['no bargains', { quantity: 0 }, 'input.quantity'],
    ['100,001 bargains', { quantity: 100_001 }, 'input.quantity'],
  ])('refuses %s with INVALID_INPUT naming the field, storing nothing', async (_what, overrides, field) => {
    const before = await count('bargain_campaign');
    expect(failuresOf(await create(campaign(overrides)), 'createBargainCampaign', 'bargainCampaign')).toEqual([['INVALID_INPUT', field]]);
    expect(await count('bargain_campaign')).toBe(before);
  });

  it('accepts a floor leaving exactly one minor unit per helper, and 0 hours', async () => {
    expect(await created({ floorPrice: '99.97', hoursToFinish: 0 })).toMatchObject({ floorPrice: { amountMinor: 9997 }, hoursToFinish: 0 });
  });

  it('refuses other roles, shoppers, staff and another shop’s members; another shop’s variant is NOT_FOUND', async () => {
    const before = await count('bargain_campaign');
    expect(code(await create(campaign(), null))).toBe('UNAUTHENTICATED');
    expect(code(await create(campaign(), shopA.members.CUSTOMER_SERVICE!.token))).toBe('FORBIDDEN');
    for (const token of [buyer.token, ops.token, b.shop.owner.token]) expect(code(await create(campaign(), token))).toBe('NOT_FOUND');
    expect(code(await create(campaign({ variantId: b.variantIds[0] })))).toBe('NOT_FOUND');
    expect(code(await create(campaign({ variantId: idOf('ProductVariant', '987654321') })))).toBe('NOT_FOUND');
    expect(await count('bargain_campaign')).toBe(before);
  });

  it('refuses a variant not on sale (PRODUCT_UNAVAILABLE) and a shop not ACTIVE (SHOP_NOT_ACTIVE)', async () => {
    const draft = await scenario(t).shop(shopA).product({ price: 10000, listed: false }).run();
    expect(failuresOf(await create(campaign({ variantId: draft.variantIds[0] })), 'createBargainCampaign', 'bargainCampaign')).toEqual([['PRODUCT_UNAVAILABLE', 'input.variantId']]);
    const s = await scenario(t).shop().product({ price: 10000 }).run();
    await t.sql(`update shop set status = 'SUSPENDED' where id = ?`, [s.shop.shop.id]);
    expect(failuresOf(await create(campaign({ variantId: s.variantIds[0] }), s.shop.owner.token), 'createBargainCampaign', 'bargainCampaign')).toEqual([['SHOP_NOT_ACTIVE', '']]);
  });
});

describe('endBargainCampaign', () => {
  it('stops new bargains, lets those started run on, and refuses a second end with INVALID_TRANSITION', async () => {
    const c = await created();
    const bargain = await started(c.id);
    expect(okPayload(await end(c.id), 'endBargainCampaign', 'bargainCampaign')).toMatchObject({ status: 'ENDED', started: 1 });
    expect(failuresOf(await start(c.id, helpers[0].token), 'startBargain', 'bargain')).toEqual([['INVALID_TRANSITION', 'input.campaignId']]);
    expect((await helped(bargain.id, helpers[0].token)).helped).toBe(1);
    expect(failuresOf(await end(c.id), 'endBargainCampaign', 'bargainCampaign')).toEqual([['INVALID_TRANSITION', '']]);
  });

  it('lets staff OPERATIONS end a shop’s campaign, audited; hides it from others (NOT_FOUND), refuses other roles (FORBIDDEN)', async () => {
    const c = await created();
    expect(code(await end(c.id, null))).toBe('UNAUTHENTICATED');
    for (const token of [b.shop.owner.token, buyer.token]) expect(code(await end(c.id, token))).toBe('NOT_FOUND');
    expect(code(await end(c.id, shopA.members.CUSTOMER_SERVICE!.token))).toBe('FORBIDDEN');
    expect(okPayload(await end(c.id, ops.token), 'endBargainCampaign', 'bargainCampaign').status).toBe('ENDED');
    const [audit] = await t.sql(`select action, after from audit_entry where target_type = 'BargainCampaign' and target_id = ?`, [keyOf(c.id)]);
    expect(audit).toMatchObject({ action: 'bargainCampaign.end', after: { status: 'ENDED' } });
  });
});

describe('startBargain', () => {
  it('starts at the variant’s price, expiring hoursToFinish later, with cuts drawn from its id that sum to start − floor', async () => {
    const c = await created();
    const bargain = await started(c.id);
    expect(bargain).toMatchObject({
      status: 'ACTIVE',
      helped: 0,
      helpersNeeded: 3,
      expiresAt: new Date(clock.now().getTime() + 24 * HOUR).toISOString(),
      startPrice: { amountMinor: 10000 },
      currentPrice: { amountMinor: 10000 },
      floorPrice: { amountMinor: 6000 },
      helps: [],
      campaign: { id: c.id, started: 1 },
    });
    const { cuts } = await row(bargain.id);
    expect(cuts).toEqual(bargainCuts(4000, 3, bargainSeed(keyOf(bargain.id))));
  });

  it('refuses a second bargain of the same campaign while the first is ACTIVE, and allows one once it has expired', async () => {
    const c = await created({ hoursToFinish: 1 });
    const shopper = await newShopper(t);
    const first = await started(c.id, shopper.token);
    expect(failuresOf(await start(c.id, shopper.token), 'startBargain', 'bargain')).toEqual([['INVALID_TRANSITION', 'input.campaignId']]);
    clock.advance(HOUR);
    const second = await started(c.id, shopper.token);
    expect(second.id).not.toBe(first.id);
    expect((await row(first.id)).status).toBe('EXPIRED');
    expect(second.campaign.started).toBe(2);
  });

  it('lets one buyer firing 5 starts at once have exactly one bargain, counted once', async () => {
    const c = await created();
    const shopper = await newShopper(t);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => start(c.id, shopper.token).then((res) => outcomeOf(res, 'startBargain'))));
    expect(outcomes.sort()).toEqual(['INVALID_TRANSITION', 'INVALID_TRANSITION', 'INVALID_TRANSITION', 'INVALID_TRANSITION', 'OK']);
    const [stored] = await t.sql('select started, (select count(*)::int from bargain where campaign_id = c.id) as bargains from bargain_campaign c where id = ?', [keyOf(c.id)]);
    expect(stored).toEqual({ started: 1, bargains: 1 });
  });

  it('refuses a start beyond the campaign’s quantity (INVALID_TRANSITION), also when buyers start at once', async () => {
    const c = await created({ quantity: 3 });
    const outcomes = await Promise.all(helpers.slice(0, 8).map((h) => start(c.id, h.token).then((res) => outcomeOf(res, 'startBargain'))));
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'INVALID_TRANSITION')).toHaveLength(5);
    expect(failuresOf(await start(c.id), 'startBargain', 'bargain')).toEqual([['INVALID_TRANSITION', 'input.campaignId']]);
    const [stored] = await t.sql('select started, (select count(*)::int from bargain where campaign_id = c.id) as bargains from bargain_campaign c where id = ?', [keyOf(c.id)]);
    expect(stored).toEqual({ started: 3, bargains: 3 });
    expect((await t.gql(CAMPAIGNS, { filter: { shopId: shopA.shopId } })).data!.bargainCampaigns.nodes).toContainEqual({ id: c.id, status: 'SOLD_OUT' });
  });

  it('refuses a campaign whose product is no longer on sale (PRODUCT_UNAVAILABLE), an unknown one (NOT_FOUND) and anonymous callers', async () => {
    const s = await scenario(t).shop().product({ price: 10000 }).run();
    const c = await created({ variantId: s.variantIds[0] }, s.shop.owner.token);
    await t.sql('update product set visible = false where id = ?', [keyOf(s.product.id)]);
    expect(failuresOf(await start(c.id), 'startBargain', 'bargain')).toEqual([['PRODUCT_UNAVAILABLE', 'input.campaignId']]);
    expect(code(await start(idOf('BargainCampaign', '987654321')))).toBe('NOT_FOUND');
    expect(code(await start(c.id, null))).toBe('UNAUTHENTICATED');
  });
});

describe('helpBargain', () => {
  it('cuts the price by each cut in turn, reaching exactly the floor with the last needed helper; the next help is refused', async () => {
    const c = await created({ helpersNeeded: 4 });
    const bargain = await started(c.id, (await newShopper(t)).token);
    const { cuts } = await row(bargain.id);
    let price = 10000;
    for (let i = 0; i < 4; i++) {
      price -= cuts[i];
      expect(await helped(bargain.id, helpers[i].token)).toMatchObject({ helped: i + 1, currentPrice: { amountMinor: price }, status: 'ACTIVE' });
    }
    expect(price).toBe(6000);
    const before = await row(bargain.id);
    expect(failuresOf(await help(bargain.id, helpers[4].token), 'helpBargain', 'bargain')).toEqual([['BARGAIN_HELP_REFUSED', 'input.id']]);
    expect(await row(bargain.id)).toEqual(before);
    const seen = await view(bargain.id);
    expect(seen.helps).toEqual(cuts.map((cut: number) => ({ amount: { amountMinor: cut }, at: clock.now().toISOString() })));
    expect(seen.currentPrice.amountMinor).toBe(6000);
  });

  it('refuses self-help, a repeat, help after expiry and help once bought or EXPIRED, changing nothing', async () => {
    const c = await created({ hoursToFinish: 2 });
    const starter = await newShopper(t);
    const bargain = await started(c.id, starter.token);
    await helped(bargain.id, helpers[0].token);
    const refused = async (token: string) => {
      const before = await row(bargain.id);
      expect(failuresOf(await help(bargain.id, token), 'helpBargain', 'bargain')).toEqual([['BARGAIN_HELP_REFUSED', 'input.id']]);
      expect(await row(bargain.id)).toEqual(before);
    };
    await refused(starter.token);
    await refused(helpers[0].token);
    clock.advance(2 * HOUR);
    await refused(helpers[1].token);
    expect((await view(bargain.id)).status).toBe('EXPIRED');
    await runTask('expire-bargains');
    expect((await row(bargain.id)).status).toBe('EXPIRED');
    await refused(helpers[1].token);

    const other = await started(c.id, starter.token);
    okPayload(await buy(other.id, starter.addressId, starter.token), 'buyBargain', 'checkout');
    const before = await row(other.id);
    expect(before.status).toBe('BOUGHT');
    expect(failuresOf(await help(other.id, helpers[2].token), 'helpBargain', 'bargain')).toEqual([['BARGAIN_HELP_REFUSED', 'input.id']]);
    expect(await row(other.id)).toEqual(before);
  });

  it('applies each cut once and never goes below the floor when many users help at once', async () => {
    const c = await created({ helpersNeeded: 5, floorPrice: '12.34' });
    const bargain = await started(c.id, (await newShopper(t)).token);
    const { cuts } = await row(bargain.id);
    const outcomes = await Promise.all(helpers.map((h) => help(bargain.id, h.token).then((res) => outcomeOf(res, 'helpBargain'))));
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'BARGAIN_HELP_REFUSED')).toHaveLength(helpers.length - 5);
    expect(await row(bargain.id)).toMatchObject({ current_price: 1234, helped: 5, helps: 5 });
    const amounts = await t.sql('select amount::int from bargain_help where bargain_id = ? order by id', [keyOf(bargain.id)]);
    expect(amounts.map((r) => r.amount)).toEqual(cuts);
  });

  it('answers NOT_FOUND for an unknown bargain and UNAUTHENTICATED to anonymous helpers', async () => {
    expect(code(await help(idOf('Bargain', '987654321'), helpers[0].token))).toBe('NOT_FOUND');
    const bargain = await started((await created()).id, (await newShopper(t)).token);
    expect(code(await help(bargain.id, null))).toBe('UNAUTHENTICATED');
  });
});

describe('buyBargain', () => {
  it('places one order at the current price: a BARGAIN discount the shop funds, total = current price + shipping; the bargain is BOUGHT', async () => {
    const c = await created();
    const shopper = await newShopper(t);
    const bargain = await started(c.id, shopper.token);
    await helped(bargain.id, helpers[0].token);
    const current = (await helped(bargain.id, helpers[1].token)).currentPrice.amountMinor;
    expect(current).toBeGreaterThan(6000);
    const stock = await stockOf(t, a.variantKeys[0]);
    const checkout = okPayload(await buy(bargain.id, shopper.addressId, shopper.token), 'buyBargain', 'checkout');
    const [order] = checkout.orders;
    expect(order).toMatchObject({
      status: 'PENDING_PAYMENT',
      subtotal: { amountMinor: 10000 },
      discountTotal: { amountMinor: 10000 - current },
      discounts: [{ source: 'BARGAIN', title: '砍價', fundedBy: 'SHOP', amount: { amountMinor: 10000 - current } }],
      lines: [{ quantity: 1, unitPrice: { amountMinor: 10000 }, lineTotal: { amountMinor: 10000 }, discount: { amountMinor: 10000 - current } }],
    });
    expect(order.total.amountMinor).toBe(current + order.shippingFee.amountMinor);
    expect(checkout.total.amountMinor).toBe(order.total.amountMinor);
    expect(await row(bargain.id)).toMatchObject({ status: 'BOUGHT', checkout_id: keyOf(checkout.id) });
    expect((await view(bargain.id)).status).toBe('BOUGHT');
    expect(await stockOf(t, a.variantKeys[0])).toEqual({ ...stock, reserved: stock.reserved + 1 });
    const [discount] = await t.sql(`select source, campaign_id::text from order_discount where order_id = ?`, [keyOf(order.id)]);
    expect(discount).toEqual({ source: 'BARGAIN', campaign_id: keyOf(bargain.id) });
    // Bought once: a second purchase is refused.
    expect(failuresOf(await buy(bargain.id, shopper.addressId, shopper.token), 'buyBargain', 'checkout')).toEqual([['INVALID_TRANSITION', '']]);
  });

  it('refuses a purchase after expiry (INVALID_TRANSITION) and creates no order', async () => {
    const c = await created({ hoursToFinish: 1 });
    const shopper = await newShopper(t);
    const bargain = await started(c.id, shopper.token);
    clock.advance(HOUR);
    const orders = await count('orders');
    expect(failuresOf(await buy(bargain.id, shopper.addressId, shopper.token), 'buyBargain', 'checkout')).toEqual([['INVALID_TRANSITION', '']]);
    expect(await count('orders')).toBe(orders);
    expect((await row(bargain.id)).status).toBe('ACTIVE');
  });

  it('hides another user’s bargain (NOT_FOUND) and refuses another user’s address (ADDRESS_NOT_FOUND)', async () => {
    const c = await created();
    const shopper = await newShopper(t);
    const bargain = await started(c.id, shopper.token);
    expect(code(await buy(bargain.id, buyer.addressId, buyer.token))).toBe('NOT_FOUND');
    expect(failuresOf(await buy(bargain.id, buyer.addressId, shopper.token), 'buyBargain', 'checkout')).toEqual([['ADDRESS_NOT_FOUND', 'input.addressId']]);
    expect((await row(bargain.id)).status).toBe('ACTIVE');
  });
});

describe('expire-bargains', () => {
  it('marks EXPIRED the ACTIVE bargains past their expiry, in one run, leaving the others; a second run finds none', async () => {
    const instant = await created({ hoursToFinish: 0 });
    const soon = await created({ hoursToFinish: 1 });
    const later = await created({ hoursToFinish: 48 });
    const shopper = await newShopper(t);
    const atOnce = await started(instant.id, shopper.token);
    expect(failuresOf(await help(atOnce.id, helpers[0].token), 'helpBargain', 'bargain')).toEqual([['BARGAIN_HELP_REFUSED', 'input.id']]);
    const hour = await started(soon.id, shopper.token);
    const days = await started(later.id, shopper.token);
    expect((await row(atOnce.id)).status).toBe('ACTIVE');
    clock.advance(HOUR);
    expect(await runTask('expire-bargains')).toMatch(/^done: [1-9]\d*$/);
    expect([(await row(atOnce.id)).status, (await row(hour.id)).status, (await row(days.id)).status]).toEqual(['EXPIRED', 'EXPIRED', 'ACTIVE']);
    expect(await runTask('expire-bargains')).toBe('done: 0');
  });
});

describe('reading bargains', () => {
  it('lists to shoppers the campaigns not ended of products on sale; the shop’s members see every one of their shop', async () => {
    const s = await scenario(t).shop().product({ price: 10000 }).run();
    const mine = (overrides: Record<string, unknown> = {}) => created({ variantId: s.variantIds[0], ...overrides }, s.shop.owner.token);
    const open = await mine();
    const ended = await mine();
    okPayload(await end(ended.id, s.shop.owner.token), 'endBargainCampaign', 'bargainCampaign');
    for (const token of [undefined, buyer.token, shopA.owner.token]) expect(ids((await t.gql(CAMPAIGNS, { filter: { shopId: s.shop.shopId } }, { token })).data!.bargainCampaigns)).toEqual([open.id]);
    expect(ids((await t.gql(CAMPAIGNS, { filter: { shopId: s.shop.shopId } }, { token: s.shop.owner.token })).data!.bargainCampaigns)).toEqual([ended.id, open.id]);
    expect((await t.gql(NODE, { id: ended.id }, { token: buyer.token })).data!.node).toBeNull();
    expect((await t.gql(NODE, { id: open.id })).data!.node).toEqual({ id: open.id, status: 'ACTIVE' });
    await t.sql(`update shop set status = 'SUSPENDED' where id = ?`, [s.shop.shop.id]);
    await t.sql('update product set visible = false where shop_id = ?', [s.shop.shop.id]);
    expect(ids((await t.gql(CAMPAIGNS, { filter: null }, { token: buyer.token })).data!.bargainCampaigns)).not.toContain(open.id);
    expect((await t.gql(NODE, { id: open.id }, { token: buyer.token })).data!.node).toBeNull();
  });

  it('shows a bargain to anyone by its ID, with prices and helps but no person; myBargains lists the viewer’s own', async () => {
    const c = await created();
    const shopper = await newShopper(t);
    const bargain = await started(c.id, shopper.token);
    await helped(bargain.id, helpers[0].token);
    const seen = await view(bargain.id);
    expect(seen).toMatchObject({ id: bargain.id, helped: 1, helps: [{ amount: { amountMinor: 10000 - seen.currentPrice.amountMinor } }] });
    expect((await t.gql(NODE, { id: bargain.id })).data!.node).toEqual({ id: bargain.id, currentPrice: seen.currentPrice });
    const fieldsOf = (type: string) => {
      const object = buildBareSchema().getType(type);
      if (!isObjectType(object)) throw new Error(`${type} is not an object type`);
      return Object.keys(object.getFields()).sort();
    };
    expect(fieldsOf('Bargain')).toEqual(['campaign', 'createdAt', 'currentPrice', 'expiresAt', 'floorPrice', 'helped', 'helpersNeeded', 'helps', 'id', 'startPrice', 'status']);
    expect(fieldsOf('BargainHelp')).toEqual(['amount', 'at']);
    expect(ids((await t.gql(MY_BARGAINS, {}, { token: shopper.token })).data!.myBargains)).toEqual([bargain.id]);
    expect(ids((await t.gql(MY_BARGAINS, {}, { token: helpers[0].token })).data!.myBargains)).not.toContain(bargain.id);
    expect(code(await t.gql(MY_BARGAINS, {}))).toBe('UNAUTHENTICATED');
  });
});
