import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Client, createClient } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { createLogger } from '../../src/logger';
import type { LiveMessage, NotificationLiveMessage, OrderLiveMessage } from '../../src/realtime/bus';
import { SUBSCRIPTION_QUEUE_LIMIT } from '../../src/realtime/hub';
import { decodeMessage } from '../../src/realtime/messages';
import { MAX_SUBSCRIPTIONS_PER_SOCKET, type LiveServerOptions, startSubscriptions } from '../../src/realtime/ws';
import { buildSchema } from '../../src/schema';
import { dispatchNotifications } from '../../src/services/notifications';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { PASSWORD, signIn, userWithToken } from '../helpers/factories';
import { idOf, listen } from '../helpers/kit';
import { scenario, type Scenario } from '../helpers/scenario';
import { eventually, sleep } from '../helpers/wait';

/**
 * GraphQL subscriptions over graphql-ws on the server's own port and path, driven by real clients
 * over real sockets: who may open which feed, what reaches whom, tokens that are bad or run out,
 * sessions and memberships that end while a socket is open, the per-socket cap, fan-out between
 * server instances through the live bus, and clients too slow to keep up.
 */

let t: TestApp;
let url: string;
let reviewer: { token: string };

beforeAll(async () => {
  t = await createTestApp({ LOG_LEVEL: 'silent' });
  url = `${(await listen(t)).origin.replace(/^http/, 'ws')}/graphql`;
  reviewer = await staff(t, StaffRole.REVIEWER);
});
afterAll(() => t.close());

const SHOP_FEED = `subscription($shopId: ID!) { shopOrderEvents(shopId: $shopId) { id type status note at order { id number status } } }`;
const ORDER_FEED = `subscription($orderId: ID!) { orderStatusChanged(orderId: $orderId) { id number status } }`;
const INBOX_FEED = `subscription { notificationAdded { id kind title body link readAt createdAt } }`;

interface Closed {
  code: number;
  reason: string;
}

/** A graphql-ws client signed in with `token` (none: no authorization), and its socket's close. */
function connect(token: string | null, target = url): { client: Client; closed: Promise<Closed> } {
  let onClosed!: (c: Closed) => void;
  const closed = new Promise<Closed>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: target,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
    on: { closed: (event) => onClosed({ code: (event as { code: number }).code, reason: String((event as { reason: unknown }).reason) }) },
    onNonLazyError: () => undefined,
  });
  return { client, closed };
}

/** How a subscription ended: with errors, a socket close, or completion. */
type Ending = { errors: { message: string; extensions?: Record<string, any> }[] } | { close: Closed } | { completed: true };

interface Feed {
  events: any[];
  ended: Promise<Ending>;
  stop(): void;
}

function watch(client: Client, query: string, variables: Record<string, unknown> = {}): Feed {
  const events: any[] = [];
  let stop!: () => void;
  const ended = new Promise<Ending>((resolve) => {
    stop = client.subscribe(
      { query, variables },
      {
        next: (result) => events.push(result),
        error: (err) => resolve(Array.isArray(err) ? { errors: err } : { close: { code: (err as { code: number }).code, reason: String((err as { reason: unknown }).reason) } }),
        complete: () => resolve({ completed: true }),
      },
    );
  });
  return { events, ended, stop };
}

/** Waits until `app`'s hub holds `n` more subscriptions than `before` (the server has set them up). */
async function subscribed(app: TestApp, before: number, n = 1): Promise<void> {
  await eventually(async () => app.app.live.hub.subscriptions, (count) => count >= before + n);
}

const hubCount = (app: TestApp = t) => app.app.live.hub.subscriptions;

let nextEvent = 1_000_000;
function orderMessage(s: Scenario, fields: Partial<OrderLiveMessage> = {}): OrderLiveMessage {
  return {
    t: 'order',
    eventId: String(nextEvent++),
    type: 'PAID',
    orderId: s.order.key,
    shopId: s.shop.shop.id,
    buyerId: s.buyer.user.id,
    status: 'PAID',
    note: null,
    at: new Date().toISOString(),
    ...fields,
  };
}

function notificationMessage(userId: string, fields: Partial<NotificationLiveMessage> = {}): NotificationLiveMessage {
  const id = String(nextEvent++);
  return { t: 'notification', userId, id, kind: 'ORDER_PAID', title: `Notification ${id}`, body: 'Body', link: null, createdAt: new Date().toISOString(), eventId: id, ...fields };
}

const publish = (messages: LiveMessage[], app: TestApp = t) => app.app.deps.bus!.publish(messages);

async function paidOrder(members: ShopMemberRole[] = []): Promise<Scenario> {
  return scenario(t, { reviewer }).shop({ members }).product({ stock: 20 }).buyer().inCart(1).checkout().paid().run();
}

/**
 * A second socket server on `t`'s database, bus and schema, on its own port, with `options` (a
 * re-check interval of a few hundred milliseconds rather than 30 s): what the app's own would do
 * over a longer time. Its hub counts its own subscriptions.
 */
