import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole as M, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type GqlResult, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { newShopper, scenario, type ScenarioShop, type Shopper } from '../helpers/scenario';

/**
 * The rules of after-sale cases, as a matrix: who may open a case on which order and with what
 * (every requestAfterSale error, nothing created on a refusal); for each step of a case, the party
 * the table names takes it, every other party who sees the case is FORBIDDEN and everyone else gets
 * NOT_FOUND, the right party in a wrong state gets INVALID_TRANSITION, and a refused step changes
 * nothing; who sees which case in the queries, what `nextActions` offers whom; the message thread.
 * Timeouts, restock, settlement holds and the types end to end are in cases.test.ts.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;
// Far from the wall clock, so a time taken from anything but the business clock shows.
const clock = new ManualClock(new Date('2031-07-01T02:00:00.000Z'));

const CASE_FIELDS = `id number type status outcome awaiting deadline reason description evidenceUrls refundAmount { amountMinor } refund { id amount { amountMinor } }
  escalatedAt ruling closedAt returnShipment { carrier trackingNumber } resendShipment { carrier trackingNumber }
  order { id } lines { orderLine { id } quantity }
  messages { author role body attachmentUrls at } events { type status actor note } nextActions`;
const caseMutation = (name: string, inputType: string) =>
  `mutation($input: ${inputType}!) { ${name}(input: $input) { afterSaleCase { ${CASE_FIELDS} } errors { code field message } } }`;
const REQUEST = caseMutation('requestAfterSale', 'RequestAfterSaleInput');
const RESPOND = caseMutation('respondAfterSale', 'RespondAfterSaleInput');
const SUBMIT_RETURN = caseMutation('submitReturnShipment', 'ReturnShipmentInput');
const CONFIRM_RETURN = caseMutation('confirmReturnReceived', 'ConfirmReturnInput');
const RESEND = caseMutation('resendAfterSale', 'ResendInput');
const CONFIRM_RECEIPT = caseMutation('confirmAfterSaleReceipt', 'IdInput');
const ESCALATE = caseMutation('escalateAfterSale', 'EscalateInput');
const ARBITRATE = caseMutation('arbitrateAfterSale', 'ArbitrateInput');
const WITHDRAW = caseMutation('withdrawAfterSale', 'IdInput');
const MESSAGE = caseMutation('addAfterSaleMessage', 'CaseMessageInput');
const CASE = `query($id: ID!) { afterSaleCase(id: $id) { ${CASE_FIELDS} } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on AfterSaleCase { status nextActions } } }`;
const LIST_FIELDS = 'totalCount nodes { id status type escalatedAt } pageInfo { hasNextPage endCursor }';
const MY_CASES = `query($first: Int, $after: String) { myAfterSaleCases(first: $first, after: $after) { ${LIST_FIELDS} } }`;
const SHOP_CASES = `query($shopId: ID!, $filter: AfterSaleFilter, $first: Int, $after: String) {
  shopAfterSaleCases(shopId: $shopId, filter: $filter, first: $first, after: $after) { ${LIST_FIELDS} } }`;
const QUEUE = `query($first: Int, $after: String) { arbitrationQueue(first: $first, after: $after) { ${LIST_FIELDS} } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id status deliveredAt total { amountMinor } lines { id quantity lineTotal { amountMinor } } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code field } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

type Status = 'REQUESTED' | 'REJECTED' | 'AWAITING_RETURN' | 'RETURN_SHIPPED' | 'RECEIVED' | 'REFUNDING' | 'RESENT' | 'ARBITRATION' | 'CLOSED';
type CaseType = 'REFUND_ONLY' | 'RETURN_AND_REFUND' | 'EXCHANGE' | 'REPAIR';
const STATUSES: Status[] = ['REQUESTED', 'REJECTED', 'AWAITING_RETURN', 'RETURN_SHIPPED', 'RECEIVED', 'REFUNDING', 'RESENT', 'ARBITRATION', 'CLOSED'];

/**
 * Everyone who may try a step on a case of shop A: its buyer; shop A's OWNER, MANAGER and
 * CUSTOMER_SERVICE (the merchant) and its OPERATOR and FINANCE (members, not the merchant); staff
 * CUSTOMER_SERVICE and ADMIN (the platform); and those who cannot see the case: staff FINANCE,
 * shop B's OWNER and CUSTOMER_SERVICE, another shopper.
 */
type Party = 'buyer' | 'owner' | 'manager' | 'shopCs' | 'operator' | 'shopFinance' | 'agent' | 'admin' | 'staffFinance' | 'otherOwner' | 'otherShopCs' | 'otherBuyer';
const PARTIES: Party[] = ['buyer', 'owner', 'manager', 'shopCs', 'operator', 'shopFinance', 'agent', 'admin', 'staffFinance', 'otherOwner', 'otherShopCs', 'otherBuyer'];
const MERCHANT: Party[] = ['owner', 'manager', 'shopCs'];
const PLATFORM: Party[] = ['agent', 'admin'];
/** Those who see shop A's cases: the buyer, every member of the shop, customer service staff (and ADMIN). */
const SEES: Party[] = ['buyer', 'owner', 'manager', 'shopCs', 'operator', 'shopFinance', 'agent', 'admin'];

let t: TestApp;
const P = {} as Record<Party, string>;
let buyer: Shopper;
let shopA: ScenarioShop;
let shopB: ScenarioShop;
/** Shop A's product: 8 variants of 100.00 each, so one order has up to 8 lines. */
let variantIds: string[];
const names = { buyer: '王小明', owner: '店主 Alice', shopCs: '客服 Bob', agent: '平台客服 Carol' };

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  const a = await scenario(t)
    .shop({ members: [M.MANAGER, M.CUSTOMER_SERVICE, M.OPERATOR, M.FINANCE] })
    .product({ variants: Array.from({ length: 8 }, () => ({ stock: 1000, price: 10_000 })) })
    .run();
  shopA = a.shop;
  variantIds = a.product.variantIds;
  shopB = (await scenario(t).shop({ members: [M.CUSTOMER_SERVICE] }).run()).shop;
  buyer = await newShopper(t);
  const [agent, admin, finance] = [await staff(t, StaffRole.CUSTOMER_SERVICE), await staff(t, StaffRole.ADMIN), await staff(t, StaffRole.FINANCE)];
  const other = await newShopper(t);
  Object.assign(P, {
    buyer: buyer.token,
    owner: shopA.owner.token,
    manager: shopA.members[M.MANAGER]!.token,
    shopCs: shopA.members[M.CUSTOMER_SERVICE]!.token,
    operator: shopA.members[M.OPERATOR]!.token,
    shopFinance: shopA.members[M.FINANCE]!.token,
    agent: agent.token,
    admin: admin.token,
    staffFinance: finance.token,
    otherOwner: shopB.owner.token,
    otherShopCs: shopB.members[M.CUSTOMER_SERVICE]!.token,
    otherBuyer: other.token,
  });
  const rename = [
    [buyer.user.id, names.buyer],
    [shopA.owner.user.id, names.owner],
    [shopA.members[M.CUSTOMER_SERVICE]!.user.id, names.shopCs],
    [agent.user.id, names.agent],
  ];
  for (const [id, name] of rename) await t.sql('update users set display_name = ? where id = ?', [name, id]);
});
afterAll(() => t.close());

// --- Orders ---------------------------------------------------------------------------------------

interface Line {
  id: string;
  quantity: number;
  lineTotal: number;
}
interface Placed {
  id: string;
  key: string;
  total: number;
  deliveredAt: string | null;
  lines: Line[];
}

/** `who` buys `quantities[i]` units of shop A's variant i (or of `variants[i]`) and the order goes on to `stage`. */
async function place(stage: 'checkout' | 'paid' | 'shipped' | 'delivered', quantities: number[] = [2], who: Shopper = buyer, shop = shopA, variants = variantIds): Promise<Placed> {
  const journey = scenario(t).shop(shop).buyer(who);
  quantities.forEach((q, i) => journey.inCart(q, variants[i]));
  journey.checkout();
  if (stage !== 'checkout') journey[stage]();
  const s = await journey.run();
  return orderAs(s.order.id, who.token);
}

