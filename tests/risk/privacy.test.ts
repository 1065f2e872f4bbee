import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ShopMemberRole as M, StaffRole } from '../../src/entities';
import { maskEmail, maskPersonName, maskPhone } from '../../src/services/risk';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, idOf, keyOf, listen, okPayload } from '../helpers/kit';
import { newShopper, scenario, type ScenarioShop, type Shopper } from '../helpers/scenario';
import { eventually } from '../helpers/wait';

/**
 * Personal data by role: an order's recipient, phone and street in full for its buyer, for the
 * shop's fulfilling roles while the order is theirs to ship, for staff RISK and CUSTOMER_SERVICE
 * (each view audited, one INSERT per request); masked for everyone else who sees it. The same for
 * an exchange's resend address, a user's email and phone, and the shop's live order feed.
 */

let t: TestApp;

const ADDRESS = 'shippingAddress { recipientName phone province city district line1 postalCode masked }';
const ORDER = `query($id: ID!) { order(id: $id) { id status ${ADDRESS} } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code field } } }`;
const CREATE_ADDRESS = `mutation($input: AddressInput!) { createAddress(input: $input) { address { id } errors { code field } } }`;

const FULL = { recipientName: '王小明', phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: '文三路 100 號', postalCode: null, masked: false };
const MASKED = { ...FULL, recipientName: '王**', phone: '138****5678', line1: '****', masked: true };

type Party = 'buyer' | 'owner' | 'manager' | 'operator' | 'shopCs' | 'shopFinance' | 'agent' | 'operations' | 'risk' | 'admin' | 'otherOwner' | 'staffFinance';
const P = {} as Record<Party, { token: string; userId: string }>;
let shopA: ScenarioShop;
let shopB: ScenarioShop;
let variant: string;
let buyer: Shopper;

type Stage = 'pending' | 'paid' | 'processing' | 'shipped' | 'delivered' | 'cancelled' | 'heldPaid' | 'heldProcessing';
const STAGES: Stage[] = ['pending', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'heldPaid', 'heldProcessing'];
const orders = {} as Record<Stage, string>;

/** A new order of shop A for `who`, taken to `stage` (held ones held by risk control in the database). */
async function orderAt(stage: Stage, who: Shopper = buyer): Promise<string> {
  const journey = scenario(t).shop(shopA).buyer(who).inCart(1, variant).checkout();
  if (stage === 'paid' || stage === 'heldPaid') journey.paid();
  if (stage === 'processing' || stage === 'heldProcessing') journey.accepted();
  if (stage === 'shipped') journey.shipped();
  if (stage === 'delivered') journey.delivered();
  const id = (await journey.run()).order.id;
  if (stage === 'cancelled') okPayload(await t.gql(CANCEL, { input: { orderId: id, reason: 'Changed my mind' } }, { token: who.token }), 'cancelOrder');
  await t.sql('update orders set held = ? where id = ?', [stage.startsWith('held'), keyOf(id)]);
  return id;
}

async function account(roles: StaffRole[]) {
  const a = await staff(t, ...roles);
  return { token: a.token, userId: a.user.id };
}

/** Audit entries of full views of `targetType` `targetKey` by `actorId`. */
async function views(actorId: string, targetType = 'Order', targetKey?: string): Promise<number> {
  const action = targetType === 'Order' ? 'order.viewPersonalData' : 'user.viewPersonalData';
  const [row] = await t.sql(
    `select count(*)::int as n from audit_entry where actor_id = ? and action = ? and target_type = ? ${targetKey ? 'and target_id = ?' : ''}`,
    [actorId, action, targetType, ...(targetKey ? [targetKey] : [])],
  );
  return row.n;
}

const auditInserts = (statements: { sql: string }[]) => statements.filter((s) => /insert into audit_entry/i.test(s.sql)).length;