async function liveServer(options: Pick<LiveServerOptions, 'recheckIntervalMs' | 'sessionTrustMs'>) {
  const server = createServer((_request, response) => response.writeHead(404).end());
  const live = startSubscriptions({ server, schema: buildSchema(), config: t.config, deps: t.app.deps, orm: t.orm, logger: createLogger(t.config), metrics: t.app.metrics, bus: t.app.deps.bus!, ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    hub: live.hub,
    async close() {
      await live.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The SQL statements `app`'s ORM sends while `fn` runs, from anywhere in the process (socket servers run outside any request). */
async function statementsDuring(app: TestApp, fn: () => Promise<unknown>): Promise<string[]> {
  const knex = app.orm.em.getKnex();
  const statements: string[] = [];
  const onQuery = (query: { sql: string }) => statements.push(query.sql);
  knex.on('query', onQuery);
  try {
    await fn();
  } finally {
    knex.removeListener('query', onQuery);
  }
  return statements;
}

const LOGOUT = `mutation { logout { ok errors { code } } }`;
const SHOP_FEED_SCALARS = `subscription($shopId: ID!) { shopOrderEvents(shopId: $shopId) { id type status note at } }`;
const errorCodes = (ending: Ending) => ('errors' in ending ? ending.errors.map((e) => e.extensions?.code) : ending);

/** The scalar results of a feed's events, for comparing. */
const dataOf = (feed: Feed) => feed.events.map((e) => e.data);

describe('signing in on the socket', () => {
  it('closes a socket whose connection_init carries no token, or an invalid one, with 4401', async () => {
    for (const token of [null, 'not-a-token', jwt.sign({ sid: '00000000-0000-0000-0000-000000000000' }, 'some-other-secret-that-is-long-enough!!')]) {
      const { client, closed } = connect(token);
      expect(await closed).toEqual({ code: 4401, reason: 'Unauthorized' });
      await client.dispose();
    }
  });

  it('closes a socket whose session has ended (logout) with 4401, at connection and, when it ends while open, at once', async () => {
    const { user } = await userWithToken(t);
    const signedOut = (await signIn(t, user.email)).accessToken;
    expect((await t.gql(LOGOUT, {}, { token: signedOut })).data!.logout.ok).toBe(true);
    const refused = connect(signedOut);
    expect((await refused.closed).code).toBe(4401);

    const live = (await signIn(t, user.email)).accessToken;
    const open = connect(live);
    const before = hubCount();
    const first = watch(open.client, INBOX_FEED);
    await subscribed(t, before);
    expect((await t.gql(LOGOUT, {}, { token: live })).data!.logout.ok).toBe(true);
    watch(open.client, INBOX_FEED);
    expect((await open.closed).code).toBe(4401);
    expect(await first.ended).toEqual({ close: { code: 4401, reason: 'Unauthorized' } });
    await Promise.all([refused.client.dispose(), open.client.dispose()]);
  });

  it('closes the socket with 4401 when the access token expires while it is open', async () => {
    const { user } = await userWithToken(t);
    const { accessToken } = await signIn(t, user.email);
    const claims = jwt.decode(accessToken) as { sid: string; sub: string };
    const { secret, issuer, audience } = t.config.jwt;
    const shortLived = jwt.sign({ sid: claims.sid }, secret, { algorithm: 'HS256', subject: claims.sub, issuer, audience, expiresIn: 2 });
    const { client, closed } = connect(shortLived);
    const before = hubCount();
    const feed = watch(client, INBOX_FEED);
    await subscribed(t, before);
    const openedAt = Date.now();
    expect(await closed).toEqual({ code: 4401, reason: 'Unauthorized' });
    expect(Date.now() - openedAt).toBeLessThan(4000);
    expect((await feed.ended as { close: Closed }).close.code).toBe(4401);
    await client.dispose();
  });
});

describe('subscriptions per socket', () => {
  it(`runs at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} at once on a socket: the next is refused with TOO_MANY_SUBSCRIPTIONS, allocating nothing, until one ends`, async () => {
    const { user, token } = await userWithToken(t);
    const { client, closed } = connect(token);
    const before = hubCount();
    // Sent together: subscribes still starting count too.
    const feeds = Array.from({ length: MAX_SUBSCRIPTIONS_PER_SOCKET + 5 }, () => watch(client, INBOX_FEED));
    await subscribed(t, before, MAX_SUBSCRIPTIONS_PER_SOCKET);
    const endings = await Promise.all(feeds.map((f) => Promise.race([f.ended, sleep(500).then(() => 'running' as const)])));
    expect(endings.filter((e) => e === 'running')).toHaveLength(MAX_SUBSCRIPTIONS_PER_SOCKET);
    const refused = endings.filter((e): e is Ending => e !== 'running');
    expect(refused.map(errorCodes)).toEqual(Array.from({ length: 5 }, () => ['TOO_MANY_SUBSCRIPTIONS']));
    expect((refused[0] as { errors: { message: string }[] }).errors[0].message).toContain(String(MAX_SUBSCRIPTIONS_PER_SOCKET));
    expect(hubCount()).toBe(before + MAX_SUBSCRIPTIONS_PER_SOCKET);

    // Refused before anything is parsed, looked up or allocated.
    const statements = await statementsDuring(t, async () => expect(errorCodes(await watch(client, INBOX_FEED).ended)).toEqual(['TOO_MANY_SUBSCRIPTIONS']));
    expect(statements).toEqual([]);
    expect(hubCount()).toBe(before + MAX_SUBSCRIPTIONS_PER_SOCKET);

    // The socket stays open with its feeds; ending one makes room for another.
    const running = feeds.filter((_f, i) => endings[i] === 'running');
    running[0].stop();
    await eventually(async () => hubCount(), (n) => n === before + MAX_SUBSCRIPTIONS_PER_SOCKET - 1);
    const again = watch(client, INBOX_FEED);
    await subscribed(t, before + MAX_SUBSCRIPTIONS_PER_SOCKET - 1);
    await publish([notificationMessage(user.id)]);
    await eventually(async () => [...running.slice(1), again].every((f) => f.events.length === 1), (ok) => ok);
    expect(running[0].events).toEqual([]);
    expect(await Promise.race([closed, sleep(100).then(() => 'open')])).toBe('open');
    await client.dispose();
  });

  it('serves subscribes from the socket’s verified session: no session lookup per subscribe', async () => {
    const s = await paidOrder();
    const { client } = connect(s.shop.owner.token);
    const before = hubCount();
    watch(client, INBOX_FEED);
    await subscribed(t, before);

    const inboxes = await statementsDuring(t, async () => {
      for (let i = 0; i < 4; i++) watch(client, INBOX_FEED);
      await subscribed(t, before + 1, 4);
    });
    expect(inboxes).toEqual([]);
    // A shop feed reads the viewer's memberships (fresh, for its own check), not the session.
    const shop = await statementsDuring(t, async () => {
      watch(client, SHOP_FEED, { shopId: s.shop.shopId });
      await subscribed(t, before + 5);
    });
    expect(shop).toHaveLength(1);
    expect(shop[0]).toMatch(/from shop_member/);
    await client.dispose();
  });

  it('looks the session up again for a subscribe once its last check is older than the trust window, and refuses it when the session has ended', async () => {
    // No trust window: every subscribe checks. The session ends in the database alone, with no word on the bus.
    const live = await liveServer({ sessionTrustMs: 0 });
    try {
      const { token } = await userWithToken(t);
      const { client, closed } = connect(token, live.url);
      const first = watch(client, INBOX_FEED);
      await eventually(async () => live.hub.subscriptions, (n) => n === 1);
      const second = await statementsDuring(t, async () => {
        watch(client, INBOX_FEED);
        await eventually(async () => live.hub.subscriptions, (n) => n === 2);
      });
      expect(second).toEqual([expect.stringMatching(/from auth_session/)]);

      await t.sql("update auth_session set revoked_at = now(), revoked_reason = 'test' where id = ?", [(jwt.decode(token) as { sid: string }).sid]);
      const refused = watch(client, INBOX_FEED);
      expect(await closed).toEqual({ code: 4401, reason: 'Unauthorized' });
      expect(await first.ended).toEqual({ close: { code: 4401, reason: 'Unauthorized' } });
      expect('close' in (await refused.ended) || errorCodes(await refused.ended)).toBeTruthy();
      await eventually(async () => live.hub.subscriptions, (n) => n === 0);
      await client.dispose();
    } finally {
      await live.close();
    }
  });
});

describe('sessions ending while sockets are open (at once, over the bus)', () => {
  const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { errors { code } } }`;
  const REQUEST_RESET = `mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { ok errors { code } } }`;
  const RESET = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { ok errors { code } } }`;
  const REFRESH = `mutation($input: RefreshSessionInput!) { refreshSession(input: $input) { accessToken errors { code } } }`;
  const UNAUTHORIZED = { code: 4401, reason: 'Unauthorized' };

  /** A user signed in twice (two sessions), with a socket and an inbox feed on each. */
  async function twoSessions() {
    const { user } = await userWithToken(t);
    const sessions = [await signIn(t, user.email), await signIn(t, user.email)];
    const before = hubCount();
    const sockets = sessions.map((session) => {
      const socket = connect(session.accessToken);
      return { ...session, ...socket, feed: watch(socket.client, INBOX_FEED) };
    });
    await subscribed(t, before, 2);
    return { user, sockets };
  }

  const stillOpen = (closed: Promise<Closed>) => Promise.race([closed, sleep(300).then(() => 'open')]);

  /** Long before any periodic re-check (30 s; a socket's first at 15 s at the earliest): the bus told. */
  async function closedAtOnce(closed: Promise<Closed>, since: number): Promise<void> {
    expect(await closed).toEqual(UNAUTHORIZED);
    expect(Date.now() - since).toBeLessThan(3000);
  }

  it('closes the sockets of a session that logs out, and not those of the user’s other sessions', async () => {
    const { user, sockets: [out, other] } = await twoSessions();
    const since = Date.now();
    expect((await t.gql(LOGOUT, {}, { token: out.accessToken })).data!.logout.ok).toBe(true);
    await closedAtOnce(out.closed, since);
    expect(await out.feed.ended).toEqual({ close: UNAUTHORIZED });
    expect(await stillOpen(other.closed)).toBe('open');
    await publish([notificationMessage(user.id)]);
    await eventually(async () => other.feed.events.length, (n) => n === 1);
    await Promise.all([out.client.dispose(), other.client.dispose()]);
  });

  it('closes the other sessions’ sockets on a password change, and not the changing session’s', async () => {
    const { user, sockets: [keep, other] } = await twoSessions();
    const since = Date.now();
    const changed = await t.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: 'a brand new password' } }, { token: keep.accessToken });
    expect(changed.data!.changePassword.errors).toEqual([]);
    await closedAtOnce(other.closed, since);
    expect(await stillOpen(keep.closed)).toBe('open');
    await publish([notificationMessage(user.id)]);
    await eventually(async () => keep.feed.events.length, (n) => n === 1);
    await Promise.all([keep.client.dispose(), other.client.dispose()]);
  });

  it('closes every socket of the user when the password is reset', async () => {
    const { user, sockets } = await twoSessions();
    expect((await t.gql(REQUEST_RESET, { input: { email: user.email } })).data!.requestPasswordReset.ok).toBe(true);
    const [message] = await t.sql("select body from outbound_message where recipient = ? and kind = 'RESET_PASSWORD' order by id desc limit 1", [user.email]);
    const token = /reset-password\?token=([A-Za-z0-9_-]{43})/.exec(message.body)![1];
    const since = Date.now();
    expect((await t.gql(RESET, { input: { token, newPassword: 'a brand new password' } })).data!.resetPassword.ok).toBe(true);
    for (const socket of sockets) await closedAtOnce(socket.closed, since);
    await Promise.all(sockets.map((socket) => socket.client.dispose()));
  });

  it('closes the sockets of a session whose refresh token is used twice', async () => {
    const { sockets: [reused, other] } = await twoSessions();
    expect((await t.gql(REFRESH, { input: { refreshToken: reused.refreshToken } })).data!.refreshSession.accessToken).toBeTruthy();
    const since = Date.now();
    const again = await t.gql(REFRESH, { input: { refreshToken: reused.refreshToken } });
    expect(again.data!.refreshSession.errors.map((e: { code: string }) => e.code)).toEqual(['REFRESH_TOKEN_REUSED']);
    await closedAtOnce(reused.closed, since);
    expect(await stillOpen(other.closed)).toBe('open');
    await Promise.all([reused.client.dispose(), other.client.dispose()]);
  });

  it('carries small, checked revoke messages: malformed ones never reach a socket', () => {
    const session = '5f0c6a4e-2b1d-4c3e-9a8b-7c6d5e4f3a2b';
    expect(decodeMessage(JSON.stringify({ t: 'revoke', userId: '42' }))).toEqual({ t: 'revoke', userId: '42' });
    expect(decodeMessage(JSON.stringify({ t: 'revoke', userId: '42', sessionIds: [session] }))).toEqual({ t: 'revoke', userId: '42', sessionIds: [session] });
    for (const bad of [{ t: 'revoke' }, { t: 'revoke', userId: 'x' }, { t: 'revoke', userId: '42', sessionIds: ['nope'] }, { t: 'revoke', userId: '42', sessionIds: session }]) {
      expect(decodeMessage(JSON.stringify(bad))).toBeUndefined();
    }
  });
});

