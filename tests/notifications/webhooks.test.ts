import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { deliverWebhooks, dispatchNotifications } from '../../src/services/notifications';
import { BlockedAddressError, guardedLookup, isPublicAddress } from '../../src/services/notifications/ssrf';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { type Seller, seller, staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, payloadOf } from '../helpers/kit';
import { type Account, joinShop, scenario } from '../helpers/scenario';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
// Far from the wall clock, so a time taken from anything but the business clock shows.
const clock = new ManualClock(new Date('2031-03-01T08:00:00Z'));
const TIMEOUT_MS = 300;

const CREATE = `mutation($input: WebhookSubscriptionInput!) { createWebhookSubscription(input: $input) {
  webhookSubscription { id url events createdAt disabledAt disabledReason } secret errors { code field message } } }`;
const DELETE = `mutation($input: IdInput!) { deleteWebhookSubscription(input: $input) { deletedWebhookSubscriptionId errors { code field message } } }`;
const LIST = `query($shopId: ID!) { webhookSubscriptions(shopId: $shopId) { id url events disabledAt disabledReason } }`;
const DELIVERY_FIELDS = 'id eventId eventType status attempts lastStatusCode lastDurationMs lastError nextAttemptAt createdAt deliveredAt';
const DELIVERIES = `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on WebhookSubscription {
  deliveries(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${DELIVERY_FIELDS} } } } } }`;
const RUN_TASK = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

/**
 * How a receiver checks a delivery (the README shows receivers this code): the HMAC-SHA256 of the
 * raw body, keyed with the whole secret, compared in constant time with the X-Signature header.
 */
function verifySignature(secret: string, rawBody: string, header: string | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

// --- A merchant's receiver on 127.0.0.1 -------------------------------------------------------------

interface Received {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers the n-th request (1-based) to a path. */
type Handler = (res: ServerResponse, n: number) => void;

const received: Received[] = [];
const handlers = new Map<string, Handler>();
let receiver: Server;
let origin: string;

const answer = (status: number, body = '') => (res: ServerResponse) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
const requestsTo = (path: string) => received.filter((r) => r.path === path);
let paths = 0;
/** A fresh path on the receiver, answered by `handler` (200 by default). */
function endpoint(handler: Handler = answer(200, 'ok')): string {
  const path = `/hook-${++paths}`;
  handlers.set(path, handler);
  return path;
}

// --- The world -----------------------------------------------------------------------------------------

let t: TestApp;
let shop: Seller;
let other: Seller;
let manager: Account;
let operator: Account;
let finance: Account;
let shopper: Account;
let admin: Account;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, method: req.method ?? '', headers: req.headers, body });
      (handlers.get(path) ?? answer(404))(res, requestsTo(path).length);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  t = await createTestApp({ WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) }, { clock });
  shop = await seller(t);
  other = await seller(t);
  manager = await joinShop(t, shop, ShopMemberRole.MANAGER);
  operator = await joinShop(t, shop, ShopMemberRole.OPERATOR);
  finance = await joinShop(t, shop, ShopMemberRole.FINANCE);
  shopper = await userWithToken(t);
  admin = await staff(t, StaffRole.ADMIN);
});

