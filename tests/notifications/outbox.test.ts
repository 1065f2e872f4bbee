import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { withQueryCount } from '../../src/db/queryCounter';
import { startJobs } from '../../src/jobs';
import { createLogger } from '../../src/logger';
import type { LiveBus, LiveMessage } from '../../src/realtime/bus';
import { DISPATCH_BATCH, dispatchNotifications, emitEvent } from '../../src/services/notifications';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { applicationInput, createCategory, userWithToken } from '../helpers/factories';
import { code, idOf, keyOf, okPayload, payloadOf } from '../helpers/kit';
import { scenario } from '../helpers/scenario';
import { eventually } from '../helpers/wait';

/**
 * The transactional outbox and its dispatcher: events exist exactly when their change commits,
 * dispatch reaches each recipient once (however often it runs, whatever crashed in between), in
 * the order of their events, through the channels they chose; and the inbox API over it.
 */

const clock = new ManualClock(new Date('2031-05-04T02:00:00Z'));
let t: TestApp;
let reviewer: { token: string };

beforeAll(async () => {
  t = await createTestApp({ LOG_LEVEL: 'error' }, { clock });
  reviewer = await staff(t, StaffRole.REVIEWER);
});
afterAll(() => t.close());

const dispatch = () => dispatchNotifications(t.app.deps, t.orm.em.fork());

const inboxOf = async (userId: string) =>
  (await t.sql('select kind, title, link, event_id from notification where user_id = ? order by id', [userId])).map((r) => ({ kind: r.kind, title: r.title, link: r.link, event: String(r.event_id) }));

const CREATE_APPLICATION = `mutation($input: MerchantApplicationInput!) { createMerchantApplication(input: $input) { merchantApplication { id shopName } errors { code field message } } }`;
const SUBMIT_APPLICATION = `mutation($id: ID!) { submitMerchantApplication(input: { id: $id }) { merchantApplication { id } errors { code field message } } }`;
const CLAIM_APPLICATION = `mutation($id: ID!) { claimMerchantApplication(input: { id: $id }) { merchantApplication { id } errors { code field message } } }`;
const REVIEW_APPLICATION = `mutation($input: ReviewMerchantApplicationInput!) { reviewMerchantApplication(input: $input) { merchantApplication { id status } errors { code field message } } }`;
const MY = `query($filter: NotificationFilter, $first: Int, $after: String) { myNotifications(filter: $filter, first: $first, after: $after) {
  totalCount nodes { id kind title body link readAt createdAt } pageInfo { hasNextPage endCursor } } unreadNotificationCount }`;
const MARK = `mutation($input: MarkReadInput!) { markNotificationsRead(input: $input) { marked unreadCount errors { code field message } } }`;
const PREFS = `query { notificationPreferences { kind inbox email sms } }`;
const SET_PREFS = `mutation($input: [NotificationPreferenceInput!]!) { updateNotificationPreferences(input: $input) { preferences { kind inbox email sms } errors { code field message } } }`;

async function paidOrder(members: ShopMemberRole[] = []) {
  return scenario(t, { reviewer }).shop({ members }).product({ stock: 20 }).buyer().inCart(1).checkout().paid().run();
}

describe('the outbox', () => {
  it('holds an order’s events from the moment its change commits, before anything dispatches them', async () => {
    const s = await paidOrder();
    const events = await t.sql('select type, shop_id, user_id, subject_type, subject_id, data, dispatched_at from outbox_event where subject_type = ? and subject_id = ? order by id', ['Order', s.order.key]);
    expect(events.map((e) => e.type)).toEqual(['ORDER_PLACED', 'ORDER_PAID']);
    expect(events.every((e) => e.dispatched_at === null && String(e.shop_id) === keyOf(s.shop.shopId) && String(e.user_id) === s.buyer.user.id)).toBe(true);
    expect(events[1].data).toMatchObject({ number: s.order.number, status: 'PAID', orderEventType: 'PAID' });
  });

  it('holds nothing of a change that rolled back', async () => {
    const s = await paidOrder();
    const before = (await t.sql('select count(*)::int as n from outbox_event'))[0].n;
    await expect(
      t.orm.em.fork().transactional(async (tx) => {
        await tx.execute("insert into order_event (order_id, type, status, at) values (?, 'SHIPPED', 'SHIPPED', now())", [s.order.key]);
        await emitEvent(tx, { type: 'LOW_STOCK' as never, shopId: keyOf(s.shop.shopId), subjectType: 'ProductVariant', subjectId: s.variantKeys[0], at: clock.now() });
        throw new Error('the change fails after its events were written');
      }),
    ).rejects.toThrow('the change fails');
    expect((await t.sql('select count(*)::int as n from outbox_event'))[0].n).toBe(before);
  });
});

