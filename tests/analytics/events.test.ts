import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextAs } from '../../src/context';
import { StaffRole } from '../../src/entities';
import { addDays, dayOf, ensureEventPartitions, MAX_EVENTS_PER_BATCH, snapshotMetrics, trackEvents } from '../../src/services/analytics';
import { ManualClock } from '../../src/services/shared';
import { Viewer } from '../../src/viewer';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, idOf, keyOf, okPayload } from '../helpers/kit';
import { type ScenarioProduct, scenario } from '../helpers/scenario';

/**
 * Behaviour events (trackEvents): a batch is checked whole, stored in one INSERT … SELECT joined
 * to the products (their shop and category path copied), all or nothing, rate limited per client
 * address; each Asia/Shanghai day has its partition, made on demand or by
 * `maintain-event-partitions`, which also drops the days past EVENT_RETENTION_DAYS once snapshotted.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** 2031-03-10 12:00 in Asia/Shanghai. */
const NOON = new Date('2031-03-10T04:00:00.000Z');
const clock = new ManualClock(NOON);

const TRACK = `mutation($input: TrackEventsInput!) { trackEvents(input: $input) { accepted errors { code field message } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let product: ScenarioProduct;
let other: ScenarioProduct;
let shopper: { user: { id: string }; token: string };
let admin: { token: string };

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  const s = await scenario(t).shop().product({ title: 'Wireless Earphones Pro' }).product({ title: 'Charging Case' }).run();
  [product, other] = s.products;
  shopper = await userWithToken(t);
  admin = await staff(t, StaffRole.ADMIN);
});
afterAll(() => t.close());

const track = (input: Record<string, unknown>, opts: { token?: string; ip?: string } = {}) => t.gql(TRACK, { input }, opts);

/** The payload of a batch that was stored. */
async function stored(input: Record<string, unknown>, opts: { token?: string; ip?: string } = {}): Promise<number> {
  return okPayload(await track(input, opts), 'trackEvents').accepted;
}

/** The payload errors of a refused batch, as [code, field path]. */
async function refused(input: Record<string, unknown>, opts: { token?: string; ip?: string } = {}): Promise<string[][]> {
  const res = await track(input, opts);
  expect(res.errors).toBeUndefined();
  expect(res.data!.trackEvents.accepted).toBe(0);
  return res.data!.trackEvents.errors.map((e: { code: string; field: string[] }) => [e.code, e.field.join('.')]);
}

const eventCount = async () => Number((await t.sql('select count(*) from behaviour_event'))[0].count);
const sessionKey = async (sessionId: string) => String((await t.sql('select hashtextextended(?, 0)::text as k', [sessionId]))[0].k);
const partitions = async (): Promise<string[]> =>
  (await t.sql(`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'behaviour_event'::regclass order by 1`)).map((r) => r.relname);

async function eventsOf(sessionId: string) {
  const rows = await t.sql(
    `select at, user_id::text, type, product_id::text, shop_id::text, category_path, query, tableoid::regclass::text as partition
     from behaviour_event where session_key = hashtextextended(?, 0) order by at, type`,
    [sessionId],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
}

const categoryPathOf = async (p: ScenarioProduct) => String((await t.sql('select category_path from product where id = ?', [keyOf(p.id)]))[0].category_path);

describe('trackEvents', () => {
  it('makes the day’s partition on demand, then stores an anonymous batch with each product’s shop and category path and a hash of the session', async () => {
    expect(await partitions()).toEqual([]);
    clock.set(NOON);
    const accepted = await stored({
      sessionId: 'anon-session-0001',
      events: [
        { type: 'PRODUCT_VIEW', productId: product.id },
        { type: 'SEARCH', query: '  藍牙耳機  ' },
        { type: 'ADD_TO_CART', productId: product.id, at: new Date(NOON.getTime() - 2 * HOUR).toISOString() },
        { type: 'SHARE', productId: other.id },
      ],
    });
    expect(accepted).toBe(4);
    expect(await partitions()).toEqual(['behaviour_event_20310310']);

    const path = await categoryPathOf(product);
    const shopKey = product.shop.shop.id;
    expect(await eventsOf('anon-session-0001')).toEqual([
      { at: '2031-03-10T02:00:00.000Z', user_id: null, type: 'ADD_TO_CART', product_id: keyOf(product.id), shop_id: shopKey, category_path: path, query: null, partition: 'behaviour_event_20310310' },
      { at: NOON.toISOString(), user_id: null, type: 'PRODUCT_VIEW', product_id: keyOf(product.id), shop_id: shopKey, category_path: path, query: null, partition: 'behaviour_event_20310310' },
      { at: NOON.toISOString(), user_id: null, type: 'SEARCH', product_id: null, shop_id: null, category_path: null, query: '藍牙耳機', partition: 'behaviour_event_20310310' },
      { at: NOON.toISOString(), user_id: null, type: 'SHARE', product_id: keyOf(other.id), shop_id: shopKey, category_path: path, query: null, partition: 'behaviour_event_20310310' },
    ]);
    // Only the hash of the session id is kept.
    const [{ keys }] = await t.sql(`select array_agg(distinct session_key::text) as keys from behaviour_event where query = '藍牙耳機'`);
    expect(keys).toEqual([await sessionKey('anon-session-0001')]);
  });

  it('stores a signed-in shopper’s batch under their user, in one INSERT whatever its size', async () => {
    const events = Array.from({ length: MAX_EVENTS_PER_BATCH }, (_, i) => ({ type: i % 2 ? 'PRODUCT_VIEW' : 'ADD_TO_CART', productId: (i % 3 ? product : other).id }));
    const { result, statements } = await t.captureQueries(TRACK, { input: { sessionId: 'signed-in:session_01', events } }, { token: shopper.token });
    expect(result.data!.trackEvents).toEqual({ accepted: MAX_EVENTS_PER_BATCH, errors: [] });
    expect(statements.filter((s) => /behaviour_event/.test(s.sql))).toHaveLength(1);
    const rows = await eventsOf('signed-in:session_01');
    expect(rows).toHaveLength(MAX_EVENTS_PER_BATCH);
    expect(new Set(rows.map((r) => r.user_id))).toEqual(new Set([shopper.user.id]));
    expect(rows.filter((r) => r.type === 'ADD_TO_CART')).toHaveLength(MAX_EVENTS_PER_BATCH / 2);
  });

  it('keeps a search as typed (quotes, backslashes, commas, braces), in one statement for an anonymous client', async () => {
    clock.set(NOON);
    const query = 'say "耳機", {a\\b} NULL';
    const { result, queries } = await t.countQueries(TRACK, { input: { sessionId: 'quoting-session', events: [{ type: 'SEARCH', query }, { type: 'SEARCH', query: 'NULL' }] } });
    expect(result.data!.trackEvents).toEqual({ accepted: 2, errors: [] });
    expect(queries).toBe(1);
    expect((await eventsOf('quoting-session')).map((r) => r.query).sort()).toEqual(['NULL', query].sort());
  });

  it('stores an event up to 24 hours old at its time, one a little ahead of the clock at now, and refuses older or further ahead', async () => {
    clock.set(NOON);
    const before = await eventCount();
    const at = (ms: number) => new Date(NOON.getTime() + ms).toISOString();
    expect(await refused({ sessionId: 'clock-skew-01', events: [{ type: 'PRODUCT_VIEW', productId: product.id, at: at(-DAY - MINUTE) }] })).toEqual([['INVALID_INPUT', 'input.events.0.at']]);
    expect(
      await refused({
        sessionId: 'clock-skew-01',
        events: [
          { type: 'PRODUCT_VIEW', productId: product.id, at: at(-HOUR) },
          { type: 'PRODUCT_VIEW', productId: product.id, at: at(6 * MINUTE) },
        ],
      }),
    ).toEqual([['INVALID_INPUT', 'input.events.1.at']]);
    expect(await eventCount()).toBe(before);

    // 23 hours back is yesterday in Shanghai (2031-03-09 13:00): that day gets its partition too.
    expect(await stored({ sessionId: 'clock-skew-01', events: [{ type: 'SHARE', productId: product.id, at: at(-23 * HOUR) }, { type: 'PRODUCT_VIEW', productId: product.id, at: at(4 * MINUTE) }] })).toBe(2);
    expect(await eventsOf('clock-skew-01')).toEqual([
      expect.objectContaining({ at: '2031-03-09T05:00:00.000Z', type: 'SHARE', partition: 'behaviour_event_20310309' }),
      expect.objectContaining({ at: NOON.toISOString(), type: 'PRODUCT_VIEW', partition: 'behaviour_event_20310310' }),
    ]);
  });

  it('files an event by its Asia/Shanghai day: a minute before midnight and a minute after go to two partitions', async () => {
    // 2031-03-11 00:01 in Shanghai is 2031-03-10 16:01 UTC.
    clock.set(new Date('2031-03-10T16:01:00.000Z'));
    expect(await stored({ sessionId: 'midnight-session', events: [{ type: 'PRODUCT_VIEW', productId: product.id, at: '2031-03-10T15:59:00.000Z' }, { type: 'PRODUCT_VIEW', productId: product.id }] })).toBe(2);
    expect((await eventsOf('midnight-session')).map((r) => r.partition)).toEqual(['behaviour_event_20310310', 'behaviour_event_20310311']);
    clock.set(NOON);
  });

  describe('refuses a batch whole, naming each bad field, and stores nothing', () => {
    const view = () => ({ type: 'PRODUCT_VIEW', productId: product.id });
    const cases: [string, () => Record<string, unknown>, string[][]][] = [
      ['more than 50 events', () => ({ sessionId: 'too-many-events', events: Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, view) }), [['INVALID_INPUT', 'input.events']]],
      ['a session id too short', () => ({ sessionId: 'short', events: [view()] }), [['INVALID_INPUT', 'input.sessionId']]],
      ['a session id with a space', () => ({ sessionId: 'has a space in it', events: [view()] }), [['INVALID_INPUT', 'input.sessionId']]],
      ['a session id too long', () => ({ sessionId: 'x'.repeat(129), events: [view()] }), [['INVALID_INPUT', 'input.sessionId']]],
      ['a SEARCH without its query', () => ({ sessionId: 'search-session', events: [view(), { type: 'SEARCH' }] }), [['INVALID_INPUT', 'input.events.1.query']]],
      ['a SEARCH of blanks', () => ({ sessionId: 'search-session', events: [{ type: 'SEARCH', query: '   ' }] }), [['INVALID_INPUT', 'input.events.0.query']]],
      ['a SEARCH of more than 200 characters', () => ({ sessionId: 'search-session', events: [{ type: 'SEARCH', query: '耳'.repeat(201) }] }), [['INVALID_INPUT', 'input.events.0.query']]],
      ['a SEARCH naming a product', () => ({ sessionId: 'search-session', events: [{ type: 'SEARCH', query: 'earphones', productId: product.id }] }), [['INVALID_INPUT', 'input.events.0.productId']]],
      [
        'a view, add-to-cart or share without its product',
        () => ({ sessionId: 'no-product-session', events: [view(), { type: 'PRODUCT_VIEW' }, { type: 'ADD_TO_CART' }, { type: 'SHARE' }] }),
        [
          ['INVALID_INPUT', 'input.events.1.productId'],
          ['INVALID_INPUT', 'input.events.2.productId'],
          ['INVALID_INPUT', 'input.events.3.productId'],
        ],
      ],
      ['a query on a view', () => ({ sessionId: 'query-session', events: [{ ...view(), query: 'earphones' }] }), [['INVALID_INPUT', 'input.events.0.query']]],
      [
        'an unknown product among good events',
        () => ({ sessionId: 'unknown-product', events: [view(), { type: 'ADD_TO_CART', productId: idOf('Product', '987654321') }, view(), { type: 'SHARE', productId: idOf('Product', '987654322') }] }),
        [
          ['INVALID_INPUT', 'input.events.1.productId'],
          ['INVALID_INPUT', 'input.events.3.productId'],
        ],
      ],
      ['an ID of something else than a product', () => ({ sessionId: 'wrong-type-id', events: [{ type: 'PRODUCT_VIEW', productId: product.shop.shopId }] }), [['INVALID_INPUT', 'input.events.0.productId']]],
    ];
    it.each(cases)('%s', async (_name, input, errors) => {
      const before = await eventCount();
      expect(await refused(input())).toEqual(errors);
      expect(await eventCount()).toBe(before);
    });

    it('takes a product shoppers cannot see (a draft, banned or hidden one) as unknown: no views for it, nothing told of it', async () => {
      const before = await eventCount();
      await t.sql('update product set visible = false where id = ?', [keyOf(product.id)]);
      try {
        expect(await refused({ sessionId: 'hidden-product', events: [view()] })).toEqual([['INVALID_INPUT', 'input.events.0.productId']]);
      } finally {
        await t.sql('update product set visible = true where id = ?', [keyOf(product.id)]);
      }
      expect(await eventCount()).toBe(before);
    });

    it('checks the same when called directly, and an empty batch stores nothing without a statement', async () => {
      const em = t.orm.em.fork();
      const ctx = contextAs(t.app.deps, em, Viewer.anonymous(em), { requestId: 'events-test', log: t.app.http.log });
      await expect(trackEvents(ctx, { sessionId: 'direct-session', events: [{ type: 'PRODUCT_VIEW', productId: '987654321' }] })).rejects.toMatchObject({
        errors: [{ code: 'INVALID_INPUT', field: ['input', 'events', '0', 'productId'] }],
      });
      await expect(trackEvents(ctx, { sessionId: 'direct-session', events: [{ type: 'PRODUCT_VIEW', productId: 'not-a-key' }] })).rejects.toMatchObject({
        errors: [{ code: 'INVALID_INPUT', field: ['input', 'events', '0', 'productId'] }],
      });
      await expect(trackEvents(ctx, { sessionId: 'direct-session', events: [{ type: 'LIKE' as never, productId: keyOf(product.id) }] })).rejects.toMatchObject({
        errors: [{ code: 'INVALID_INPUT', field: ['input', 'events', '0', 'type'] }],
      });
      await expect(trackEvents(ctx, { sessionId: 'direct-session', events: [{ type: 'SHARE', productId: keyOf(product.id), at: new Date(Number.NaN) }] })).rejects.toMatchObject({
        errors: [{ code: 'INVALID_INPUT', field: ['input', 'events', '0', 'at'] }],
      });
      const { result, statements } = await t.captureQueries(TRACK, { input: { sessionId: 'empty-batch-01', events: [] } });
      expect(result.data!.trackEvents).toEqual({ accepted: 0, errors: [] });
      expect(statements.filter((s) => /behaviour_event/.test(s.sql))).toEqual([]);
    });
  });

  it('limits calls per client address (TRACK_EVENTS_PER_MINUTE), refused batches included', async () => {
    const limited = await createTestApp({ TRACK_EVENTS_PER_MINUTE: '3' }, { clock });
    try {
      const input = { sessionId: 'rate-limited-01', events: [{ type: 'PRODUCT_VIEW', productId: product.id }] };
      const ip = '203.0.113.7';
      expect((await limited.gql(TRACK, { input }, { ip })).data!.trackEvents.accepted).toBe(1);
      // A refused batch counts too, even one whose product ID is not an ID at all.
      const malformed = { ...input, events: [{ type: 'PRODUCT_VIEW', productId: 'not-an-id' }] };
      expect((await limited.gql(TRACK, { input: malformed }, { ip })).data!.trackEvents.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'events', '0', 'productId'] });
      expect((await limited.gql(TRACK, { input }, { ip })).data!.trackEvents.accepted).toBe(1);
      const blocked = await limited.gql(TRACK, { input }, { ip });
      expect(code(blocked)).toBe('RATE_LIMITED');
      expect(blocked.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(0);
      // Another address has its own allowance.
      expect((await limited.gql(TRACK, { input }, { ip: '203.0.113.8' })).data!.trackEvents.accepted).toBe(1);
      expect((await eventsOf('rate-limited-01')).length).toBe(3);
    } finally {
      await limited.close();
    }
  });
});

describe('event partitions', () => {
  it('creates each missing day’s partition once, even when two processes ask at the same time', async () => {
    const created = await Promise.all([ensureEventPartitions(t.orm.em.fork(), '2031-04-01', '2031-04-03'), ensureEventPartitions(t.orm.em.fork(), '2031-04-02', '2031-04-04')]);
    expect(created[0] + created[1]).toBe(4);
    expect(await ensureEventPartitions(t.orm.em.fork(), '2031-04-01', '2031-04-04')).toBe(0);
    expect((await partitions()).filter((p) => p.startsWith('behaviour_event_203104'))).toEqual(['behaviour_event_20310401', 'behaviour_event_20310402', 'behaviour_event_20310403', 'behaviour_event_20310404']);
    // Each covers its Shanghai day exactly: from 00:00+08 to the next day's 00:00+08.
    const [edges] = await t.sql(
      `with x(at) as (values ('2031-04-01 23:59:59.999+08'::timestamptz), ('2031-04-02 00:00+08'::timestamptz), ('2031-04-02 23:59:59.999+08'::timestamptz), ('2031-04-03 00:00+08'::timestamptz)),
            ins as (insert into behaviour_event (at, session_key, type, query) select at, 2, 'SEARCH', 'edge' from x returning at, tableoid::regclass::text as part)
       select array_agg(part order by at) as parts from ins`,
    );
    expect(edges.parts).toEqual(['behaviour_event_20310401', 'behaviour_event_20310402', 'behaviour_event_20310402', 'behaviour_event_20310403']);
  });

  it('maintain-event-partitions makes yesterday to a week ahead, and drops days past EVENT_RETENTION_DAYS only once they are snapshotted', async () => {
    clock.set(NOON);
    const today = dayOf(clock.now());
    expect(today).toBe('2031-03-10');
    // Retention 90 days: days before 2030-12-10 go. 2030-12-09 and two days before have events.
    const old = ['2030-12-01', '2030-12-02', '2030-12-03', '2030-12-09', '2030-12-10'];
    await ensureEventPartitions(t.orm.em.fork(), '2030-12-01', '2030-12-03');
    await ensureEventPartitions(t.orm.em.fork(), '2030-12-09', '2030-12-10');
    for (const day of old) {
      await t.sql(`insert into behaviour_event (at, session_key, type, query) values (?::date::timestamp at time zone 'Asia/Shanghai' + interval '9 hours', 1, 'SEARCH', 'old')`, [day]);
    }
    // Snapshotted: every old day but 2030-12-03.
    await snapshotMetrics(t.app.deps, t.orm.em.fork(), { from: '2030-12-01', to: '2030-12-02' });
    await snapshotMetrics(t.app.deps, t.orm.em.fork(), { from: '2030-12-09', to: '2030-12-10' });
    const missingAhead = Array.from({ length: 9 }, (_, i) => `behaviour_event_${addDays(today, i - 1).replaceAll('-', '')}`);
    const before = await partitions();
    const toCreate = missingAhead.filter((p) => !before.includes(p)).length;

    const first = okPayload(await t.gql(RUN, { input: { name: 'maintain-event-partitions' } }, { token: admin.token }), 'runScheduledTask').task.lastResult;
    expect(first).toBe(`done: ${toCreate + 3}; ${toCreate} created; 3 dropped (2030-12-01 to 2030-12-09); 1 past retention kept: not snapshotted since final (2030-12-03 to 2030-12-03)`);
    const after = await partitions();
    for (const p of missingAhead) expect(after).toContain(p);
    expect(after.filter((p) => p < 'behaviour_event_20310101')).toEqual(['behaviour_event_20301203', 'behaviour_event_20301210']);
    expect(Number((await t.sql(`select count(*) from behaviour_event where query = 'old'`))[0].count)).toBe(2);

    // Nothing left to do: a second run changes nothing.
    const second = okPayload(await t.gql(RUN, { input: { name: 'maintain-event-partitions' } }, { token: admin.token }), 'runScheduledTask').task.lastResult;
    expect(second).toBe('done: 0; 1 past retention kept: not snapshotted since final (2030-12-03 to 2030-12-03)');

    // Snapshotted part-way only (on the day itself, when late events could still reach it): kept.
    clock.set(new Date('2030-12-04T23:00:00+08:00'));
    await snapshotMetrics(t.app.deps, t.orm.em.fork(), { from: '2030-12-03', to: '2030-12-03' });
    clock.set(NOON);
    const partWay = okPayload(await t.gql(RUN, { input: { name: 'maintain-event-partitions' } }, { token: admin.token }), 'runScheduledTask').task.lastResult;
    expect(partWay).toBe('done: 0; 1 past retention kept: not snapshotted since final (2030-12-03 to 2030-12-03)');

    // Once snapshotted from the day after next on, that day goes too.
    await snapshotMetrics(t.app.deps, t.orm.em.fork(), { from: '2030-12-03', to: '2030-12-03' });
    const third = okPayload(await t.gql(RUN, { input: { name: 'maintain-event-partitions' } }, { token: admin.token }), 'runScheduledTask').task.lastResult;
    expect(third).toBe('done: 1; 1 dropped (2030-12-03 to 2030-12-03)');
  });
});
