import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { type Scenario, type ScenarioShop, scenario } from '../helpers/scenario';

/**
 * Customer-service tickets: a buyer opens one about an order, product, shop or nothing; the shop's
 * OWNER and CUSTOMER_SERVICE members and customer service staff answer; staff assign and resolve;
 * the requester rates it once, which closes it. Who sees and does what; the first-response timer,
 * `ticket-sla` and the service figures, with the business clock moved by hand.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
const clock = new ManualClock(new Date('2031-05-05T02:00:00.000Z'));

const TICKET_FIELDS = `id number kind subject status requester { id } order { id } shop { id } product { id } assignee { id }
  messages { author { id } role kind body attachmentUrls at }
  firstResponseDueAt firstRespondedAt overdue slaBreachedAt resolution resolvedAt satisfaction { score comment at } createdAt closedAt`;
const OPEN = `mutation($input: OpenTicketInput!) { openTicket(input: $input) { ticket { ${TICKET_FIELDS} } errors { code field message } } }`;
const REPLY = `mutation($input: TicketReplyInput!) { replyToTicket(input: $input) { ticket { ${TICKET_FIELDS} } errors { code field message } } }`;
const ASSIGN = `mutation($input: AssignTicketInput!) { assignTicket(input: $input) { ticket { ${TICKET_FIELDS} } errors { code field message } } }`;
const RESOLVE = `mutation($input: ResolveTicketInput!) { resolveTicket(input: $input) { ticket { ${TICKET_FIELDS} } errors { code field message } } }`;
const RATE = `mutation($input: RateTicketInput!) { rateTicket(input: $input) { ticket { ${TICKET_FIELDS} } errors { code field message } } }`;
const TICKET = `query($id: ID!) { ticket(id: $id) { ${TICKET_FIELDS} } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on Ticket { status subject } } }`;
const MY_TICKETS = `query($first: Int, $after: String) { myTickets(first: $first, after: $after) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } }`;
const TICKETS = `query($filter: TicketFilter, $first: Int, $after: String) { tickets(filter: $filter, first: $first, after: $after) { totalCount nodes { id status overdue } pageInfo { hasNextPage endCursor } } }`;
const METRICS = `query($from: DateTime!, $to: DateTime!) { serviceMetrics(from: $from, to: $to) {
  from to firstResponseTargetHours ticketsOpened ticketsResponded ticketsResolved firstResponseP50Seconds firstResponseP90Seconds slaBreaches satisfactionAverage satisfactionCount } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let admin: { token: string; user: { id: string } };
let agent: { token: string; user: { id: string } };
let agent2: { token: string; user: { id: string } };
/** A buyer's paid order in shop A (with CUSTOMER_SERVICE and MANAGER members besides the OWNER). */
let purchase: Scenario;
let shopA: ScenarioShop;
/** Another shop, with a CUSTOMER_SERVICE member. */
let shopB: ScenarioShop;
let buyer: { token: string; userId: string };

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  agent = await staff(t, StaffRole.CUSTOMER_SERVICE);
  agent2 = await staff(t, StaffRole.CUSTOMER_SERVICE);
  purchase = await scenario(t).shop({ members: [ShopMemberRole.CUSTOMER_SERVICE, ShopMemberRole.MANAGER] }).product().buyer().inCart(1).paid().run();
  shopA = purchase.shop;
  buyer = { token: purchase.buyer.token, userId: purchase.buyer.user.id };
  shopB = (await scenario(t).shop({ members: [ShopMemberRole.CUSTOMER_SERVICE] }).run()).shop;
});
afterAll(() => t.close());

const complaint = (overrides: Record<string, unknown> = {}) => ({
  kind: 'COMPLAINT_ABOUT_DELIVERY',
  subject: '快遞三天沒有更新',
  body: 'The parcel has not moved for three days.\n包裹三天沒有動靜。',
  orderId: purchase.order.id,
  ...overrides,
});

const open = (input: Record<string, unknown>, token = buyer.token) => t.gql(OPEN, { input }, { token });
const opened = async (input: Record<string, unknown> = complaint(), token = buyer.token) => okPayload(await open(input, token), 'openTicket', 'ticket');
const reply = (ticketId: string, token: string, extra: Record<string, unknown> = {}) => t.gql(REPLY, { input: { ticketId, body: 'Noted, we are checking with the carrier.', ...extra } }, { token });
const replied = async (ticketId: string, token: string, extra: Record<string, unknown> = {}) => okPayload(await reply(ticketId, token, extra), 'replyToTicket', 'ticket');
const resolve = (ticketId: string, token = agent.token, resolution = 'The carrier found the parcel and delivered it.') => t.gql(RESOLVE, { input: { ticketId, resolution } }, { token });
const resolved = async (ticketId: string, token = agent.token) => okPayload(await resolve(ticketId, token), 'resolveTicket', 'ticket');
const rate = (ticketId: string, score: number, token = buyer.token, comment?: string) => t.gql(RATE, { input: { ticketId, score, comment } }, { token });
const assign = (ticketId: string, assigneeId: string, token = agent.token) => t.gql(ASSIGN, { input: { ticketId, assigneeId } }, { token });
const ticketAs = async (id: string, token?: string) => (await t.gql(TICKET, { id }, { token })).data!.ticket;
const ticketRows = (id: string) => t.sql('select status, first_responded_at, sla_breached_at, satisfaction_score, shop_id::text from ticket where id = ?', [keyOf(id)]);
const runTask = async (name: string): Promise<string> => okPayload(await t.gql(RUN, { input: { name } }, { token: admin.token }), 'runScheduledTask').task.lastResult;