beforeAll(async () => {
  t = await createTestApp({ LOG_LEVEL: 'silent' });
  // Risk scoring (services/risk) must not hold these orders of their own accord: holds are set by hand.
  await t.sql('update risk_rule set enabled = false');
  const a = await scenario(t).shop({ members: [M.MANAGER, M.OPERATOR, M.CUSTOMER_SERVICE, M.FINANCE] }).product({ stock: 10_000 }).run();
  shopA = a.shop;
  variant = a.variantKeys[0];
  shopB = (await scenario(t).shop().run()).shop;
  buyer = await newShopper(t);
  const member = (role: M) => ({ token: shopA.members[role]!.token, userId: shopA.members[role]!.user.id });
  Object.assign(P, {
    buyer: { token: buyer.token, userId: buyer.user.id },
    owner: { token: shopA.owner.token, userId: shopA.owner.user.id },
    manager: member(M.MANAGER),
    operator: member(M.OPERATOR),
    shopCs: member(M.CUSTOMER_SERVICE),
    shopFinance: member(M.FINANCE),
    agent: await account([StaffRole.CUSTOMER_SERVICE]),
    operations: await account([StaffRole.OPERATIONS]),
    // RISK reaches orders through riskQueue; here, through OPERATIONS's order search.
    risk: await account([StaffRole.RISK, StaffRole.OPERATIONS]),
    admin: await account([StaffRole.ADMIN]),
    otherOwner: { token: shopB.owner.token, userId: shopB.owner.user.id },
    staffFinance: await account([StaffRole.FINANCE]),
  });
  for (const stage of STAGES) orders[stage] = await orderAt(stage);
});
afterAll(() => t.close());

describe('an order’s shipping address by role and status', () => {
  const SHIPPABLE: Stage[] = ['paid', 'processing'];
  const expected: Record<Exclude<Party, 'otherOwner' | 'staffFinance'>, (stage: Stage) => 'FULL' | 'MASKED'> = {
    buyer: () => 'FULL',
    owner: (s) => (SHIPPABLE.includes(s) ? 'FULL' : 'MASKED'),
    manager: (s) => (SHIPPABLE.includes(s) ? 'FULL' : 'MASKED'),
    operator: (s) => (SHIPPABLE.includes(s) ? 'FULL' : 'MASKED'),
    shopCs: () => 'MASKED',
    shopFinance: () => 'MASKED',
    agent: () => 'FULL',
    operations: () => 'MASKED',
    risk: () => 'FULL',
    admin: () => 'FULL',
  };
  const AUDITED: Party[] = ['agent', 'risk', 'admin'];

  it.each(Object.keys(expected) as (keyof typeof expected)[])('shows %s the address in full or masked by the order’s status, auditing staff’s full views', async (party) => {
    for (const stage of STAGES) {
      const before = await views(P[party].userId, 'Order', keyOf(orders[stage]));
      const res = await t.gql(ORDER, { id: orders[stage] }, { token: P[party].token });
      expect(res.errors, `${party} ${stage}`).toBeUndefined();
      expect([stage, res.data!.order.shippingAddress]).toEqual([stage, expected[party](stage) === 'FULL' ? FULL : MASKED]);
      expect([stage, (await views(P[party].userId, 'Order', keyOf(orders[stage]))) - before]).toEqual([stage, AUDITED.includes(party) ? 1 : 0]);
    }
  });

  it('shows the shop a held order masked until the hold is released, then in full', async () => {
    const id = await orderAt('heldPaid');
    expect((await t.gql(ORDER, { id }, { token: P.owner.token })).data!.order.shippingAddress).toEqual(MASKED);
    await t.sql('update orders set held = false where id = ?', [keyOf(id)]);
    expect((await t.gql(ORDER, { id }, { token: P.owner.token })).data!.order.shippingAddress).toEqual(FULL);
  });

  it('keeps another shop’s members and staff who see no orders out, as before', async () => {
    expect((await t.gql(ORDER, { id: orders.paid }, { token: P.otherOwner.token })).data!.order).toBeNull();
    expect((await t.gql(ORDER, { id: orders.paid }, { token: P.staffFinance.token })).data!.order).toBeNull();
    const list = await t.gql(`query($id: ID!) { shop(id: $id) { orders(first: 5) { nodes { ${ADDRESS} } } } }`, { id: shopA.shopId }, { token: P.otherOwner.token });
    expect(code(list)).toBe('NOT_FOUND');
    expect(JSON.stringify(list.data)).not.toContain('文三路');
  });

  it('shows a staff member their own purchase in full without auditing it', async () => {
    const agentBuyer = await staff(t, StaffRole.CUSTOMER_SERVICE);
    const made = okPayload(await t.gql(CREATE_ADDRESS, { input: { recipientName: '王小明', phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: '文三路 100 號' } }, { token: agentBuyer.token }), 'createAddress');
    const id = await orderAt('shipped', { ...agentBuyer, addressId: made.address.id });
    expect((await t.gql(ORDER, { id }, { token: agentBuyer.token })).data!.order.shippingAddress).toEqual(FULL);
    expect(await views(agentBuyer.user.id)).toBe(0);
  });

  it('masks one-character names, Latin names, +86 and short numbers in the API as in the helpers', async () => {
    const { user, token } = await userWithToken(t);
    const made = okPayload(await t.gql(CREATE_ADDRESS, { input: { recipientName: 'Alice Smith', phone: '+86 139-1234-5678', province: '上海市', city: '上海市', district: '徐匯區', line1: '漕溪北路 1 號', postalCode: '200030' } }, { token }), 'createAddress');
    const id = await orderAt('shipped', { user, token, addressId: made.address.id });
    expect((await t.gql(ORDER, { id }, { token: P.owner.token })).data!.order.shippingAddress).toEqual({
      recipientName: 'A**',
      phone: '+86 139****5678',
      province: '上海市',
      city: '上海市',
      district: '徐匯區',
      line1: '****',
      postalCode: '200030',
      masked: true,
    });
  });
});