async function orderAs(id: string, token: string): Promise<Placed> {
  const res = await t.gql(ORDER, { id }, { token });
  const o = res.data!.order;
  return { id, key: keyOf(id), total: o.total.amountMinor, deliveredAt: o.deliveredAt, lines: o.lines.map((l: any) => ({ id: l.id, quantity: l.quantity, lineTotal: l.lineTotal.amountMinor })) };
}

/** Lines of delivered orders of the buyer in shop A, 2 units each, one per case: a new case never meets another on its line. */
let pool: { order: Placed; line: Line }[] = [];
async function freshLine(): Promise<{ order: Placed; line: Line }> {
  if (pool.length === 0) {
    const order = await place('delivered', Array(8).fill(2));
    pool = order.lines.map((line) => ({ order, line }));
  }
  return pool.shift()!;
}

// --- Calls ----------------------------------------------------------------------------------------

const caseOf = (res: GqlResult, name: string) => okPayload(res, name, 'afterSaleCase');
const REASON = 'The left earphone does not charge';

const request = (input: Record<string, unknown>, token = P.buyer) => t.gql(REQUEST, { input: { type: 'RETURN_AND_REFUND', reason: REASON, ...input } }, { token });
const respond = (caseId: string, decision: 'APPROVE' | 'REJECT', token = P.owner, extra: Record<string, unknown> = {}) =>
  t.gql(RESPOND, { input: { caseId, decision, ...(decision === 'REJECT' ? { reason: 'The seal is broken: used goods' } : {}), ...extra } }, { token });
const submitReturn = (caseId: string, token = P.buyer) => t.gql(SUBMIT_RETURN, { input: { caseId, carrier: 'SF Express', trackingNumber: 'SF1234567890' } }, { token });
const confirmReturn = (caseId: string, token = P.owner) => t.gql(CONFIRM_RETURN, { input: { caseId, restock: false, note: 'Inspected' } }, { token });
const resend = (caseId: string, token = P.owner) => t.gql(RESEND, { input: { caseId, carrier: 'ZTO', trackingNumber: 'ZT-0000-1111' } }, { token });
const confirmReceipt = (caseId: string, token = P.buyer) => t.gql(CONFIRM_RECEIPT, { input: { id: caseId } }, { token });
const escalate = (caseId: string, token = P.buyer, reason = 'The shop will not answer me') => t.gql(ESCALATE, { input: { caseId, reason } }, { token });
const arbitrate = (caseId: string, token = P.agent, ruling = 'FOR_MERCHANT', extra: Record<string, unknown> = {}) =>
  t.gql(ARBITRATE, { input: { caseId, ruling, note: 'The photos show wear, not a defect', ...extra } }, { token });
const withdraw = (caseId: string, token = P.buyer) => t.gql(WITHDRAW, { input: { id: caseId } }, { token });
const message = (caseId: string, token = P.buyer, body = 'Any news?', attachmentUrls?: string[]) => t.gql(MESSAGE, { input: { caseId, body, attachmentUrls } }, { token });
const caseAs = async (id: string, token?: string) => (await t.gql(CASE, { id }, { token })).data?.afterSaleCase ?? null;
const runTask = async (name: string): Promise<string> => okPayload(await t.gql(RUN, { input: { name } }, { token: P.admin }), 'runScheduledTask').task.lastResult;

const DEFAULT_TYPE: Record<Status, CaseType> = {
  REQUESTED: 'RETURN_AND_REFUND',
  REJECTED: 'RETURN_AND_REFUND',
  AWAITING_RETURN: 'RETURN_AND_REFUND',
  RETURN_SHIPPED: 'EXCHANGE',
  RECEIVED: 'EXCHANGE',
  RESENT: 'EXCHANGE',
  ARBITRATION: 'RETURN_AND_REFUND',
  REFUNDING: 'REFUND_ONLY',
  CLOSED: 'RETURN_AND_REFUND',
};

/** A new case of the buyer's on a fresh line (1 of its 2 units), taken to `status` by the parties through the API. */
async function caseIn(status: Status, type: CaseType = DEFAULT_TYPE[status]): Promise<any> {
  const { order, line } = await freshLine();
  let c = caseOf(await request({ orderId: order.id, type, lines: [{ orderLineId: line.id, quantity: 1 }] }), 'requestAfterSale');
  const step = async (res: Promise<GqlResult>, name: string) => (c = caseOf(await res, name));
  switch (status) {
    case 'REQUESTED':
      break;
    case 'CLOSED':
      await step(withdraw(c.id), 'withdrawAfterSale');
      break;
    case 'REJECTED':
    case 'ARBITRATION':
      await step(respond(c.id, 'REJECT'), 'respondAfterSale');
      if (status === 'ARBITRATION') await step(escalate(c.id), 'escalateAfterSale');
      break;
    default: {
      await step(respond(c.id, 'APPROVE'), 'respondAfterSale');
      if (status === 'REFUNDING' || status === 'AWAITING_RETURN') break;
      await step(submitReturn(c.id), 'submitReturnShipment');
      if (status === 'RETURN_SHIPPED') break;
      await step(confirmReturn(c.id), 'confirmReturnReceived');
      if (status === 'RECEIVED') break;
      await step(resend(c.id), 'resendAfterSale');
    }
  }
  expect(c.status).toBe(status);
  return c;
}

/** Everything a step could change: the case row, its timeline, thread and lines, the order's refunds, the audit log. */
async function stateOf(caseId: string) {
  const key = keyOf(caseId);
  const [row] = await t.sql(
    `select status, outcome, awaiting, deadline, refund_amount::text, refund_id::text, return_address, return_shipment, resend_shipment, restocked,
            escalated_at, ruling, closed_at, updated_at from after_sale_case where id = ?`,
    [key],
  );
  return {
    row,
    events: await t.sql('select type, status, party, note from after_sale_event where case_id = ? order by id', [key]),
    messages: await t.sql('select role, body from after_sale_message where case_id = ? order by id', [key]),
    lines: await t.sql('select order_line_id::text, quantity, open, counts from after_sale_case_line where case_id = ? order by id', [key]),
    refunds: await t.sql('select id::text, amount::text, status from refund where order_id = (select order_id from after_sale_case where id = ?) order by id', [key]),
    audit: await t.sql(`select action from audit_entry where target_type = 'AfterSaleCase' and target_id = ?`, [key]),
  };
}

const casesOn = async (order: Placed): Promise<number> => (await t.sql('select count(*)::int as n from after_sale_case where order_id = ?', [order.key]))[0].n;
const lastEvent = (c: any) => c.events[c.events.length - 1];
const sorted = (list: string[]) => [...list].sort();

// --- 1. Opening a case ------------------------------------------------------------------------------