describe('openTicket', () => {
  it('opens a complaint about an order: OPEN, naming the order’s shop, its body the first message, the first response due in 24 hours', async () => {
    const now = clock.now();
    const ticket = await opened(complaint({ attachmentUrls: ['https://img.example.com/parcel.jpg'] }));
    expect(ticket).toMatchObject({
      kind: 'COMPLAINT_ABOUT_DELIVERY',
      subject: '快遞三天沒有更新',
      status: 'OPEN',
      requester: { id: idOf('User', buyer.userId) },
      order: { id: purchase.order.id },
      shop: { id: shopA.shopId },
      product: null,
      assignee: null,
      firstResponseDueAt: new Date(now.getTime() + 24 * HOUR).toISOString(),
      firstRespondedAt: null,
      overdue: false,
      slaBreachedAt: null,
      resolution: null,
      satisfaction: null,
      createdAt: now.toISOString(),
    });
    expect(ticket.number).toMatch(/^T20310505\d{6,}$/);
    expect(ticket.messages).toEqual([
      { author: { id: idOf('User', buyer.userId) }, role: 'REQUESTER', kind: 'OPENING', body: complaint().body, attachmentUrls: ['https://img.example.com/parcel.jpg'], at: now.toISOString() },
    ]);
    expect((await ticketRows(ticket.id))[0].shop_id).toBe(shopA.shop.id);
  });

  it('opens a question naming nothing, and a product complaint naming the product’s shop through the product', async () => {
    const question = await opened({ kind: 'QUESTION', subject: 'Do you ship to Macau?', body: '請問可以寄到澳門嗎？' });
    expect(question).toMatchObject({ status: 'OPEN', order: null, shop: null, product: null });
    const aboutProduct = await opened({ kind: 'COMPLAINT_ABOUT_PRODUCT', subject: 'Earphones stopped charging', body: 'After two days.', productId: purchase.product.id });
    expect(aboutProduct).toMatchObject({ product: { id: purchase.product.id }, shop: { id: shopA.shopId } });
    const aboutShop = await opened({ kind: 'COMPLAINT_ABOUT_SHOP', subject: 'Rude answers', body: 'The shop was rude.', shopId: shopB.shopId });
    expect(aboutShop.shop).toEqual({ id: shopB.shopId });
    // Ticket numbers are unique and increasing.
    expect(new Set([question.number, aboutProduct.number, aboutShop.number]).size).toBe(3);
  });

  it('answers NOT_FOUND for another buyer’s order, an unknown product or shop, and an ID of another type; nothing is stored', async () => {
    const before = await t.sql('select count(*)::int as n from ticket');
    const stranger = await userWithToken(t);
    expect(code(await open(complaint(), stranger.token))).toBe('NOT_FOUND');
    expect(code(await open({ kind: 'COMPLAINT_ABOUT_PRODUCT', subject: 'Broken', body: 'Broken.', productId: idOf('Product', '987654321') }))).toBe('NOT_FOUND');
    expect(code(await open({ kind: 'COMPLAINT_ABOUT_SHOP', subject: 'Rude', body: 'Rude.', shopId: idOf('Shop', '987654321') }))).toBe('NOT_FOUND');
    expect(code(await open(complaint({ orderId: shopA.shopId })))).toBe('NOT_FOUND');
    expect(await t.sql('select count(*)::int as n from ticket')).toEqual(before);
  });

  it('names only products and shops the requester may see or bought from: a draft or an onboarding shop is NOT_FOUND, a delisted product they bought is not', async () => {
    const other = await scenario(t).shop().product({ listed: false }).run();
    const draft = other.product.id;
    expect(code(await open({ kind: 'COMPLAINT_ABOUT_PRODUCT', subject: 'Curious', body: 'What is this?', productId: draft }))).toBe('NOT_FOUND');
    const onboarding = (await scenario(t).shop({ status: 'ONBOARDING' }).run()).shop;
    expect(code(await open({ kind: 'COMPLAINT_ABOUT_SHOP', subject: 'Curious', body: 'Who are you?', shopId: onboarding.shopId }))).toBe('NOT_FOUND');

    const delist = await t.gql(`mutation($input: IdInput!) { delistProduct(input: $input) { errors { code } } }`, { input: { id: purchase.product.id } }, { token: shopA.owner.token });
    expect(delist.data!.delistProduct.errors).toEqual([]);
    try {
      expect(code(await open({ kind: 'COMPLAINT_ABOUT_PRODUCT', subject: 'Broken', body: 'Broken.', productId: purchase.product.id }, (await userWithToken(t)).token))).toBe('NOT_FOUND');
      const mine = await opened({ kind: 'COMPLAINT_ABOUT_PRODUCT', subject: 'Broken after a week', body: 'It broke.', productId: purchase.product.id });
      expect(mine).toMatchObject({ product: { id: purchase.product.id }, shop: { id: shopA.shopId } });
    } finally {
      const relist = await t.gql(`mutation($input: IdInput!) { relistProduct(input: $input) { errors { code } } }`, { input: { id: purchase.product.id } }, { token: shopA.owner.token });
      expect(relist.data!.relistProduct.errors).toEqual([]);
    }
  });

  it('reports every invalid field as INVALID_INPUT naming it, and stores nothing', async () => {
    const before = await t.sql('select count(*)::int as n from ticket');
    const bad = await open(complaint({ subject: 'ab', body: ' ', attachmentUrls: ['ftp://files.example.com/a.jpg', 'https://ok.example.com/b.jpg'] }));
    expect(failuresOf(bad, 'openTicket', 'ticket')).toEqual([
      ['INVALID_INPUT', 'input.subject'],
      ['INVALID_INPUT', 'input.body'],
      ['INVALID_INPUT', 'input.attachmentUrls.0'],
    ]);
    const long = await open(complaint({ subject: '長'.repeat(121), body: 'x'.repeat(5001), attachmentUrls: Array.from({ length: 10 }, (_, i) => `https://img.example.com/${i}.jpg`) }));
    expect(failuresOf(long, 'openTicket', 'ticket')).toEqual([
      ['INVALID_INPUT', 'input.subject'],
      ['INVALID_INPUT', 'input.body'],
      ['INVALID_INPUT', 'input.attachmentUrls'],
    ]);
    // The bounds themselves pass: 120 and 5,000 characters, 9 attachments.
    okPayload(await open(complaint({ subject: '長'.repeat(120), body: 'x'.repeat(5000), attachmentUrls: Array.from({ length: 9 }, (_, i) => `https://img.example.com/${i}.jpg`) })), 'openTicket', 'ticket');

    expect(failuresOf(await open({ kind: 'COMPLAINT_ABOUT_PRODUCT', subject: 'Broken', body: 'Broken.' }), 'openTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.productId']]);
    expect(failuresOf(await open({ kind: 'COMPLAINT_ABOUT_DELIVERY', subject: 'Late', body: 'Late.' }), 'openTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.orderId']]);
    expect(failuresOf(await open({ kind: 'COMPLAINT_ABOUT_SHOP', subject: 'Rude', body: 'Rude.' }), 'openTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.shopId']]);
    // The order names shop A: another shop besides it is a contradiction.
    expect(failuresOf(await open(complaint({ shopId: shopB.shopId })), 'openTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.shopId']]);
    expect(await t.sql('select count(*)::int - 1 as n from ticket')).toEqual(before);
  });

  it('is UNAUTHENTICATED without a token', async () => {
    expect(code(await t.gql(OPEN, { input: { kind: 'QUESTION', subject: 'Hello there', body: 'Hi' } }))).toBe('UNAUTHENTICATED');
  });
});