describe('periodic re-checks of what a socket was granted', () => {
  const INTERVAL = 300;
  const REMOVE_MEMBER = `mutation($input: ShopMemberIdInput!) { removeShopMember(input: $input) { errors { code } } }`;
  const stillOpen = (closed: Promise<Closed>) => Promise.race([closed, sleep(100).then(() => 'open')]);

  it('ends the shop and order feeds of a member removed from the shop with NOT_FOUND, and leaves the socket and its other feeds alone', async () => {
    const live = await liveServer({ recheckIntervalMs: INTERVAL });
    try {
      const s = await paidOrder([ShopMemberRole.MANAGER]);
      const manager = s.shop.members.MANAGER!;
      const { client, closed } = connect(manager.token, live.url);
      const shopFeed = watch(client, SHOP_FEED_SCALARS, { shopId: s.shop.shopId });
      const orderFeed = watch(client, ORDER_FEED, { orderId: s.order.id });
      const inbox = watch(client, INBOX_FEED);
      await eventually(async () => live.hub.subscriptions, (n) => n === 3);
      // Re-checks pass while the manager is a member: nothing ends.
      await sleep(INTERVAL * 3);
      expect(live.hub.subscriptions).toBe(3);
      await publish([orderMessage(s)]);
      await eventually(async () => shopFeed.events.length + orderFeed.events.length, (n) => n === 2);

      const [member] = await t.sql('select id from shop_member where shop_id = ? and user_id = ?', [s.shop.shop.id, manager.user.id]);
      const since = Date.now();
      expect((await t.gql(REMOVE_MEMBER, { input: { memberId: idOf('ShopMember', member.id) } }, { token: s.shop.owner.token })).data!.removeShopMember.errors).toEqual([]);
      expect(errorCodes(await shopFeed.ended)).toEqual(['NOT_FOUND']);
      expect(errorCodes(await orderFeed.ended)).toEqual(['NOT_FOUND']);
      expect(Date.now() - since).toBeLessThan(INTERVAL * 10);
      expect(live.hub.subscriptions).toBe(1);

      await publish([orderMessage(s), notificationMessage(manager.user.id)]);
      await eventually(async () => inbox.events.length, (n) => n === 1);
      await sleep(100);
      expect([shopFeed.events.length, orderFeed.events.length]).toEqual([1, 1]);
      expect(await stillOpen(closed)).toBe('open');
      await client.dispose();
    } finally {
      await live.close();
    }
  });

  it('ends a removed member’s feeds at once, not at the next re-check: every process hears of the change of access', async () => {
    // A re-check interval far longer than the test: only the `access` bus message can end the feeds.
    const live = await liveServer({ recheckIntervalMs: 600_000 });
    try {
      const s = await paidOrder([ShopMemberRole.OPERATOR]);
      const operator = s.shop.members.OPERATOR!;
      const { client, closed } = connect(operator.token, live.url);
      const shopFeed = watch(client, SHOP_FEED_SCALARS, { shopId: s.shop.shopId });
      const inbox = watch(client, INBOX_FEED);
      await eventually(async () => live.hub.subscriptions, (n) => n === 2);

      const [member] = await t.sql('select id from shop_member where shop_id = ? and user_id = ?', [s.shop.shop.id, operator.user.id]);
      expect((await t.gql(REMOVE_MEMBER, { input: { memberId: idOf('ShopMember', member.id) } }, { token: s.shop.owner.token })).data!.removeShopMember.errors).toEqual([]);
      expect(errorCodes(await shopFeed.ended)).toEqual(['NOT_FOUND']);
      expect(live.hub.subscriptions).toBe(1);
      expect(await stillOpen(closed)).toBe('open');
      expect(inbox.events).toEqual([]);
      await client.dispose();
    } finally {
      await live.close();
    }
  });

  it('reads an access message off the bus only when it names a user', () => {
    expect(decodeMessage(JSON.stringify({ t: 'access', userId: '42' }))).toEqual({ t: 'access', userId: '42' });
    for (const bad of [{ t: 'access' }, { t: 'access', userId: 'x' }, { t: 'access', userId: 42 }]) expect(decodeMessage(JSON.stringify(bad))).toBeUndefined();
  });

  it('ends an order staff member’s watch of a shop once the staff role is taken away', async () => {
    const live = await liveServer({ recheckIntervalMs: INTERVAL });
    try {
      const s = await paidOrder();
      const support = await staff(t, StaffRole.CUSTOMER_SERVICE);
      const { client } = connect(support.token, live.url);
      const feed = watch(client, SHOP_FEED_SCALARS, { shopId: s.shop.shopId });
      await eventually(async () => live.hub.subscriptions, (n) => n === 1);
      await sleep(INTERVAL * 2);
      expect(live.hub.subscriptions).toBe(1);
      await t.sql("update users set staff_roles = '{}' where id = ?", [support.user.id]);
      expect(errorCodes(await feed.ended)).toEqual(['NOT_FOUND']);
      await client.dispose();
    } finally {
      await live.close();
    }
  });

  it('closes a socket whose session ended with no word on the bus, with 4401, at its next re-check', async () => {
    const live = await liveServer({ recheckIntervalMs: INTERVAL });
    try {
      const { token } = await userWithToken(t);
      const { client, closed } = connect(token, live.url);
      const feed = watch(client, INBOX_FEED);
      await eventually(async () => live.hub.subscriptions, (n) => n === 1);
      await sleep(INTERVAL * 2);
      expect(await stillOpen(closed)).toBe('open');
      const since = Date.now();
      await t.sql("update auth_session set revoked_at = now(), revoked_reason = 'test' where id = ?", [(jwt.decode(token) as { sid: string }).sid]);
      expect(await closed).toEqual({ code: 4401, reason: 'Unauthorized' });
      expect(Date.now() - since).toBeLessThan(INTERVAL * 10);
      expect(await feed.ended).toEqual({ close: { code: 4401, reason: 'Unauthorized' } });
      await eventually(async () => live.hub.subscriptions, (n) => n === 0);
      await client.dispose();
    } finally {
      await live.close();
    }
  });
});