describe('requestAfterSale refuses, creating nothing', () => {
  let pending: Placed;
  let paid: Placed;
  let delivered: Placed;

  beforeAll(async () => {
    pending = await place('checkout', [1, 1]);
    paid = await place('paid', [1]);
    delivered = await place('delivered', [2, 2]);
  });

  /** The request's payload errors as [code, field]; the order still has `before` cases. */
  async function refused(order: Placed, input: Record<string, unknown>, token = P.buyer): Promise<string[][]> {
    const before = await casesOn(order);
    const errors = failuresOf(await request({ orderId: order.id, ...input }, token), 'requestAfterSale', 'afterSaleCase');
    expect(await casesOn(order)).toBe(before);
    return errors;
  }
  const one = (line: Line, quantity = 1) => [{ orderLineId: line.id, quantity }];

  it('refuses an order awaiting payment or cancelled: AFTER_SALES_WINDOW_CLOSED', async () => {
    expect(await refused(pending, { type: 'REFUND_ONLY', lines: one(pending.lines[0]) })).toEqual([['AFTER_SALES_WINDOW_CLOSED', 'input.orderId']]);
    const cancelled = await place('checkout', [1]);
    expect(okPayload(await t.gql(CANCEL, { input: { orderId: cancelled.id } }, { token: P.buyer }), 'cancelOrder', 'order').status).toBe('CANCELLED');
    expect(await refused(cancelled, { type: 'REFUND_ONLY', lines: one(cancelled.lines[0]) })).toEqual([['AFTER_SALES_WINDOW_CLOSED', 'input.orderId']]);
  });

  it('refuses a return, exchange or repair of goods that have not shipped (a PAID order takes REFUND_ONLY alone): INVALID_INPUT on the type', async () => {
    for (const type of ['EXCHANGE', 'REPAIR', 'RETURN_AND_REFUND']) {
      expect(await refused(paid, { type, lines: one(paid.lines[0]) }), type).toEqual([['INVALID_INPUT', 'input.type']]);
    }
  });

  it('refuses no lines, a quantity of 0 and the same line twice: INVALID_INPUT naming the input', async () => {
    expect(await refused(delivered, { lines: [] })).toEqual([['INVALID_INPUT', 'input.lines']]);
    expect(await refused(delivered, { lines: one(delivered.lines[0], 0) })).toEqual([['INVALID_INPUT', 'input.lines.0.quantity']]);
    expect(await refused(delivered, { lines: [...one(delivered.lines[0]), ...one(delivered.lines[1], -1)] })).toEqual([['INVALID_INPUT', 'input.lines.1.quantity']]);
    expect(await refused(delivered, { lines: [...one(delivered.lines[0]), ...one(delivered.lines[0])] })).toEqual([['INVALID_INPUT', 'input.lines.1.orderLineId']]);
  });

  it('refuses a line of another order of the same buyer: INVALID_INPUT on the line', async () => {
    expect(await refused(delivered, { lines: [...one(delivered.lines[0]), ...one(paid.lines[0])] })).toEqual([['INVALID_INPUT', 'input.lines.1.orderLineId']]);
    expect(await casesOn(paid)).toBe(0);
  });

  it('refuses 10 evidence URLs and any that is not http(s): INVALID_INPUT naming the list or the bad entry', async () => {
    const urls = Array.from({ length: 10 }, (_, i) => `https://img.example.com/${i}.jpg`);
    expect(await refused(delivered, { lines: one(delivered.lines[0]), evidenceUrls: urls })).toEqual([['INVALID_INPUT', 'input.evidenceUrls']]);
    for (const bad of ['ftp://img.example.com/1.jpg', 'javascript:alert(1)', 'not a url', `https://img.example.com/${'x'.repeat(2048)}`]) {
      expect(await refused(delivered, { lines: one(delivered.lines[0]), evidenceUrls: ['https://img.example.com/ok.jpg', bad] }), bad.slice(0, 30)).toEqual([['INVALID_INPUT', 'input.evidenceUrls.1']]);
    }
  });

  it('refuses a refundAmount on an EXCHANGE or REPAIR, and a refundAmount of zero: INVALID_INPUT on refundAmount', async () => {
    expect(await refused(delivered, { type: 'EXCHANGE', lines: one(delivered.lines[0]), refundAmount: '10.00' })).toEqual([['INVALID_INPUT', 'input.refundAmount']]);
    expect(await refused(delivered, { type: 'REPAIR', lines: one(delivered.lines[0]), refundAmount: '10.00' })).toEqual([['INVALID_INPUT', 'input.refundAmount']]);
    expect(await refused(delivered, { type: 'REFUND_ONLY', lines: one(delivered.lines[0]), refundAmount: '0' })).toEqual([['INVALID_INPUT', 'input.refundAmount']]);
  });

  it('refuses more units than were bought: QUANTITY_EXCEEDED on the quantity', async () => {
    expect(await refused(delivered, { lines: [...one(delivered.lines[0], 2), ...one(delivered.lines[1], 3)] })).toEqual([['QUANTITY_EXCEEDED', 'input.lines.1.quantity']]);
  });

  it('refuses a refundAmount above the units’ value (INVALID_INPUT): more is for arbitration', async () => {
    const above = ((delivered.lines[0].lineTotal / delivered.lines[0].quantity + 1) / 100).toFixed(2);
    expect(await refused(delivered, { type: 'REFUND_ONLY', lines: one(delivered.lines[0]), refundAmount: above })).toEqual([['INVALID_INPUT', 'input.refundAmount']]);
  });

  it('answers NOT_FOUND (thrown) to another shopper, a member of the order’s shop and customer service staff: only its buyer opens a case', async () => {
    for (const who of ['otherBuyer', 'owner', 'shopCs', 'agent', 'admin'] as Party[]) {
      const before = await casesOn(delivered);
      const res = await request({ orderId: delivered.id, lines: one(delivered.lines[0]) }, P[who]);
      expect(code(res), who).toBe('NOT_FOUND');
      expect(res.data?.requestAfterSale ?? null).toBeNull();
      expect(await casesOn(delivered)).toBe(before);
    }
  });

  it('refuses the units an earlier refunded case took: QUANTITY_EXCEEDED for more than bought minus refunded, the rest allowed', async () => {
    const order = await place('delivered', [3]);
    const [line] = order.lines;
    const first = caseOf(await request({ orderId: order.id, type: 'REFUND_ONLY', lines: one(line, 2) }), 'requestAfterSale');
    expect(caseOf(await respond(first.id, 'APPROVE'), 'respondAfterSale').status).toBe('REFUNDING');
    // Open, the case blocks its line outright.
    expect(await refused(order, { lines: one(line, 1) })).toEqual([['CASE_ALREADY_OPEN', 'input.lines.0.orderLineId']]);
    await runTask('send-refunds');
    expect(await caseAs(first.id, P.buyer)).toMatchObject({ status: 'CLOSED', outcome: 'REFUNDED' });

    expect(await refused(order, { lines: one(line, 2) })).toEqual([['QUANTITY_EXCEEDED', 'input.lines.0.quantity']]);
    const rest = caseOf(await request({ orderId: order.id, lines: one(line, 1) }), 'requestAfterSale');
    expect(rest).toMatchObject({ status: 'REQUESTED', lines: [{ orderLine: { id: line.id }, quantity: 1 }] });
  });

  it('refuses a second case on a line with an open one (CASE_ALREADY_OPEN), and allows it once the first is WITHDRAWN, with all the withdrawn units', async () => {
    const { order, line } = await freshLine();
    const first = caseOf(await request({ orderId: order.id, lines: one(line, 1) }), 'requestAfterSale');
    expect(await refused(order, { type: 'REFUND_ONLY', lines: one(line, 1) })).toEqual([['CASE_ALREADY_OPEN', 'input.lines.0.orderLineId']]);
    // Still open when rejected (the buyer may escalate).
    caseOf(await respond(first.id, 'REJECT'), 'respondAfterSale');
    expect(await refused(order, { lines: one(line, 1) })).toEqual([['CASE_ALREADY_OPEN', 'input.lines.0.orderLineId']]);

    expect(caseOf(await withdraw(first.id), 'withdrawAfterSale')).toMatchObject({ status: 'CLOSED', outcome: 'WITHDRAWN' });
    const evidenceUrls = Array.from({ length: 9 }, (_, i) => `https://img.example.com/${i}.jpg`);
    const again = caseOf(await request({ orderId: order.id, lines: one(line, 2), evidenceUrls }), 'requestAfterSale');
    expect(again).toMatchObject({ status: 'REQUESTED', evidenceUrls, lines: [{ orderLine: { id: line.id }, quantity: 2 }] });
  });

  it('refuses a case whose ask exceeds what is left after earlier refunds and open cases (REFUND_EXCEEDS_PAID), and caps the default there', async () => {
    const order = await place('delivered', [1, 1]);
    const [a, b] = order.lines;
    // A ruling refunds all but 50.00 of the order for the first line (staff may go past the units' value).
    const first = caseOf(await request({ orderId: order.id, type: 'REFUND_ONLY', lines: one(a) }), 'requestAfterSale');
    caseOf(await respond(first.id, 'REJECT', P.owner, { reason: 'Works as described' }), 'respondAfterSale');
    caseOf(await escalate(first.id), 'escalateAfterSale');
    caseOf(await arbitrate(first.id, P.agent, 'FOR_BUYER', { refundAmount: ((order.total - 5_000) / 100).toFixed(2) }), 'arbitrateAfterSale');
    const ask = { type: 'RETURN_AND_REFUND', lines: one(b), refundAmount: (b.lineTotal / 100).toFixed(2) };
    expect(await refused(order, ask)).toEqual([['REFUND_EXCEEDS_PAID', 'input.refundAmount']]);
    // Without an amount, the default is capped at what is left; withdrawn, it gives that back.
    const capped = caseOf(await request({ orderId: order.id, type: 'RETURN_AND_REFUND', lines: one(b) }), 'requestAfterSale');
    expect(capped.refundAmount.amountMinor).toBe(5_000);
    caseOf(await withdraw(capped.id), 'withdrawAfterSale');
    expect(caseOf(await request({ orderId: order.id, type: 'REFUND_ONLY', lines: one(b), refundAmount: '50.00' }), 'requestAfterSale').refundAmount.amountMinor).toBe(5_000);
  });
});