describe('dispatching', () => {
  it('tells the buyer and the shop members whose role handles orders of a paid order, once however often it runs', async () => {
    const s = await paidOrder([ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR, ShopMemberRole.FINANCE, ShopMemberRole.CUSTOMER_SERVICE]);
    await dispatch();
    await dispatch();
    const m = s.shop.members;
    const orderLink = s.order.id;
    expect(await inboxOf(s.buyer.user.id)).toEqual([{ kind: 'ORDER_PAID', title: `Order ${s.order.number} paid`, link: orderLink, event: expect.any(String) }]);
    for (const role of [ShopMemberRole.OWNER, ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR]) {
      const orders = (await inboxOf(m[role]!.user.id)).filter((n) => n.kind.startsWith('ORDER_'));
      expect(orders.map((n) => [n.kind, n.title]), role).toEqual([['ORDER_PAID', `New paid order ${s.order.number}`]]);
    }
    for (const role of [ShopMemberRole.FINANCE, ShopMemberRole.CUSTOMER_SERVICE]) expect((await inboxOf(m[role]!.user.id)).filter((n) => n.kind.startsWith('ORDER_')), role).toEqual([]);
    const pending = await t.sql("select count(*)::int as n from outbox_event where dispatched_at is null and subject_type = 'Order' and subject_id = ?", [s.order.key]);
    expect(pending[0].n).toBe(0);
  });

  it('delivers a recipient’s events in the order they happened', async () => {
    const s = await scenario(t, { reviewer }).shop().product({ stock: 20 }).buyer().inCart(1).checkout().paid().accepted().shipped().delivered().run();
    await dispatch();
    expect((await inboxOf(s.buyer.user.id)).map((n) => n.kind)).toEqual(['ORDER_PAID', 'ORDER_ACCEPTED', 'ORDER_SHIPPED', 'ORDER_DELIVERED']);
  });

  it('loses nothing and repeats nothing when a dispatch fails after writing its notifications', async () => {
    const s = await paidOrder();
    const failing: LiveBus = {
      transactional: true,
      publish: async () => {
        throw new Error('the process dies mid-dispatch');
      },
      subscribe: () => () => undefined,
      ready: async () => undefined,
      close: async () => undefined,
    };
    await expect(dispatchNotifications({ ...t.app.deps, bus: failing }, t.orm.em.fork())).rejects.toThrow('dies mid-dispatch');
    expect(await inboxOf(s.buyer.user.id)).toEqual([]);
    // The next run (the restarted process, or the every-minute sweep) delivers it, once.
    await dispatch();
    await dispatch();
    expect((await inboxOf(s.buyer.user.id)).map((n) => n.kind)).toEqual(['ORDER_PAID']);
  });

  it('publishes order-feed and inbox messages for live subscribers when the dispatch commits', async () => {
    const s = await paidOrder();
    const seen: LiveMessage[] = [];
    const bus = t.app.deps.bus!;
    const stop = bus.subscribe((m) => seen.push(m));
    await bus.ready();
    try {
      await dispatch();
      await eventually(
        async () => seen.filter((m) => (m.t === 'order' ? m.orderId === s.order.key : m.userId === s.buyer.user.id)),
        (mine) => mine.length >= 2,
      );
      const mine = seen.filter((m) => (m.t === 'order' ? m.orderId === s.order.key : m.userId === s.buyer.user.id));
      // From payment on: an unpaid order is no work for the shop yet.
      expect(mine.filter((m) => m.t === 'order').map((m) => [m.type, m.status, m.shopId])).toEqual([['PAID', 'PAID', keyOf(s.shop.shopId)]]);
      expect(mine.filter((m) => m.t === 'notification').map((m) => m.kind)).toEqual(['ORDER_PAID']);
    } finally {
      stop();
    }
  });

  it('uses each person’s channels: off in the inbox means none there; email and SMS are queued when on', async () => {
    const s = await scenario(t, { reviewer }).shop().product({ stock: 20 }).buyer().run();
    await t.sql('update users set phone = ? where id = ?', ['+8613800000001', s.buyer.user.id]);
    okPayload(
      await t.gql(SET_PREFS, { input: [{ kind: 'ORDER_PAID', inbox: false, email: true, sms: true }] }, { token: s.buyer.token }),
      'updateNotificationPreferences',
    );
    const order = await scenario(t, { reviewer }).shop(s.shop).product({ stock: 5 }).buyer(s.buyer).inCart(1).checkout().paid().run();
    await dispatch();
    expect(await inboxOf(s.buyer.user.id)).toEqual([]);
    const messages = await t.sql('select channel, recipient, subject, transactional, status from outbound_message where user_id = ? order by channel', [s.buyer.user.id]);
    expect(messages).toEqual([
      { channel: 'EMAIL', recipient: s.buyer.user.email, subject: `Order ${order.order.number} paid`, transactional: true, status: 'PENDING' },
      { channel: 'SMS', recipient: '+8613800000001', subject: null, transactional: true, status: 'PENDING' },
    ]);
  });

  it('sends a payment receipt even to a buyer who turned payment emails off', async () => {
    const s = await scenario(t, { reviewer }).shop().product({ stock: 20 }).buyer().run();
    okPayload(await t.gql(SET_PREFS, { input: [{ kind: 'ORDER_PAID', inbox: true, email: false, sms: false }] }, { token: s.buyer.token }), 'updateNotificationPreferences');
    await scenario(t, { reviewer }).shop(s.shop).product({ stock: 5 }).buyer(s.buyer).inCart(1).checkout().paid().run();
    await dispatch();
    expect(await t.sql('select channel, transactional from outbound_message where user_id = ?', [s.buyer.user.id])).toEqual([{ channel: 'EMAIL', transactional: true }]);
  });

  it('clips long texts, so a note of any length neither breaks a message nor stops dispatch', async () => {
    const s = await paidOrder();
    const note = '😀'.repeat(3000);
    await emitEvent(t.orm.em.fork(), { type: 'ORDER_CANCELLED' as never, shopId: keyOf(s.shop.shopId), userId: s.buyer.user.id, subjectType: 'Order', subjectId: s.order.key, data: { number: s.order.number, note, orderEventType: 'CANCELLED', status: 'CANCELLED' }, at: clock.now() });
    const seen: LiveMessage[] = [];
    const stop = t.app.deps.bus!.subscribe((m) => seen.push(m));
    await t.app.deps.bus!.ready();
    try {
      await dispatch();
      const [cancelled] = await t.sql("select title, body from notification where user_id = ? and kind = 'ORDER_CANCELLED'", [s.buyer.user.id]);
      expect([...cancelled.body].length).toBeLessThanOrEqual(600);
      expect(cancelled.body.endsWith('…')).toBe(true);
      await eventually(async () => seen.filter((m) => m.t === 'notification' && m.userId === s.buyer.user.id && m.kind === 'ORDER_CANCELLED'), (found) => found.length === 1);
      expect((await t.sql('select count(*)::int as n from outbox_event where dispatched_at is null'))[0].n).toBe(0);
    } finally {
      stop();
    }
  });

  it('tells a shop of a buyer’s ticket reply through the members who may open tickets only', async () => {
    const s = await scenario(t, { reviewer }).shop({ members: [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR, ShopMemberRole.CUSTOMER_SERVICE] }).product({ stock: 5 }).buyer().run();
    await dispatch();
    await emitEvent(t.orm.em.fork(), { type: 'TICKET_REPLIED' as never, shopId: keyOf(s.shop.shopId), userId: s.buyer.user.id, subjectType: 'Ticket', subjectId: '1', data: { role: 'REQUESTER', number: 'T1', subject: 'Where is my parcel?' }, at: clock.now() });
    await dispatch();
    const m = s.shop.members;
    for (const [role, expected] of [[ShopMemberRole.OWNER, 1], [ShopMemberRole.CUSTOMER_SERVICE, 1], [ShopMemberRole.MANAGER, 0], [ShopMemberRole.OPERATOR, 0]] as const) {
      expect((await inboxOf(m[role]!.user.id)).filter((n) => n.kind === 'TICKET_REPLIED'), role).toHaveLength(expected);
    }
    expect((await inboxOf(s.buyer.user.id)).filter((n) => n.kind === 'TICKET_REPLIED')).toHaveLength(0);
  });

  it('tells members of their level changes and referral rewards', async () => {
    const s = await scenario(t, { reviewer }).buyer().run();
    await t.sql("insert into member_level (rank, name, min_spend) values (0, '普通會員', 0), (7, '白銀會員', 100000) on conflict do nothing");
    const [top] = await t.sql('select rank, name from member_level order by rank desc limit 1');
    await t.sql('insert into member (user_id, level_rank, level_since) values (?, ?, ?) on conflict (user_id) do update set level_rank = excluded.level_rank, level_since = excluded.level_since', [s.buyer.user.id, top.rank, clock.now()]);
    await t.sql("insert into points_entry (user_id, delta, reason, key, at) values (?, 100, 'REFERRAL', ?, ?)", [s.buyer.user.id, `test:${s.buyer.user.id}`, clock.now()]);
    await dispatch();
    expect((await inboxOf(s.buyer.user.id)).map((n) => [n.kind, n.title])).toEqual([
      ['MEMBER_LEVEL_CHANGED', `Welcome to ${top.name}`],
      ['REFERRAL_REWARDED', '100 referral points'],
    ]);
  });

  it('delivers the low-stock alerts, review invitations and scorecard changes recorded for it, and marks them notified', async () => {
    const s = await scenario(t, { reviewer }).shop({ members: [ShopMemberRole.FINANCE] }).product({ stock: 3, threshold: 2 }).buyer().inCart(1).checkout().run();
    const [alert] = await t.sql('select id, notified_at from stock_alert where variant_id = ?', [s.variantKeys[0]]);
    expect(alert.notified_at).toBeNull();
    await dispatch();
    expect((await inboxOf(s.shop.owner.user.id)).map((n) => n.kind)).toContain('LOW_STOCK');
    expect(await inboxOf(s.shop.members[ShopMemberRole.FINANCE]!.user.id)).toEqual([]);
    expect((await t.sql('select notified_at from stock_alert where id = ?', [alert.id]))[0].notified_at).not.toBeNull();

    await t.sql("insert into scorecard_level_change (shop_id, from_level, to_level, score, at) values (?, 'GOOD', 'AT_RISK', 41, ?)", [keyOf(s.shop.shopId), clock.now()]);
    const risk = await staff(t, StaffRole.RISK);
    await dispatch();
    expect((await inboxOf(s.shop.owner.user.id)).at(-1)).toMatchObject({ kind: 'SCORECARD_LEVEL_CHANGED', title: 'Scorecard level now AT_RISK' });
    expect((await inboxOf(risk.user.id)).map((n) => n.kind)).toEqual(['SCORECARD_LEVEL_CHANGED']);
    expect((await t.sql('select count(*)::int as n from scorecard_level_change where shop_id = ? and notified_at is null', [keyOf(s.shop.shopId)]))[0].n).toBe(0);
  });

  it('tells the applicant of the decision on their application', async () => {
    const me = await userWithToken(t);
    const categoryId = idOf('Category', (await createCategory(t)).id);
    const app = okPayload(await t.gql(CREATE_APPLICATION, { input: applicationInput([categoryId]) }, { token: me.token }), 'createMerchantApplication').merchantApplication;
    okPayload(await t.gql(SUBMIT_APPLICATION, { id: app.id }, { token: me.token }), 'submitMerchantApplication');
    okPayload(await t.gql(CLAIM_APPLICATION, { id: app.id }, { token: reviewer.token }), 'claimMerchantApplication');
    okPayload(await t.gql(REVIEW_APPLICATION, { input: { applicationId: app.id, decision: 'REQUEST_CHANGES', reason: 'Upload a clearer licence' } }, { token: reviewer.token }), 'reviewMerchantApplication');
    await dispatch();
    expect(await inboxOf(me.user.id)).toEqual([{ kind: 'APPLICATION_DECIDED', title: `Your application for ${app.shopName} was sent back for changes`, link: app.id, event: expect.any(String) }]);
  });

  it('dispatches a burst in batches of a fixed number of statements, whatever its size', async () => {
    const s = await scenario(t, { reviewer }).shop({ members: [ShopMemberRole.MANAGER] }).product({ stock: 5 }).run();
    await dispatch();
    const events = Array.from({ length: DISPATCH_BATCH + 100 }, () => ({ type: 'LOW_STOCK' as never, shopId: keyOf(s.shop.shopId), subjectType: 'ProductVariant', subjectId: s.variantKeys[0], data: { title: 'Burst', sku: 'B', available: 1, threshold: 2 }, at: clock.now() }));
    await emitEvent(t.orm.em.fork(), ...events);
    const { queries } = await withQueryCount(() => dispatch());
    expect((await t.sql("select count(*)::int as n from notification where user_id = ? and kind = 'LOW_STOCK'", [s.shop.owner.user.id]))[0].n).toBe(DISPATCH_BATCH + 100);
    // Two batches and an empty look: statements per batch, not per event or recipient.
    expect(queries).toBeLessThanOrEqual(3 * 14);
  });
});

