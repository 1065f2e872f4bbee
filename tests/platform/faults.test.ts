import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LISTENER_NAME } from '../../src/catalogCache';
import { initOrm, type OrmLogLevel } from '../../src/db/orm';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type TestApp, createTestApp } from '../helpers/app';
import { webhook } from '../helpers/buying';
import { DatabaseProxy, databaseOf, listenerPids, listenSessions, terminateBackendsAndWait } from '../helpers/databaseFaults';
import { userWithToken } from '../helpers/factories';
import { eventually, sleep } from '../helpers/wait';
import { type ServerProcess, freePort, serverEnv, spawnServer } from './serverProcess';

/**
 * The database going away under a running server: connections terminated by the server, and a
 * period when it refuses connections. A TCP proxy stands between the app and PostgreSQL so a test
 * can cut every connection and refuse new ones, then let them through again.
 */

let admin: Client;
let database: string;
let proxy: DatabaseProxy;
let t: TestApp;

beforeAll(async () => {
  database = databaseOf(process.env.TEST_DB_URL!);
  admin = new Client({ connectionString: process.env.TEST_DB_URL });
  await admin.connect();
  // down() returns once the clients had time to notice their connections closed, as they would have a while into an outage.
  proxy = new DatabaseProxy(process.env.TEST_DB_URL!, { settleMs: 200 });
  await proxy.up();
  t = await createTestApp({ DATABASE_URL: proxy.url(), CATALOG_CACHE_ENTRIES: '100' });
});
afterAll(async () => {
  await proxy.up().catch(() => undefined);
  await t?.close();
  await proxy.down();
  await admin?.end();
});

/** Terminates every session of this file's database but the admin one, and waits until those are gone (reconnections may follow). */
async function terminateAll(where = 'true'): Promise<void> {
  await terminateBackendsAndWait(admin, database, where);
}

const listeners = () => listenerPids(admin, database);
const listenerSessions = () => listenSessions(admin, database);

/** `{ __typename }` is an anonymous catalog read: cached once the cache LISTENs. */
const cached = async (): Promise<boolean> => (await t.gql('{ __typename }')).headers['x-catalog-cache'] === 'hit';

/** The cache LISTENs (an answer is served from it), then invalidates on a change notification. */
async function expectCacheWorks(): Promise<void> {
  await eventually(cached, Boolean);
  await admin.query(`select pg_notify('catalog_changed', '')`);
  await eventually(cached, (hit) => !hit, 5000);
}

describe('the catalog cache LISTEN connection', () => {
  it('stays exactly one session through repeated terminations, and still invalidates the cache', async () => {
    await eventually(cached, Boolean);
    expect(await listenerSessions()).toBe(1);
    for (let i = 0; i < 4; i++) {
      const before = await listeners();
      await terminateAll(`application_name = '${LISTENER_NAME}'`);
      await eventually(listeners, (pids) => pids.length > 0 && !pids.some((pid) => before.includes(pid)));
      await eventually(cached, Boolean);
    }
    // Retries that are still pending would open more sessions within this time.
    await sleep(1500);
    expect(await listenerSessions()).toBe(1);
    await expectCacheWorks();
    expect(await listenerSessions()).toBe(1);
  }, 60_000);

  it('stays exactly one session after a period of refused connections', async () => {
    await eventually(cached, Boolean);
    await proxy.down();
    await sleep(3000);
    expect(await listenerSessions()).toBe(0);
    await proxy.up();
    await eventually(cached, Boolean);
    await sleep(1500);
    expect(await listenerSessions()).toBe(1);
    await expectCacheWorks();
  }, 60_000);
});

