import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { newKey, PAY, stockOf, webhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { expectLedgerInvariants, orderAccounts, postingCount } from '../helpers/ledger';
import { newShopper, type Scenario, type ScenarioProduct, type ScenarioShop, scenario, type Shopper } from '../helpers/scenario';

/**
 * Group buys (拼團): who may offer one and every input rule; starting and joining a group (seats,
 * the same buyer twice, expiry, the last seat raced for); a group forming once `size` members paid,
 * and the merchant held back from its orders until then; a group failing by its deadline, its paid
 * members refunded in full and its stock back; who sees offers and groups, and what of a member.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const clock = new ManualClock(new Date('2031-09-01T02:00:00.000Z'));

const OFFER_FIELDS = `id status groupSize hoursToForm startsAt endsAt createdAt shop { id } product { id }
  variantPrices { variant { id } groupPrice { amount amountMinor } }`;
const GROUP_FIELDS = `id status size needed expiresAt settledAt groupBuy { id } leader { id displayName } members { user { id displayName } joinedAt paid }`;
const CHECKOUT_FIELDS = `id status total { amountMinor } orders { id status subtotal { amountMinor } discountTotal { amountMinor } total { amountMinor }
  lines { quantity unitPrice { amountMinor } } discounts { source title fundedBy amount { amountMinor } } }`;
const CREATE = `mutation($input: GroupBuyInput!) { createGroupBuy(input: $input) { groupBuy { ${OFFER_FIELDS} } errors { code field message } } }`;
const START = `mutation($input: StartGroupInput!) { startGroup(input: $input) { group { ${GROUP_FIELDS} } checkout { ${CHECKOUT_FIELDS} } errors { code field message } } }`;
const JOIN = `mutation($input: JoinGroupInput!) { joinGroup(input: $input) { group { ${GROUP_FIELDS} } checkout { ${CHECKOUT_FIELDS} } errors { code field message } } }`;
const GROUP = `query($id: ID!) { group(id: $id) { ${GROUP_FIELDS} } }`;
const OFFER = `query($id: ID!) { groupBuy(id: $id) { id status groups(first: 50) { nodes { id } } } }`;
const OFFERS = `query($filter: GroupBuyFilter, $first: Int) { groupBuys(filter: $filter, first: $first) { totalCount nodes { id status } } }`;
const MY_GROUPS = `query { myGroups(first: 50) { nodes { id status } } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on GroupBuy { offerStatus: status } ... on Group { groupStatus: status } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id status nextActions refunds { status amount { amountMinor } } events { type note } } }`;
const ACCEPT = `mutation($input: IdInput!) { acceptOrder(input: $input) { order { id status } errors { code field message } } }`;
const SHIP = `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { id status } errors { code field message } } }`;
const RUN_TASK = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code field message } } }`;

let t: TestApp;
let admin: string;
let ops: { token: string };
/** Shop A with every member role, and its product: variants at 100.00 and 80.00 (50 units each), and one archived. */
let a: Scenario;
let shopA: ScenarioShop;
let productA: ScenarioProduct;
/** Shop B and its product. */
let b: Scenario;
/** A LIVE offer of shop A's product, groups of 3 with a day to form. */
let offerId: string;

beforeAll(async () => {
  t = await createTestApp({ CHECKOUT_TTL_MINUTES: '30' }, { clock });
  admin = (await staff(t, StaffRole.ADMIN)).token;
  ops = await staff(t, StaffRole.OPERATIONS);
  a = await scenario(t)
    .shop({ members: [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR, ShopMemberRole.CUSTOMER_SERVICE, ShopMemberRole.FINANCE] })
    .product({ variants: [{ price: 10000, stock: 50 }, { price: 8000, stock: 50 }, { price: 5000, stock: 5 }] })
    .run();
  shopA = a.shop;
  productA = a.product;
  await t.sql('update product_variant set archived = true where id = ?', [productA.variantKeys[2]]);
  b = await scenario(t).shop().product().run();
  offerId = (await created()).id;
});
afterAll(() => t.close());

const iso = (offset: number) => new Date(clock.now().getTime() + offset).toISOString();

/** A valid offer of shop A's product: 79.00 and 59.00 in groups of 3, a day to form, live from an hour ago for 30 days. */
const offer = (overrides: Record<string, unknown> = {}) => ({
  productId: productA.id,
  variantPrices: [
    { variantId: productA.variantIds[0], groupPrice: '79.00' },
    { variantId: productA.variantIds[1], groupPrice: '59.00' },
  ],
  groupSize: 3,
  hoursToForm: 24,
  startsAt: iso(-HOUR),
  endsAt: iso(30 * DAY),
  ...overrides,
});

const create = (input: Record<string, unknown>, token: string | null = shopA.owner.token) => t.gql(CREATE, { input }, { token: token ?? undefined });
async function created(input: Record<string, unknown> = offer(), token?: string) {
  return okPayload(await create(input, token), 'createGroupBuy', 'groupBuy');
}
const offerCount = async () => (await t.sql('select count(*)::int as n from group_buy'))[0].n;
const groupCount = async () => (await t.sql('select count(*)::int as n from buy_group'))[0].n;

interface Entered {
  group: any;
  checkout: any;
  order: any;
}

const orderInput = (buyer: Shopper, opts: { variant?: string; quantity?: number }) => ({
  variantId: opts.variant ?? productA.variantIds[0],
  quantity: opts.quantity ?? 1,
  addressId: buyer.addressId,
});
const start = (buyer: Shopper, groupBuyId = offerId, opts: { variant?: string; quantity?: number } = {}) =>
  t.gql(START, { input: { groupBuyId, ...orderInput(buyer, opts) } }, { token: buyer.token });
const join = (buyer: Shopper, groupId: string, opts: { variant?: string; quantity?: number } = {}) => t.gql(JOIN, { input: { groupId, ...orderInput(buyer, opts) } }, { token: buyer.token });
async function started(buyer: Shopper, groupBuyId = offerId, opts: { variant?: string; quantity?: number } = {}): Promise<Entered> {
  const p = okPayload(await start(buyer, groupBuyId, opts), 'startGroup');
  return { ...p, order: p.checkout.orders[0] };
}
async function joined(buyer: Shopper, groupId: string, opts: { variant?: string; quantity?: number } = {}): Promise<Entered> {
  const p = okPayload(await join(buyer, groupId, opts), 'joinGroup');
  return { ...p, order: p.checkout.orders[0] };
}

/** The buyer pays the checkout: payCheckout with the mock provider, then its signed success webhook. */
async function pay(buyer: Shopper, checkoutId: string): Promise<void> {
  const { payment } = okPayload(await t.gql(PAY, { input: { checkoutId, provider: 'MOCK' } }, { token: buyer.token }), 'payCheckout');
  const hook = await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id });
  expect(hook.statusCode).toBe(200);
}

