import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { addressKey, phoneKey } from '../../src/services/risk';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { newKey } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { keyOf } from '../helpers/kit';
import { blacklist, type Buyer, buy, buyerAt, CHECKOUT_WITH_RISK, onlyRules, pastCheckout, pay, placed, RISK_FIELDS, storedRisk } from '../helpers/riskOrders';
import { type Scenario, scenario } from '../helpers/scenario';

const HOUR = 3_600_000;
// Far from the wall clock: velocity windows and account ages must be measured on the business clock.
const clock = new ManualClock(new Date('2031-05-01T08:00:00Z'));
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status } errors { code field } } }`;

let t: TestApp;
/** 100.00 a unit in shop A, 10.00 in shop B; no shipping templates, so no fees. */
let variantA: string;
let variantB: string;
let market: Scenario;

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  market = await scenario(t).shop().product({ stock: 100_000, price: '100.00' }).shop().product({ stock: 100_000, price: '10.00' }).run();
  variantA = market.products[0].variantKeys[0];
  variantB = market.products[1].variantKeys[0];
});

afterAll(() => t.close());

const one = (variantKey = variantA, quantity = 1) => ({ lines: [{ variantKey, quantity }] });

/** A checkout of one unit of A by `buyer`; its first order's stored risk. */
async function riskOfCheckout(buyer: Buyer, opts: { ip?: string; deviceId?: string; quantity?: number } = {}) {
  const checkout = placed(await buy(t, buyer, { ...one(variantA, opts.quantity ?? 1), ip: opts.ip, deviceId: opts.deviceId }));
  return storedRisk(t, checkout.orders[0].id);
}

describe('scoring a checkout', () => {
  it('scores an order no rule hits 0, LOW, with no reasons and no hold', async () => {
    await onlyRules(t, [{ kind: 'ORDER_AMOUNT', weight: 50, amount: 1_000_000 }]);
    const risk = await riskOfCheckout(await buyerAt(t));
    expect(risk).toEqual({ score: 0, level: 'LOW', held: false, reasons: [] });
  });

  it('hits ORDER_AMOUNT at the amount exactly and not a fen below, order by order', async () => {
    const [rule] = await onlyRules(t, [{ kind: 'ORDER_AMOUNT', weight: 25, amount: 20_000 }]);
    const buyer = await buyerAt(t);
    // Two shops, two orders: 2 × 100.00 in A reaches the amount, 19 × 10.00 in B does not.
    const checkout = placed(await buy(t, buyer, { lines: [{ variantKey: variantA, quantity: 2 }, { variantKey: variantB, quantity: 19 }] }));
    const byTotal = new Map(await Promise.all(checkout.orders.map(async (o) => [o.total.amountMinor, await storedRisk(t, o.id)] as const)));
    expect(byTotal.get(20_000)).toEqual({
      score: 25,
      level: 'LOW',
      held: false,
      reasons: [{ ruleId: rule, name: expect.any(String), kind: 'ORDER_AMOUNT', weight: 25, detail: 'Order total 200.00, at least 200.00' }],
    });
    expect(byTotal.get(19_000)!.score).toBe(0);
  });

  it('hits NEW_ACCOUNT_AMOUNT for an account younger than its age with a large enough order', async () => {
    await onlyRules(t, [{ kind: 'NEW_ACCOUNT_AMOUNT', weight: 30, amount: 10_000, accountAgeHours: 24 }]);
    const young = await buyerAt(t);
    const old = await buyerAt(t);
    await t.sql('update users set created_at = ? where id = ?', [new Date(clock.now().getTime() - 23 * HOUR), young.user.id]);
    await t.sql('update users set created_at = ? where id = ?', [new Date(clock.now().getTime() - 24 * HOUR), old.user.id]);
    const hit = await riskOfCheckout(young);
    expect(hit.score).toBe(30);
    expect(hit.reasons[0].detail).toBe('Account 23 h old, order total 100.00, at least 100.00');
    expect((await riskOfCheckout(old)).score).toBe(0);
    // Young enough, but the order is too small.
    const small = placed(await buy(t, young, one(variantB, 9)));
    expect((await storedRisk(t, small.orders[0].id)).score).toBe(0);
  });

  it('hits ADDRESS_VELOCITY at its count of checkouts to one address in the window, any buyer, this one included', async () => {
    await onlyRules(t, [{ kind: 'ADDRESS_VELOCITY', weight: 30, count: 3, windowHours: 24 }]);
    const line1 = `萬塘路 ${newKey().slice(0, 8)} 號`;
    const first = await buyerAt(t, { line1 });
    const key = addressKey({ province: '浙江省', city: '杭州市', district: '西湖區', line1 });
    const other = await buyerAt(t);
    // One earlier checkout in the window (another buyer), one just outside it.
    await pastCheckout(t, clock, { buyerId: other.user.id, hoursAgo: 23, addressKey: key });
    await pastCheckout(t, clock, { buyerId: other.user.id, hoursAgo: 25, addressKey: key });
    expect((await riskOfCheckout(first)).score).toBe(0);
    // Now two earlier in the window: this one is the third.
    const second = await buyerAt(t, { line1: ` 萬塘路${line1.slice(4)}` });
    const hit = await riskOfCheckout(second);
    expect(hit.score).toBe(30);
    expect(hit.reasons[0]).toMatchObject({ kind: 'ADDRESS_VELOCITY', detail: '3 or more checkouts to this address within 24 h' });
  });

  it('hits PHONE_VELOCITY on the phone’s digits, whatever its spelling', async () => {
    await onlyRules(t, [{ kind: 'PHONE_VELOCITY', weight: 30, count: 2, windowHours: 1 }]);
    const digits = `137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    expect((await riskOfCheckout(await buyerAt(t, { phone: digits }))).score).toBe(0);
    const spelled = `+86 ${digits.slice(0, 3)}-${digits.slice(3, 7)}-${digits.slice(7)}`;
    expect(phoneKey(spelled)).toBe(digits);
    expect((await riskOfCheckout(await buyerAt(t, { phone: spelled }))).score).toBe(30);
    // An hour later the window holds only that second one.
    clock.advance(HOUR + 1000);
    expect((await riskOfCheckout(await buyerAt(t, { phone: digits }))).score).toBe(0);
  });

  it('hits DEVICE_VELOCITY on the X-Device-Id header, and never without one', async () => {
    await onlyRules(t, [{ kind: 'DEVICE_VELOCITY', weight: 20, count: 2, windowHours: 1 }]);
    const device = `device-${newKey()}`;
    const buyer = await buyerAt(t);
    expect((await riskOfCheckout(buyer, { deviceId: device })).score).toBe(0);
    expect((await riskOfCheckout(buyer, { deviceId: device })).score).toBe(20);
    // No device id: checkouts without one are not "the same device".
    expect((await riskOfCheckout(buyer)).score).toBe(0);
    expect((await riskOfCheckout(buyer)).score).toBe(0);
  });

  it('hits IP_VELOCITY on the client address', async () => {
    await onlyRules(t, [{ kind: 'IP_VELOCITY', weight: 10, count: 3, windowHours: 1 }]);
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const buyer = await buyerAt(t);
    await pastCheckout(t, clock, { buyerId: buyer.user.id, hoursAgo: 0.5, ip });
    expect((await riskOfCheckout(buyer, { ip })).score).toBe(0);
    expect((await riskOfCheckout(buyer, { ip: '198.51.100.7' })).score).toBe(0);
    expect((await riskOfCheckout(buyer, { ip })).reasons).toMatchObject([{ kind: 'IP_VELOCITY', detail: '3 or more checkouts from this IP address within 1 h' }]);
  });

  it('hits DEVICE_SHARED when enough different buyers checked out from the device', async () => {
    await onlyRules(t, [{ kind: 'DEVICE_SHARED', weight: 30, count: 3, windowHours: 168 }]);
    const device = `shared-${newKey()}`;
    const a = await buyerAt(t);
    const b = await buyerAt(t);
    // The same buyer many times is one buyer.
    for (let i = 0; i < 3; i++) await pastCheckout(t, clock, { buyerId: a.user.id, hoursAgo: 10, deviceId: device });
    expect((await riskOfCheckout(b, { deviceId: device })).score).toBe(0);
    const c = await buyerAt(t);
    const hit = await riskOfCheckout(c, { deviceId: device });
    expect(hit.reasons).toMatchObject([{ kind: 'DEVICE_SHARED', weight: 30, detail: '3 buyers on this device within 168 h' }]);
  });

  it('hits REFUND_HISTORY when enough of the buyer’s orders were refunded in the window', async () => {
    await onlyRules(t, [{ kind: 'REFUND_HISTORY', weight: 20, count: 2, windowHours: 720 }]);
    const buyer = await buyerAt(t);
    const refunded = async () => {
      const c = placed(await buy(t, buyer, one(variantB)));
      await pay(t, buyer, c.id);
      const res = await t.gql(CANCEL, { input: { orderId: c.orders[0].id } }, { token: buyer.token });
      expect(res.data!.cancelOrder.order.status).toBe('CANCELLED');
    };
    await refunded();
    expect((await riskOfCheckout(buyer)).score).toBe(0);
    await refunded();
    const hit = await riskOfCheckout(buyer);
    expect(hit.reasons).toMatchObject([{ kind: 'REFUND_HISTORY', detail: '2 refunded orders within 720 h' }]);
    // Outside the window they no longer count.
    clock.advance(721 * HOUR);
    expect((await riskOfCheckout(buyer)).score).toBe(0);
  });

  it('hits FAILED_PAYMENTS when enough of the buyer’s payments failed in the window', async () => {
    await onlyRules(t, [{ kind: 'FAILED_PAYMENTS', weight: 20, count: 2, windowHours: 24 }]);
    const buyer = await buyerAt(t);
    const checkoutKey = await pastCheckout(t, clock, { buyerId: buyer.user.id, hoursAgo: 2 });
    const failed = (hoursAgo: number, status = 'FAILED') =>
      t.sql(`insert into payment (checkout_id, provider, status, amount, created_at, updated_at) values (?, 'MOCK', ?, 100, ?, ?)`, [
        checkoutKey,
        status,
        new Date(clock.now().getTime() - hoursAgo * HOUR),
        new Date(clock.now().getTime() - hoursAgo * HOUR),
      ]);
    await failed(1);
    await failed(30);
    await failed(1, 'SUCCEEDED');
    expect((await riskOfCheckout(buyer)).score).toBe(0);
    await failed(2);
    expect((await riskOfCheckout(buyer)).reasons).toMatchObject([{ kind: 'FAILED_PAYMENTS', weight: 20 }]);
  });

  it('hits NEW_SHIPPING_REGION for a buyer with paid orders, none to this province', async () => {
    await onlyRules(t, [{ kind: 'NEW_SHIPPING_REGION', weight: 10 }]);
    const buyer = await buyerAt(t, { province: '浙江省' });
    // No paid order yet: nothing to compare with.
    const first = placed(await buy(t, buyer, one(variantB)));
    expect((await storedRisk(t, first.orders[0].id)).score).toBe(0);
    await pay(t, buyer, first.id);
    expect((await riskOfCheckout(buyer)).score).toBe(0);
    await t.sql(`update address set province = '廣東省' where id = ?`, [keyOf(buyer.addressId)]);
    const hit = await riskOfCheckout(buyer);
    expect(hit.reasons).toMatchObject([{ kind: 'NEW_SHIPPING_REGION', weight: 10, detail: 'First delivery to 廣東省' }]);
  });

  it('hits WATCHLISTED on a REVIEW entry that has not expired, naming what matched', async () => {
    await onlyRules(t, [{ kind: 'WATCHLISTED', weight: 40 }]);
    const phone = `136${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const device = `watched-${newKey()}`;
    const buyer = await buyerAt(t, { phone, email: `someone-${newKey().slice(0, 6)}@watched-${newKey().slice(0, 6)}.example` });
    const domain = buyer.user.email.split('@')[1];
    await blacklist(t, 'DEVICE', device, 'REVIEW', new Date(clock.now().getTime() - 1000));
    expect((await riskOfCheckout(buyer, { deviceId: device })).score).toBe(0);
    await blacklist(t, 'PHONE', phone, 'REVIEW', new Date(clock.now().getTime() + HOUR));
    await blacklist(t, 'EMAIL_DOMAIN', domain, 'REVIEW');
    await blacklist(t, 'IP', '192.0.2.0/24', 'REVIEW');
    const hit = await riskOfCheckout(buyer, { deviceId: device, ip: '192.0.2.77' });
    expect(hit.reasons).toMatchObject([{ kind: 'WATCHLISTED', weight: 40, detail: 'On a watch list: email_domain, ip, phone' }]);
    expect(hit.score).toBe(40);
  });

  it('sums the weights into a level: LOW under the review score, MEDIUM from it, HIGH and held from the hold score', async () => {
    expect(t.config.risk).toMatchObject({ reviewScore: 30, holdScore: 60 });
    const [small, big] = await onlyRules(t, [
      { kind: 'ORDER_AMOUNT', weight: 29, amount: 10_000 },
      { kind: 'ORDER_AMOUNT', weight: 31, amount: 20_000 },
    ]);
    expect(await riskOfCheckout(await buyerAt(t))).toMatchObject({ score: 29, level: 'LOW', held: false });
    const high = await riskOfCheckout(await buyerAt(t), { quantity: 2 });
    expect(high).toMatchObject({ score: 60, level: 'HIGH', held: true });
    // Heaviest first.
    expect(high.reasons.map((r) => [r.ruleId, r.weight])).toEqual([
      [big, 31],
      [small, 29],
    ]);
    await t.sql('update risk_rule set weight = 1 where id = ?', [small]);
    expect(await riskOfCheckout(await buyerAt(t), { quantity: 2 })).toMatchObject({ score: 32, level: 'MEDIUM', held: false });
  });

  it('leaves disabled rules out', async () => {
    const [rule] = await onlyRules(t, [{ kind: 'ORDER_AMOUNT', weight: 30, amount: 100 }]);
    await t.sql('update risk_rule set enabled = false where id = ?', [rule]);
    expect((await riskOfCheckout(await buyerAt(t))).score).toBe(0);
  });

});

describe('the cost of scoring', () => {
  it('costs one statement whatever the rules: the same count with every rule enabled as with none', async () => {
    const count = async () => {
      const buyer = await buyerAt(t);
      await t.sql('insert into cart_line (user_id, variant_id, quantity, created_at, updated_at) values (?, ?, 1, now(), now())', [buyer.user.id, variantA]);
      return t.captureQueries(CHECKOUT_WITH_RISK, { input: { addressId: buyer.addressId }, key: newKey() }, { token: buyer.token });
    };
    await t.sql('update risk_rule set enabled = false');
    const none = await count();
    await t.sql(`update risk_rule set enabled = (name not like 'test %')`);
    expect((await t.sql('select count(*)::int as n from risk_rule where enabled'))[0].n).toBe(11);
    const all = await count();
    expect(all.result.data!.checkout.errors).toEqual([]);
    expect(all.statements.length).toBe(none.statements.length);
    const scoring = all.statements.filter((s) => /\brisk_rule\b/.test(s.sql));
    expect(scoring).toHaveLength(1);
    expect(all.statements.filter((s) => /\bblacklist_entry\b/.test(s.sql))).toEqual(scoring);
  });

  it('finds velocity and history in indexes: no sequential scan of checkouts, orders or refunds', async () => {
    await t.sql(`update risk_rule set enabled = (name not like 'test %')`);
    const buyer = await buyerAt(t);
    await t.sql('insert into cart_line (user_id, variant_id, quantity, created_at, updated_at) values (?, ?, 1, now(), now())', [buyer.user.id, variantA]);
    const { statements } = await t.captureQueries(CHECKOUT_WITH_RISK, { input: { addressId: buyer.addressId }, key: newKey() }, { token: buyer.token });
    const scoring = statements.find((s) => /\brisk_rule\b/.test(s.sql))!;
    // The test tables are tiny, so the planner would scan them whatever the indexes: with sequential
    // scans priced out, it shows which index serves each lookup (EXPLAIN runs nothing, the update neither).
    const plan = await t.orm.em.fork().transactional(async (em) => {
      await em.execute('set local enable_seqscan = off');
      const rows = await em.execute<{ 'QUERY PLAN': string }[]>(`explain ${scoring.sql}`, [...scoring.params]);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    for (const index of ['checkout_address_idx', 'checkout_phone_idx', 'checkout_device_idx', 'checkout_ip_idx', 'checkout_buyer_created_idx', 'payment_failed_idx', 'blacklist_entry_value_unique']) expect(plan).toContain(index);
    expect(plan).not.toMatch(/Seq Scan on (checkout|orders|refund|payment|blacklist_entry)\b/);
  });
});

describe('blacklisted checkouts', () => {
  const refused = async (buyer: Buyer, opts: { ip?: string; deviceId?: string } = {}) => {
    const res = await buy(t, buyer, { ...one(variantB), ...opts });
    expect(res.errors).toBeUndefined();
    return res.data!.checkout;
  };
  const nothingPlaced = async (buyer: Buyer) => {
    expect((await t.sql('select count(*)::int as n from checkout where buyer_id = ?', [buyer.user.id]))[0].n).toBe(0);
    expect((await t.sql('select count(*)::int as n from cart_line where user_id = ?', [buyer.user.id]))[0].n).toBe(1);
  };
  const hits = (buyer: Buyer) => t.sql(`select kind, ip, device_id, detail from risk_event where user_id = ? and kind = 'BLACKLIST_HIT'`, [buyer.user.id]);

  it('refuses a checkout to a blocked phone with BLACKLISTED on the address, places nothing and records the hit', async () => {
    await onlyRules(t, []);
    const phone = `135${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const entry = await blacklist(t, 'PHONE', phone);
    const buyer = await buyerAt(t, { phone });
    const { reserved: before } = (await t.sql('select reserved from product_variant where id = ?', [variantB]))[0];
    const payload = await refused(buyer, { deviceId: 'phone-blocked-device' });
    expect(payload.checkout).toBeNull();
    expect(payload.errors).toMatchObject([{ code: 'BLACKLISTED', field: ['input', 'addressId'] }]);
    await nothingPlaced(buyer);
    expect((await t.sql('select reserved from product_variant where id = ?', [variantB]))[0].reserved).toBe(before);
    expect(await hits(buyer)).toEqual([{ kind: 'BLACKLIST_HIT', ip: '127.0.0.1', device_id: 'phone-blocked-device', detail: { entryPoint: 'checkout', kinds: ['PHONE'], entryIds: [entry] } }]);
  });

  it('refuses a blocked address, whatever its spacing and punctuation', async () => {
    const line1 = `天目山路 ${newKey().slice(0, 6)} 號`;
    await blacklist(t, 'ADDRESS', addressKey({ province: '浙江省', city: '杭州市', district: '西湖區', line1: `，${line1.replace(/ /g, '')}。` }));
    const buyer = await buyerAt(t, { line1 });
    expect((await refused(buyer)).errors).toMatchObject([{ code: 'BLACKLISTED', field: ['input', 'addressId'] }]);
    await nothingPlaced(buyer);
  });

  it('refuses a blocked device, IP network and email domain on the input as a whole', async () => {
    const device = `blocked-${newKey()}`;
    await blacklist(t, 'DEVICE', device);
    await blacklist(t, 'IP', '10.77.0.0/16');
    const domain = `blocked-${newKey().slice(0, 8)}.example`;
    // Signed in before the domain is listed (sign-in checks it too).
    const c = await buyerAt(t, { email: `shopper@${domain}` });
    await blacklist(t, 'EMAIL_DOMAIN', domain);
    const a = await buyerAt(t);
    expect((await refused(a, { deviceId: device })).errors).toMatchObject([{ code: 'BLACKLISTED', field: ['input'] }]);
    const b = await buyerAt(t);
    expect((await refused(b, { ip: '10.77.3.4' })).errors).toMatchObject([{ code: 'BLACKLISTED', field: ['input'] }]);
    expect((await refused(c)).errors).toMatchObject([{ code: 'BLACKLISTED', field: ['input'] }]);
    for (const buyer of [a, b, c]) await nothingPlaced(buyer);
    expect((await hits(b))[0]).toMatchObject({ ip: '10.77.3.4', detail: { kinds: ['IP'] } });
    expect((await hits(c))[0]).toMatchObject({ detail: { kinds: ['EMAIL_DOMAIN'] } });
  });

  it('lets a checkout through once the entry expired, and never blocks on REVIEW entries', async () => {
    const device = `expired-${newKey()}`;
    await blacklist(t, 'DEVICE', device, 'BLOCK', new Date(clock.now().getTime() + HOUR));
    const buyer = await buyerAt(t);
    expect((await refused(buyer, { deviceId: device })).errors[0].code).toBe('BLACKLISTED');
    clock.advance(HOUR);
    expect((await refused(buyer, { deviceId: device })).errors).toEqual([]);
    const watched = `review-${newKey()}`;
    await blacklist(t, 'DEVICE', watched, 'REVIEW');
    expect((await refused(await buyerAt(t), { deviceId: watched })).errors).toEqual([]);
  });

  it('hides the score from the buyer, shows the level to the shop and the reasons to staff RISK', async () => {
    await onlyRules(t, [{ kind: 'ORDER_AMOUNT', weight: 45, amount: 100 }]);
    const buyer = await buyerAt(t);
    const checkout = placed(await buy(t, buyer, one(variantB)));
    const query = `query($id: ID!) { order(id: $id) { id ${RISK_FIELDS} } }`;
    const asBuyer = await t.gql(query, { id: checkout.orders[0].id }, { token: buyer.token });
    expect(asBuyer.data!.order.risk).toBeNull();
    const risk = await staff(t, StaffRole.RISK);
    const asRisk = await t.gql(query, { id: checkout.orders[0].id }, { token: risk.token });
    expect(asRisk.data!.order.risk).toMatchObject({ level: 'MEDIUM', score: 45, onHold: false, reasons: [{ kind: 'ORDER_AMOUNT', weight: 45 }] });
    expect(keyOf(asRisk.data!.order.risk.reasons[0].ruleId)).toMatch(/^\d+$/);
  });
});