describe('requests when the database connection is lost', () => {
  const PRODUCTS = `query($first: Int) { products(first: $first) { nodes { id } } }`;

  it('answers SERVICE_UNAVAILABLE (503, Retry-After, retryable) when the connection dies mid-request, and the retry succeeds', async () => {
    // The request waits for a lock, so it is in flight when its connection is terminated.
    const locker = new Client({ connectionString: process.env.TEST_DB_URL });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table product in access exclusive mode');
      const pending = t.app.http.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ query: PRODUCTS, variables: { first: 11 } }) });
      await eventually(
        async () => (await admin.query(`select count(*)::int as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'`, [database])).rows[0].n,
        (n) => n > 0,
      );
      await terminateAll(`pid <> ${(await locker.query('select pg_backend_pid() as pid')).rows[0].pid}`);
      await locker.query('rollback');
      const res = await pending;
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      const body = res.json();
      expect(body.data ?? null).toBeNull();
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryable: true, requestId: res.headers['x-request-id'] });
      expect(JSON.stringify(body)).not.toMatch(/terminat|administrator|select |57P01/i);
    } finally {
      await locker.end();
    }
    const retry = await t.gql(PRODUCTS, { first: 11 });
    expect(retry.status).toBe(200);
    expect(retry.errors).toBeUndefined();
  }, 30_000);

  it('answers SERVICE_UNAVAILABLE with 503 while the database refuses connections, signed in or not, and serves again once it is back', async () => {
    const { token } = await userWithToken(t);
    await proxy.down();
    try {
      const anonymous = await t.gql(PRODUCTS, { first: 12 });
      expect(anonymous.status).toBe(503);
      expect(anonymous.headers['retry-after']).toBe('1');
      expect(anonymous.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      // A signed-in request needs the database before any resolver runs, to check the session.
      const signedIn = await t.gql(`{ me { id } }`, {}, { token });
      expect(signedIn.status).toBe(503);
      expect(signedIn.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    } finally {
      await proxy.up();
    }
    expect((await t.gql(PRODUCTS, { first: 12 })).status).toBe(200);
    const me = await t.gql(`{ me { id } }`, {}, { token });
    expect(me.status).toBe(200);
    expect(me.data!.me).not.toBeNull();
  }, 30_000);

  it('answers a payment webhook with 503 and Retry-After while the database refuses connections, so the provider retries', async () => {
    await proxy.down();
    try {
      const res = await webhook(t, { eventId: 'evt-db-down', type: 'payment.succeeded', paymentId: toGlobalId('Payment', '1') });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toEqual({ error: 'Service unavailable', requestId: res.headers['x-request-id'] });
    } finally {
      await proxy.up();
    }
    expect((await webhook(t, { eventId: 'evt-db-back', type: 'payment.succeeded', paymentId: toGlobalId('Payment', '1') })).statusCode).toBe(404);
  }, 30_000);

  it('keeps a partial answer at 200: only the fields that needed the database carry the error', async () => {
    await proxy.down();
    try {
      const res = await t.gql(`{ __typename category(slug: "none") { id } }`);
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ __typename: 'Query', category: null });
      expect(res.errors!.map((e) => [e.path, e.extensions!.code])).toEqual([[['category'], 'SERVICE_UNAVAILABLE']]);
      const batch = await t.app.http.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify([{ query: '{ __typename }' }, { query: PRODUCTS, variables: { first: 13 } }]),
      });
      // One operation of the batch succeeded: retrying the whole batch is the client's choice, not a 503.
      expect(batch.statusCode).toBe(200);
      expect(batch.json()[1].errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await proxy.up();
    }
  }, 30_000);
});

describe('logs when the database drops connections', () => {
  const children: ServerProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill();
  });

  it("routes the query builder's connection errors into the ORM log at warn, never to the console", async () => {
    const lines: { message: string; level?: OrmLogLevel }[] = [];
    const orm = await initOrm({ url: process.env.TEST_DB_URL!, poolMax: 2, log: (message, level) => lines.push({ message, level }) });
    const console = vi.spyOn(globalThis.console, 'log');
    try {
      await orm.em.getConnection().execute('select 1');
      await terminateAll();
      // Give the pooled connection time to receive the termination notice.
      await sleep(200);
      await orm.em.getConnection().execute('select 1');
      expect(lines).toContainEqual({ message: expect.stringMatching(/^Connection Error: /), level: 'warn' });
      expect(console.mock.calls.flat().join('\n')).not.toContain('Connection Error');
    } finally {
      console.mockRestore();
      await orm.close(true);
    }
  });

  it('prints only JSON lines from a server whose connections the database terminated', async () => {
    const port = await freePort();
    const server = spawnServer(serverEnv(port, { DATABASE_URL: process.env.TEST_DB_URL! }));
    children.push(server);
    await server.waitFor('marketplace server ready');
    const ask = async () => (await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ products(first: 3) { nodes { id } } }' }) })).status;
    expect(await ask()).toBe(200);
    await terminateAll();
    await sleep(200);
    expect(await ask()).toBe(200);
    await server.waitFor('Connection Error', 10_000);
    server.child.kill('SIGTERM');
    await server.exit;
    const lines = server.output().split('\n').filter((line) => line.trim() !== '');
    const notJson = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    expect(lines.map((line) => JSON.parse(line) as { msg?: string }).some((entry) => entry.msg?.startsWith('Connection Error: '))).toBe(true);
  }, 90_000);
});