describe('masking formats', () => {
  it('keeps a name’s first character, and nothing of a one-character name', () => {
    expect(maskPersonName('王小明')).toBe('王**');
    expect(maskPersonName('王明')).toBe('王**');
    expect(maskPersonName('王')).toBe('*');
    expect(maskPersonName(' 歐陽娜娜 ')).toBe('歐**');
    expect(maskPersonName('Alice Smith')).toBe('A**');
    expect(maskPersonName('')).toBe('*');
  });

  it('keeps the first three and last four digits of a mobile number, less of a short one', () => {
    expect(maskPhone('13912345678')).toBe('139****5678');
    expect(maskPhone('+8613912345678')).toBe('+86 139****5678');
    expect(maskPhone('+86 139-1234-5678')).toBe('+86 139****5678');
    expect(maskPhone('8613912345678')).toBe('+86 139****5678');
    expect(maskPhone('+14155550100')).toBe('+141****0100');
    expect(maskPhone('021-5555-1234')).toBe('021****1234');
    expect(maskPhone('12345')).toBe('***45');
    expect(maskPhone('1234')).toBe('****');
    expect(maskPhone('')).toBe('****');
  });

  it('keeps an email’s first character and its domain', () => {
    expect(maskEmail('wang.xiaoming@example.com')).toBe('w***@example.com');
    expect(maskEmail('a@x.cn')).toBe('***@x.cn');
  });
});