const groupOf = async (id: string, token?: string) => (await t.gql(GROUP, { id }, { token })).data!.group;
const orderOf = async (id: string, token = shopA.owner.token) => (await t.gql(ORDER, { id }, { token })).data!.order;
const runTask = async (name: string): Promise<string> => okPayload(await t.gql(RUN_TASK, { input: { name } }, { token: admin }), 'runScheduledTask').task.lastResult;
const shoppers = (n: number) => Promise.all(Array.from({ length: n }, () => newShopper(t)));

/** A fresh product of shop A (one variant at 100.00, `stock` units) offered in groups of `size` at 79.00. */
async function freshOffer(size: number, hoursToForm: number, stock = 20) {
  const { product } = await scenario(t).shop(shopA).product({ price: 10000, stock }).run();
  const o = await created(offer({ productId: product.id, variantPrices: [{ variantId: product.variantIds[0], groupPrice: '79.00' }], groupSize: size, hoursToForm }));
  return { offerId: o.id, variantId: product.variantIds[0], variantKey: product.variantKeys[0] };
}

describe('createGroupBuy', () => {
  it('creates a LIVE offer with its group prices in money, stored in minor units', async () => {
    const o = await created();
    expect(o).toMatchObject({
      status: 'LIVE',
      groupSize: 3,
      hoursToForm: 24,
      shop: { id: shopA.shopId },
      product: { id: productA.id },
      createdAt: clock.now().toISOString(),
      variantPrices: [
        { variant: { id: productA.variantIds[0] }, groupPrice: { amount: '79.00', amountMinor: 7900 } },
        { variant: { id: productA.variantIds[1] }, groupPrice: { amount: '59.00', amountMinor: 5900 } },
      ],
    });
    const [row] = await t.sql('select variant_prices, shop_id::text, created_by_id::text from group_buy where id = ?', [keyOf(o.id)]);
    expect(row).toEqual({
      variant_prices: [
        { variantId: productA.variantKeys[0], groupPrice: 7900 },
        { variantId: productA.variantKeys[1], groupPrice: 5900 },
      ],
      shop_id: keyOf(shopA.shopId),
      created_by_id: shopA.owner.user.id,
    });
  });

  it('is UPCOMING when its window starts later', async () => {
    expect(await created(offer({ startsAt: iso(DAY), endsAt: iso(2 * DAY) }))).toMatchObject({ status: 'UPCOMING' });
  });

  it.each([
    ['no variant', () => ({ variantPrices: [] }), 'input.variantPrices'],
    ['51 variants', () => ({ variantPrices: Array.from({ length: 51 }, () => ({ variantId: productA.variantIds[0], groupPrice: '79.00' })) }), 'input.variantPrices'],
    ['a variant twice', () => ({ variantPrices: [{ variantId: productA.variantIds[0], groupPrice: '79.00' }, { variantId: productA.variantIds[0], groupPrice: '70.00' }] }), 'input.variantPrices.1.variantId'],
    ['a group price of 0', () => ({ variantPrices: [{ variantId: productA.variantIds[0], groupPrice: '0' }] }), 'input.variantPrices.0.groupPrice'],
    ['a negative group price', () => ({ variantPrices: [{ variantId: productA.variantIds[0], groupPrice: '-1.00' }] }), 'input.variantPrices.0.groupPrice'],
    ['three decimals', () => ({ variantPrices: [{ variantId: productA.variantIds[0], groupPrice: '79.001' }] }), 'input.variantPrices.0.groupPrice'],
    ['the variant’s own price', () => ({ variantPrices: [{ variantId: productA.variantIds[0], groupPrice: '100.00' }] }), 'input.variantPrices.0.groupPrice'],
    ['a price above the variant’s', () => ({ variantPrices: [{ variantId: productA.variantIds[1], groupPrice: '80.01' }] }), 'input.variantPrices.0.groupPrice'],
    ['another product’s variant', () => ({ variantPrices: [{ variantId: b.variantIds[0], groupPrice: '10.00' }] }), 'input.variantPrices.0.variantId'],
    ['an archived variant', () => ({ variantPrices: [{ variantId: productA.variantIds[2], groupPrice: '10.00' }] }), 'input.variantPrices.0.variantId'],
    ['groups of 1', () => ({ groupSize: 1 }), 'input.groupSize'],
    ['groups of 101', () => ({ groupSize: 101 }), 'input.groupSize'],
    ['negative hours', () => ({ hoursToForm: -1 }), 'input.hoursToForm'],
    ['721 hours', () => ({ hoursToForm: 721 }), 'input.hoursToForm'],
    ['an end before the start', () => ({ startsAt: iso(DAY), endsAt: iso(HOUR) }), 'input.endsAt'],
    ['an end in the past', () => ({ startsAt: iso(-2 * DAY), endsAt: iso(-DAY) }), 'input.endsAt'],
    ['a window over 90 days', () => ({ startsAt: iso(0), endsAt: iso(91 * DAY) }), 'input.endsAt'],
  ])('refuses %s with INVALID_INPUT on the field, creating nothing', async (_name, overrides, field) => {
    const before = await offerCount();
    expect(failuresOf(await create(offer(overrides())), 'createGroupBuy', 'groupBuy')).toContainEqual(['INVALID_INPUT', field]);
    expect(await offerCount()).toBe(before);
  });

  it('accepts 0 hours to form and a window of exactly 90 days', async () => {
    expect(await created(offer({ hoursToForm: 0, startsAt: iso(0), endsAt: iso(90 * DAY) }))).toMatchObject({ hoursToForm: 0, status: 'LIVE' });
  });

  it('refuses a product not on sale (PRODUCT_UNAVAILABLE) and a shop not ACTIVE (SHOP_NOT_ACTIVE)', async () => {
    const { product: draft } = await scenario(t).shop(shopA).product({ listed: false }).run();
    const input = offer({ productId: draft.id, variantPrices: [{ variantId: draft.variantIds[0], groupPrice: '50.00' }] });
    expect(failuresOf(await create(input), 'createGroupBuy', 'groupBuy')).toEqual([['PRODUCT_UNAVAILABLE', 'input.productId']]);

    const suspended = await scenario(t).shop().product().run();
    await t.sql(`update shop set status = 'SUSPENDED' where id = ?`, [keyOf(suspended.shop.shopId)]);
    const theirs = offer({ productId: suspended.product.id, variantPrices: [{ variantId: suspended.variantIds[0], groupPrice: '50.00' }] });
    expect(failuresOf(await create(theirs, suspended.shop.owner.token), 'createGroupBuy', 'groupBuy')).toEqual([['SHOP_NOT_ACTIVE', 'input.productId']]);
  });

  it('lets the MANAGER and OPERATOR create one; refuses other roles (FORBIDDEN), other shops, shoppers and staff (NOT_FOUND), anonymous callers', async () => {
    await created(offer(), shopA.members.MANAGER!.token);
    await created(offer(), shopA.members.OPERATOR!.token);
    const before = await offerCount();
    expect(code(await create(offer(), shopA.members.CUSTOMER_SERVICE!.token))).toBe('FORBIDDEN');
    expect(code(await create(offer(), shopA.members.FINANCE!.token))).toBe('FORBIDDEN');
    // Shop B's owner offering shop A's product: another shop's product does not exist for them.
    expect(code(await create(offer(), b.shop.owner.token))).toBe('NOT_FOUND');
    expect(code(await create(offer(), (await userWithToken(t)).token))).toBe('NOT_FOUND');
    expect(code(await create(offer(), ops.token))).toBe('NOT_FOUND');
    expect(code(await create(offer(), null))).toBe('UNAUTHENTICATED');
    expect(code(await create(offer({ productId: 'not-an-id' })))).toBe('NOT_FOUND');
    // Shop A's owner pricing shop B's variant on shop A's product.
    expect(failuresOf(await create(offer({ variantPrices: [{ variantId: b.variantIds[0], groupPrice: '1.00' }] })), 'createGroupBuy', 'groupBuy')).toEqual([['INVALID_INPUT', 'input.variantPrices.0.variantId']]);
    expect(await offerCount()).toBe(before);
  });
});