describe('replyToTicket', () => {
  it('lets the shop’s CUSTOMER_SERVICE member answer first (IN_PROGRESS, first response stamped once), then staff, each a typed message', async () => {
    const ticket = await opened();
    clock.advance(2 * HOUR);
    const answeredAt = clock.now().toISOString();
    const byShop = await replied(ticket.id, shopA.members.CUSTOMER_SERVICE!.token);
    expect(byShop).toMatchObject({ status: 'IN_PROGRESS', firstRespondedAt: answeredAt, overdue: false });
    clock.advance(HOUR);
    const byStaff = await replied(ticket.id, agent.token, { body: 'Customer service here: the carrier confirms a delay.', attachmentUrls: ['https://cs.example.com/proof.png'] });
    expect(byStaff).toMatchObject({ status: 'IN_PROGRESS', firstRespondedAt: answeredAt });
    expect(byStaff.messages.map((m: { role: string; kind: string; author: { id: string } }) => [m.role, m.kind, m.author.id])).toEqual([
      ['REQUESTER', 'OPENING', idOf('User', buyer.userId)],
      ['SHOP', 'REPLY', idOf('User', shopA.members.CUSTOMER_SERVICE!.user.id)],
      ['STAFF', 'REPLY', idOf('User', agent.user.id)],
    ]);
    expect(byStaff.messages[2]).toMatchObject({ attachmentUrls: ['https://cs.example.com/proof.png'], at: clock.now().toISOString() });
  });

  it('keeps an OPEN ticket OPEN and unanswered when only the requester writes', async () => {
    const ticket = await opened();
    const again = await replied(ticket.id, buyer.token, { body: 'Any news?' });
    expect(again).toMatchObject({ status: 'OPEN', firstRespondedAt: null });
    expect(again.messages.map((m: { role: string }) => m.role)).toEqual(['REQUESTER', 'REQUESTER']);
  });

  it('waits on the customer when the shop owner asks something, until the requester answers (IN_PROGRESS)', async () => {
    const ticket = await opened();
    expect(await replied(ticket.id, shopA.owner.token, { body: 'Please send a photo of the label.', waitingOnCustomer: true })).toMatchObject({ status: 'WAITING_ON_CUSTOMER' });
    expect(failuresOf(await reply(ticket.id, buyer.token, { waitingOnCustomer: true }), 'replyToTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.waitingOnCustomer']]);
    expect(await replied(ticket.id, buyer.token, { body: 'Here it is.', attachmentUrls: ['https://img.example.com/label.jpg'] })).toMatchObject({ status: 'IN_PROGRESS' });
  });

  it('reopens a resolved ticket on the requester’s reply (the resolution stays in the messages), and takes no reply once CLOSED', async () => {
    const ticket = await opened();
    await resolved(ticket.id);
    // Only the requester writes to a RESOLVED ticket.
    expect(failuresOf(await reply(ticket.id, agent.token), 'replyToTicket', 'ticket')).toEqual([['INVALID_TRANSITION', '']]);
    const reopened = await replied(ticket.id, buyer.token, { body: 'It never arrived, actually.' });
    expect(reopened).toMatchObject({ status: 'IN_PROGRESS', resolution: null, resolvedAt: null });
    expect(reopened.messages.map((m: { kind: string }) => m.kind)).toEqual(['OPENING', 'RESOLUTION', 'REPLY']);

    await resolved(ticket.id);
    okPayload(await rate(ticket.id, 4), 'rateTicket', 'ticket');
    for (const token of [buyer.token, agent.token, shopA.owner.token]) {
      expect(failuresOf(await reply(ticket.id, token), 'replyToTicket', 'ticket')).toEqual([['INVALID_TRANSITION', '']]);
    }
    expect((await ticketAs(ticket.id, buyer.token)).messages).toHaveLength(4);
  });

  it('validates the reply: INVALID_INPUT for an empty or 5,001-character body and a non-http attachment', async () => {
    const ticket = await opened();
    expect(failuresOf(await reply(ticket.id, buyer.token, { body: '' }), 'replyToTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.body']]);
    expect(failuresOf(await reply(ticket.id, buyer.token, { body: 'x'.repeat(5001), attachmentUrls: ['javascript:alert(1)'] }), 'replyToTicket', 'ticket')).toEqual([
      ['INVALID_INPUT', 'input.body'],
      ['INVALID_INPUT', 'input.attachmentUrls.0'],
    ]);
    expect((await ticketAs(ticket.id, buyer.token)).messages).toHaveLength(1);
  });

  it('stamps one first response when the shop and staff answer at the same moment', async () => {
    const ticket = await opened();
    const results = await Promise.all([reply(ticket.id, agent.token), reply(ticket.id, shopA.members.CUSTOMER_SERVICE!.token), reply(ticket.id, agent2.token)]);
    expect(results.map((r) => outcomeOf(r, 'replyToTicket'))).toEqual(['OK', 'OK', 'OK']);
    const [row] = await ticketRows(ticket.id);
    expect(row.status).toBe('IN_PROGRESS');
    expect((await ticketAs(ticket.id, buyer.token)).messages).toHaveLength(4);
  });
});