describe('audit batching and cost', () => {
  let bulkShop: ScenarioShop;

  beforeAll(async () => {
    bulkShop = (await scenario(t).shop().product({ stock: 10 }).run()).shop;
    const [checkout] = await t.sql(`insert into checkout (buyer_id, idempotency_key, total, expires_at, status) values (?, ?, 20000, now(), 'PAID') returning id`, [buyer.user.id, `privacy-${Date.now()}`]);
    await t.sql(
      `insert into orders (number, checkout_id, shop_id, buyer_id, status, subtotal, shipping_fee, total, shipping_address, placed_at, paid_at, created_at, updated_at)
       select 'PV' || ? || lpad(g::text, 4, '0'), ?, ?, ?, 'PAID', 1000, 0, 1000, ?::jsonb, now() - g * interval '1 minute', now(), now(), now() from generate_series(1, 20) g`,
      [String(Date.now()), checkout.id, keyOf(bulkShop.shopId), buyer.user.id, JSON.stringify({ ...FULL, masked: undefined, postalCode: undefined })],
    );
  });

  const STAFF_PAGE = (fields: string) => `query($shopId: ID!, $first: Int) { orders(first: $first, filter: { shopId: $shopId }) { nodes { id ${fields} } } }`;
  const SHOP_PAGE = (fields: string) => `query($id: ID!, $first: Int) { shop(id: $id) { orders(first: $first) { nodes { id ${fields} } } } }`;

  it('writes the full views of a page of 20 orders by staff in one INSERT, one entry per order', async () => {
    const before = await views(P.agent.userId);
    const { result, statements } = await t.captureQueries(STAFF_PAGE(ADDRESS), { shopId: bulkShop.shopId, first: 20 }, { token: P.agent.token });
    expect(result.errors).toBeUndefined();
    expect(result.data!.orders.nodes).toHaveLength(20);
    expect(result.data!.orders.nodes.every((o: any) => o.shippingAddress.masked === false)).toBe(true);
    expect(auditInserts(statements)).toBe(1);
    expect((await views(P.agent.userId)) - before).toBe(20);
    const [entry] = await t.sql(`select target_type, target_id, request_id, before, after from audit_entry where actor_id = ? and action = 'order.viewPersonalData' order by id desc limit 1`, [P.agent.userId]);
    expect(entry).toMatchObject({ target_type: 'Order', before: null, after: null });
    expect(entry.request_id).toEqual(expect.any(String));
  });

  it('audits an order seen twice in one request once', async () => {
    const id = idOf('Order', (await t.sql('select id from orders where shop_id = ? order by id limit 1', [keyOf(bulkShop.shopId)]))[0].id);
    const before = await views(P.agent.userId, 'Order', keyOf(id));
    const res = await t.gql(`query($id: ID!) { a: order(id: $id) { ${ADDRESS} } b: order(id: $id) { ${ADDRESS} } }`, { id }, { token: P.agent.token });
    expect(res.data!.a.shippingAddress).toEqual(res.data!.b.shippingAddress);
    expect((await views(P.agent.userId, 'Order', keyOf(id))) - before).toBe(1);
  });

  it('costs the shop’s order list no SQL for masking or showing addresses', async () => {
    const without = await t.countQueries(SHOP_PAGE('status'), { id: bulkShop.shopId, first: 20 }, { token: bulkShop.owner.token });
    const withAddress = await t.countQueries(SHOP_PAGE(ADDRESS), { id: bulkShop.shopId, first: 20 }, { token: bulkShop.owner.token });
    expect(withAddress.result.errors).toBeUndefined();
    expect(withAddress.queries).toBe(without.queries);
  });

  it('costs staff a fixed number of statements whatever the page size', async () => {
    for (const party of ['agent', 'operations'] as const) {
      const one = await t.countQueries(STAFF_PAGE(ADDRESS), { shopId: bulkShop.shopId, first: 1 }, { token: P[party].token });
      const twenty = await t.countQueries(STAFF_PAGE(ADDRESS), { shopId: bulkShop.shopId, first: 20 }, { token: P[party].token });
      expect(twenty.result.errors).toBeUndefined();
      expect([party, twenty.queries]).toEqual([party, one.queries]);
    }
  });
});