describe('groupBuys, groupBuy and node', () => {
  it('shows shoppers the LIVE offers of products on sale; the shop’s members every one of theirs', async () => {
    const upcoming = await created(offer({ startsAt: iso(DAY), endsAt: iso(2 * DAY) }));
    const list = async (filter: Record<string, unknown>, token?: string) => (await t.gql(OFFERS, { filter, first: 100 }, { token })).data!.groupBuys;
    const publicIds = (await list({ shopId: shopA.shopId })).nodes.map((n: { id: string }) => n.id);
    expect(publicIds).toContain(offerId);
    expect(publicIds).not.toContain(upcoming.id);
    expect((await list({ shopId: shopA.shopId, live: false })).nodes).toEqual([]);
    expect((await list({ productId: b.product.id })).nodes).toEqual([]);

    const mine = await list({ shopId: shopA.shopId, live: false }, shopA.owner.token);
    expect(mine.nodes).toContainEqual({ id: upcoming.id, status: 'UPCOMING' });
    expect(mine.nodes.every((n: { status: string }) => n.status !== 'LIVE')).toBe(true);
    expect((await list({ shopId: shopA.shopId }, ops.token)).nodes.map((n: { id: string }) => n.id)).toContain(upcoming.id);

    // Refetched by ID, by anyone while the product is on sale.
    expect((await t.gql(OFFER, { id: upcoming.id })).data!.groupBuy).toMatchObject({ id: upcoming.id, status: 'UPCOMING' });
    expect((await t.gql(NODE, { id: offerId })).data!.node).toEqual({ id: offerId, offerStatus: 'LIVE' });
    expect((await t.gql(OFFER, { id: idOf('GroupBuy', '999999999') })).data!.groupBuy).toBeNull();
  });

  it('hides an offer whose product is no longer on sale from shoppers, not from the shop', async () => {
    const { product } = await scenario(t).shop(shopA).product().run();
    const o = await created(offer({ productId: product.id, variantPrices: [{ variantId: product.variantIds[0], groupPrice: '50.00' }] }));
    await t.sql('update product set visible = false where id = ?', [keyOf(product.id)]);
    expect((await t.gql(OFFER, { id: o.id })).data!.groupBuy).toBeNull();
    expect((await t.gql(OFFER, { id: o.id }, { token: shopA.owner.token })).data!.groupBuy).toMatchObject({ id: o.id });
    expect((await t.gql(OFFERS, { filter: { productId: product.id } })).data!.groupBuys.nodes).toEqual([]);
  });
});