// --- 2. The matrix ----------------------------------------------------------------------------------

interface Step {
  /** The mutation (its payload field). */
  name: string;
  /** How the step is called in the test names. */
  title: string;
  run: (caseId: string, token: string) => Promise<GqlResult>;
  /** The state a fresh case is brought to for it (of `type`, else the state's default). */
  from: Status;
  type?: CaseType;
  /** Every state it may be taken from, for its party (and that case's type). */
  allowedFrom: Status[];
  /** Who may take it. */
  by: Party[];
  /** The case's status afterwards, and the event it appends [type, actor]. */
  to: Status;
  event: [string, string] | null;
  /** What the refused parties get, where it is not FORBIDDEN/NOT_FOUND by whether they see the case. */
  refusals?: Partial<Record<Party, string>>;
  /** What its first party gets in a state it is not taken from, where that is not INVALID_TRANSITION. */
  inWrongState?: Partial<Record<Status, string>>;
}

const STUCK: Status[] = ['AWAITING_RETURN', 'RETURN_SHIPPED', 'RECEIVED', 'RESENT'];
/** The party a person acts for on shop A's cases. */
const partyOf = (p: Party) => (p === 'buyer' ? 'BUYER' : MERCHANT.includes(p) ? 'MERCHANT' : 'PLATFORM');
const STEPS: Step[] = [
  { name: 'respondAfterSale', title: 'respondAfterSale APPROVE', run: (id, tk) => respond(id, 'APPROVE', tk), from: 'REQUESTED', allowedFrom: ['REQUESTED'], by: MERCHANT, to: 'AWAITING_RETURN', event: ['APPROVED', 'MERCHANT'] },
  { name: 'respondAfterSale', title: 'respondAfterSale REJECT', run: (id, tk) => respond(id, 'REJECT', tk), from: 'REQUESTED', allowedFrom: ['REQUESTED'], by: MERCHANT, to: 'REJECTED', event: ['REJECTED', 'MERCHANT'] },
  { name: 'submitReturnShipment', title: 'submitReturnShipment', run: (id, tk) => submitReturn(id, tk), from: 'AWAITING_RETURN', allowedFrom: ['AWAITING_RETURN'], by: ['buyer'], to: 'RETURN_SHIPPED', event: ['RETURN_SHIPPED', 'BUYER'] },
  { name: 'confirmReturnReceived', title: 'confirmReturnReceived', run: (id, tk) => confirmReturn(id, tk), from: 'RETURN_SHIPPED', type: 'EXCHANGE', allowedFrom: ['RETURN_SHIPPED'], by: MERCHANT, to: 'RECEIVED', event: ['RECEIVED', 'MERCHANT'] },
  { name: 'resendAfterSale', title: 'resendAfterSale', run: (id, tk) => resend(id, tk), from: 'RECEIVED', type: 'REPAIR', allowedFrom: ['RECEIVED'], by: MERCHANT, to: 'RESENT', event: ['RESENT', 'MERCHANT'] },
  { name: 'confirmAfterSaleReceipt', title: 'confirmAfterSaleReceipt', run: (id, tk) => confirmReceipt(id, tk), from: 'RESENT', allowedFrom: ['RESENT'], by: ['buyer'], to: 'CLOSED', event: ['CLOSED', 'BUYER'] },
  {
    name: 'escalateAfterSale',
    title: 'escalateAfterSale of a REJECTED case',
    run: (id, tk) => escalate(id, tk),
    from: 'REJECTED',
    allowedFrom: ['REJECTED', ...STUCK],
    by: ['buyer'],
    to: 'ARBITRATION',
    event: ['ESCALATED', 'BUYER'],
  },
  {
    name: 'escalateAfterSale',
    title: 'escalateAfterSale of a stuck case (AWAITING_RETURN)',
    run: (id, tk) => escalate(id, tk),
    from: 'AWAITING_RETURN',
    allowedFrom: STUCK,
    // The OWNER first: the wrong states below are the merchant's (a REJECTED case is the buyer's to escalate).
    by: [...MERCHANT, 'buyer'],
    to: 'ARBITRATION',
    event: ['ESCALATED', '(party)'],
    inWrongState: { REJECTED: 'thrown:FORBIDDEN' },
  },
  {
    name: 'arbitrateAfterSale',
    title: 'arbitrateAfterSale',
    run: (id, tk) => arbitrate(id, tk),
    from: 'ARBITRATION',
    allowedFrom: ['ARBITRATION'],
    by: PLATFORM,
    to: 'CLOSED',
    event: ['RULED', 'PLATFORM'],
    // The shield refuses everyone but customer service staff, before anyone looks for the case.
    refusals: Object.fromEntries(PARTIES.filter((p) => !PLATFORM.includes(p)).map((p) => [p, 'thrown:FORBIDDEN'])),
  },
  {
    name: 'withdrawAfterSale',
    title: 'withdrawAfterSale',
    run: (id, tk) => withdraw(id, tk),
    from: 'REQUESTED',
    allowedFrom: ['REQUESTED', 'REJECTED', 'AWAITING_RETURN', 'RETURN_SHIPPED', 'ARBITRATION'],
    by: ['buyer'],
    to: 'CLOSED',
    event: ['WITHDRAWN', 'BUYER'],
  },
  {
    name: 'addAfterSaleMessage',
    title: 'addAfterSaleMessage',
    run: (id, tk) => message(id, tk),
    from: 'REQUESTED',
    allowedFrom: STATUSES.filter((s) => s !== 'CLOSED'),
    by: ['buyer', ...MERCHANT, ...PLATFORM],
    to: 'REQUESTED',
    event: null,
  },
];

/** What each of `parties` gets from `step` on the case, in one record. */
async function outcomes(step: Step, caseId: string, parties: Party[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of parties) out[p] = outcomeOf(await step.run(caseId, P[p]), step.name);
  return out;
}