describe('the cost of access checks', () => {
  it('sends no SQL per event to shop-feed subscribers: access is re-checked periodically, never per event', async () => {
    const s = await paidOrder();
    const sockets = [connect(s.shop.owner.token), connect(s.shop.owner.token)];
    const before = hubCount();
    const feeds = sockets.flatMap(({ client }) => Array.from({ length: 10 }, () => watch(client, SHOP_FEED_SCALARS, { shopId: s.shop.shopId })));
    await subscribed(t, before, feeds.length);
    const events = 10;
    const statements = await statementsDuring(t, async () => {
      await publish(Array.from({ length: events }, () => orderMessage(s)));
      await eventually(async () => feeds.every((f) => f.events.length === events), (ok) => ok);
    });
    expect(statements).toEqual([]);
    await Promise.all(sockets.map(({ client }) => client.dispose()));
  });

  it('loads an event’s order once per process, however many subscribers select it', async () => {
    const s = await paidOrder();
    const sockets = [connect(s.shop.owner.token), connect(s.shop.owner.token)];
    const before = hubCount();
    const feeds = sockets.flatMap(({ client }) => Array.from({ length: 10 }, () => watch(client, SHOP_FEED, { shopId: s.shop.shopId })));
    await subscribed(t, before, feeds.length);
    const events = 5;
    const statements = await statementsDuring(t, async () => {
      await publish(Array.from({ length: events }, () => orderMessage(s)));
      await eventually(async () => feeds.every((f) => f.events.length === events), (ok) => ok);
    });
    // One order select per event for all twenty subscribers.
    expect(statements.filter((sql) => /from "?orders"?/.test(sql)).length).toBeLessThanOrEqual(events);
    expect(JSON.stringify(feeds[19].events[0])).toContain(s.order.number);
    await Promise.all(sockets.map(({ client }) => client.dispose()));
  });

  it('re-checks a socket with a query for its session and one for its memberships, however many feeds it runs', async () => {
    const INTERVAL = 200;
    const live = await liveServer({ recheckIntervalMs: INTERVAL });
    try {
      const s = await paidOrder();
      const { client } = connect(s.shop.owner.token, live.url);
      for (let i = 0; i < 12; i++) watch(client, SHOP_FEED_SCALARS, { shopId: s.shop.shopId });
      await eventually(async () => live.hub.subscriptions, (n) => n === 12);
      const statements = await statementsDuring(t, () => sleep(INTERVAL * 6));
      const sessions = statements.filter((sql) => /from auth_session/.test(sql)).length;
      expect(sessions).toBeGreaterThanOrEqual(2);
      expect(statements.filter((sql) => /from shop_member/.test(sql)).length).toBeLessThanOrEqual(sessions);
      expect(statements.length).toBeLessThanOrEqual(2 * sessions);
      await client.dispose();
    } finally {
      await live.close();
    }
  });
});