describe('direct orders (group buys)', () => {
  const START = `mutation($input: StartGroupInput!) { startGroup(input: $input) { group { id } checkout { id orders { id } } errors { code field } } }`;
  let offerId: string;
  beforeAll(async () => {
    const res = await t.gql(
      `mutation($input: GroupBuyInput!) { createGroupBuy(input: $input) { groupBuy { id } errors { code field } } }`,
      {
        input: {
          productId: market.products[0].id,
          variantPrices: [{ variantId: market.products[0].variantIds[0], groupPrice: '90.00' }],
          groupSize: 2,
          hoursToForm: 24,
          startsAt: new Date(clock.now().getTime() - HOUR).toISOString(),
          endsAt: new Date(clock.now().getTime() + 30 * 24 * HOUR).toISOString(),
        },
      },
      { token: market.shops[0].owner.token },
    );
    expect(res.data!.createGroupBuy.errors).toEqual([]);
    offerId = res.data!.createGroupBuy.groupBuy.id;
  });
  const start = (buyer: Buyer) => t.gql(START, { input: { groupBuyId: offerId, variantId: market.products[0].variantIds[0], quantity: 1, addressId: buyer.addressId } }, { token: buyer.token });

  it('scores the order a group buy places', async () => {
    await onlyRules(t, [{ kind: 'ORDER_AMOUNT', weight: 70, amount: 9000 }]);
    const res = await start(await buyerAt(t));
    expect(res.data!.startGroup.errors).toEqual([]);
    expect(await storedRisk(t, res.data!.startGroup.checkout.orders[0].id)).toMatchObject({ score: 70, level: 'HIGH', held: true });
  });

  it('refuses a blacklisted buyer’s group with BLACKLISTED, records the hit and keeps no group', async () => {
    await onlyRules(t, []);
    const phone = `134${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    await blacklist(t, 'PHONE', phone);
    const buyer = await buyerAt(t, { phone });
    const groups = async () => (await t.sql('select count(*)::int as n from buy_group where leader_id = ?', [buyer.user.id]))[0].n;
    const res = await start(buyer);
    expect(res.data!.startGroup).toMatchObject({ group: null, errors: [{ code: 'BLACKLISTED', field: ['input', 'addressId'] }] });
    expect(await groups()).toBe(0);
    expect(await t.sql(`select kind, detail->'kinds' as kinds from risk_event where user_id = ?`, [buyer.user.id])).toEqual([{ kind: 'BLACKLIST_HIT', kinds: ['PHONE'] }]);
  });
});