describe('who sees a ticket', () => {
  it('shows it to its requester, staff CUSTOMER_SERVICE, ADMIN and the shop’s OWNER and CUSTOMER_SERVICE members; null to anyone else', async () => {
    const ticket = await opened();
    const sees = [
      ['requester', buyer.token],
      ['staff CUSTOMER_SERVICE', agent.token],
      ['ADMIN', admin.token],
      ['shop OWNER', shopA.owner.token],
      ['shop CUSTOMER_SERVICE', shopA.members.CUSTOMER_SERVICE!.token],
    ];
    for (const [who, token] of sees) {
      expect([who, (await ticketAs(ticket.id, token))?.id]).toEqual([who, ticket.id]);
      expect([who, (await t.gql(NODE, { id: ticket.id }, { token })).data!.node?.id]).toEqual([who, ticket.id]);
    }
    const hidden = [
      ['another shopper', (await userWithToken(t)).token],
      ['the shop’s MANAGER', shopA.members.MANAGER!.token],
      ['another shop’s CUSTOMER_SERVICE', shopB.members.CUSTOMER_SERVICE!.token],
      ['another shop’s OWNER', shopB.owner.token],
      ['staff OPERATIONS', (await staff(t, StaffRole.OPERATIONS)).token],
      ['staff FINANCE', (await staff(t, StaffRole.FINANCE)).token],
    ];
    for (const [who, token] of hidden) {
      expect([who, await ticketAs(ticket.id, token)]).toEqual([who, null]);
      expect([who, (await t.gql(NODE, { id: ticket.id }, { token })).data!.node]).toEqual([who, null]);
      expect([who, code(await reply(ticket.id, token))]).toEqual([who, 'NOT_FOUND']);
      expect([who, code(await rate(ticket.id, 5, token))]).toEqual([who, 'NOT_FOUND']);
    }
    expect(await ticketAs(ticket.id)).toBeNull();
    expect(code(await reply(ticket.id, ''))).toBe('UNAUTHENTICATED');
    expect(code(await reply(idOf('Ticket', '987654321'), agent.token))).toBe('NOT_FOUND');
    expect((await ticketAs(ticket.id, buyer.token)).messages).toHaveLength(1);
  });
});