describe('shopOrderEvents', () => {
  it('delivers its shop’s order events to a member, with the order as it is now', async () => {
    const s = await paidOrder();
    const other = await paidOrder();
    const { client } = connect(s.shop.owner.token);
    const before = hubCount();
    const feed = watch(client, SHOP_FEED, { shopId: s.shop.shopId });
    await subscribed(t, before);

    const paid = orderMessage(s, { note: 'paid by card' });
    await publish([orderMessage(other), paid]);
    await eventually(async () => feed.events.length, (n) => n >= 1);
    await sleep(100);
    expect(dataOf(feed)).toEqual([
      {
        shopOrderEvents: {
          id: idOf('LiveOrderEvent', paid.eventId),
          type: 'PAID',
          status: 'PAID',
          note: 'paid by card',
          at: paid.at,
          order: { id: s.order.id, number: s.order.number, status: 'PAID' },
        },
      },
    ]);
    feed.stop();
    await client.dispose();
  });

  it('ends another shop’s feed with NOT_FOUND at subscribe time, and sends none of its events', async () => {
    const s = await paidOrder();
    const outsider = await paidOrder();
    const { client } = connect(outsider.shop.owner.token);
    const before = hubCount();
    const feed = watch(client, SHOP_FEED, { shopId: s.shop.shopId });
    const ending = (await feed.ended) as { errors: { extensions?: Record<string, any> }[] };
    expect(ending.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(ending)).not.toMatch(/stack|select /i);
    expect(hubCount()).toBe(before);
    await publish([orderMessage(s)]);
    await sleep(200);
    expect(feed.events).toEqual([]);
    await client.dispose();
  });

  it('lets order staff watch any shop, and refuses a malformed shop ID with NOT_FOUND', async () => {
    const s = await paidOrder();
    const support = await staff(t, StaffRole.CUSTOMER_SERVICE);
    const { client } = connect(support.token);
    const before = hubCount();
    const feed = watch(client, SHOP_FEED, { shopId: s.shop.shopId });
    await subscribed(t, before);
    await publish([orderMessage(s, { type: 'CANCELLED', status: 'CANCELLED', note: 'out of stock' })]);
    await eventually(async () => feed.events.length, (n) => n === 1);
    expect(feed.events[0].data.shopOrderEvents).toMatchObject({ type: 'CANCELLED', status: 'CANCELLED', note: 'out of stock' });

    const malformed = watch(client, SHOP_FEED, { shopId: idOf('Order', s.order.key) });
    expect(((await malformed.ended) as { errors: { extensions?: Record<string, any> }[] }).errors[0].extensions?.code).toBe('NOT_FOUND');
    feed.stop();
    await client.dispose();
  });
});