describe('the case matrix', () => {
  /** One case in each status, made once: every refusal below leaves it as it is. */
  const at = {} as Record<Status, any>;

  beforeAll(async () => {
    for (const s of STATUSES) at[s] = await caseIn(s);
  });

  describe.each(STEPS)('$title', (step) => {
    const refused = PARTIES.filter((p) => !step.by.includes(p));

    const how = step.refusals ? 'FORBIDDEN by the shield' : 'FORBIDDEN to whoever sees the case, NOT_FOUND to the rest';
    it(`refuses everyone but ${step.by.join(', ')}: ${how}; the case is unchanged`, async () => {
      const c = step.type ? await caseIn(step.from, step.type) : at[step.from];
      const before = await stateOf(c.id);
      const expected = Object.fromEntries(refused.map((p) => [p, step.refusals?.[p] ?? (SEES.includes(p) ? 'thrown:FORBIDDEN' : 'thrown:NOT_FOUND')]));
      expect(await outcomes(step, c.id, refused)).toEqual(expected);
      expect(await stateOf(c.id)).toEqual(before);
    });

    it(`lets ${step.by.length > 1 ? `each of ${step.by.join(', ')}` : step.by[0]} take it from ${step.from}${step.type ? ` (${step.type})` : ''}: ${step.to}`, async () => {
      for (const p of step.by) {
        const c = await caseIn(step.from, step.type ?? DEFAULT_TYPE[step.from]);
        const after = caseOf(await step.run(c.id, P[p]), step.name);
        expect(after.status, p).toBe(step.to);
        if (step.event) {
          const [type, actor] = step.event;
          expect(after.events.length, p).toBe(c.events.length + 1);
          expect(lastEvent(after), p).toMatchObject({ type, status: step.to, actor: actor === '(party)' ? partyOf(p) : actor });
        } else {
          // A message: the thread grows by one, typed by the writer's party; the timeline does not.
          expect(after.events, p).toEqual(c.events);
          expect(after.messages, p).toEqual([...c.messages, expect.objectContaining({ role: partyOf(p), body: 'Any news?' })]);
        }
      }
    });

    const wrong = STATUSES.filter((s) => !step.allowedFrom.includes(s));
    if (wrong.length) {
      const expected = Object.fromEntries(wrong.map((s) => [s, step.inWrongState?.[s] ?? 'INVALID_TRANSITION']));
      const told = [...new Set(Object.values(expected))].map((o) => `${o.replace('thrown:', '')} from ${wrong.filter((s) => expected[s] === o).join(', ')}`);
      it(`answers ${step.by[0]} (who may take it) ${told.join('; ')}, changing nothing`, async () => {
        const got: Record<string, string> = {};
        const before = await Promise.all(wrong.map((s) => stateOf(at[s].id)));
        for (const s of wrong) got[s] = outcomeOf(await step.run(at[s].id, P[step.by[0]]), step.name);
        expect(got).toEqual(expected);
        expect(await Promise.all(wrong.map((s) => stateOf(at[s].id)))).toEqual(before);
      });
    }
  });

  describe('steps a case’s type does not take: INVALID_TRANSITION, whatever the state', () => {
    it('refuses to resend a RETURN_AND_REFUND or REFUND_ONLY case (only EXCHANGE and REPAIR get goods back)', async () => {
      const cases = [at.REQUESTED, at.AWAITING_RETURN, await caseIn('RETURN_SHIPPED', 'RETURN_AND_REFUND'), at.REFUNDING, await caseIn('REQUESTED', 'REFUND_ONLY')];
      for (const c of cases) {
        expect(['RETURN_AND_REFUND', 'REFUND_ONLY']).toContain(c.type);
        const before = await stateOf(c.id);
        expect(outcomeOf(await resend(c.id, P.owner), 'resendAfterSale'), `${c.type} ${c.status}`).toBe('INVALID_TRANSITION');
        expect(await stateOf(c.id)).toEqual(before);
      }
    });

    it('refuses a return shipment or its receipt on a REFUND_ONLY case, and the receipt of a replacement on a RETURN_AND_REFUND case', async () => {
      const refundOnly = await caseIn('REQUESTED', 'REFUND_ONLY');
      const before = await stateOf(refundOnly.id);
      expect(outcomeOf(await submitReturn(refundOnly.id), 'submitReturnShipment')).toBe('INVALID_TRANSITION');
      expect(outcomeOf(await confirmReturn(refundOnly.id), 'confirmReturnReceived')).toBe('INVALID_TRANSITION');
      expect(await stateOf(refundOnly.id)).toEqual(before);
      const returning = await stateOf(at.AWAITING_RETURN.id);
      expect(outcomeOf(await confirmReceipt(at.AWAITING_RETURN.id), 'confirmAfterSaleReceipt')).toBe('INVALID_TRANSITION');
      expect(await stateOf(at.AWAITING_RETURN.id)).toEqual(returning);
    });

    it('refunds a RETURN_AND_REFUND case as soon as its return is received: REFUNDING, with the refund of its amount', async () => {
      const c = await caseIn('RETURN_SHIPPED', 'RETURN_AND_REFUND');
      const after = caseOf(await confirmReturn(c.id), 'confirmReturnReceived');
      expect(after).toMatchObject({ status: 'REFUNDING', refund: { amount: { amountMinor: c.refundAmount.amountMinor } } });
      expect(after.events.map((e: any) => [e.type, e.status, e.actor]).slice(-2)).toEqual([
        ['RECEIVED', 'RECEIVED', 'MERCHANT'],
        ['REFUND_CREATED', 'REFUNDING', 'PLATFORM'],
      ]);
    });
  });

  it('answers NOT_FOUND (thrown) for a case that does not exist or an ID of another type, to everyone', async () => {
    const missing = idOf('AfterSaleCase', '999999999');
    const orderId = at.REQUESTED.order.id;
    for (const [who, token] of [
      ['owner', P.owner],
      ['buyer', P.buyer],
      ['agent', P.agent],
    ] as const) {
      expect(outcomeOf(await respond(missing, 'APPROVE', token), 'respondAfterSale'), who).toBe('thrown:NOT_FOUND');
      expect(outcomeOf(await withdraw(orderId, token), 'withdrawAfterSale'), who).toBe('thrown:NOT_FOUND');
      expect(outcomeOf(await message(missing, token), 'addAfterSaleMessage'), who).toBe('thrown:NOT_FOUND');
    }
    expect(outcomeOf(await arbitrate(missing, P.agent), 'arbitrateAfterSale')).toBe('thrown:NOT_FOUND');
    expect(await caseAs(missing, P.agent)).toBeNull();
    expect(outcomeOf(await request({ orderId, lines: [{ orderLineId: orderId, quantity: 1 }] }), 'requestAfterSale')).toBe('thrown:NOT_FOUND');
  });

  describe('reasons', () => {
    it('refuses to reject without a reason of at least 3 characters: REASON_REQUIRED, the case unchanged', async () => {
      const c = at.REQUESTED;
      const before = await stateOf(c.id);
      for (const reason of [undefined, '', '   ', 'no']) {
        const res = await t.gql(RESPOND, { input: { caseId: c.id, decision: 'REJECT', ...(reason === undefined ? {} : { reason }) } }, { token: P.owner });
        expect(failuresOf(res, 'respondAfterSale', 'afterSaleCase'), String(reason)).toEqual([['REASON_REQUIRED', 'input.reason']]);
      }
      expect(await stateOf(c.id)).toEqual(before);
    });

    it('refuses to escalate without a reason: REASON_REQUIRED, for the buyer and the merchant alike', async () => {
      const rejected = await stateOf(at.REJECTED.id);
      expect(failuresOf(await escalate(at.REJECTED.id, P.buyer, ''), 'escalateAfterSale', 'afterSaleCase')).toEqual([['REASON_REQUIRED', 'input.reason']]);
      expect(await stateOf(at.REJECTED.id)).toEqual(rejected);
      const stuck = await stateOf(at.RETURN_SHIPPED.id);
      expect(failuresOf(await escalate(at.RETURN_SHIPPED.id, P.manager, 'ok'), 'escalateAfterSale', 'afterSaleCase')).toEqual([['REASON_REQUIRED', 'input.reason']]);
      expect(await stateOf(at.RETURN_SHIPPED.id)).toEqual(stuck);
    });

    it('refuses a ruling without a note: REASON_REQUIRED, no ruling, no refund, no audit entry', async () => {
      const before = await stateOf(at.ARBITRATION.id);
      for (const ruling of ['FOR_BUYER', 'FOR_MERCHANT']) {
        expect(failuresOf(await arbitrate(at.ARBITRATION.id, P.agent, ruling, { note: ' ' }), 'arbitrateAfterSale', 'afterSaleCase'), ruling).toEqual([['REASON_REQUIRED', 'input.note']]);
      }
      expect(await stateOf(at.ARBITRATION.id)).toEqual(before);
    });
  });

  describe('arbitration', () => {
    it('rules for the buyer with the case’s amount by default: REFUNDING with a refund, audited', async () => {
      const c = await caseIn('ARBITRATION');
      const after = caseOf(await arbitrate(c.id, P.admin, 'FOR_BUYER'), 'arbitrateAfterSale');
      expect(after).toMatchObject({ status: 'REFUNDING', ruling: 'FOR_BUYER', refund: { amount: { amountMinor: c.refundAmount.amountMinor } } });
      expect(lastEvent(after)).toMatchObject({ type: 'RULED', actor: 'PLATFORM' });
      expect((await stateOf(c.id)).audit).toEqual([{ action: 'afterSale.arbitrate' }]);
    });

    it('refuses a ruling refund above what is left of the order: REFUND_EXCEEDS_PAID, nothing ruled', async () => {
      const c = await caseIn('ARBITRATION');
      const before = await stateOf(c.id);
      const res = await arbitrate(c.id, P.agent, 'FOR_BUYER', { refundAmount: '100000.00' });
      expect(failuresOf(res, 'arbitrateAfterSale', 'afterSaleCase')).toEqual([['REFUND_EXCEEDS_PAID', 'input.refundAmount']]);
      expect(await stateOf(c.id)).toEqual(before);
    });

    it('refuses a refund with a ruling for the merchant: INVALID_INPUT', async () => {
      const before = await stateOf(at.ARBITRATION.id);
      expect(failuresOf(await arbitrate(at.ARBITRATION.id, P.agent, 'FOR_MERCHANT', { refundAmount: '1.00' }), 'arbitrateAfterSale', 'afterSaleCase')).toEqual([['INVALID_INPUT', 'input.refundAmount']]);
      expect(await stateOf(at.ARBITRATION.id)).toEqual(before);
    });
  });

  // --- 3. What each viewer sees and may do ----------------------------------------------------------

  describe('nextActions', () => {
    const BUYER: Record<Status, string[]> = {
      REQUESTED: ['WITHDRAW', 'ADD_MESSAGE'],
      REJECTED: ['ESCALATE', 'WITHDRAW', 'ADD_MESSAGE'],
      AWAITING_RETURN: ['SUBMIT_RETURN', 'ESCALATE', 'WITHDRAW', 'ADD_MESSAGE'],
      RETURN_SHIPPED: ['ESCALATE', 'WITHDRAW', 'ADD_MESSAGE'],
      RECEIVED: ['ESCALATE', 'ADD_MESSAGE'],
      REFUNDING: ['ADD_MESSAGE'],
      RESENT: ['CONFIRM_RECEIPT', 'ESCALATE', 'ADD_MESSAGE'],
      ARBITRATION: ['WITHDRAW', 'ADD_MESSAGE'],
      CLOSED: [],
    };
    const SHOP: Record<Status, string[]> = {
      REQUESTED: ['RESPOND', 'ADD_MESSAGE'],
      REJECTED: ['ADD_MESSAGE'],
      AWAITING_RETURN: ['ESCALATE', 'ADD_MESSAGE'],
      RETURN_SHIPPED: ['CONFIRM_RETURN_RECEIVED', 'ESCALATE', 'ADD_MESSAGE'],
      RECEIVED: ['RESEND', 'ESCALATE', 'ADD_MESSAGE'],
      REFUNDING: ['ADD_MESSAGE'],
      RESENT: ['ESCALATE', 'ADD_MESSAGE'],
      ARBITRATION: ['ADD_MESSAGE'],
      CLOSED: [],
    };
    const STAFF = (s: Status) => (s === 'CLOSED' ? [] : s === 'ARBITRATION' ? ['ARBITRATE', 'ADD_MESSAGE'] : ['ADD_MESSAGE']);

    it('offers each viewer the steps the table lets them take in each state, and messages until CLOSED', async () => {
      const got: Record<string, Record<string, string[]>> = {};
      const want: Record<string, Record<string, string[]>> = {};
      for (const s of STATUSES) {
        got[s] = {};
        for (const p of ['buyer', 'owner', 'manager', 'shopCs', 'operator', 'shopFinance', 'agent', 'admin'] as Party[]) got[s][p] = sorted((await caseAs(at[s].id, P[p])).nextActions);
        want[s] = {
          buyer: sorted(BUYER[s]),
          owner: sorted(SHOP[s]),
          manager: sorted(SHOP[s]),
          shopCs: sorted(SHOP[s]),
          operator: [],
          shopFinance: [],
          agent: sorted(STAFF(s)),
          admin: sorted(STAFF(s)),
        };
      }
      expect(got).toEqual(want);
    });

    it('offers a RESEND on a received EXCHANGE or REPAIR alone, and CONFIRM_RECEIPT on its resent goods', async () => {
      expect((await caseAs(at.RECEIVED.id, P.owner)).nextActions).toContain('RESEND');
      const refundOnly = await caseIn('REQUESTED', 'REFUND_ONLY');
      expect(sorted((await caseAs(refundOnly.id, P.buyer)).nextActions)).toEqual(sorted(['WITHDRAW', 'ADD_MESSAGE']));
      expect(sorted((await caseAs(refundOnly.id, P.owner)).nextActions)).toEqual(sorted(['RESPOND', 'ADD_MESSAGE']));
    });
  });

  describe('afterSaleCase and node(id)', () => {
    it('show the case to its buyer, every member of its shop and customer service staff; null to anyone else', async () => {
      const c = at.REQUESTED;
      const viewers = [...PARTIES, 'anonymous'] as const;
      const got: Record<string, unknown> = {};
      const nodes: Record<string, unknown> = {};
      for (const p of viewers) {
        const token = p === 'anonymous' ? undefined : P[p];
        got[p] = (await caseAs(c.id, token))?.id ?? null;
        const res = await t.gql(NODE, { id: c.id }, { token });
        nodes[p] = res.data?.node?.id ?? null;
      }
      const want = Object.fromEntries(viewers.map((p) => [p, SEES.includes(p as Party) ? c.id : null]));
      expect(got).toEqual(want);
      expect(nodes).toEqual(want);
    });
  });

  describe('arbitrationQueue', () => {
    it('lists escalated cases oldest escalation first, to customer service staff only', async () => {
      const older = await caseIn('REJECTED');
      const newer = await caseIn('REJECTED');
      // The later case is escalated first: the queue follows escalatedAt, not the case's age.
      clock.advance(MINUTE);
      caseOf(await escalate(newer.id), 'escalateAfterSale');
      clock.advance(MINUTE);
      caseOf(await escalate(older.id), 'escalateAfterSale');

      const queue = (await t.gql(QUEUE, { first: 100 }, { token: P.agent })).data!.arbitrationQueue;
      const [{ n }] = await t.sql(`select count(*)::int as n from after_sale_case where status = 'ARBITRATION'`);
      expect(queue.totalCount).toBe(n);
      expect(queue.nodes.every((c: any) => c.status === 'ARBITRATION')).toBe(true);
      const times = queue.nodes.map((c: any) => c.escalatedAt);
      expect(times).toEqual([...times].sort());
      expect(queue.nodes.map((c: any) => c.id).filter((id: string) => id === older.id || id === newer.id)).toEqual([newer.id, older.id]);
      expect(queue.nodes.map((c: any) => c.id).slice(-2)).toEqual([newer.id, older.id]);

      // Paged, the same order.
      const page1 = (await t.gql(QUEUE, { first: n - 1 }, { token: P.admin })).data!.arbitrationQueue;
      expect(page1.pageInfo.hasNextPage).toBe(true);
      const page2 = (await t.gql(QUEUE, { first: 5, after: page1.pageInfo.endCursor }, { token: P.admin })).data!.arbitrationQueue;
      expect([...page1.nodes, ...page2.nodes].map((c: any) => c.id)).toEqual(queue.nodes.map((c: any) => c.id));

      // A ruled case leaves the queue.
      caseOf(await arbitrate(newer.id), 'arbitrateAfterSale');
      const after = (await t.gql(QUEUE, { first: 100 }, { token: P.agent })).data!.arbitrationQueue;
      expect(after.nodes.map((c: any) => c.id)).not.toContain(newer.id);
      expect(after.totalCount).toBe(n - 1);

      for (const p of ['buyer', 'owner', 'shopCs', 'operator', 'staffFinance', 'otherBuyer'] as Party[]) {
        const res = await t.gql(QUEUE, { first: 10 }, { token: P[p] });
        expect([code(res), res.data?.arbitrationQueue ?? null], p).toEqual(['FORBIDDEN', null]);
      }
    });
  });
});

