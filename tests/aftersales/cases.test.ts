import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { stockOf } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { expectLedgerInvariants } from '../helpers/ledger';
import { type Scenario, scenario } from '../helpers/scenario';

/**
 * After-sale cases end to end: each of the four types from request to close, the refund through the
 * order's payment and the ledger, restocked returns through the stock ledger, the timeouts by moving
 * the clock, arbitration both ways, and what an open case holds (completion, settlement, cancellation).
 */

const clock = new ManualClock(new Date('2031-05-04T02:00:00Z'));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const CASE_FIELDS = `id number type status outcome awaiting deadline reason restocked ruling closedAt escalatedAt returnAddress
  refundAmount { amountMinor } refund { status amount { amountMinor } }
  returnShipment { carrier trackingNumber } resendShipment { carrier trackingNumber }
  lines { quantity orderLine { id quantity } } events { type status actor note } messages { author role body } nextActions`;
const PAYLOAD = `afterSaleCase { ${CASE_FIELDS} } errors { code field message }`;
const REQUEST = `mutation($input: RequestAfterSaleInput!) { requestAfterSale(input: $input) { ${PAYLOAD} } }`;
const RESPOND = `mutation($input: RespondAfterSaleInput!) { respondAfterSale(input: $input) { ${PAYLOAD} } }`;
const SHIP_BACK = `mutation($input: ReturnShipmentInput!) { submitReturnShipment(input: $input) { ${PAYLOAD} } }`;
const RECEIVED = `mutation($input: ConfirmReturnInput!) { confirmReturnReceived(input: $input) { ${PAYLOAD} } }`;
const RESEND = `mutation($input: ResendInput!) { resendAfterSale(input: $input) { ${PAYLOAD} } }`;
const RECEIPT = `mutation($input: IdInput!) { confirmAfterSaleReceipt(input: $input) { ${PAYLOAD} } }`;
const ESCALATE = `mutation($input: EscalateInput!) { escalateAfterSale(input: $input) { ${PAYLOAD} } }`;
const ARBITRATE = `mutation($input: ArbitrateInput!) { arbitrateAfterSale(input: $input) { ${PAYLOAD} } }`;
const MESSAGE = `mutation($input: CaseMessageInput!) { addAfterSaleMessage(input: $input) { ${PAYLOAD} } }`;
const CASE = `query($id: ID!) { afterSaleCase(id: $id) { ${CASE_FIELDS} } }`;
const QUEUE = `query { arbitrationQueue(first: 50) { nodes { id escalatedAt } } }`;
const LINES = `query($id: ID!) { order(id: $id) { status lines { id quantity lineTotal { amountMinor } } total { amountMinor } shippingFee { amountMinor } refunds { status amount { amountMinor } } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let admin: { token: string };
let cs: { token: string };

beforeAll(async () => {
  t = await createTestApp({ SETTLEMENT_PERIOD: 'CONTINUOUS' }, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  cs = await staff(t, StaffRole.CUSTOMER_SERVICE);
});
afterAll(() => t.close());

const runTask = async (name: string): Promise<string> => okPayload(await t.gql(RUN, { input: { name } }, { token: admin.token }), 'runScheduledTask').task.lastResult;

type Stage = 'paid' | 'shipped' | 'delivered';

/** A shop with a CUSTOMER_SERVICE member, and a buyer's order of `quantity` units at `price`, brought to `stage`. */
async function ordered(stage: Stage, quantity = 2, price = 5_000): Promise<{ s: Scenario; lineIds: string[]; order: any }> {
  let b = scenario(t).shop({ members: [ShopMemberRole.CUSTOMER_SERVICE, ShopMemberRole.OPERATOR] }).product({ price, stock: 20 }).buyer().inCart(quantity).checkout().paid();
  if (stage !== 'paid') b = b.shipped();
  if (stage === 'delivered') b = b.delivered();
  const s = await b.run();
  const order = (await t.gql(LINES, { id: s.order.id }, { token: s.buyer.token })).data!.order;
  return { s, lineIds: order.lines.map((l: { id: string }) => l.id), order };
}

const merchant = (s: Scenario) => ({ token: s.shop.members[ShopMemberRole.CUSTOMER_SERVICE]!.token });
const buyer = (s: Scenario) => ({ token: s.buyer.token });

async function request(s: Scenario, input: Record<string, unknown>): Promise<any> {
  return okPayload(await t.gql(REQUEST, { input: { orderId: s.order.id, reason: 'Broken on arrival', ...input } }, buyer(s)), 'requestAfterSale', 'afterSaleCase');
}

async function act(query: string, name: string, input: Record<string, unknown>, who: { token: string }): Promise<any> {
  return okPayload(await t.gql(query, { input }, who), name, 'afterSaleCase');
}

const readCase = async (id: string, who: { token: string }) => (await t.gql(CASE, { id }, who)).data!.afterSaleCase;
const orderOf = async (s: Scenario) => (await t.gql(LINES, { id: s.order.id }, buyer(s))).data!.order;

describe('each type from request to close', () => {
  it('refunds a REFUND_ONLY case on approval, and closes it REFUNDED when the provider confirms the refund', async () => {
    const { s, lineIds } = await ordered('delivered', 2, 5_000);
    const c = await request(s, { type: 'REFUND_ONLY', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    expect(c).toMatchObject({ status: 'REQUESTED', awaiting: 'MERCHANT', refundAmount: { amountMinor: 5_000 } });
    expect(new Date(c.deadline).getTime()).toBe(clock.now().getTime() + 48 * HOUR);
    const approved = await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'APPROVE' }, merchant(s));
    expect(approved).toMatchObject({ status: 'REFUNDING', refund: { status: 'PENDING', amount: { amountMinor: 5_000 } } });
    await runTask('send-refunds');
    const closed = await readCase(c.id, buyer(s));
    expect(closed).toMatchObject({ status: 'CLOSED', outcome: 'REFUNDED', refund: { status: 'SUCCEEDED' }, awaiting: null, deadline: null });
    expect(closed.events.map((e: { type: string }) => e.type)).toEqual(['REQUESTED', 'APPROVED', 'CLOSED']);
    // The refund reversed the shop's share in the ledger, and the books balance.
    await expectLedgerInvariants(t);
  });

  it('takes a RETURN_AND_REFUND through the return parcel, restocks it through the stock ledger and refunds it', async () => {
    const { s, lineIds } = await ordered('delivered', 3, 4_000);
    const before = await stockOf(t, s.variantKeys[0]);
    const c = await request(s, { type: 'RETURN_AND_REFUND', lines: [{ orderLineId: lineIds[0], quantity: 2 }], evidenceUrls: ['https://img.example.com/1.jpg'] });
    expect(c.refundAmount.amountMinor).toBe(8_000);
    const approved = await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'APPROVE', returnAddress: '杭州市西湖區文三路 1 號 倉庫' }, merchant(s));
    expect(approved).toMatchObject({ status: 'AWAITING_RETURN', awaiting: 'BUYER', returnAddress: '杭州市西湖區文三路 1 號 倉庫' });
    const shipped = await act(SHIP_BACK, 'submitReturnShipment', { caseId: c.id, carrier: 'SF Express', trackingNumber: 'SF1234567890' }, buyer(s));
    expect(shipped).toMatchObject({ status: 'RETURN_SHIPPED', awaiting: 'MERCHANT', returnShipment: { carrier: 'SF Express', trackingNumber: 'SF1234567890' } });
    const received = await act(RECEIVED, 'confirmReturnReceived', { caseId: c.id, restock: true, note: 'Inspected: unused' }, merchant(s));
    expect(received).toMatchObject({ status: 'REFUNDING', restocked: true, refund: { amount: { amountMinor: 8_000 } } });
    expect(received.events.map((e: { type: string }) => e.type)).toEqual(['REQUESTED', 'APPROVED', 'RETURN_SHIPPED', 'RECEIVED', 'REFUND_CREATED']);
    const after = await stockOf(t, s.variantKeys[0]);
    expect(after.on_hand).toBe(before.on_hand + 2);
    const moves = await t.sql(
      "select reason, delta_on_hand from stock_movement where variant_id = ? and reason = 'RETURN'",
      [s.variantKeys[0]],
    );
    expect(moves).toEqual([{ reason: 'RETURN', delta_on_hand: 2 }]);
    await runTask('send-refunds');
    expect(await readCase(c.id, buyer(s))).toMatchObject({ status: 'CLOSED', outcome: 'REFUNDED' });
  });

  it('puts nothing back on hand when the merchant receives a return without restocking it', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const before = await stockOf(t, s.variantKeys[0]);
    const c = await request(s, { type: 'RETURN_AND_REFUND', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'APPROVE' }, merchant(s));
    await act(SHIP_BACK, 'submitReturnShipment', { caseId: c.id, carrier: 'YTO', trackingNumber: 'YT000111' }, buyer(s));
    const received = await act(RECEIVED, 'confirmReturnReceived', { caseId: c.id, restock: false, note: 'Damaged' }, merchant(s));
    expect(received.restocked).toBe(false);
    expect(await stockOf(t, s.variantKeys[0])).toEqual(before);
  });

  it.each([
    ['EXCHANGE', 'REPLACED'],
    ['REPAIR', 'REPAIRED'],
  ])('sends an %s back with a carrier and tracking number and closes it %s when the buyer confirms', async (type, outcome) => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type, lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    expect(c.refundAmount.amountMinor).toBe(0);
    await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'APPROVE' }, merchant(s));
    await act(SHIP_BACK, 'submitReturnShipment', { caseId: c.id, carrier: 'SF Express', trackingNumber: 'SF555' }, buyer(s));
    const received = await act(RECEIVED, 'confirmReturnReceived', { caseId: c.id, restock: false }, merchant(s));
    expect(received).toMatchObject({ status: 'RECEIVED', awaiting: 'MERCHANT', deadline: null, refund: null });
    const resent = await act(RESEND, 'resendAfterSale', { caseId: c.id, carrier: 'SF Express', trackingNumber: 'SF777' }, merchant(s));
    expect(resent).toMatchObject({ status: 'RESENT', awaiting: 'BUYER', resendShipment: { trackingNumber: 'SF777' } });
    expect(resent.nextActions).toEqual(expect.arrayContaining(['ESCALATE', 'ADD_MESSAGE']));
    const closed = await act(RECEIPT, 'confirmAfterSaleReceipt', { id: c.id }, buyer(s));
    expect(closed).toMatchObject({ status: 'CLOSED', outcome, refund: null });
    expect((await orderOf(s)).refunds).toEqual([]);
    // The goods the buyer holds again may fail again: the same unit takes a new case.
    expect((await request(s, { type: 'RETURN_AND_REFUND', lines: [{ orderLineId: lineIds[0], quantity: 1 }] })).status).toBe('REQUESTED');
  });

  it('takes an exchange’s replacement out of on-hand stock (EXCHANGE movements) and refuses to send what is not there', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type: 'EXCHANGE', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'APPROVE' }, merchant(s));
    await act(SHIP_BACK, 'submitReturnShipment', { caseId: c.id, carrier: 'SF', trackingNumber: 'SF4242' }, buyer(s));
    await act(RECEIVED, 'confirmReturnReceived', { caseId: c.id, restock: false }, merchant(s));
    const before = await stockOf(t, s.variantKeys[0]);
    await t.sql('update product_variant set on_hand = reserved where id = ?', [s.variantKeys[0]]);
    const short = await t.gql(RESEND, { input: { caseId: c.id, carrier: 'SF', trackingNumber: 'SF4343' } }, merchant(s));
    expect(short.data!.resendAfterSale.errors.map((e: { code: string }) => e.code)).toEqual(['INSUFFICIENT_STOCK']);
    expect((await readCase(c.id, buyer(s))).status).toBe('RECEIVED');
    await t.sql('update product_variant set on_hand = ? where id = ?', [before.on_hand, s.variantKeys[0]]);
    await act(RESEND, 'resendAfterSale', { caseId: c.id, carrier: 'SF', trackingNumber: 'SF4343' }, merchant(s));
    expect((await stockOf(t, s.variantKeys[0])).on_hand).toBe(before.on_hand - 1);
    const moves = await t.sql("select delta_on_hand from stock_movement where variant_id = ? and reason = 'EXCHANGE'", [s.variantKeys[0]]);
    expect(moves).toEqual([{ delta_on_hand: -1 }]);
  });

  it('refuses to restock a repair, whose goods go back to the buyer', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type: 'REPAIR', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'APPROVE' }, merchant(s));
    await act(SHIP_BACK, 'submitReturnShipment', { caseId: c.id, carrier: 'SF', trackingNumber: 'SF5151' }, buyer(s));
    const before = await stockOf(t, s.variantKeys[0]);
    const res = await t.gql(RECEIVED, { input: { caseId: c.id, restock: true } }, merchant(s));
    expect(res.data!.confirmReturnReceived.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', 'restock'] })]);
    expect((await readCase(c.id, buyer(s))).status).toBe('RETURN_SHIPPED');
    expect(await stockOf(t, s.variantKeys[0])).toEqual(before);
  });

  it('cancels an unshipped order refunded in full by a case, so nothing ships, and puts its units back on hand', async () => {
    const { s, lineIds, order } = await ordered('paid', 2, 3_000);
    const before = await stockOf(t, s.variantKeys[0]);
    const c = await request(s, { type: 'REFUND_ONLY', lines: [{ orderLineId: lineIds[0], quantity: 2 }] });
    // The units and the shipping fee: nothing shipped.
    expect(c.refundAmount.amountMinor).toBe(order.total.amountMinor);
    await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'APPROVE' }, merchant(s));
    const after = await orderOf(s);
    expect(after.status).toBe('CANCELLED');
    expect(after.refunds).toEqual([{ status: 'PENDING', amount: { amountMinor: order.total.amountMinor } }]);
    expect((await stockOf(t, s.variantKeys[0])).on_hand).toBe(before.on_hand + 2);
  });

  it('refuses, before shipping, a refund of part of the order or of a chosen amount: the whole order is refunded or none', async () => {
    const { s, lineIds } = await ordered('paid', 3, 3_000);
    const partial = await t.gql(REQUEST, { input: { orderId: s.order.id, type: 'REFUND_ONLY', reason: 'Too many', lines: [{ orderLineId: lineIds[0], quantity: 1 }] } }, buyer(s));
    expect(partial.data!.requestAfterSale.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', 'lines'] })]);
    const chosen = await t.gql(REQUEST, { input: { orderId: s.order.id, type: 'REFUND_ONLY', reason: 'Too many', lines: [{ orderLineId: lineIds[0], quantity: 3 }], refundAmount: '10.00' } }, buyer(s));
    expect(chosen.data!.requestAfterSale.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', 'refundAmount'] })]);
    expect(await t.sql('select count(*)::int as n from after_sale_case where order_id = ?', [s.order.key])).toEqual([{ n: 0 }]);
  });

  it('refuses to refund more than the units are worth without arbitration', async () => {
    const { s, lineIds } = await ordered('delivered', 2, 5_000);
    const res = await t.gql(REQUEST, { input: { orderId: s.order.id, type: 'REFUND_ONLY', reason: 'Broken', lines: [{ orderLineId: lineIds[0], quantity: 1 }], refundAmount: '50.01' } }, buyer(s));
    expect(res.data!.requestAfterSale.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', 'refundAmount'] })]);
    expect((await request(s, { type: 'REFUND_ONLY', lines: [{ orderLineId: lineIds[0], quantity: 1 }], refundAmount: '50.00' })).refundAmount.amountMinor).toBe(5_000);
  });
});

describe('timeouts, by moving the clock', () => {
  it('approves a request the merchant left unanswered for AFTER_SALE_RESPONSE_HOURS, once', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type: 'RETURN_AND_REFUND', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    clock.advance(47 * HOUR);
    await runTask('after-sale-auto-approve');
    expect((await readCase(c.id, buyer(s))).status).toBe('REQUESTED');
    clock.advance(HOUR);
    await runTask('after-sale-auto-approve');
    const approved = await readCase(c.id, buyer(s));
    expect(approved).toMatchObject({ status: 'AWAITING_RETURN', awaiting: 'BUYER' });
    expect(approved.events.at(-1)).toMatchObject({ type: 'APPROVED', actor: 'PLATFORM' });
    expect(await runTask('after-sale-auto-approve')).toBe('done: 0');
  });

  it('closes a return the buyer never shipped within RETURN_SHIP_DAYS as WITHDRAWN, freeing the line for a new case', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type: 'EXCHANGE', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'APPROVE' }, merchant(s));
    clock.advance(7 * DAY);
    await runTask('after-sale-auto-close');
    expect(await readCase(c.id, buyer(s))).toMatchObject({ status: 'CLOSED', outcome: 'WITHDRAWN' });
    expect(await runTask('after-sale-auto-close')).toBe('done: 0');
  });

  it('receives for the merchant a return shipped RETURN_RECEIVE_DAYS ago, without restocking, and refunds it', async () => {
    const { s, lineIds } = await ordered('delivered', 1, 6_000);
    const before = await stockOf(t, s.variantKeys[0]);
    const c = await request(s, { type: 'RETURN_AND_REFUND', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'APPROVE' }, merchant(s));
    await act(SHIP_BACK, 'submitReturnShipment', { caseId: c.id, carrier: 'ZTO', trackingNumber: 'ZT9999' }, buyer(s));
    clock.advance(10 * DAY);
    expect(await runTask('after-sale-auto-receive')).toMatch(/^done: [1-9]/);
    expect(await runTask('after-sale-auto-receive')).toBe('done: 0');
    const received = await readCase(c.id, buyer(s));
    expect(received).toMatchObject({ status: 'REFUNDING', restocked: false, refund: { amount: { amountMinor: 6_000 } } });
    expect(await stockOf(t, s.variantKeys[0])).toEqual(before);
  });

  it('refuses a person’s step the timer has taken over: escalating after ESCALATION_DAYS, shipping the return after RETURN_SHIP_DAYS, rejecting after the response time', async () => {
    const late = async (query: string, name: string, input: Record<string, unknown>, who: { token: string }) =>
      (await t.gql(query, { input }, who)).data![name].errors.map((e: { code: string }) => e.code);
    const { s } = await ordered('delivered', 1);
    const more = await scenario(t).shop(s.shop).product({ variants: [{ stock: 20 }, { stock: 20 }, { stock: 20 }] }).buyer(s.buyer).inCart(1).inCart(1, 1).inCart(1, 2).checkout().paid().shipped().delivered().run();
    const lineIds = (await orderOf(more)).lines.map((l: { id: string }) => l.id);
    const ask = (type: string, line: string) => request(more, { type, lines: [{ orderLineId: line, quantity: 1 }] });
    const [rejected, approved, silent] = [await ask('REFUND_ONLY', lineIds[0]), await ask('RETURN_AND_REFUND', lineIds[1]), await ask('REFUND_ONLY', lineIds[2])];
    await act(RESPOND, 'respondAfterSale', { caseId: rejected.id, decision: 'REJECT', reason: 'Not a defect' }, merchant(s));
    await act(RESPOND, 'respondAfterSale', { caseId: approved.id, decision: 'APPROVE' }, merchant(s));
    clock.advance(7 * DAY);
    // Not offered any more, and refused.
    expect((await readCase(rejected.id, buyer(s))).nextActions).toEqual(['WITHDRAW', 'ADD_MESSAGE']);
    expect(await late(ESCALATE, 'escalateAfterSale', { caseId: rejected.id, reason: 'Too late now' }, buyer(s))).toEqual(['INVALID_TRANSITION']);
    expect(await late(SHIP_BACK, 'submitReturnShipment', { caseId: approved.id, carrier: 'SF', trackingNumber: 'SF6161' }, buyer(s))).toEqual(['INVALID_TRANSITION']);
    expect(await late(RESPOND, 'respondAfterSale', { caseId: silent.id, decision: 'REJECT', reason: 'Too late to reject' }, merchant(s))).toEqual(['INVALID_TRANSITION']);
    expect([(await readCase(rejected.id, buyer(s))).status, (await readCase(approved.id, buyer(s))).status, (await readCase(silent.id, buyer(s))).status]).toEqual([
      'REJECTED',
      'AWAITING_RETURN',
      'REQUESTED',
    ]);
    // What the timers do instead.
    await runTask('after-sale-auto-close');
    await runTask('after-sale-auto-approve');
    expect([(await readCase(rejected.id, buyer(s))).outcome, (await readCase(approved.id, buyer(s))).outcome, (await readCase(silent.id, buyer(s))).status]).toEqual([
      'REJECTED',
      'WITHDRAWN',
      'REFUNDING',
    ]);
  });

  it('closes a rejection not escalated within ESCALATION_DAYS as REJECTED', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type: 'REFUND_ONLY', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    const rejected = await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'REJECT', reason: 'Photos show normal wear' }, merchant(s));
    expect(rejected).toMatchObject({ status: 'REJECTED', awaiting: 'BUYER' });
    clock.advance(7 * DAY);
    await runTask('after-sale-auto-close');
    expect(await readCase(c.id, buyer(s))).toMatchObject({ status: 'CLOSED', outcome: 'REJECTED' });
  });
});

describe('arbitration', () => {
  async function escalated(): Promise<{ s: Scenario; c: any }> {
    const { s, lineIds } = await ordered('delivered', 2, 5_000);
    const c = await request(s, { type: 'REFUND_ONLY', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'REJECT', reason: 'Not a defect' }, merchant(s));
    const e = await act(ESCALATE, 'escalateAfterSale', { caseId: c.id, reason: 'It is a defect, see photos' }, buyer(s));
    expect(e).toMatchObject({ status: 'ARBITRATION', awaiting: 'PLATFORM' });
    return { s, c };
  }

  it('queues escalated cases oldest first for customer service staff', async () => {
    const first = await escalated();
    clock.advance(HOUR);
    const second = await escalated();
    const queue = (await t.gql(QUEUE, {}, cs)).data!.arbitrationQueue.nodes.map((n: { id: string }) => n.id);
    expect(queue.indexOf(first.c.id)).toBeLessThan(queue.indexOf(second.c.id));
  });

  it('binds a ruling for the buyer: a refund of the amount staff set, recorded and audited', async () => {
    const { s, c } = await escalated();
    const ruled = await act(ARBITRATE, 'arbitrateAfterSale', { caseId: c.id, ruling: 'FOR_BUYER', refundAmount: '30.00', note: 'Defect visible in photo 2' }, cs);
    expect(ruled).toMatchObject({ status: 'REFUNDING', ruling: 'FOR_BUYER', refundAmount: { amountMinor: 3_000 }, refund: { amount: { amountMinor: 3_000 } } });
    expect(ruled.events.at(-1)).toMatchObject({ type: 'RULED', actor: 'PLATFORM', note: 'FOR_BUYER: Defect visible in photo 2' });
    const audit = await t.sql("select action from audit_entry where target_type = 'AfterSaleCase' and target_id = ?", [keyOf(c.id)]);
    expect(audit).toEqual([{ action: 'afterSale.arbitrate' }]);
    expect((await t.gql(QUEUE, {}, cs)).data!.arbitrationQueue.nodes.map((n: { id: string }) => n.id)).not.toContain(c.id);
    await runTask('send-refunds');
    expect(await readCase(c.id, buyer(s))).toMatchObject({ status: 'CLOSED', outcome: 'REFUNDED' });
  });

  it('binds a ruling for the merchant: the case closes REJECTED and nothing is refunded', async () => {
    const { s, c } = await escalated();
    const ruled = await act(ARBITRATE, 'arbitrateAfterSale', { caseId: c.id, ruling: 'FOR_MERCHANT', note: 'Normal wear' }, cs);
    expect(ruled).toMatchObject({ status: 'CLOSED', outcome: 'REJECTED', ruling: 'FOR_MERCHANT', refund: null });
    expect((await orderOf(s)).refunds).toEqual([]);
  });

  it('lets the merchant escalate a return the buyer shipped but that never arrived', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type: 'RETURN_AND_REFUND', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'APPROVE' }, merchant(s));
    await act(SHIP_BACK, 'submitReturnShipment', { caseId: c.id, carrier: 'SF', trackingNumber: 'SF0001' }, buyer(s));
    const e = await act(ESCALATE, 'escalateAfterSale', { caseId: c.id, reason: 'Parcel arrived empty' }, merchant(s));
    expect(e.status).toBe('ARBITRATION');
    expect(e.events.at(-1)).toMatchObject({ type: 'ESCALATED', actor: 'MERCHANT' });
  });
});

describe('what an open case holds', () => {
  it('holds the order’s completion until the case closes, and then its settlement', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type: 'EXCHANGE', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    clock.advance(8 * DAY);
    await runTask('complete-orders');
    expect((await orderOf(s)).status).toBe('DELIVERED');
    // The merchant approved nothing in 48 h: approved; the buyer did not ship within 7 days: closed.
    await runTask('after-sale-auto-approve');
    clock.advance(7 * DAY);
    await runTask('after-sale-auto-close');
    expect((await readCase(c.id, buyer(s))).status).toBe('CLOSED');
    await runTask('complete-orders');
    expect((await orderOf(s)).status).toBe('COMPLETED');
  });

  it('keeps the entries of an order with an open case out of settlement', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    await t.sql("update orders set status = 'COMPLETED', completed_at = ? where id = ?", [clock.now(), s.order.key]);
    const c = await request(s, { type: 'REPAIR', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    clock.advance(60_000);
    await runTask('close-settlements');
    const held = await t.sql('select count(*)::int as n from ledger_entry where order_id = ? and settlement_id is not null', [s.order.key]);
    expect(held).toEqual([{ n: 0 }]);
    await t.gql(`mutation($input: IdInput!) { withdrawAfterSale(input: $input) { errors { code } } }`, { input: { id: c.id } }, buyer(s));
    clock.advance(60_000);
    await runTask('close-settlements');
    const settled = await t.sql('select count(*)::int as n from ledger_entry where order_id = ? and settlement_id is not null', [s.order.key]);
    expect(settled[0].n).toBeGreaterThan(0);
  });

  it('refuses to cancel or ship an order with an open case (CASE_ALREADY_OPEN), and changes nothing', async () => {
    const { s, lineIds } = await ordered('paid', 2);
    await request(s, { type: 'REFUND_ONLY', lines: [{ orderLineId: lineIds[0], quantity: 2 }] });
    const res = await t.gql(CANCEL, { input: { orderId: s.order.id, reason: 'Changed my mind' } }, buyer(s));
    expect(res.data!.cancelOrder.errors).toEqual([{ code: 'CASE_ALREADY_OPEN' }]);
    const SHIP = `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { status } errors { code } } }`;
    const shipped = await t.gql(SHIP, { input: { orderId: s.order.id, carrier: 'SF', trackingNumber: 'SF7171' } }, { token: s.shop.owner.token });
    expect(shipped.data!.shipOrder.errors).toEqual([{ code: 'CASE_ALREADY_OPEN' }]);
    expect((await orderOf(s)).status).toBe('PAID');
  });
});

describe('the stock ledger', () => {
  it('still sums to every variant’s stock after the returns restocked and the replacements sent above', async () => {
    const moved = await t.sql("select count(*)::int as n from stock_movement where reason in ('RETURN', 'EXCHANGE')");
    expect(moved[0].n).toBeGreaterThanOrEqual(2);
    const unrecorded = await t.sql(
      `select v.id from product_variant v
       left join lateral (select coalesce(sum(m.delta_on_hand), 0)::int as on_hand, coalesce(sum(m.delta_reserved), 0)::int as reserved
                          from stock_movement m where m.variant_id = v.id) l on true
       where v.on_hand <> l.on_hand or v.reserved <> l.reserved`,
    );
    expect(unrecorded).toEqual([]);
  });
});

describe('an order’s cases', () => {
  it('lists an order’s cases for its buyer and shop, in a fixed number of queries, and refuses other order staff', async () => {
    const { s, lineIds } = await ordered('delivered', 2);
    await request(s, { type: 'REPAIR', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    const QUERY = `query($id: ID!) { order(id: $id) { afterSaleCases { number type status lines { quantity orderLine { productTitle } } } } }`;
    const seen = await t.countQueries(QUERY, { id: s.order.id }, buyer(s));
    expect(seen.result.data!.order.afterSaleCases).toEqual([expect.objectContaining({ type: 'REPAIR', status: 'REQUESTED', lines: [expect.objectContaining({ quantity: 1 })] })]);
    expect((await t.gql(QUERY, { id: s.order.id }, { token: s.shop.members[ShopMemberRole.OPERATOR]!.token })).data!.order.afterSaleCases).toHaveLength(1);
    const ops = await staff(t, StaffRole.OPERATIONS);
    const refused = await t.gql(QUERY, { id: s.order.id }, ops);
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const MY = `{ myOrders(first: 50) { nodes { afterSaleCases { status lines { orderLine { sku } } } } } }`;
    const page = await t.countQueries(MY, {}, buyer(s));
    expect(page.result.errors).toBeUndefined();
    // session, orders, count, cases, case lines, order lines — however many orders and cases.
    expect(page.queries).toBeLessThanOrEqual(seen.queries + 3);
  });
});

describe('concurrency', () => {
  it('never refunds more than was paid when cases on different lines race', async () => {
    const s = await scenario(t)
      .shop({ members: [ShopMemberRole.CUSTOMER_SERVICE] })
      .product({ variants: [{ price: 5_000, stock: 20 }, { price: 5_000, stock: 20 }, { price: 5_000, stock: 20 }] })
      .buyer().inCart(1).inCart(1, 1).inCart(1, 2).checkout().paid().shipped().delivered().run();
    const order = await orderOf(s);
    // A ruling refunds the first line and more (staff may go past the units' value): 60.00 is left.
    const first = await request(s, { type: 'REFUND_ONLY', lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] });
    await act(RESPOND, 'respondAfterSale', { caseId: first.id, decision: 'REJECT', reason: 'Works fine' }, merchant(s));
    await act(ESCALATE, 'escalateAfterSale', { caseId: first.id, reason: 'It does not' }, buyer(s));
    const ruled = ((order.total.amountMinor - 6_000) / 100).toFixed(2);
    await act(ARBITRATE, 'arbitrateAfterSale', { caseId: first.id, ruling: 'FOR_BUYER', refundAmount: ruled, note: 'Compensation for the trouble' }, cs);
    // Two cases at once, 50.00 each: only one fits in what is left.
    const results = await Promise.all(
      order.lines.slice(1).map((l: { id: string }) =>
        t.gql(REQUEST, { input: { orderId: s.order.id, type: 'REFUND_ONLY', reason: 'Broken', lines: [{ orderLineId: l.id, quantity: 1 }], refundAmount: '50.00' } }, buyer(s)),
      ),
    );
    expect(results.map((r) => outcomeOf(r, 'requestAfterSale')).sort()).toEqual(['OK', 'REFUND_EXCEEDS_PAID']);
  });

  it('lets a ruling for the merchant stand: the same units take no new case', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type: 'REFUND_ONLY', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    await act(RESPOND, 'respondAfterSale', { caseId: c.id, decision: 'REJECT', reason: 'Works fine' }, merchant(s));
    await act(ESCALATE, 'escalateAfterSale', { caseId: c.id, reason: 'It does not' }, buyer(s));
    await act(ARBITRATE, 'arbitrateAfterSale', { caseId: c.id, ruling: 'FOR_MERCHANT', note: 'Tested: it works' }, cs);
    const again = await t.gql(REQUEST, { input: { orderId: s.order.id, type: 'REFUND_ONLY', reason: 'Still broken', lines: [{ orderLineId: lineIds[0], quantity: 1 }] } }, buyer(s));
    expect(again.data!.requestAfterSale.errors.map((e: { code: string }) => e.code)).toEqual(['QUANTITY_EXCEEDED']);
  });

  it('resolves a buyer withdrawing and the merchant approving at once to one outcome', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type: 'REFUND_ONLY', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    const [withdraw, approve] = await Promise.all([
      t.gql(`mutation($input: IdInput!) { withdrawAfterSale(input: $input) { ${PAYLOAD} } }`, { input: { id: c.id } }, buyer(s)),
      t.gql(RESPOND, { input: { caseId: c.id, decision: 'APPROVE' } }, merchant(s)),
    ]);
    const outcomes = [outcomeOf(withdraw, 'withdrawAfterSale'), outcomeOf(approve, 'respondAfterSale')].sort();
    expect(outcomes).toEqual(['INVALID_TRANSITION', 'OK']);
    const final = await readCase(c.id, buyer(s));
    const refunds = (await orderOf(s)).refunds;
    // Either withdrawn with no refund, or approved with exactly one.
    expect(final.status === 'CLOSED' ? refunds.length === 0 : refunds.length === 1).toBe(true);
  });

  it('keeps the thread typed by party and in order', async () => {
    const { s, lineIds } = await ordered('delivered', 1);
    const c = await request(s, { type: 'REPAIR', lines: [{ orderLineId: lineIds[0], quantity: 1 }] });
    await act(MESSAGE, 'addAfterSaleMessage', { caseId: c.id, body: '請問多久修好？' }, buyer(s));
    await act(MESSAGE, 'addAfterSaleMessage', { caseId: c.id, body: '約 5 個工作日', attachmentUrls: ['https://img.example.com/a.png'] }, merchant(s));
    const withStaff = await act(MESSAGE, 'addAfterSaleMessage', { caseId: c.id, body: 'Platform here: noted.' }, cs);
    expect(withStaff.messages.map((m: { role: string; body: string }) => [m.role, m.body])).toEqual([
      ['BUYER', '請問多久修好？'],
      ['MERCHANT', '約 5 個工作日'],
      ['PLATFORM', 'Platform here: noted.'],
    ]);
  });
});