afterAll(async () => {
  await t?.close();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

// Each test sends only its own deliveries: whatever one leaves pending is settled when it ends, so
// a later test moving the clock does not retry it.
afterEach(async () => {
  await t.sql(`update webhook_delivery set status = 'FAILED', next_attempt_at = null where status = 'PENDING'`);
});

// --- Helpers -------------------------------------------------------------------------------------------

async function subscribe(path: string, opts: { token?: string; events?: string[]; s?: Seller } = {}): Promise<{ id: string; key: string; secret: string }> {
  const s = opts.s ?? shop;
  const res = await t.gql(CREATE, { input: { shopId: s.shopId, url: origin + path, events: opts.events ?? ['ORDER_PAID'] } }, { token: opts.token ?? s.owner.token });
  const payload = okPayload(res, 'createWebhookSubscription');
  return { id: payload.webhookSubscription.id, key: keyOf(payload.webhookSubscription.id), secret: payload.secret };
}

let subjects = 1000;
/**
 * An ORDER_PAID event of `s`'s shop queued for the subscriptions `subscriptionKeys`, as the
 * dispatcher queues it (marked dispatched, so it is not dispatched again).
 */
async function queueEvent(subscriptionKeys: string[], opts: { s?: Seller; type?: string; data?: Record<string, unknown> } = {}): Promise<{ eventKey: string; orderKey: string; deliveryKeys: string[] }> {
  const now = clock.now();
  const orderKey = String(++subjects);
  const [event] = await t.sql(
    `insert into outbox_event (type, shop_id, subject_type, subject_id, data, created_at, dispatched_at) values (?, ?, 'Order', ?, ?::jsonb, ?, ?) returning id`,
    [opts.type ?? 'ORDER_PAID', (opts.s ?? shop).shop.id, orderKey, JSON.stringify(opts.data ?? { number: `N${orderKey}`, status: 'PAID' }), now, now],
  );
  const deliveryKeys: string[] = [];
  for (const key of subscriptionKeys) {
    const [row] = await t.sql('insert into webhook_delivery (subscription_id, event_id, next_attempt_at, created_at) values (?, ?, ?, ?) returning id', [key, event.id, now, now]);
    deliveryKeys.push(String(row.id));
  }
  return { eventKey: String(event.id), orderKey, deliveryKeys };
}

const deliver = () => deliverWebhooks(t.app.deps, t.orm.em.fork());

async function deliveryRow(key: string) {
  const [row] = await t.sql('select status, attempts, next_attempt_at, last_status_code, last_duration_ms, last_error, delivered_at from webhook_delivery where id = ?', [key]);
  return row;
}

async function deliveriesOf(subscriptionId: string, token: string, args: { first?: number; after?: string } = {}) {
  const res = await t.gql(DELIVERIES, { id: subscriptionId, ...args }, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.node.deliveries;
}

// --- Subscribing ---------------------------------------------------------------------------------------

describe('createWebhookSubscription', () => {
  it('lets the OWNER subscribe and shows the signing secret once, never again', async () => {
    const url = origin + endpoint();
    const res = await t.gql(CREATE, { input: { shopId: shop.shopId, url, events: ['ORDER_PAID', 'ORDER_SHIPPED', 'ORDER_PAID'] } }, { token: shop.owner.token });
    const { webhookSubscription: sub, secret } = okPayload(res, 'createWebhookSubscription');
    expect(sub).toMatchObject({ url, events: ['ORDER_PAID', 'ORDER_SHIPPED'], disabledAt: null });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const listed = (await t.gql(LIST, { shopId: shop.shopId }, { token: shop.owner.token })).data!.webhookSubscriptions;
    expect(listed.map((s: { id: string }) => s.id)).toContain(sub.id);
    expect(JSON.stringify(listed)).not.toContain(secret);
    // The type has no field that could carry it.
    const asked = await t.gql(`query($shopId: ID!) { webhookSubscriptions(shopId: $shopId) { secret } }`, { shopId: shop.shopId }, { token: shop.owner.token });
    expect(code(asked)).toBe('GRAPHQL_VALIDATION_FAILED');
    const [audit] = await t.sql(`select after from audit_entry where action = 'webhookSubscription.create' and target_id = ?`, [keyOf(sub.id)]);
    expect(JSON.stringify(audit.after)).not.toContain(secret);
  });

  it('lets a MANAGER subscribe', async () => {
    const res = await t.gql(CREATE, { input: { shopId: shop.shopId, url: origin + endpoint(), events: ['LOW_STOCK'] } }, { token: manager.token });
    expect(okPayload(res, 'createWebhookSubscription', 'webhookSubscription').events).toEqual(['LOW_STOCK']);
  });

  it('refuses the OPERATOR and FINANCE roles with FORBIDDEN, a shopper and another shop’s owner with NOT_FOUND, and anonymous callers', async () => {
    const input = { shopId: shop.shopId, url: `${origin}/never`, events: ['ORDER_PAID'] };
    const before = await t.sql('select count(*)::int as n from webhook_subscription');
    expect(code(await t.gql(CREATE, { input }, { token: operator.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(CREATE, { input }, { token: finance.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(CREATE, { input }, { token: shopper.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(CREATE, { input }, { token: other.owner.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(CREATE, { input }, { token: admin.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(CREATE, { input }))).toBe('UNAUTHENTICATED');
    expect(await t.sql('select count(*)::int as n from webhook_subscription')).toEqual(before);
  });

  it.each([
    ['plain http to a public host', 'http://hooks.example.com/orders'],
    ['ftp', 'ftp://hooks.example.com/orders'],
    ['credentials in the URL', 'https://user:secret@hooks.example.com/orders'],
    ['a user name alone', 'https://user@hooks.example.com/orders'],
    ['a URL longer than 2,048 characters', `https://hooks.example.com/${'a'.repeat(2048)}`],
    ['a URL that percent-encoding makes longer than 2,048 characters', `https://hooks.example.com/${'😀'.repeat(500)}`],
    ['something that is not a URL', 'hooks.example.com/orders'],
  ])('refuses %s with INVALID_INPUT on input.url', async (_case, url) => {
    const res = await t.gql(CREATE, { input: { shopId: shop.shopId, url, events: ['ORDER_PAID'] } }, { token: shop.owner.token });
    expect(failuresOf(res, 'createWebhookSubscription', 'webhookSubscription')).toEqual([['INVALID_INPUT', 'input.url']]);
  });

  it('refuses an empty list of events with INVALID_INPUT on input.events', async () => {
    const res = await t.gql(CREATE, { input: { shopId: shop.shopId, url: origin + endpoint(), events: [] } }, { token: shop.owner.token });
    expect(failuresOf(res, 'createWebhookSubscription', 'webhookSubscription')).toEqual([['INVALID_INPUT', 'input.events']]);
  });

  it('accepts http to localhost outside production, and any https host', async () => {
    for (const url of [`http://localhost:9/hook`, 'https://hooks.example.com/orders']) {
      const res = await t.gql(CREATE, { input: { shopId: other.shopId, url, events: ['ORDER_PAID'] } }, { token: other.owner.token });
      expect(okPayload(res, 'createWebhookSubscription', 'webhookSubscription').url).toBe(url);
    }
  });

  it('refuses a 21st subscription of a shop with WEBHOOK_LIMIT_REACHED', async () => {
    const crowded = await seller(t);
    for (let i = 0; i < 20; i++) await subscribe(endpoint(), { s: crowded });
    const res = await t.gql(CREATE, { input: { shopId: crowded.shopId, url: origin + endpoint(), events: ['ORDER_PAID'] } }, { token: crowded.owner.token });
    expect(failuresOf(res, 'createWebhookSubscription', 'webhookSubscription')).toEqual([['WEBHOOK_LIMIT_REACHED', '']]);
    const [{ n }] = await t.sql('select count(*)::int as n from webhook_subscription where shop_id = ?', [crowded.shop.id]);
    expect(n).toBe(20);
  });
});

describe('webhookSubscriptions and node(id)', () => {
  it('shows a shop’s subscriptions to its OWNER, MANAGER and staff; FORBIDDEN to other roles, NOT_FOUND to other shops', async () => {
    const path = endpoint();
    const sub = await subscribe(path);
    for (const token of [shop.owner.token, manager.token, admin.token]) {
      const res = await t.gql(LIST, { shopId: shop.shopId }, { token });
      expect(res.data!.webhookSubscriptions.map((s: { id: string }) => s.id)).toContain(sub.id);
    }
    expect(code(await t.gql(LIST, { shopId: shop.shopId }, { token: operator.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(LIST, { shopId: shop.shopId }, { token: shopper.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(LIST, { shopId: shop.shopId }, { token: other.owner.token }))).toBe('NOT_FOUND');

    const NODE = `query($id: ID!) { node(id: $id) { id ... on WebhookSubscription { url } } }`;
    expect((await t.gql(NODE, { id: sub.id }, { token: manager.token })).data!.node).toEqual({ id: sub.id, url: origin + path });
    for (const token of [operator.token, other.owner.token, shopper.token]) expect((await t.gql(NODE, { id: sub.id }, { token })).data!.node).toBeNull();
  });

  it('keeps the URLs from staff who do not look after shops: NOT_FOUND to staff FINANCE, shown to OPERATIONS and RISK', async () => {
    await subscribe(endpoint());
    for (const role of [StaffRole.OPERATIONS, StaffRole.RISK]) {
      const { token } = await staff(t, role);
      expect((await t.gql(LIST, { shopId: shop.shopId }, { token })).data!.webhookSubscriptions.length, role).toBeGreaterThan(0);
    }
    const { token } = await staff(t, StaffRole.FINANCE);
    expect(code(await t.gql(LIST, { shopId: shop.shopId }, { token }))).toBe('NOT_FOUND');
  });

  it('lets only the OWNER send money and ticket events out: a MANAGER is FORBIDDEN them and nothing is created', async () => {
    const before = (await t.gql(LIST, { shopId: shop.shopId }, { token: shop.owner.token })).data!.webhookSubscriptions.length;
    for (const event of ['SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'TICKET_REPLIED']) {
      const res = await t.gql(CREATE, { input: { shopId: shop.shopId, url: origin + endpoint(), events: ['ORDER_PAID', event] } }, { token: manager.token });
      expect(code(res), event).toBe('FORBIDDEN');
    }
    expect((await t.gql(LIST, { shopId: shop.shopId }, { token: shop.owner.token })).data!.webhookSubscriptions.length).toBe(before);
    const owners = await subscribe(endpoint(), { events: ['SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'TICKET_REPLIED'] });
    expect(owners.secret).toMatch(/^whsec_/);
  });
});

// --- Delivering ----------------------------------------------------------------------------------------

describe('delivery', () => {
  it('gives every subscription its share of a run: a backlog of one does not hold back another shop’s delivery', async () => {
    const busy = endpoint();
    const quiet = endpoint();
    handlers.set(busy, answer(500));
    const backlog = await subscribe(busy);
    const waiting = await subscribe(quiet, { s: other });
    for (let i = 0; i < 10; i++) await queueEvent([backlog.key]);
    clock.advance(1000);
    await queueEvent([waiting.key], { s: other });
    // A run with room for five: at most four of the backlog, and the other shop's one.
    await deliverWebhooks(t.app.deps, t.orm.em.fork(), { batchSize: 5, maxDeliveries: 5 });
    expect(requestsTo(quiet)).toHaveLength(1);
    expect(requestsTo(busy)).toHaveLength(4);
  });

  it('POSTs the event as signed JSON that the receiver verifies with the secret, and logs the delivery', async () => {
    const path = endpoint();
    const sub = await subscribe(path);
    const { eventKey, orderKey, deliveryKeys } = await queueEvent([sub.key], { data: { number: 'M2031', status: 'PAID' } });

    expect(await deliver()).toMatchObject({ delivered: 1 });
    const [request] = requestsTo(path);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toMatch(/webhooks/);
    expect(verifySignature(sub.secret, request.body, request.headers['x-signature'] as string)).toBe(true);
    expect(verifySignature('whsec_not-the-secret', request.body, request.headers['x-signature'] as string)).toBe(false);
    const body = JSON.parse(request.body);
    expect(body).toEqual({
      id: `evt_${eventKey}`,
      type: 'ORDER_PAID',
      createdAt: clock.now().toISOString(),
      data: { number: 'M2031', status: 'PAID', orderId: idOf('Order', orderKey), shopId: shop.shopId },
    });
    expect(request.headers['x-webhook-id']).toBe(body.id);

    const log = await deliveriesOf(sub.id, shop.owner.token);
    expect(log.nodes).toEqual([
      expect.objectContaining({ id: idOf('WebhookDelivery', deliveryKeys[0]), eventId: body.id, eventType: 'ORDER_PAID', status: 'SUCCEEDED', attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null, deliveredAt: clock.now().toISOString() }),
    ]);
    expect(log.nodes[0].lastDurationMs).toBeGreaterThanOrEqual(0);
    // Delivered once: another run sends nothing.
    expect(await deliver()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(requestsTo(path)).toHaveLength(1);
  });

  it('is what the deliver-webhooks scheduled task does', async () => {
    const path = endpoint();
    const sub = await subscribe(path);
    await queueEvent([sub.key]);
    const res = await t.gql(RUN_TASK, { input: { name: 'deliver-webhooks' } }, { token: admin.token });
    expect(okPayload(res, 'runScheduledTask', 'task').lastResult).toBe('done: 1');
    expect(requestsTo(path)).toHaveLength(1);
  });

  it('retries a receiver answering 500 with exponential backoff, then succeeds with the same event id and body', async () => {
    const path = endpoint((res, n) => (n <= 2 ? answer(500, 'down')(res) : answer(204)(res)));
    const sub = await subscribe(path);
    const { deliveryKeys } = await queueEvent([sub.key]);
    const start = clock.now().getTime();

    expect(await deliver()).toMatchObject({ delivered: 0, retrying: 1 });
    let row = await deliveryRow(deliveryKeys[0]);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1, last_status_code: 500, last_error: 'HTTP 500' });
    expect(new Date(row.next_attempt_at).getTime()).toBe(start + 30 * SECOND);

    // Not due yet: nothing is sent.
    clock.advance(29 * SECOND);
    await deliver();
    expect(requestsTo(path)).toHaveLength(1);

    clock.advance(1 * SECOND);
    expect(await deliver()).toMatchObject({ retrying: 1 });
    row = await deliveryRow(deliveryKeys[0]);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 2 });
    expect(new Date(row.next_attempt_at).getTime()).toBe(start + 30 * SECOND + 60 * SECOND);

    clock.advance(60 * SECOND);
    expect(await deliver()).toMatchObject({ delivered: 1 });
    const log = await deliveriesOf(sub.id, shop.owner.token);
    expect(log.nodes[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 3, lastStatusCode: 204, lastError: null, nextAttemptAt: null });

    const attempts = requestsTo(path);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.headers['x-webhook-id'])).size).toBe(1);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
  });

  it('gives up on a receiver that does not answer within WEBHOOK_TIMEOUT_MS and retries later', async () => {
    const path = endpoint(() => undefined);
    const sub = await subscribe(path);
    const { deliveryKeys } = await queueEvent([sub.key]);
    const started = Date.now();
    expect(await deliver()).toMatchObject({ retrying: 1 });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
    const row = await deliveryRow(deliveryKeys[0]);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1, last_status_code: null, last_error: `timed out after ${TIMEOUT_MS} ms` });
    expect(row.last_duration_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(requestsTo(path)).toHaveLength(1);
  });

  it('does not follow redirects', async () => {
    const target = endpoint();
    const path = endpoint((res) => res.writeHead(302, { location: target }).end());
    const sub = await subscribe(path);
    const { deliveryKeys } = await queueEvent([sub.key]);
    await deliver();
    expect(await deliveryRow(deliveryKeys[0])).toMatchObject({ status: 'PENDING', last_status_code: 302, last_error: 'HTTP 302' });
    expect(requestsTo(target)).toHaveLength(0);
  });

  it('reads at most 64 KB of a receiver’s answer, then hangs up and records it', async () => {
    // An answer that never ends: only a capped read finishes before the timeout.
    const path = endpoint((res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 120);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const sub = await subscribe(path);
    const { deliveryKeys } = await queueEvent([sub.key]);
    expect(await deliver()).toMatchObject({ delivered: 1 });
    expect(await deliveryRow(deliveryKeys[0])).toMatchObject({ status: 'SUCCEEDED', last_status_code: 200, last_error: null });
  });

  it('fails a delivery after 24 hours of failures, disables the subscription, tells the owner, and sends it nothing more', async () => {
    const path = endpoint(answer(503, 'maintenance'));
    const sub = await subscribe(path);
    const created = clock.now().getTime();
    const { deliveryKeys } = await queueEvent([sub.key]);
    // A later event of the same subscription, still pending when the first gives up.
    clock.advance(HOUR);
    const { deliveryKeys: laterKeys } = await queueEvent([sub.key]);
    clock.set(new Date(created));

    let row = await deliveryRow(deliveryKeys[0]);
    const gaps: number[] = [];
    for (let guard = 0; row.status === 'PENDING' && guard < 100; guard++) {
      const due = new Date(row.next_attempt_at).getTime();
      if (due > clock.now().getTime()) {
        gaps.push(due - clock.now().getTime());
        clock.set(new Date(due));
      }
      await deliver();
      row = await deliveryRow(deliveryKeys[0]);
    }
    expect(row).toMatchObject({ status: 'FAILED', last_status_code: 503, last_error: 'HTTP 503', next_attempt_at: null });
    // 30 s doubling to the hour, the last attempt at the 24th hour.
    expect(gaps.slice(0, 8)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600].map((s) => s * SECOND));
    expect(Math.max(...gaps)).toBe(HOUR);
    expect(clock.now().getTime()).toBe(created + 24 * HOUR);
    expect(row.attempts).toBe(gaps.length + 1);

    const [subscription] = await t.sql('select disabled_at, disabled_reason from webhook_subscription where id = ?', [sub.key]);
    expect(new Date(subscription.disabled_at).getTime()).toBe(created + 24 * HOUR);
    expect(subscription.disabled_reason).toContain('HTTP 503');
    expect(await deliveryRow(laterKeys[0])).toMatchObject({ status: 'FAILED', next_attempt_at: null });
    const events = await t.sql(`select type, shop_id, subject_type, subject_id, data from outbox_event where type = 'WEBHOOK_DISABLED' and subject_id = ?`, [sub.key]);
    expect(events).toEqual([expect.objectContaining({ shop_id: shop.shop.id, subject_type: 'WebhookSubscription', data: expect.objectContaining({ url: origin + path }) })]);
    const listed = (await t.gql(LIST, { shopId: shop.shopId }, { token: shop.owner.token })).data!.webhookSubscriptions.find((s: { id: string }) => s.id === sub.id);
    expect(listed.disabledAt).toBe(clock.now().toISOString());
    // Dispatched, the event is a notification in the owner's inbox naming the subscription.
    await dispatchNotifications(t.app.deps, t.orm.em.fork());
    const inbox = await t.gql(`{ myNotifications(first: 50) { nodes { kind link body } } }`, {}, { token: shop.owner.token });
    expect(inbox.data!.myNotifications.nodes.filter((n: { kind: string }) => n.kind === 'WEBHOOK_DISABLED')).toEqual([
      { kind: 'WEBHOOK_DISABLED', link: sub.id, body: expect.stringContaining(origin + path) },
    ]);

    // A delivery queued for the disabled subscription anyway is never sent.
    const sentBefore = requestsTo(path).length;
    const { deliveryKeys: afterKeys } = await queueEvent([sub.key]);
    clock.advance(HOUR);
    expect(await deliver()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(requestsTo(path)).toHaveLength(sentBefore);
    expect(await deliveryRow(afterKeys[0])).toMatchObject({ status: 'PENDING', attempts: 0 });
  });

  it('pages the delivery log newest first', async () => {
    const sub = await subscribe(endpoint());
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push(...(await queueEvent([sub.key])).deliveryKeys);
    await deliver();
    const newestFirst = keys.reverse().map((k) => idOf('WebhookDelivery', k));

    const first = await deliveriesOf(sub.id, manager.token, { first: 2 });
    expect(first.totalCount).toBe(5);
    expect(first.nodes.map((d: { id: string }) => d.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await deliveriesOf(sub.id, manager.token, { first: 2, after: first.pageInfo.endCursor });
    expect(second.nodes.map((d: { id: string }) => d.id)).toEqual(newestFirst.slice(2, 4));
    const third = await deliveriesOf(sub.id, manager.token, { first: 2, after: second.pageInfo.endCursor });
    expect(third.nodes.map((d: { id: string }) => d.id)).toEqual(newestFirst.slice(4));
    expect(third.pageInfo.hasNextPage).toBe(false);
    expect(third.nodes.every((d: { status: string }) => d.status === 'SUCCEEDED')).toBe(true);

    // A delivery refetched by its ID: its shop's OWNER and MANAGER see it, nobody else.
    const NODE = `query($id: ID!) { node(id: $id) { ... on WebhookDelivery { eventType status } } }`;
    expect((await t.gql(NODE, { id: newestFirst[0] }, { token: manager.token })).data!.node).toEqual({ eventType: 'ORDER_PAID', status: 'SUCCEEDED' });
    for (const token of [operator.token, other.owner.token]) expect((await t.gql(NODE, { id: newestFirst[0] }, { token })).data!.node).toBeNull();
  });
});

describe('end to end', () => {
  it('delivers ORDER_PAID, signed, to the shop’s receiver once an order is paid and the outbox dispatched', async () => {
    const journey = scenario(t).shop().product({ stock: 5 });
    const s = await journey.run();
    const path = endpoint();
    const sub = await subscribe(path, { s: s.shop, events: ['ORDER_PAID', 'ORDER_SHIPPED'] });
    await journey.buyer().inCart(1).paid().run();

    const dispatched = await dispatchNotifications(t.app.deps, t.orm.em.fork());
    expect(dispatched.deliveries).toBe(1);
    expect(await deliver()).toMatchObject({ delivered: 1 });
    // The order was placed and paid; the subscription asked for ORDER_PAID (and ORDER_SHIPPED) only.
    const requests = requestsTo(path);
    expect(requests).toHaveLength(1);
    expect(verifySignature(sub.secret, requests[0].body, requests[0].headers['x-signature'] as string)).toBe(true);
    expect(JSON.parse(requests[0].body)).toMatchObject({ type: 'ORDER_PAID', data: { orderId: s.order.id, shopId: s.shop.shopId } });
  });
});

describe('deleteWebhookSubscription', () => {
  it('deletes a subscription and its log for the MANAGER; FORBIDDEN to the OPERATOR, NOT_FOUND to another shop', async () => {
    const path = endpoint();
    const sub = await subscribe(path);
    await queueEvent([sub.key]);
    expect(code(await t.gql(DELETE, { input: { id: sub.id } }, { token: operator.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(DELETE, { input: { id: sub.id } }, { token: other.owner.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(DELETE, { input: { id: sub.id } }, { token: shopper.token }))).toBe('NOT_FOUND');

    const res = await t.gql(DELETE, { input: { id: sub.id } }, { token: manager.token });
    expect(okPayload(res, 'deleteWebhookSubscription').deletedWebhookSubscriptionId).toBe(sub.id);
    const listed = (await t.gql(LIST, { shopId: shop.shopId }, { token: shop.owner.token })).data!.webhookSubscriptions;
    expect(listed.map((s: { id: string }) => s.id)).not.toContain(sub.id);
    expect(await t.sql('select id from webhook_delivery where subscription_id = ?', [sub.key])).toEqual([]);
    await deliver();
    expect(requestsTo(path)).toHaveLength(0);
    // Gone: a second delete finds nothing.
    expect(code(await t.gql(DELETE, { input: { id: sub.id } }, { token: manager.token }))).toBe('NOT_FOUND');
    expect(payloadOf(await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: sub.id }, { token: manager.token }), 'node')).toBeNull();
  });
});

// --- The SSRF guard ------------------------------------------------------------------------------------

describe('the SSRF guard', () => {
  it.each([
    '127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.255',
    '0.0.0.0', '224.0.0.1', '239.255.255.250', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1',
    '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '[::1]', 'ff02::1', 'localhost', 'not-an-address',
    '2002:7f00:1::', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '::ffff:0:7f00:1', '64:ff9b::a00:1',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it('refuses a name that resolves to a loopback address', async () => {
    const err = await new Promise<Error | null>((resolve) => guardedLookup('localhost', {}, (e) => resolve(e)));
    expect(err).toBeInstanceOf(BlockedAddressError);
  });

  describe('in production', () => {
    let prod: TestApp;
    let prodShop: Seller;
    beforeAll(async () => {
      prod = await createTestApp(
        { NODE_ENV: 'production', PAYMENT_WEBHOOK_SECRET: 'a-real-production-webhook-secret', PAYOUT_WEBHOOK_SECRET: 'a-real-production-payout-secret', SMTP_URL: 'smtp://127.0.0.1:2525', PUBLIC_URL: 'https://shop.example', LOG_LEVEL: 'silent', WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) },
        { clock },
      );
      prodShop = await seller(prod);
    });
    afterAll(() => prod?.close());

    it.each([
      ['a private address', 'https://10.0.0.5/hooks'],
      ['a loopback address', 'https://127.0.0.1/hooks'],
      ['IPv6 loopback', 'https://[::1]/hooks'],
      ['an IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/hooks'],
      ['the cloud metadata address', 'https://169.254.169.254/latest/meta-data'],
      ['a decimal-encoded loopback', 'https://2130706433/hooks'],
      ['localhost', 'https://localhost/hooks'],
      ['a single-label host', 'https://intranet/hooks'],
      ['http to 127.0.0.1', 'http://127.0.0.1:8080/hooks'],
    ])('refuses %s with INVALID_INPUT', async (_case, url) => {
      const res = await prod.gql(CREATE, { input: { shopId: prodShop.shopId, url, events: ['ORDER_PAID'] } }, { token: prodShop.owner.token });
      expect(failuresOf(res, 'createWebhookSubscription', 'webhookSubscription')).toEqual([['INVALID_INPUT', 'input.url']]);
    });

    it('accepts an https URL of a public host', async () => {
      const res = await prod.gql(CREATE, { input: { shopId: prodShop.shopId, url: 'https://hooks.example.com/orders', events: ['ORDER_PAID'] } }, { token: prodShop.owner.token });
      expect(okPayload(res, 'createWebhookSubscription', 'webhookSubscription').url).toBe('https://hooks.example.com/orders');
    });

    it('refuses, after DNS resolution, to deliver to a host name that resolves to a loopback address', async () => {
      const port = (receiver.address() as AddressInfo).port;
      const path = endpoint();
      // A subscription made before the name pointed inside (or by hand): only the delivery can catch it.
      const [sub] = await t.sql(`insert into webhook_subscription (shop_id, url, events, secret, created_at) values (?, ?, '{ORDER_PAID}', 'whsec_x', ?) returning id`, [
        shop.shop.id,
        `https://localhost:${port}${path}`,
        clock.now(),
      ]);
      const [literal] = await t.sql(`insert into webhook_subscription (shop_id, url, events, secret, created_at) values (?, ?, '{ORDER_PAID}', 'whsec_x', ?) returning id`, [
        shop.shop.id,
        `https://127.0.0.1:${port}${path}`,
        clock.now(),
      ]);
      const { deliveryKeys } = await queueEvent([String(sub.id), String(literal.id)]);

      expect(await deliverWebhooks(prod.app.deps, prod.orm.em.fork())).toMatchObject({ delivered: 0, retrying: 2 });
      expect(requestsTo(path)).toHaveLength(0);
      expect((await deliveryRow(deliveryKeys[0])).last_error).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1), which is not a public address$/);
      expect((await deliveryRow(deliveryKeys[1])).last_error).toBe('refused: 127.0.0.1 is not a public address');
    });
  });
});