describe('the jobs process', () => {
  it('dispatches an event the moment it commits, without waiting for the every-minute sweep', async () => {
    const jobs = await startJobs({ url: t.config.databaseUrl!, orm: t.orm, deps: t.app.deps, logger: createLogger({ ...t.config, logLevel: 'silent' }), pollingIntervalSeconds: 30 });
    try {
      await dispatch();
      const s = await paidOrder();
      await eventually(() => inboxOf(s.buyer.user.id), (inbox) => inbox.length === 1, 10_000);
    } finally {
      await jobs.stop();
    }
  });
});

describe('the inbox', () => {
  it('lists your notifications newest first, pages them, filters the unread, and counts them', async () => {
    const s = await scenario(t, { reviewer }).shop().product({ stock: 20 }).buyer().inCart(1).checkout().paid().accepted().shipped().run();
    await dispatch();
    const first = payloadOf(await t.gql(MY, { first: 2 }, { token: s.buyer.token }), 'myNotifications');
    expect(first.totalCount).toBe(3);
    expect(first.nodes.map((n: { kind: string }) => n.kind)).toEqual(['ORDER_SHIPPED', 'ORDER_ACCEPTED']);
    expect(first.nodes[0]).toMatchObject({ link: s.order.id, readAt: null });
    const rest = payloadOf(await t.gql(MY, { first: 2, after: first.pageInfo.endCursor }, { token: s.buyer.token }), 'myNotifications');
    expect(rest.nodes.map((n: { kind: string }) => n.kind)).toEqual(['ORDER_PAID']);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect(payloadOf(await t.gql(MY, {}, { token: s.buyer.token }), 'unreadNotificationCount')).toBe(3);

    const marked = okPayload(await t.gql(MARK, { input: { ids: [first.nodes[0].id] } }, { token: s.buyer.token }), 'markNotificationsRead');
    expect([marked.marked, marked.unreadCount]).toEqual([1, 2]);
    const unread = payloadOf(await t.gql(MY, { filter: { unread: true } }, { token: s.buyer.token }), 'myNotifications');
    expect(unread.nodes.map((n: { kind: string }) => n.kind)).toEqual(['ORDER_ACCEPTED', 'ORDER_PAID']);
    const read = payloadOf(await t.gql(MY, { filter: { unread: false } }, { token: s.buyer.token }), 'myNotifications');
    expect(read.nodes.map((n: { kind: string; readAt: string }) => [n.kind, n.readAt])).toEqual([['ORDER_SHIPPED', clock.now().toISOString()]]);

    const all = okPayload(await t.gql(MARK, { input: { ids: null } }, { token: s.buyer.token }), 'markNotificationsRead');
    expect([all.marked, all.unreadCount]).toEqual([2, 0]);
  });

  it('refuses another user’s notification and changes nothing', async () => {
    const a = await paidOrder();
    const b = await paidOrder();
    await dispatch();
    const theirs = payloadOf(await t.gql(MY, {}, { token: b.buyer.token }), 'myNotifications').nodes[0].id;
    const mine = payloadOf(await t.gql(MY, {}, { token: a.buyer.token }), 'myNotifications').nodes[0].id;
    const res = await t.gql(MARK, { input: { ids: [mine, theirs] } }, { token: a.buyer.token });
    expect(code(res)).toBe('NOT_FOUND');
    expect(payloadOf(await t.gql(MY, {}, { token: a.buyer.token }), 'unreadNotificationCount')).toBe(1);
    expect(payloadOf(await t.gql(MY, {}, { token: b.buyer.token }), 'unreadNotificationCount')).toBe(1);
    // node(id) shows it to its owner only.
    const NODE = `query($id: ID!) { node(id: $id) { id ... on Notification { kind } } }`;
    expect(payloadOf(await t.gql(NODE, { id: theirs }, { token: a.buyer.token }), 'node')).toBeNull();
    expect(payloadOf(await t.gql(NODE, { id: theirs }, { token: b.buyer.token }), 'node')).toEqual({ id: theirs, kind: 'ORDER_PAID' });
  });

  it('refuses an empty or oversized list of IDs with INVALID_INPUT', async () => {
    const a = await paidOrder();
    const tooMany = Array.from({ length: 101 }, (_, i) => idOf('Notification', i + 1));
    for (const ids of [[], tooMany]) {
      const { errors } = payloadOf(await t.gql(MARK, { input: { ids } }, { token: a.buyer.token }), 'markNotificationsRead');
      expect(errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'ids'], message: expect.any(String) }]);
    }
  });

  it('is for the signed-in only', async () => {
    for (const query of [MY, PREFS]) expect(code(await t.gql(query, {}))).toBe('UNAUTHENTICATED');
    expect(code(await t.gql(MARK, { input: { ids: null } }))).toBe('UNAUTHENTICATED');
    expect(code(await t.gql(SET_PREFS, { input: [] }))).toBe('UNAUTHENTICATED');
  });
});