// --- 3b. Lists of cases -----------------------------------------------------------------------------

describe('myAfterSaleCases and shopAfterSaleCases', () => {
  /** Shop C (with an OPERATOR) and its only buyer Q, whose three cases are the shop's: newest first c3, c2, c1. */
  let shopC: ScenarioShop;
  let q: Shopper;
  let c1: any;
  let c2: any;
  let c3: any;
  const shopCases = (token: string | undefined, vars: Record<string, unknown> = {}) => t.gql(SHOP_CASES, { shopId: shopC.shopId, first: 10, ...vars }, { token });
  const ids = (res: GqlResult, field: string) => res.data![field].nodes.map((c: any) => c.id);

  beforeAll(async () => {
    const c = await scenario(t)
      .shop({ members: [M.OPERATOR, M.CUSTOMER_SERVICE, M.MANAGER] })
      .product({ variants: [{ price: 5_000 }, { price: 5_000 }, { price: 5_000 }] })
      .run();
    shopC = c.shop;
    q = await newShopper(t);
    const order = await place('delivered', [1, 1, 1], q, shopC, c.product.variantIds);
    const open = async (i: number, type: CaseType) => caseOf(await request({ orderId: order.id, type, lines: [{ orderLineId: order.lines[i].id, quantity: 1 }] }, q.token), 'requestAfterSale');
    c1 = await open(0, 'EXCHANGE');
    clock.advance(MINUTE);
    c2 = caseOf(await respond((await open(1, 'RETURN_AND_REFUND')).id, 'REJECT', shopC.owner.token), 'respondAfterSale');
    clock.advance(MINUTE);
    c3 = caseOf(await withdraw((await open(2, 'REFUND_ONLY')).id, q.token), 'withdrawAfterSale');
  });

  it('lists only the viewer’s own cases, newest first, paged', async () => {
    const mine = await t.gql(MY_CASES, { first: 10 }, { token: q.token });
    expect(mine.data!.myAfterSaleCases.totalCount).toBe(3);
    expect(ids(mine, 'myAfterSaleCases')).toEqual([c3.id, c2.id, c1.id]);
    const page1 = (await t.gql(MY_CASES, { first: 2 }, { token: q.token })).data!.myAfterSaleCases;
    expect(page1.nodes.map((c: any) => c.id)).toEqual([c3.id, c2.id]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await t.gql(MY_CASES, { first: 2, after: page1.pageInfo.endCursor }, { token: q.token })).data!.myAfterSaleCases;
    expect(page2.nodes.map((c: any) => c.id)).toEqual([c1.id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    // Other viewers' lists hold none of them, the shop's owner included.
    for (const token of [P.buyer, P.otherBuyer, shopC.owner.token, P.agent]) {
      const theirs = ids(await t.gql(MY_CASES, { first: 100 }, { token }), 'myAfterSaleCases');
      expect(theirs.filter((id: string) => [c1.id, c2.id, c3.id].includes(id))).toEqual([]);
    }
    const [{ n }] = await t.sql('select count(*)::int as n from after_sale_case where buyer_id = ?', [buyer.user.id]);
    expect((await t.gql(MY_CASES, { first: 1 }, { token: P.buyer })).data!.myAfterSaleCases.totalCount).toBe(n);
    expect((await t.gql(MY_CASES, { first: 1 }, { token: P.otherBuyer })).data!.myAfterSaleCases.totalCount).toBe(0);
    expect(code(await t.gql(MY_CASES, { first: 1 }))).toBe('UNAUTHENTICATED');
  });

  it('lists a shop’s cases, newest first, for its OWNER, MANAGER and CUSTOMER_SERVICE and for customer service staff', async () => {
    for (const token of [shopC.owner.token, shopC.members[M.MANAGER]!.token, shopC.members[M.CUSTOMER_SERVICE]!.token, P.agent, P.admin]) {
      const res = await shopCases(token);
      expect(res.errors).toBeUndefined();
      expect(res.data!.shopAfterSaleCases.totalCount).toBe(3);
      expect(ids(res, 'shopAfterSaleCases')).toEqual([c3.id, c2.id, c1.id]);
    }
  });

  it('filters a shop’s cases by status and by type', async () => {
    const by = async (filter: Record<string, string>) => {
      const res = (await shopCases(shopC.owner.token, { filter })).data!.shopAfterSaleCases;
      expect(res.totalCount).toBe(res.nodes.length);
      return res.nodes.map((c: any) => c.id);
    };
    expect(await by({ status: 'REQUESTED' })).toEqual([c1.id]);
    expect(await by({ status: 'REJECTED' })).toEqual([c2.id]);
    expect(await by({ status: 'CLOSED' })).toEqual([c3.id]);
    expect(await by({ status: 'ARBITRATION' })).toEqual([]);
    expect(await by({ type: 'EXCHANGE' })).toEqual([c1.id]);
    expect(await by({ type: 'REFUND_ONLY', status: 'CLOSED' })).toEqual([c3.id]);
    expect(await by({ type: 'REFUND_ONLY', status: 'REQUESTED' })).toEqual([]);
  });

  it('refuses the shop’s OPERATOR (FORBIDDEN), another shop’s owner and a shopper (NOT_FOUND), and an anonymous caller', async () => {
    const got: Record<string, unknown> = {};
    for (const [who, token] of [
      ['operator', shopC.members[M.OPERATOR]!.token],
      ['otherOwner', shopA.owner.token],
      ['otherShopCs', P.shopCs],
      ['buyer', q.token],
      ['staffFinance', P.staffFinance],
      ['anonymous', undefined],
    ] as const) {
      const res = await shopCases(token);
      got[who] = [code(res), res.data?.shopAfterSaleCases ?? null];
    }
    expect(got).toEqual({
      operator: ['FORBIDDEN', null],
      otherOwner: ['NOT_FOUND', null],
      otherShopCs: ['NOT_FOUND', null],
      buyer: ['NOT_FOUND', null],
      staffFinance: ['NOT_FOUND', null],
      anonymous: ['UNAUTHENTICATED', null],
    });
  });

  it('shows a case of shop C to shop C’s people and buyer alone: shop A’s members and its buyer get null', async () => {
    expect((await caseAs(c2.id, q.token))?.id).toBe(c2.id);
    expect((await caseAs(c2.id, shopC.members[M.OPERATOR]!.token))?.id).toBe(c2.id);
    for (const p of ['buyer', 'owner', 'shopCs', 'operator', 'otherOwner'] as Party[]) expect(await caseAs(c2.id, P[p]), p).toBeNull();
  });
});

// --- 4. The thread ----------------------------------------------------------------------------------

describe('addAfterSaleMessage', () => {
  it('keeps the thread in order, each message typed by its author’s party and signed with their display name', async () => {
    const c = await caseIn('REQUESTED');
    const start = clock.now().getTime();
    const writes: [Party, string, string[]?][] = [
      ['buyer', '耳機左邊充不了電，附照片。', ['https://img.example.com/left.jpg']],
      ['owner', 'Please send it back, we will check it.'],
      ['shopCs', '已收到，請寄回。'],
      ['agent', 'The platform is following this case.'],
      ['admin', 'Noted.'],
    ];
    for (const [who, body, urls] of writes) {
      clock.advance(MINUTE);
      caseOf(await message(c.id, P[who], body, urls), 'addAfterSaleMessage');
    }
    const thread = (await caseAs(c.id, P.owner)).messages;
    expect(thread).toEqual([
      { author: names.buyer, role: 'BUYER', body: writes[0][1], attachmentUrls: writes[0][2], at: new Date(start + MINUTE).toISOString() },
      { author: names.owner, role: 'MERCHANT', body: writes[1][1], attachmentUrls: [], at: new Date(start + 2 * MINUTE).toISOString() },
      { author: names.shopCs, role: 'MERCHANT', body: writes[2][1], attachmentUrls: [], at: new Date(start + 3 * MINUTE).toISOString() },
      { author: names.agent, role: 'PLATFORM', body: writes[3][1], attachmentUrls: [], at: new Date(start + 4 * MINUTE).toISOString() },
      { author: 'Test User', role: 'PLATFORM', body: writes[4][1], attachmentUrls: [], at: new Date(start + 5 * MINUTE).toISOString() },
    ]);
    // The buyer reads the same thread; messages move nothing on.
    const asBuyer = await caseAs(c.id, P.buyer);
    expect(asBuyer.messages).toEqual(thread);
    expect(asBuyer.status).toBe('REQUESTED');
    expect(asBuyer.events).toEqual(c.events);
  });

  it('refuses an empty body, 10 attachments and a non-http attachment: INVALID_INPUT, nothing written', async () => {
    const c = (await caseIn('REQUESTED')).id;
    const before = await stateOf(c);
    expect(failuresOf(await message(c, P.buyer, '   '), 'addAfterSaleMessage', 'afterSaleCase')).toEqual([['INVALID_INPUT', 'input.body']]);
    const ten = Array.from({ length: 10 }, (_, i) => `https://img.example.com/${i}.jpg`);
    expect(failuresOf(await message(c, P.buyer, 'Photos', ten), 'addAfterSaleMessage', 'afterSaleCase')).toEqual([['INVALID_INPUT', 'input.attachmentUrls']]);
    expect(failuresOf(await message(c, P.owner, 'See', ['file:///etc/passwd']), 'addAfterSaleMessage', 'afterSaleCase')).toEqual([['INVALID_INPUT', 'input.attachmentUrls.0']]);
    expect(await stateOf(c)).toEqual(before);
  });

  it('refuses every party on a CLOSED case: INVALID_TRANSITION, nothing written', async () => {
    const c = await caseIn('REQUESTED');
    caseOf(await message(c.id, P.buyer, 'Before closing'), 'addAfterSaleMessage');
    caseOf(await withdraw(c.id), 'withdrawAfterSale');
    const before = await stateOf(c.id);
    const got = Object.fromEntries(await Promise.all((['buyer', 'owner', 'manager', 'shopCs', 'agent', 'admin'] as Party[]).map(async (p) => [p, outcomeOf(await message(c.id, P[p], 'After closing'), 'addAfterSaleMessage')])));
    expect(got).toEqual({ buyer: 'INVALID_TRANSITION', owner: 'INVALID_TRANSITION', manager: 'INVALID_TRANSITION', shopCs: 'INVALID_TRANSITION', agent: 'INVALID_TRANSITION', admin: 'INVALID_TRANSITION' });
    expect(await stateOf(c.id)).toEqual(before);
    expect((await caseAs(c.id, P.buyer)).messages.map((m: any) => m.body)).toEqual(['Before closing']);
  });
});

// --- Nobody on two sides of a case; reasons counted in characters -----------------------------------

describe('conflicts of interest and reasons', () => {
  /** A customer service agent's own purchase in shop A, whose case they escalated, and a REQUESTED case of shop A. */
  let agentBuyer: Shopper;
  let ownCase: any;
  let requested: any;

  beforeAll(async () => {
    const account = await staff(t, StaffRole.CUSTOMER_SERVICE);
    const input = { recipientName: '李客服', phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: '文三路 200 號' };
    const made = await t.gql(`mutation($input: AddressInput!) { createAddress(input: $input) { address { id } errors { code } } }`, { input }, { token: account.token });
    agentBuyer = { ...account, addressId: okPayload(made, 'createAddress', 'address').id };
    const order = await place('delivered', [1], agentBuyer);
    ownCase = caseOf(await request({ orderId: order.id, lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] }, agentBuyer.token), 'requestAfterSale');
    caseOf(await respond(ownCase.id, 'REJECT'), 'respondAfterSale');
    ownCase = caseOf(await escalate(ownCase.id, agentBuyer.token), 'escalateAfterSale');
    requested = await caseIn('REQUESTED');
  });

  it('does not let customer service staff arbitrate (or be offered to arbitrate) a case on their own purchase', async () => {
    const before = await stateOf(ownCase.id);
    expect((await caseAs(ownCase.id, agentBuyer.token)).nextActions).not.toContain('ARBITRATE');
    expect(outcomeOf(await arbitrate(ownCase.id, agentBuyer.token, 'FOR_BUYER'), 'arbitrateAfterSale')).toBe('thrown:FORBIDDEN');
    expect(await stateOf(ownCase.id)).toEqual(before);
  });

  it('counts a reason’s characters, not UTF-16 code units: two emoji are too short a reason, like two CJK characters', async () => {
    const before = await stateOf(requested.id);
    expect(failuresOf(await respond(requested.id, 'REJECT', P.owner, { reason: '破損' }), 'respondAfterSale', 'afterSaleCase')).toEqual([['REASON_REQUIRED', 'input.reason']]);
    expect(failuresOf(await respond(requested.id, 'REJECT', P.owner, { reason: '😡😡' }), 'respondAfterSale', 'afterSaleCase')).toEqual([['REASON_REQUIRED', 'input.reason']]);
    expect(await stateOf(requested.id)).toEqual(before);
  });
});

// --- 5. The window (last: it moves the clock past every earlier delivery's window) ------------------

describe('the after-sales window', () => {
  it('closes AFTER_SALES_DAYS after delivery: AFTER_SALES_WINDOW_CLOSED for any type, nothing created', async () => {
    const order = await place('delivered', [2]);
    const deliveredAt = new Date(order.deliveredAt!).getTime();
    const days = t.config.orders.afterSalesDays;
    const ask = (type: CaseType, quantity: number) => request({ orderId: order.id, type, lines: [{ orderLineId: order.lines[0].id, quantity }] });

    // A minute before, the window is open: the request gets as far as the quantities.
    clock.set(new Date(deliveredAt + days * DAY - MINUTE));
    expect(failuresOf(await ask('REFUND_ONLY', 3), 'requestAfterSale', 'afterSaleCase')).toEqual([['QUANTITY_EXCEEDED', 'input.lines.0.quantity']]);

    clock.set(new Date(deliveredAt + days * DAY + MINUTE));
    for (const type of ['REFUND_ONLY', 'RETURN_AND_REFUND', 'EXCHANGE', 'REPAIR'] as CaseType[]) {
      expect(failuresOf(await ask(type, 1), 'requestAfterSale', 'afterSaleCase'), type).toEqual([['AFTER_SALES_WINDOW_CLOSED', 'input.orderId']]);
    }
    expect(await casesOn(order)).toBe(0);
  });
});