describe('startGroup and joinGroup', () => {
  it('starts a group led by the buyer, with their order at the group price (a GROUP_BUY discount the shop funds) and its stock reserved', async () => {
    const leader = await newShopper(t);
    const stockBefore = await stockOf(t, productA.variantKeys[0]);
    const { group, checkout, order } = await started(leader, offerId, { quantity: 2 });
    expect(group).toMatchObject({
      status: 'FORMING',
      size: 3,
      needed: 3,
      settledAt: null,
      expiresAt: iso(DAY),
      groupBuy: { id: offerId },
      leader: { id: idOf('User', leader.user.id), displayName: leader.user.displayName },
      members: [{ user: { id: idOf('User', leader.user.id) }, joinedAt: clock.now().toISOString(), paid: false }],
    });
    expect(checkout).toMatchObject({ status: 'PENDING_PAYMENT', total: { amountMinor: order.total.amountMinor } });
    expect(order).toMatchObject({
      status: 'PENDING_PAYMENT',
      subtotal: { amountMinor: 20000 },
      discountTotal: { amountMinor: 4200 },
      lines: [{ quantity: 2, unitPrice: { amountMinor: 10000 } }],
      discounts: [{ source: 'GROUP_BUY', title: '3人團', fundedBy: 'SHOP', amount: { amountMinor: 4200 } }],
    });
    expect(await stockOf(t, productA.variantKeys[0])).toEqual({ ...stockBefore, reserved: stockBefore.reserved + 2 });
    const [member] = await t.sql('select user_id::text, order_id::text from group_member where group_id = ?', [keyOf(group.id)]);
    expect(member).toEqual({ user_id: leader.user.id, order_id: keyOf(order.id) });
  });

  it('lets others join at the price of the variant they pick, and lists the groups one can join', async () => {
    const [leader, other] = await shoppers(2);
    const { group } = await started(leader);
    const { group: after, order } = await joined(other, group.id, { variant: productA.variantIds[1] });
    expect(after.members.map((m: { user: { id: string } }) => m.user.id)).toEqual([idOf('User', leader.user.id), idOf('User', other.user.id)]);
    expect(order.discounts).toEqual([{ source: 'GROUP_BUY', title: '3人團', fundedBy: 'SHOP', amount: { amountMinor: 2100 } }]);
    const groups = (await t.gql(OFFER, { id: offerId })).data!.groupBuy.groups.nodes.map((g: { id: string }) => g.id);
    expect(groups).toContain(group.id);
    expect((await t.gql(MY_GROUPS, {}, { token: other.token })).data!.myGroups.nodes).toEqual([{ id: group.id, status: 'FORMING' }]);
    expect(code(await t.gql(MY_GROUPS))).toBe('UNAUTHENTICATED');
  });

  it('refuses to start a group of an offer that is not LIVE, a variant it does not offer, a quantity out of range or another’s address', async () => {
    const buyer = await newShopper(t);
    const before = await groupCount();
    const upcoming = await created(offer({ startsAt: iso(DAY), endsAt: iso(2 * DAY) }));
    expect(failuresOf(await start(buyer, upcoming.id), 'startGroup', 'group')).toEqual([['INVALID_TRANSITION', 'input.groupBuyId']]);
    expect(failuresOf(await start(buyer, offerId, { variant: productA.variantIds[2] }), 'startGroup', 'group')).toEqual([['INVALID_INPUT', 'input.variantId']]);
    expect(failuresOf(await start(buyer, offerId, { quantity: 0 }), 'startGroup', 'group')).toEqual([['INVALID_INPUT', 'input.quantity']]);
    expect(failuresOf(await start(buyer, offerId, { quantity: 11 }), 'startGroup', 'group')).toEqual([['INVALID_INPUT', 'input.quantity']]);
    const stranger = await newShopper(t);
    const res = await t.gql(START, { input: { groupBuyId: offerId, variantId: productA.variantIds[0], quantity: 1, addressId: stranger.addressId } }, { token: buyer.token });
    expect(failuresOf(res, 'startGroup', 'group')).toEqual([['ADDRESS_NOT_FOUND', 'input.addressId']]);
    expect(code(await t.gql(START, { input: { groupBuyId: offerId, ...orderInput(buyer, {}) } }))).toBe('UNAUTHENTICATED');
    expect(code(await start(buyer, idOf('GroupBuy', '999999999')))).toBe('NOT_FOUND');
    expect(await groupCount()).toBe(before);
  });

  it('refuses an offer that has ended', async () => {
    const short = await created(offer({ startsAt: iso(-HOUR), endsAt: iso(MINUTE) }));
    clock.advance(2 * MINUTE);
    expect(failuresOf(await start(await newShopper(t), short.id), 'startGroup', 'group')).toEqual([['INVALID_TRANSITION', 'input.groupBuyId']]);
  });

  it('refuses the leader and a member a second seat (ALREADY_IN_GROUP), and a full group (GROUP_FULL), unpaid members counting', async () => {
    const [leader, second, third, late] = await shoppers(4);
    const { group } = await started(leader);
    expect(failuresOf(await join(leader, group.id), 'joinGroup', 'group')).toEqual([['ALREADY_IN_GROUP', 'input.groupId']]);
    await joined(second, group.id);
    expect(failuresOf(await join(second, group.id), 'joinGroup', 'group')).toEqual([['ALREADY_IN_GROUP', 'input.groupId']]);
    await joined(third, group.id);
    expect(failuresOf(await join(late, group.id), 'joinGroup', 'group')).toEqual([['GROUP_FULL', 'input.groupId']]);
    expect((await groupOf(group.id)).members).toHaveLength(3);
    expect(code(await join(late, idOf('Group', '999999999')))).toBe('NOT_FOUND');
  });

  it('frees the seat of a member whose checkout expired unpaid', async () => {
    const [leader, second, third, late] = await shoppers(4);
    const { group, checkout } = await started(leader);
    await pay(leader, checkout.id);
    await joined(second, group.id);
    clock.advance(20 * MINUTE);
    await joined(third, group.id);
    expect(failuresOf(await join(late, group.id), 'joinGroup', 'group')).toEqual([['GROUP_FULL', 'input.groupId']]);
    // The second member's checkout (30 minutes) expires; the third's has 20 minutes left.
    clock.advance(15 * MINUTE);
    await runTask('expire-checkouts');
    const { group: after } = await joined(late, group.id);
    expect(after.members.map((m: { user: { id: string }; paid: boolean }) => [m.user.id, m.paid])).toEqual([
      [idOf('User', leader.user.id), true],
      [idOf('User', third.user.id), false],
      [idOf('User', late.user.id), false],
    ]);
    expect(after).toMatchObject({ status: 'FORMING', needed: 2 });
    // The member whose order expired is still in its history: they cannot take another seat.
    expect(failuresOf(await join(second, group.id), 'joinGroup', 'group')).toEqual([['ALREADY_IN_GROUP', 'input.groupId']]);
  });

  it('gives the last seat to exactly one of the buyers joining at once', async () => {
    const [leader, second] = await shoppers(2);
    const racers = await shoppers(6);
    const { group } = await started(leader);
    await joined(second, group.id);
    const stockBefore = await stockOf(t, productA.variantKeys[0]);
    const results = await Promise.all(racers.map((r) => join(r, group.id)));
    const outcomes = results.map((r) => outcomeOf(r, 'joinGroup'));
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'GROUP_FULL')).toHaveLength(5);
    expect((await groupOf(group.id)).members).toHaveLength(3);
    expect((await stockOf(t, productA.variantKeys[0])).reserved).toBe(stockBefore.reserved + 1);
    expect((await t.sql(`select count(*)::int as n from checkout where idempotency_key = ?`, [`#group/${keyOf(group.id)}`]))[0].n).toBe(3);
  });

  it('lets one of two joins of the same buyer at once through (ALREADY_IN_GROUP for the other)', async () => {
    const [leader, twice] = await shoppers(2);
    const { group } = await started(leader);
    const outcomes = (await Promise.all([join(twice, group.id), join(twice, group.id)])).map((r) => outcomeOf(r, 'joinGroup'));
    expect(outcomes.sort()).toEqual(['ALREADY_IN_GROUP', 'OK']);
    expect((await groupOf(group.id)).members).toHaveLength(2);
  });

  it('refuses to join a group past its expiry, even before expire-groups has run', async () => {
    const fresh = await freshOffer(2, 1);
    const [leader, late] = await shoppers(2);
    const { group } = await started(leader, fresh.offerId, { variant: fresh.variantId });
    clock.advance(HOUR);
    expect(failuresOf(await join(late, group.id, { variant: fresh.variantId }), 'joinGroup', 'group')).toEqual([['INVALID_TRANSITION', 'input.groupId']]);
  });
});