describe('assignTicket', () => {
  it('assigns a ticket to a customer service agent, and another, audited', async () => {
    const ticket = await opened();
    expect(okPayload(await assign(ticket.id, idOf('User', agent2.user.id)), 'assignTicket', 'ticket')).toMatchObject({ status: 'OPEN', assignee: { id: idOf('User', agent2.user.id) } });
    // ADMIN passes every staff rule, and counts as an agent.
    expect(okPayload(await assign(ticket.id, idOf('User', admin.user.id), admin.token), 'assignTicket', 'ticket').assignee).toEqual({ id: idOf('User', admin.user.id) });
    const audit = await t.sql(`select action, actor_id::text, before, after from audit_entry where target_type = 'Ticket' and target_id = ? order by id`, [keyOf(ticket.id)]);
    expect(audit).toEqual([
      { action: 'ticket.assign', actor_id: agent.user.id, before: { assigneeId: null }, after: { assigneeId: agent2.user.id } },
      { action: 'ticket.assign', actor_id: admin.user.id, before: { assigneeId: agent2.user.id }, after: { assigneeId: admin.user.id } },
    ]);
  });

  it('refuses a user who is not customer service (INVALID_INPUT), an unknown user (USER_NOT_FOUND), a CLOSED ticket (INVALID_TRANSITION)', async () => {
    const ticket = await opened();
    const operations = await staff(t, StaffRole.OPERATIONS);
    expect(failuresOf(await assign(ticket.id, idOf('User', operations.user.id)), 'assignTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.assigneeId']]);
    expect(failuresOf(await assign(ticket.id, idOf('User', buyer.userId)), 'assignTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.assigneeId']]);
    expect(failuresOf(await assign(ticket.id, idOf('User', '987654321')), 'assignTicket', 'ticket')).toEqual([['USER_NOT_FOUND', 'input.assigneeId']]);
    await resolved(ticket.id);
    okPayload(await rate(ticket.id, 5), 'rateTicket', 'ticket');
    expect(failuresOf(await assign(ticket.id, idOf('User', agent.user.id)), 'assignTicket', 'ticket')).toEqual([['INVALID_TRANSITION', '']]);
    expect(code(await assign(idOf('Ticket', '987654321'), idOf('User', agent.user.id)))).toBe('NOT_FOUND');
    expect((await ticketAs(ticket.id, agent.token)).assignee).toBeNull();
  });
});

describe('resolveTicket', () => {
  it('resolves with a resolution kept as a RESOLUTION message, counting as the first response when nobody had answered; audited', async () => {
    const ticket = await opened();
    clock.advance(5 * HOUR);
    const done = await resolved(ticket.id);
    expect(done).toMatchObject({ status: 'RESOLVED', resolution: 'The carrier found the parcel and delivered it.', resolvedAt: clock.now().toISOString(), firstRespondedAt: clock.now().toISOString() });
    expect(done.messages.at(-1)).toMatchObject({ role: 'STAFF', kind: 'RESOLUTION', body: 'The carrier found the parcel and delivered it.', author: { id: idOf('User', agent.user.id) } });
    const [audit] = await t.sql(`select action, before, after from audit_entry where target_type = 'Ticket' and target_id = ?`, [keyOf(ticket.id)]);
    expect(audit).toEqual({ action: 'ticket.resolve', before: { status: 'OPEN' }, after: { status: 'RESOLVED' } });
  });

  it('refuses a resolved ticket (INVALID_TRANSITION) and a resolution under 3 or over 2,000 characters (INVALID_INPUT)', async () => {
    const ticket = await opened();
    expect(failuresOf(await resolve(ticket.id, agent.token, 'ok'), 'resolveTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.resolution']]);
    expect(failuresOf(await resolve(ticket.id, agent.token, 'x'.repeat(2001)), 'resolveTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.resolution']]);
    await resolved(ticket.id);
    expect(failuresOf(await resolve(ticket.id), 'resolveTicket', 'ticket')).toEqual([['INVALID_TRANSITION', '']]);
    expect(code(await resolve(idOf('Ticket', '987654321')))).toBe('NOT_FOUND');
  });

  it('keeps assignTicket and resolveTicket to staff CUSTOMER_SERVICE: FORBIDDEN to the requester, the shop, other staff and shoppers', async () => {
    const ticket = await opened();
    const callers: [string, string][] = [
      ['requester', buyer.token],
      ['shop OWNER', shopA.owner.token],
      ['shop CUSTOMER_SERVICE', shopA.members.CUSTOMER_SERVICE!.token],
      ...(await Promise.all([StaffRole.OPERATIONS, StaffRole.REVIEWER, StaffRole.RISK, StaffRole.FINANCE, StaffRole.ANALYST].map(async (role) => [`staff ${role}`, (await staff(t, role)).token] as [string, string]))),
      ['a shopper', (await userWithToken(t)).token],
    ];
    for (const [who, token] of callers) {
      expect([who, code(await resolve(ticket.id, token))]).toEqual([who, 'FORBIDDEN']);
      expect([who, code(await assign(ticket.id, idOf('User', agent.user.id), token))]).toEqual([who, 'FORBIDDEN']);
    }
    expect(code(await resolve(ticket.id, ''))).toBe('UNAUTHENTICATED');
    expect(await ticketRows(ticket.id)).toMatchObject([{ status: 'OPEN', first_responded_at: null }]);
  });
});