describe('preferences', () => {
  it('shows every kind with its defaults until you choose, then your choice, leaving the others alone', async () => {
    const s = await scenario(t, { reviewer }).buyer().run();
    const defaults = payloadOf(await t.gql(PREFS, {}, { token: s.buyer.token }), 'notificationPreferences');
    expect(defaults).toContainEqual({ kind: 'ORDER_SHIPPED', inbox: true, email: true, sms: true });
    expect(defaults).toContainEqual({ kind: 'REVIEW_INVITATION', inbox: true, email: false, sms: false });
    const { preferences } = okPayload(await t.gql(SET_PREFS, { input: [{ kind: 'ORDER_SHIPPED', inbox: true, email: false, sms: false }] }, { token: s.buyer.token }), 'updateNotificationPreferences');
    expect(preferences).toContainEqual({ kind: 'ORDER_SHIPPED', inbox: true, email: false, sms: false });
    expect(preferences).toContainEqual({ kind: 'REVIEW_INVITATION', inbox: true, email: false, sms: false });
    expect(preferences).toHaveLength(defaults.length);
  });

  it('refuses a kind given twice with INVALID_INPUT and keeps the earlier choice', async () => {
    const s = await scenario(t, { reviewer }).buyer().run();
    const input = [
      { kind: 'LOW_STOCK', inbox: false, email: false, sms: false },
      { kind: 'LOW_STOCK', inbox: true, email: true, sms: true },
    ];
    const { errors } = payloadOf(await t.gql(SET_PREFS, { input }, { token: s.buyer.token }), 'updateNotificationPreferences');
    expect(errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', '1', 'kind'], message: expect.any(String) }]);
    expect(payloadOf(await t.gql(PREFS, {}, { token: s.buyer.token }), 'notificationPreferences')).toContainEqual({ kind: 'LOW_STOCK', inbox: true, email: true, sms: false });
  });
});