describe('forming', () => {
  it('forms once `size` members paid, and only then lets the shop accept and ship their orders', async () => {
    const fresh = await freshOffer(2, 24);
    const [leader, second] = await shoppers(2);
    const first = await started(leader, fresh.offerId, { variant: fresh.variantId });
    await pay(leader, first.checkout.id);
    expect(await groupOf(first.group.id)).toMatchObject({ status: 'FORMING', needed: 1, members: [{ paid: true }] });

    // Paid, but its group has not formed: the shop can neither accept nor ship it, nor is offered to.
    const held = await orderOf(first.order.id);
    expect(held).toMatchObject({ status: 'PAID' });
    expect(held.nextActions).toEqual(['CANCEL']);
    expect(failuresOf(await t.gql(ACCEPT, { input: { id: first.order.id } }, { token: shopA.owner.token }), 'acceptOrder', 'order')).toEqual([['GROUP_NOT_FORMED', 'input.id']]);
    const ship = { orderId: first.order.id, carrier: 'SF Express', trackingNumber: 'SF1234567890' };
    expect(failuresOf(await t.gql(SHIP, { input: ship }, { token: shopA.owner.token }), 'shipOrder', 'order')).toEqual([['GROUP_NOT_FORMED', 'input.orderId']]);
    expect((await orderOf(first.order.id)).status).toBe('PAID');

    const other = await joined(second, first.group.id, { variant: fresh.variantId });
    expect(await groupOf(first.group.id)).toMatchObject({ status: 'FORMING', needed: 1 });
    await pay(second, other.checkout.id);
    const formed = await groupOf(first.group.id);
    expect(formed).toMatchObject({ status: 'FORMED', needed: 0, settledAt: clock.now().toISOString(), members: [{ paid: true }, { paid: true }] });

    expect((await orderOf(first.order.id)).nextActions).toEqual(expect.arrayContaining(['ACCEPT', 'SHIP', 'CANCEL']));
    expect(okPayload(await t.gql(ACCEPT, { input: { id: first.order.id } }, { token: shopA.owner.token }), 'acceptOrder', 'order')).toMatchObject({ status: 'PROCESSING' });
    expect(okPayload(await t.gql(SHIP, { input: ship }, { token: shopA.owner.token }), 'shipOrder', 'order')).toMatchObject({ status: 'SHIPPED' });
    const ship2 = { orderId: other.order.id, carrier: 'SF Express', trackingNumber: 'SF1234567891' };
    expect(okPayload(await t.gql(SHIP, { input: ship2 }, { token: shopA.owner.token }), 'shipOrder', 'order')).toMatchObject({ status: 'SHIPPED' });

    // A formed group takes nobody else, and expire-groups leaves it be past its expiry.
    expect(failuresOf(await join(await newShopper(t), first.group.id, { variant: fresh.variantId }), 'joinGroup', 'group')).toEqual([['INVALID_TRANSITION', 'input.groupId']]);
    clock.advance(DAY + MINUTE);
    await runTask('expire-groups');
    expect((await groupOf(first.group.id)).status).toBe('FORMED');
    await expectLedgerInvariants(t, 'after a group formed');
  });

  it('does not count an unpaid member, nor one who paid and cancelled', async () => {
    const fresh = await freshOffer(2, 24);
    const [leader, second, third] = await shoppers(3);
    const first = await started(leader, fresh.offerId, { variant: fresh.variantId });
    const other = await joined(second, first.group.id, { variant: fresh.variantId });
    await pay(second, other.checkout.id);
    const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status } errors { code field message } } }`;
    okPayload(await t.gql(CANCEL, { input: { orderId: other.order.id, reason: 'Changed my mind' } }, { token: second.token }), 'cancelOrder');
    expect(await groupOf(first.group.id)).toMatchObject({ status: 'FORMING', needed: 2 });
    const late = await joined(third, first.group.id, { variant: fresh.variantId });
    await pay(third, late.checkout.id);
    expect(await groupOf(first.group.id)).toMatchObject({ status: 'FORMING', needed: 1 });
    await pay(leader, first.checkout.id);
    expect(await groupOf(first.group.id)).toMatchObject({ status: 'FORMED', needed: 0 });
  });
});

describe('expire-groups', () => {
  it('fails a group not formed in time: paid members refunded in full, unpaid orders cancelled, stock back, once', async () => {
    const fresh = await freshOffer(3, 1);
    const stockBefore = await stockOf(t, fresh.variantKey);
    const [leader, second, third] = await shoppers(3);
    const first = await started(leader, fresh.offerId, { variant: fresh.variantId, quantity: 2 });
    await pay(leader, first.checkout.id);
    const other = await joined(second, first.group.id, { variant: fresh.variantId });
    await pay(second, other.checkout.id);
    clock.advance(45 * MINUTE);
    const unpaid = await joined(third, first.group.id, { variant: fresh.variantId });
    expect(await stockOf(t, fresh.variantKey)).toEqual({ on_hand: stockBefore.on_hand - 3, reserved: stockBefore.reserved + 1 });

    clock.advance(16 * MINUTE);
    expect(await runTask('expire-groups')).toMatch(/^done: [1-9]/);
    const failed = await groupOf(first.group.id);
    expect(failed).toMatchObject({ status: 'FAILED', settledAt: clock.now().toISOString(), needed: 1 });
    expect(failed.members.map((m: { paid: boolean }) => m.paid)).toEqual([true, true, false]);

    for (const paid of [first, other]) {
      const order = await orderOf(paid.order.id);
      expect(order).toMatchObject({ status: 'CANCELLED', refunds: [{ status: 'PENDING', amount: { amountMinor: paid.order.total.amountMinor } }] });
      expect(order.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['CANCELLED', 'REFUND_REQUESTED']));
      const [refund] = await t.sql('select id::text, amount::int from refund where order_id = ?', [keyOf(paid.order.id)]);
      expect(refund.amount).toBe(paid.order.total.amountMinor);
      expect(await postingCount(t, `p.kind = 'REFUND' and p.refund_id = ?`, [refund.id])).toBe(1);
    }
    expect(await orderOf(unpaid.order.id)).toMatchObject({ status: 'CANCELLED', refunds: [] });
    expect((await t.sql('select status from checkout where id = ?', [keyOf(unpaid.checkout.id)]))[0].status).toBe('CANCELLED');
    expect(await stockOf(t, fresh.variantKey)).toEqual(stockBefore);
    const payAfter = await t.gql(PAY, { input: { checkoutId: unpaid.checkout.id, provider: 'MOCK' } }, { token: third.token });
    expect(payAfter.data!.payCheckout.errors.map((e: { code: string }) => e.code)).toEqual(['INVALID_TRANSITION']);
    await expectLedgerInvariants(t, 'after a group failed');

    // Nothing left to do on a second run; the refunds go out and each paid order nets to zero.
    expect(await runTask('expire-groups')).toBe('done: 0');
    expect((await t.sql('select count(*)::int as n from refund where order_id in (?, ?)', [keyOf(first.order.id), keyOf(other.order.id)]))[0].n).toBe(2);
    await runTask('send-refunds');
    for (const paid of [first, other]) expect(await orderAccounts(t, keyOf(paid.order.id))).toEqual({});
    await expectLedgerInvariants(t, 'after the refunds were sent');
  });

  it('returns the money of a member whose payment races the group’s failure, whichever comes first', async () => {
    const fresh = await freshOffer(2, 1);
    const [leader, second] = await shoppers(2);
    const first = await started(leader, fresh.offerId, { variant: fresh.variantId });
    await pay(leader, first.checkout.id);
    const other = await joined(second, first.group.id, { variant: fresh.variantId });
    const { payment } = okPayload(await t.gql(PAY, { input: { checkoutId: other.checkout.id, provider: 'MOCK' } }, { token: second.token }), 'payCheckout');
    clock.advance(HOUR);
    const [hook] = await Promise.all([webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id }), runTask('expire-groups')]);
    expect(hook.statusCode).toBe(200);
    await runTask('expire-groups');
    expect((await groupOf(first.group.id)).status).toBe('FAILED');
    const [{ refunded }] = await t.sql('select coalesce(sum(amount), 0)::int as refunded from refund where payment_id = ?', [keyOf(payment.id)]);
    expect(refunded).toBe(payment.amount.amountMinor);
    expect((await orderOf(other.order.id)).status).toBe('CANCELLED');
    await expectLedgerInvariants(t, 'after a payment raced a failure');
  });

  it('fails a group of 0 hours to form at the next run, releasing its leader’s reservation', async () => {
    const fresh = await freshOffer(2, 0);
    const stockBefore = await stockOf(t, fresh.variantKey);
    const [leader, late] = await shoppers(2);
    const { group, order } = await started(leader, fresh.offerId, { variant: fresh.variantId });
    expect(group.expiresAt).toBe(clock.now().toISOString());
    expect(failuresOf(await join(late, group.id, { variant: fresh.variantId }), 'joinGroup', 'group')).toEqual([['INVALID_TRANSITION', 'input.groupId']]);
    expect((await stockOf(t, fresh.variantKey)).reserved).toBe(stockBefore.reserved + 1);
    await runTask('expire-groups');
    expect(await groupOf(group.id)).toMatchObject({ status: 'FAILED', needed: 2, members: [{ paid: false }] });
    expect((await orderOf(order.id)).status).toBe('CANCELLED');
    expect(await stockOf(t, fresh.variantKey)).toEqual(stockBefore);
    expect((await t.gql(OFFER, { id: fresh.offerId })).data!.groupBuy.groups.nodes).toEqual([]);
  });
});

describe('what others see of a group', () => {
  it('shows anyone a group of a visible offer, its members by display name, never their emails', async () => {
    const leader = await newShopper(t);
    const { group } = await started(leader);
    expect((await t.gql(NODE, { id: group.id })).data!.node).toEqual({ id: group.id, groupStatus: 'FORMING' });
    expect((await groupOf(group.id)).leader).toEqual({ id: idOf('User', leader.user.id), displayName: leader.user.displayName });
    const stranger = await userWithToken(t);
    const res = await t.gql(`query($id: ID!) { group(id: $id) { members { user { email } } } }`, { id: group.id }, { token: stranger.token });
    expect(code(res)).toBe('FORBIDDEN');
    expect(JSON.stringify(res)).not.toContain(leader.user.email);
    const own = await t.gql(`query($id: ID!) { group(id: $id) { leader { email } } }`, { id: group.id }, { token: leader.token });
    expect(own.data!.group.leader.email).toBe(leader.user.email);
  });

  it('costs five statements for a page of groups with their members, however many', async () => {
    const [x, y] = await shoppers(2);
    for (const buyer of [x, y]) await started(buyer);
    const query = `query($id: ID!) { groupBuy(id: $id) { groups(first: 20) { nodes { id needed leader { displayName } members { paid user { displayName } } } } } }`;
    const { result, queries } = await t.countQueries(query, { id: offerId });
    expect(result.errors).toBeUndefined();
    expect(result.data!.groupBuy.groups.nodes.length).toBeGreaterThanOrEqual(2);
    // The offer, its product, the page of groups, their members, the members' users: however many groups.
    expect(queries).toBe(5);
  });
});