describe('rateTicket', () => {
  it('lets the requester rate a resolved ticket once: CLOSED with the score and comment', async () => {
    const ticket = await opened();
    await resolved(ticket.id);
    clock.advance(MINUTE);
    const rated = okPayload(await rate(ticket.id, 5, buyer.token, '很快就解決了，謝謝！'), 'rateTicket', 'ticket');
    expect(rated).toMatchObject({ status: 'CLOSED', closedAt: clock.now().toISOString(), satisfaction: { score: 5, comment: '很快就解決了，謝謝！', at: clock.now().toISOString() } });
    expect(failuresOf(await rate(ticket.id, 1), 'rateTicket', 'ticket')).toEqual([['INVALID_TRANSITION', '']]);
    expect((await ticketRows(ticket.id))[0].satisfaction_score).toBe(5);
  });

  it('rates once when two ratings race', async () => {
    const ticket = await opened();
    await resolved(ticket.id);
    const results = await Promise.all([rate(ticket.id, 2), rate(ticket.id, 5), rate(ticket.id, 4)]);
    expect(results.map((r) => outcomeOf(r, 'rateTicket')).sort()).toEqual(['INVALID_TRANSITION', 'INVALID_TRANSITION', 'OK']);
    expect((await ticketAs(ticket.id, buyer.token)).status).toBe('CLOSED');
  });

  it('refuses a ticket not yet resolved (INVALID_TRANSITION), a score outside 1..5 (INVALID_INPUT), and anyone but the requester (FORBIDDEN if they see it)', async () => {
    const ticket = await opened();
    expect(failuresOf(await rate(ticket.id, 5), 'rateTicket', 'ticket')).toEqual([['INVALID_TRANSITION', '']]);
    await resolved(ticket.id);
    for (const score of [0, 6]) expect(failuresOf(await rate(ticket.id, score), 'rateTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.score']]);
    expect(failuresOf(await rate(ticket.id, 3, buyer.token, 'x'.repeat(1001)), 'rateTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.comment']]);
    for (const token of [agent.token, admin.token, shopA.owner.token, shopA.members.CUSTOMER_SERVICE!.token]) {
      expect(code(await rate(ticket.id, 5, token))).toBe('FORBIDDEN');
    }
    expect((await ticketAs(ticket.id, buyer.token))).toMatchObject({ status: 'RESOLVED', satisfaction: null });
  });
});