describe('an exchange’s resend address', () => {
  const CASE_FIELDS = `id status resendAddress { recipientName phone line1 masked } order { ${ADDRESS} }`;
  const caseMutation = (name: string, inputType: string) => `mutation($input: ${inputType}!) { ${name}(input: $input) { afterSaleCase { ${CASE_FIELDS} } errors { code field } } }`;
  const CASE = `query($id: ID!) { afterSaleCase(id: $id) { ${CASE_FIELDS} } }`;
  const ORDER_LINES = `query($id: ID!) { order(id: $id) { lines { id } } }`;

  async function openCase(type: 'EXCHANGE' | 'RETURN_AND_REFUND'): Promise<string> {
    const orderId = await orderAt('delivered');
    const [line] = (await t.gql(ORDER_LINES, { id: orderId }, { token: buyer.token })).data!.order.lines;
    const c = okPayload(
      await t.gql(caseMutation('requestAfterSale', 'RequestAfterSaleInput'), { input: { orderId, type, reason: 'The left earphone does not charge', lines: [{ orderLineId: line.id, quantity: 1 }] } }, { token: buyer.token }),
      'requestAfterSale',
    ).afterSaleCase;
    return c.id;
  }

  const resolved = (caseId: string, party: Party) => t.gql(CASE, { id: caseId }, { token: P[party].token }).then((r) => r.data!.afterSaleCase);

  it('shows the shop’s after-sale roles the address in full while the resend is theirs to make, masked before and after', async () => {
    const caseId = await openCase('EXCHANGE');
    expect((await resolved(caseId, 'owner')).resendAddress).toEqual({ recipientName: '王**', phone: '138****5678', line1: '****', masked: true });
    okPayload(await t.gql(caseMutation('respondAfterSale', 'RespondAfterSaleInput'), { input: { caseId, decision: 'APPROVE', returnAddress: '杭州市濱江區 1 號 倉庫' } }, { token: P.owner.token }), 'respondAfterSale');
    okPayload(await t.gql(caseMutation('submitReturnShipment', 'ReturnShipmentInput'), { input: { caseId, carrier: 'SF Express', trackingNumber: 'SF1234567890' } }, { token: buyer.token }), 'submitReturnShipment');
    okPayload(await t.gql(caseMutation('confirmReturnReceived', 'ConfirmReturnInput'), { input: { caseId, restock: false, note: 'Inspected' } }, { token: P.owner.token }), 'confirmReturnReceived');

    for (const party of ['owner', 'manager', 'shopCs'] as const) {
      const c = await resolved(caseId, party);
      expect([party, c.status, c.resendAddress]).toEqual([party, 'RECEIVED', { recipientName: '王小明', phone: '13812345678', line1: '文三路 100 號', masked: false }]);
      // The order itself is DELIVERED: not the shop's to ship.
      expect(c.order.shippingAddress).toEqual(MASKED);
    }
    for (const party of ['operator', 'shopFinance'] as const) expect((await resolved(caseId, party)).resendAddress.masked).toBe(true);
    const before = await views(P.agent.userId);
    expect((await resolved(caseId, 'agent')).resendAddress.masked).toBe(false);
    // The case's address and its order's are one view of one order.
    expect((await views(P.agent.userId)) - before).toBe(1);

    okPayload(await t.gql(caseMutation('resendAfterSale', 'ResendInput'), { input: { caseId, carrier: 'ZTO', trackingNumber: 'ZT-0000-1111' } }, { token: P.owner.token }), 'resendAfterSale');
    expect((await resolved(caseId, 'owner')).resendAddress.masked).toBe(true);
    expect((await resolved(caseId, 'buyer')).resendAddress.masked).toBe(false);
  });

  it('is null for a case that sends nothing back', async () => {
    expect((await resolved(await openCase('RETURN_AND_REFUND'), 'owner')).resendAddress).toBeNull();
  });
});