describe('orderStatusChanged', () => {
  it('sends the buyer and the shop’s members the order, reloaded, on each status change, and nothing for updates without one', async () => {
    const s = await paidOrder();
    const buyer = connect(s.buyer.token);
    const owner = connect(s.shop.owner.token);
    const before = hubCount();
    const buyerFeed = watch(buyer.client, ORDER_FEED, { orderId: s.order.id });
    const ownerFeed = watch(owner.client, ORDER_FEED, { orderId: s.order.id });
    await subscribed(t, before, 2);

    await t.sql("update orders set status = 'PROCESSING' where id = ?", [s.order.key]);
    await publish([orderMessage(s, { type: 'TRACKING', status: null, note: 'left the depot' }), orderMessage(s, { type: 'ACCEPTED', status: 'PROCESSING' })]);
    await eventually(async () => buyerFeed.events.length + ownerFeed.events.length, (n) => n >= 2);
    await sleep(100);
    const expected = [{ orderStatusChanged: { id: s.order.id, number: s.order.number, status: 'PROCESSING' } }];
    expect(dataOf(buyerFeed)).toEqual(expected);
    expect(dataOf(ownerFeed)).toEqual(expected);
    await Promise.all([buyer.client.dispose(), owner.client.dispose()]);
  });

  it('ends a stranger’s subscription to someone else’s order with NOT_FOUND', async () => {
    const s = await paidOrder();
    const stranger = await userWithToken(t);
    const { client } = connect(stranger.token);
    const before = hubCount();
    const feed = watch(client, ORDER_FEED, { orderId: s.order.id });
    expect(((await feed.ended) as { errors: { extensions?: Record<string, any> }[] }).errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(hubCount()).toBe(before);
    await client.dispose();
  });
});

describe('notificationAdded', () => {
  it('delivers each user their own notifications only', async () => {
    const alice = await userWithToken(t);
    const bob = await userWithToken(t);
    const a = connect(alice.token);
    const b = connect(bob.token);
    const before = hubCount();
    const aliceFeed = watch(a.client, INBOX_FEED);
    const bobFeed = watch(b.client, INBOX_FEED);
    await subscribed(t, before, 2);

    const forAlice = notificationMessage(alice.user.id, { title: 'Your order was shipped', link: idOf('Order', '42') });
    const forBob = notificationMessage(bob.user.id, { kind: 'LOW_STOCK', title: 'Low stock' });
    await publish([forAlice, forBob]);
    await eventually(async () => aliceFeed.events.length + bobFeed.events.length, (n) => n >= 2);
    await sleep(100);
    expect(dataOf(aliceFeed)).toEqual([
      { notificationAdded: { id: idOf('Notification', forAlice.id), kind: 'ORDER_PAID', title: 'Your order was shipped', body: 'Body', link: idOf('Order', '42'), readAt: null, createdAt: forAlice.createdAt } },
    ]);
    expect(dataOf(bobFeed).map((d) => d.notificationAdded.title)).toEqual(['Low stock']);
    await Promise.all([a.client.dispose(), b.client.dispose()]);
  });
});

describe('from payment to socket', () => {
  it('delivers a paid order to its shop’s feed and the owner’s inbox feed once the outbox is dispatched', async () => {
    const journey = scenario(t, { reviewer }).shop().product({ stock: 20 }).buyer().inCart(1).checkout();
    const s = await journey.run();
    await dispatchNotifications(t.app.deps, t.orm.em.fork());
    const { client } = connect(s.shop.owner.token);
    const before = hubCount();
    const shopFeed = watch(client, SHOP_FEED, { shopId: s.shop.shopId });
    const inbox = watch(client, INBOX_FEED);
    await subscribed(t, before, 2);

    await journey.paid().run();
    expect((await dispatchNotifications(t.app.deps, t.orm.em.fork())).events).toBeGreaterThan(0);
    await eventually(async () => shopFeed.events.length + inbox.events.length, (n) => n >= 2);
    expect(dataOf(shopFeed)).toEqual([
      { shopOrderEvents: expect.objectContaining({ type: 'PAID', status: 'PAID', order: { id: s.order.id, number: s.order.number, status: 'PAID' } }) },
    ]);
    expect(dataOf(inbox)).toEqual([{ notificationAdded: expect.objectContaining({ kind: 'ORDER_PAID', link: s.order.id, readAt: null }) }]);
    const stored = await t.sql('select id from notification where user_id = ? and kind = ?', [s.shop.owner.user.id, 'ORDER_PAID']);
    expect(inbox.events[0].data.notificationAdded.id).toBe(idOf('Notification', String(stored[0].id)));
    await client.dispose();
  });
});

describe('the socket protocol', () => {
  it('refuses queries and mutations, and invalid or too deep documents, with codes and no internals', async () => {
    const { token } = await userWithToken(t);
    const { client } = connect(token);
    const codeOf = async (query: string) => {
      const ending = (await watch(client, query).ended) as { errors: { message: string; extensions?: Record<string, any> }[] };
      expect(JSON.stringify(ending)).not.toMatch(/stack|at .*\.ts/);
      return ending.errors[0].extensions?.code;
    };
    expect(await codeOf('query { me { id } }')).toBe('BAD_REQUEST');
    expect(await codeOf('subscription { notificationAdded { nope } }')).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await codeOf('subscription { notificationAdded { id ')).toBe('GRAPHQL_PARSE_FAILED');
    const aliases = `subscription { notificationAdded { ${Array.from({ length: t.config.limits.maxQueryAliases + 1 }, (_, i) => `a${i}: id`).join(' ')} } }`;
    expect(await codeOf(aliases)).toBe('QUERY_TOO_COMPLEX');
    const deep = `subscription { shopOrderEvents(shopId: "x") { order { ${'shop { owner: products { nodes { '.repeat(4)}id${' } } }'.repeat(4)} } } }`;
    expect(await codeOf(deep)).toBe('QUERY_TOO_COMPLEX');
    // Deep enough to overflow graphql-js's recursive parser, and still under the socket's message size limit.
    expect(await codeOf(`subscription { notificationAdded ${'{ id '.repeat(100_000)}}`)).toBe('QUERY_TOO_COMPLEX');
    await client.dispose();
  });

  it('counts open sockets in the metrics and closes them with 1001 when the app stops', async () => {
    const other = await createTestApp({ LOG_LEVEL: 'silent' });
    try {
      const target = `${(await listen(other)).origin.replace(/^http/, 'ws')}/graphql`;
      const { token } = await userWithToken(other);
      const { client, closed } = connect(token, target);
      const feed = watch(client, INBOX_FEED);
      await subscribed(other, 0);
      expect((await other.app.metrics.liveSockets.get()).values[0].value).toBe(1);
      await other.app.close();
      expect((await closed).code).toBe(1001);
      expect((await feed.ended as { close: Closed }).close.code).toBe(1001);
      expect((await other.app.metrics.liveSockets.get()).values[0].value).toBe(0);
      await client.dispose();
    } finally {
      await other.orm.close(true);
    }
  });
});