describe('myTickets and tickets', () => {
  it('lists the viewer’s own tickets newest first, a page at a time', async () => {
    const me = await userWithToken(t);
    const first = await opened({ kind: 'FEEDBACK', subject: 'Love the app', body: '讚' }, me.token);
    clock.advance(MINUTE);
    const second = await opened({ kind: 'QUESTION', subject: 'Invoices?', body: 'Can I get a 發票?' }, me.token);
    const page1 = (await t.gql(MY_TICKETS, { first: 1 }, { token: me.token })).data!.myTickets;
    expect(page1).toMatchObject({ totalCount: 2, nodes: [{ id: second.id }], pageInfo: { hasNextPage: true } });
    const page2 = (await t.gql(MY_TICKETS, { first: 1, after: page1.pageInfo.endCursor }, { token: me.token })).data!.myTickets;
    expect(page2).toMatchObject({ nodes: [{ id: first.id }], pageInfo: { hasNextPage: false } });
    expect(code(await t.gql(MY_TICKETS, {}))).toBe('UNAUTHENTICATED');
  });

  it('lists every ticket to staff CUSTOMER_SERVICE, filtered by status, kind, assignee and shop', async () => {
    const a = await opened();
    const b = await opened({ kind: 'QUESTION', subject: 'Gift wrapping?', body: 'Do you wrap gifts?', shopId: shopB.shopId });
    await replied(b.id, agent.token);
    okPayload(await assign(b.id, idOf('User', agent2.user.id)), 'assignTicket', 'ticket');
    const list = async (filter: Record<string, unknown>, token = agent.token) => (await t.gql(TICKETS, { filter, first: 100 }, { token })).data!.tickets.nodes.map((n: { id: string }) => n.id);

    expect((await list({})).slice(0, 2)).toEqual([b.id, a.id]);
    expect(await list({ assigneeId: idOf('User', agent2.user.id) })).toEqual([b.id]);
    const ofShopB = await list({ shopId: shopB.shopId });
    expect(ofShopB[0]).toBe(b.id);
    expect(ofShopB).not.toContain(a.id);
    const inProgress = await list({ status: 'IN_PROGRESS', kind: 'QUESTION' });
    expect(inProgress).toContain(b.id);
    expect(inProgress).not.toContain(a.id);
    expect(await list({ kind: 'COMPLAINT_ABOUT_DELIVERY' })).toContain(a.id);
    expect(await list({ kind: 'COMPLAINT_ABOUT_DELIVERY' })).not.toContain(b.id);
    expect((await list({}, admin.token)).slice(0, 2)).toEqual([b.id, a.id]);
  });

  it('shows a shop’s OWNER and CUSTOMER_SERVICE members their shops’ tickets only; FORBIDDEN to other roles and staff, NOT_FOUND for another shop', async () => {
    const ofB = await opened({ kind: 'COMPLAINT_ABOUT_SHOP', subject: 'Wrong colour sent', body: 'Red, not blue.', shopId: shopB.shopId });
    const ofA = await opened();
    for (const token of [shopB.owner.token, shopB.members.CUSTOMER_SERVICE!.token]) {
      const named = (await t.gql(TICKETS, { filter: { shopId: shopB.shopId }, first: 100 }, { token })).data!.tickets;
      expect(named.nodes.map((n: { id: string }) => n.id)).toContain(ofB.id);
      expect(named.nodes.map((n: { id: string }) => n.id)).not.toContain(ofA.id);
      const mine = (await t.gql(TICKETS, { first: 100 }, { token })).data!.tickets.nodes.map((n: { id: string }) => n.id);
      expect(mine).toContain(ofB.id);
      expect(mine).not.toContain(ofA.id);
      expect(code(await t.gql(TICKETS, { filter: { shopId: shopA.shopId } }, { token }))).toBe('NOT_FOUND');
    }
    expect(code(await t.gql(TICKETS, { filter: { shopId: shopA.shopId } }, { token: shopA.members.MANAGER!.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(TICKETS, {}, { token: shopA.members.MANAGER!.token }))).toBe('FORBIDDEN');
    for (const role of [StaffRole.OPERATIONS, StaffRole.FINANCE]) {
      const { token } = await staff(t, role);
      expect([role, code(await t.gql(TICKETS, {}, { token }))]).toEqual([role, 'FORBIDDEN']);
      expect([role, code(await t.gql(TICKETS, { filter: { shopId: shopB.shopId } }, { token }))]).toEqual([role, 'FORBIDDEN']);
    }
    expect(code(await t.gql(TICKETS, {}, { token: buyer.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(TICKETS, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('loading a page of tickets', () => {
  it('costs the same number of queries for 2 tickets as for 20, messages, authors and shops included', async () => {
    for (let i = 0; i < 20; i++) await replied((await opened()).id, agent.token);
    const PAGE = `query($first: Int) { tickets(first: $first) { nodes { id requester { displayName } order { number } shop { name } product { title } assignee { id }
      messages { role author { displayName } } satisfaction { score } overdue } } }`;
    const small = await t.countQueries(PAGE, { first: 2 }, { token: agent.token });
    const large = await t.countQueries(PAGE, { first: 20 }, { token: agent.token });
    expect(large.result.errors).toBeUndefined();
    expect(large.result.data!.tickets.nodes).toHaveLength(20);
    expect(large.queries).toBe(small.queries);
  });
});

describe('the first-response SLA', () => {
  it('flags a ticket left unanswered past its due time exactly once (ticket-sla), and not answered or not yet due ones', async () => {
    // Whatever earlier tests left unanswered is flagged first, so the counts below are this test's.
    clock.advance(25 * HOUR);
    await runTask('ticket-sla');

    const ignored = await opened();
    const answered = await opened();
    clock.advance(HOUR);
    const later = await opened();
    await replied(answered.id, shopA.owner.token);
    clock.advance(23 * HOUR - MINUTE);
    expect(await runTask('ticket-sla')).toBe('done: 0');
    expect(await ticketAs(ignored.id, agent.token)).toMatchObject({ overdue: false, slaBreachedAt: null });

    clock.advance(MINUTE);
    // Due at this very instant: overdue.
    expect(await ticketAs(ignored.id, agent.token)).toMatchObject({ overdue: true, slaBreachedAt: null });
    const overdue = (await t.gql(TICKETS, { filter: { overdue: true }, first: 100 }, { token: agent.token })).data!.tickets.nodes.map((n: { id: string }) => n.id);
    expect(overdue).toContain(ignored.id);
    expect(overdue).not.toContain(answered.id);
    expect(overdue).not.toContain(later.id);
    const onTime = (await t.gql(TICKETS, { filter: { overdue: false }, first: 100 }, { token: agent.token })).data!.tickets.nodes.map((n: { id: string }) => n.id);
    expect(onTime).toEqual(expect.arrayContaining([answered.id, later.id]));
    expect(onTime).not.toContain(ignored.id);

    const flaggedAt = clock.now().toISOString();
    expect(await runTask('ticket-sla')).toBe('done: 1');
    expect(await ticketAs(ignored.id, agent.token)).toMatchObject({ overdue: true, slaBreachedAt: flaggedAt, status: 'OPEN' });
    clock.advance(5 * MINUTE);
    expect(await runTask('ticket-sla')).toBe('done: 0');
    expect((await ticketAs(ignored.id, agent.token)).slaBreachedAt).toBe(flaggedAt);

    // A late answer ends the overdue state; the breach stays recorded.
    const answeredLate = await replied(ignored.id, agent.token);
    expect(answeredLate).toMatchObject({ overdue: false, slaBreachedAt: flaggedAt, firstRespondedAt: clock.now().toISOString() });
    clock.advance(HOUR);
    expect(await runTask('ticket-sla')).toBe('done: 1');
    expect((await ticketAs(later.id, agent.token)).slaBreachedAt).toBe(clock.now().toISOString());
    expect((await ticketAs(answered.id, agent.token)).slaBreachedAt).toBeNull();
  });
});

describe('serviceMetrics', () => {
  it('reports first-response percentiles, breaches, resolutions and satisfaction of the tickets opened in the period', async () => {
    clock.set(new Date('2032-01-10T00:00:00.000Z'));
    const outside = await opened();
    clock.advance(2 * HOUR);
    const start = clock.now();
    const tickets = [];
    for (let i = 0; i < 7; i++) tickets.push(await opened());
    // First responses after 1, 2, 3, 4 and 10 hours; the sixth is never answered; the seventh after 30 hours (late).
    const answerAfter: [number, number][] = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 10], [6, 30]];
    for (const [index, hours] of answerAfter) {
      clock.set(new Date(start.getTime() + hours * HOUR));
      await replied(tickets[index].id, index % 2 ? agent.token : shopA.members.CUSTOMER_SERVICE!.token);
    }
    await replied(outside.id, agent.token);
    for (const [index, score] of [[0, 5], [1, 4]]) {
      await resolved(tickets[index].id);
      okPayload(await rate(tickets[index].id, score), 'rateTicket', 'ticket');
    }
    await resolved(tickets[2].id);

    const range = { from: start.toISOString(), to: new Date(start.getTime() + MINUTE).toISOString() };
    const res = await t.gql(METRICS, range, { token: agent.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.serviceMetrics).toEqual({
      ...range,
      firstResponseTargetHours: 24,
      ticketsOpened: 7,
      ticketsResponded: 6,
      ticketsResolved: 3,
      // Continuous percentiles of 1, 2, 3, 4, 10 and 30 hours: the median halfway between 3 and 4 h,
      // the 90th halfway between 10 and 30 h.
      firstResponseP50Seconds: 3.5 * 3600,
      firstResponseP90Seconds: 20 * 3600,
      // The sixth (unanswered past due) and the seventh (answered after 30 hours).
      slaBreaches: 2,
      satisfactionAverage: 4.5,
      satisfactionCount: 2,
    });
    // ADMIN counts as every staff role.
    expect((await t.gql(METRICS, range, { token: admin.token })).data!.serviceMetrics.ticketsOpened).toBe(7);

    const empty = (await t.gql(METRICS, { from: '2020-01-01T00:00:00.000Z', to: '2020-02-01T00:00:00.000Z' }, { token: agent.token })).data!.serviceMetrics;
    expect(empty).toMatchObject({ ticketsOpened: 0, firstResponseP50Seconds: null, firstResponseP90Seconds: null, slaBreaches: 0, satisfactionAverage: null, satisfactionCount: 0 });
  });

  it('refuses a range that does not run forwards or spans more than two years (BAD_USER_INPUT naming the argument)', async () => {
    const bad = async (from: string, to: string) => (await t.gql(METRICS, { from, to }, { token: agent.token })).errors?.[0].extensions;
    expect(await bad('2032-01-10T00:00:00.000Z', '2032-01-10T00:00:00.000Z')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
    expect(await bad('2032-02-10T00:00:00.000Z', '2032-01-10T00:00:00.000Z')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
    expect(await bad('2030-01-10T00:00:00.000Z', '2032-01-10T00:00:00.001Z')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    expect((await t.gql(METRICS, { from: '2030-01-10T00:00:00.000Z', to: '2032-01-10T00:00:00.000Z' }, { token: agent.token })).errors).toBeUndefined();
  });

  it('is FORBIDDEN to other staff, shop members and shoppers, UNAUTHENTICATED without a token', async () => {
    const range = { from: '2032-01-01T00:00:00.000Z', to: '2032-02-01T00:00:00.000Z' };
    for (const token of [(await staff(t, StaffRole.OPERATIONS)).token, (await staff(t, StaffRole.ANALYST)).token, shopA.owner.token, shopA.members.CUSTOMER_SERVICE!.token, buyer.token]) {
      expect(code(await t.gql(METRICS, range, { token }))).toBe('FORBIDDEN');
    }
    expect(code(await t.gql(METRICS, range))).toBe('UNAUTHENTICATED');
  });
});

describe('query plans', () => {
  it('serves the overdue filter from ticket_unanswered_idx', async () => {
    // Many answered tickets and a few overdue ones, as in a service that keeps up.
    await t.sql(
      `insert into ticket (number, kind, subject, status, requester_id, first_response_due_at, first_responded_at, created_at, updated_at)
       select 'TBULK' || g, 'QUESTION', 'Bulk', 'IN_PROGRESS', ?, now() - interval '1 day', case when g % 200 = 0 then null else now() - interval '2 days' end,
              now() - interval '3 days' - g * interval '1 second', now()
       from generate_series(1, 6000) g`,
      [buyer.userId],
    );
    await t.sql('analyze ticket');
    const { result, statements } = await t.captureQueries(TICKETS, { filter: { overdue: true }, first: 20 }, { token: agent.token });
    expect(result.errors).toBeUndefined();
    expect(result.data!.tickets.nodes.length).toBe(20);
    const listing = statements.find((s) => /from "ticket" as "e"/.test(s.sql) && /first_responded_at is null/.test(s.sql))!;
    const plan = JSON.stringify(await t.orm.em.fork().getConnection().execute(`explain (format json) ${listing.sql}`, [...listing.params]));
    expect(plan).toContain('"Index Name":"ticket_unanswered_idx"');
    expect(plan).not.toMatch(/"Node Type":"Seq Scan"[^}]*"Relation Name":"ticket"/);
  });
});

describe('nobody on two sides of a ticket', () => {
  it('treats customer service staff who belong to the named shop as the shop: they answer for it, never resolve it, and take no assignment to it', async () => {
    const member = shopA.members[ShopMemberRole.CUSTOMER_SERVICE]!;
    await t.sql("update users set staff_roles = '{CUSTOMER_SERVICE}' where id = ?", [member.user.id]);
    try {
      const ticket = await opened();
      const answer = await replied(ticket.id, member.token);
      expect(answer.messages.at(-1).role).toBe('SHOP');
      expect(outcomeOf(await resolve(ticket.id, member.token), 'resolveTicket')).toBe('thrown:FORBIDDEN');
      expect(failuresOf(await assign(ticket.id, idOf('User', member.user.id)), 'assignTicket', 'ticket')).toEqual([['INVALID_INPUT', 'input.assigneeId']]);
      expect((await ticketRows(ticket.id))[0].status).toBe('IN_PROGRESS');
    } finally {
      await t.sql("update users set staff_roles = '{}' where id = ?", [member.user.id]);
    }
  });
});