describe('a user’s email and phone', () => {
  const USER = `query($id: ID!) { node(id: $id) { ... on User { email phone } } }`;
  let shopper: { user: { id: string; email: string }; token: string };

  beforeAll(async () => {
    shopper = await userWithToken(t);
    await t.sql("update users set phone = '+8613812345678' where id = ?", [shopper.user.id]);
  });

  it('shows the user their own in full, unaudited', async () => {
    expect((await t.gql(USER, { id: idOf('User', shopper.user.id) }, { token: shopper.token })).data!.node).toEqual({ email: shopper.user.email, phone: '+8613812345678' });
    expect(await t.sql("select 1 from audit_entry where action = 'user.viewPersonalData' and target_id = ? and actor_id = ?", [shopper.user.id, shopper.user.id])).toEqual([]);
  });

  it('shows staff RISK, CUSTOMER_SERVICE and ADMIN both in full with one audit entry per user and request', async () => {
    for (const party of ['agent', 'risk', 'admin'] as const) {
      const before = await views(P[party].userId, 'User', shopper.user.id);
      expect((await t.gql(USER, { id: idOf('User', shopper.user.id) }, { token: P[party].token })).data!.node).toEqual({ email: shopper.user.email, phone: '+8613812345678' });
      expect([party, (await views(P[party].userId, 'User', shopper.user.id)) - before]).toEqual([party, 1]);
    }
  });

  it('shows other staff both masked, unaudited', async () => {
    const analyst = await account([StaffRole.ANALYST]);
    for (const who of [P.operations, analyst]) {
      const node = (await t.gql(USER, { id: idOf('User', shopper.user.id) }, { token: who.token })).data!.node;
      expect(node).toEqual({ email: `${shopper.user.email[0]}***${shopper.user.email.slice(shopper.user.email.indexOf('@'))}`, phone: '+86 138****5678' });
      expect(await views(who.userId, 'User')).toBe(0);
    }
  });

  it('still refuses a shop’s members the buyer’s email and phone', async () => {
    const res = await t.gql(`query($id: ID!) { order(id: $id) { buyer { displayName email phone } } }`, { id: orders.paid }, { token: P.owner.token });
    expect(code(res)).toBe('FORBIDDEN');
    expect(JSON.stringify(res.data)).not.toContain(buyer.user.email);
  });

  it('audits a staff page of users in one INSERT', async () => {
    const { result, statements } = await t.captureQueries(`{ users(first: 20) { nodes { email phone } } }`, {}, { token: P.admin.token });
    expect(result.errors).toBeUndefined();
    expect(result.data!.users.nodes.length).toBeGreaterThan(5);
    expect(auditInserts(statements)).toBe(1);
  });
});

describe('the shop’s live order feed', () => {
  const FEED = `subscription($shopId: ID!) { shopOrderEvents(shopId: $shopId) { type order { id status ${ADDRESS} } } }`;
  let url: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    url = `${(await listen(t)).origin.replace(/^http/, 'ws')}/graphql`;
  });
  afterAll(async () => {
    for (const client of clients) await client.dispose();
  });

  function watch(token: string): any[] {
    const client = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` }, onNonLazyError: () => undefined });
    clients.push(client);
    const events: any[] = [];
    client.subscribe({ query: FEED, variables: { shopId: shopA.shopId } }, { next: (r) => events.push(r), error: (e) => events.push({ error: e }), complete: () => undefined });
    return events;
  }

  it('executes each event as its subscriber: the owner sees a paid order in full, shop customer service masked, staff audited', async () => {
    const before = t.app.live.hub.subscriptions;
    const owner = watch(P.owner.token);
    const shopCs = watch(P.shopCs.token);
    const agent = watch(P.agent.token);
    await eventually(async () => t.app.live.hub.subscriptions, (n) => n >= before + 3);
    const audited = await views(P.agent.userId);
    const id = await orderAt('paid');
    await t.app.deps.bus!.publish([{ t: 'order', eventId: `${Date.now()}`, type: 'PAID', orderId: keyOf(id), shopId: keyOf(shopA.shopId), buyerId: buyer.user.id, status: 'PAID', note: null, at: new Date().toISOString() }]);
    const paidEvent = (events: any[]) => events.find((e) => e.data?.shopOrderEvents.type === 'PAID' && e.data.shopOrderEvents.order.id === id);
    await eventually(async () => [owner, shopCs, agent].every((events) => paidEvent(events)), (ok) => ok);
    expect(paidEvent(owner).data.shopOrderEvents.order.shippingAddress).toEqual(FULL);
    expect(paidEvent(shopCs).data.shopOrderEvents.order.shippingAddress).toEqual(MASKED);
    expect(paidEvent(agent).data.shopOrderEvents.order.shippingAddress).toEqual(FULL);
    expect(await views(P.agent.userId)).toBeGreaterThan(audited);
  });
});