/** Two server instances on one database (as two workers or machines): what one publishes, the other's subscribers hear. */
describe.each([
  { name: 'PostgreSQL LISTEN/NOTIFY', env: {} as Record<string, string> },
  ...(process.env.TEST_REDIS_URL ? [{ name: 'Redis pub/sub', env: { REDIS_URL: process.env.TEST_REDIS_URL } }] : []),
])('fan-out across instances over $name', ({ env }) => {
  it('delivers a message published by one instance to a subscriber of another', async () => {
    const one = await createTestApp({ LOG_LEVEL: 'silent', ...env });
    const two = await createTestApp({ LOG_LEVEL: 'silent', ...env });
    try {
      const target = `${(await listen(two)).origin.replace(/^http/, 'ws')}/graphql`;
      const { user, token } = await userWithToken(two);
      const { client } = connect(token, target);
      const feed = watch(client, INBOX_FEED);
      await subscribed(two, 0);
      const message = notificationMessage(user.id, { title: 'From the other instance' });
      await publish([message], one);
      await eventually(async () => feed.events.length, (n) => n === 1);
      expect(feed.events[0].data.notificationAdded).toMatchObject({ id: idOf('Notification', message.id), title: 'From the other instance' });
      await client.dispose();
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('closes a socket on one instance at once when its session is revoked through another', async () => {
    const one = await createTestApp({ LOG_LEVEL: 'silent', ...env });
    const two = await createTestApp({ LOG_LEVEL: 'silent', ...env });
    try {
      const target = `${(await listen(two)).origin.replace(/^http/, 'ws')}/graphql`;
      const { token } = await userWithToken(two);
      const { client, closed } = connect(token, target);
      watch(client, INBOX_FEED);
      await subscribed(two, 0);
      const since = Date.now();
      expect((await one.gql(LOGOUT, {}, { token })).data!.logout.ok).toBe(true);
      expect(await closed).toEqual({ code: 4401, reason: 'Unauthorized' });
      expect(Date.now() - since).toBeLessThan(3000);
      await client.dispose();
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

describe('a client that does not read', () => {
  it('has its subscription ended with SLOW_CONSUMER instead of a growing backlog', async () => {
    const s = await paidOrder();
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const received: any[] = [];
    socket.on('message', (data) => received.push(JSON.parse(String(data))));
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${s.shop.owner.token}` } }));
    await eventually(async () => received.length, (n) => n === 1);
    expect(received[0].type).toBe('connection_ack');
    const before = hubCount();
    socket.send(JSON.stringify({ id: 'flood', type: 'subscribe', payload: { query: 'subscription($s: ID!) { shopOrderEvents(shopId: $s) { note } }', variables: { s: s.shop.shopId } } }));
    await subscribed(t, before);
    const slow = async () => (await t.app.metrics.liveSlowConsumers.get()).values.find((v) => v.labels.ended === 'subscription')?.value ?? 0;
    const slowBefore = await slow();

    // The client stops reading; events of ~7 kB keep coming, far more than the socket's buffers hold.
    socket.pause();
    const note = 'x'.repeat(7000);
    const sent = 4000;
    for (let i = 0; i < sent; i += 200) await publish(Array.from({ length: 200 }, () => orderMessage(s, { note })));
    await eventually(slow, (n) => n > slowBefore);
    // The subscription let go of its queue: later events are not kept for it.
    expect(hubCount()).toBe(before);

    socket.resume();
    await eventually(async () => received.at(-1)?.type, (type) => type === 'error', 30_000);
    const nexts = received.filter((m) => m.type === 'next');
    expect(nexts.length).toBeLessThan(sent);
    expect(nexts.length).toBeGreaterThanOrEqual(SUBSCRIPTION_QUEUE_LIMIT);
    expect(received.at(-1)).toMatchObject({ id: 'flood', type: 'error', payload: [{ extensions: { code: 'SLOW_CONSUMER' } }] });
    socket.close();
  }, 60_000);
});
