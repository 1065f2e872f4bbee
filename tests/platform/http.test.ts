import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type TestApp, createTestApp } from '../helpers/app';
import { userWithToken } from '../helpers/factories';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ MAX_QUERY_DEPTH: '6', MAX_QUERY_ALIASES: '5', MAX_QUERY_COST: '200', MAX_BATCH_OPERATIONS: '3', BODY_LIMIT_BYTES: '4096' });
});
afterAll(() => t.close());

describe('abuse limits', () => {
  it('refuses a query deeper than MAX_QUERY_DEPTH before executing it', async () => {
    const deep = `{ me { memberships { shop { members { user { memberships { shop { id } } } } } } } }`;
    const res = await t.gql(deep);
    expect(res.status).toBe(400);
    expect(res.errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX');
    expect(res.data ?? null).toBeNull();
  });

  it('refuses more aliases than MAX_QUERY_ALIASES', async () => {
    const res = await t.gql(`{ ${[1, 2, 3, 4, 5, 6].map((i) => `a${i}: me { id }`).join(' ')} }`);
    expect(res.errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses a query costing more than MAX_QUERY_COST', async () => {
    const fields = Array.from({ length: 60 }, () => 'id email displayName staffRoles createdAt').join(' ');
    const res = await t.gql(`{ me { ${fields} memberships { id role shop { id name slug status } } } }`);
    expect(res.errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('caps the number of operations in a batched request', async () => {
    const op = { query: '{ me { id } }' };
    const ok = await t.app.http.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify([op, op, op]) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toHaveLength(3);
    const tooMany = await t.app.http.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify([op, op, op, op]) });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a body over BODY_LIMIT_BYTES with 413', async () => {
    const res = await t.app.http.inject({
      method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ query: `{ me { id } }`, variables: { pad: 'x'.repeat(5000) } }),
    });
    expect(res.statusCode).toBe(413);
  });

  it('blocks simple (CSRF-able) GET requests without a preflight header, and serves them with one', async () => {
    const blocked = await t.app.http.inject({ method: 'GET', url: '/graphql?query=%7Bme%7Bid%7D%7D' });
    expect(blocked.statusCode).toBe(400);
    const allowed = await t.app.http.inject({ method: 'GET', url: '/graphql?query=%7Bme%7Bid%7D%7D', headers: { 'apollo-require-preflight': 'true' } });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json()).toEqual({ data: { me: null } });
  });

  it('refuses a mutation over GET', async () => {
    const res = await t.app.http.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent('mutation { logout { ok } }')}`, headers: { 'apollo-require-preflight': 'true' } });
    expect(res.statusCode).toBe(405);
  });
});

describe('errors', () => {
  it('masks unexpected errors: generic message, INTERNAL_SERVER_ERROR, request id, no SQL or stack', async () => {
    const { token } = await userWithToken(t);
    const conn = t.orm.em.fork().getConnection();
    await conn.execute('alter table shop_member rename to shop_member_hidden');
    try {
      const res = await t.gql(`{ me { memberships { id } } }`, {}, { token });
      const error = res.errors![0];
      expect(error.message).toBe('Internal server error');
      expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: res.headers['x-request-id'] });
      expect(JSON.stringify(res)).not.toMatch(/shop_member|select|stack|at \w+ \(/i);
    } finally {
      await conn.execute('alter table shop_member_hidden rename to shop_member');
    }
  });

  it('keeps public codes such as NOT_FOUND and BAD_USER_INPUT unmasked', async () => {
    const res = await t.gql(`{ users(first: 1) { totalCount } }`);
    expect(res.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    const bad = await t.gql(`{ nodes(ids: [${Array.from({ length: 101 }, (_, i) => `"${i}"`).join(',')}]) { id } }`);
    expect(bad.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('answers a malformed query with GRAPHQL_PARSE_FAILED and a wrong variable with BAD_USER_INPUT', async () => {
    expect((await t.gql(`{ me { id }`)).errors![0].extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
    const res = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: { nested: true } });
    expect(res.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('echoes a well-formed X-Request-Id and generates one otherwise', async () => {
    const mine = await t.gql(`{ me { id } }`, {}, { headers: { 'x-request-id': 'req-abc.123' } });
    expect(mine.headers['x-request-id']).toBe('req-abc.123');
    const bad = await t.gql(`{ me { id } }`, {}, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('health, readiness and metrics', () => {
  it('answers /healthz and /readyz with 200 while the database is up', async () => {
    expect((await t.app.http.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await t.app.http.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('answers /readyz with 503 when the database is down, /healthz still 200', async () => {
    const database = `mp_down_${inject('runId')}_${randomBytes(3).toString('hex')}`;
    const admin = new Client({ connectionString: inject('adminUrl') });
    await admin.connect();
    await admin.query(`create database ${database} template ${inject('templateDb')}`);
    const url = new URL(inject('adminUrl'));
    url.pathname = `/${database}`;
    const doomed = await createTestApp({ DATABASE_URL: url.toString() });
    try {
      expect((await doomed.app.http.inject({ url: '/readyz' })).statusCode).toBe(200);
      await admin.query(`drop database ${database} with (force)`);
      const res = await doomed.app.http.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', reason: 'database' });
      expect((await doomed.app.http.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await admin.end();
      await doomed.app.close();
      await doomed.orm.close(true).catch(() => undefined);
    }
  });

  it('exposes request durations, operations, errors and SQL counts in Prometheus format', async () => {
    await t.gql(`query MetricsProbe { me { id } }`);
    await t.gql(`query MetricsDenied { users { totalCount } }`);
    const res = await t.app.http.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    expect(res.body).toMatch(/graphql_operations_total\{operation_name="MetricsProbe",operation_type="query"\} 1/);
    expect(res.body).toMatch(/graphql_errors_total\{operation_name="MetricsDenied",code="UNAUTHENTICATED"\} 1/);
    expect(res.body).toContain('graphql_sql_queries_per_request_bucket');
  });
});

describe('production mode', () => {
  let prod: TestApp;
  beforeAll(async () => {
    prod = await createTestApp({ NODE_ENV: 'production', PAYMENT_WEBHOOK_SECRET: 'a-real-production-webhook-secret', PAYOUT_WEBHOOK_SECRET: 'a-real-production-payout-secret', SMTP_URL: 'smtp://127.0.0.1:2525', PUBLIC_URL: 'https://shop.example', LOG_LEVEL: 'silent' });
  });
  afterAll(() => prod.close());

  it('turns introspection off', async () => {
    const res = await prod.gql(`{ __schema { queryType { name } } }`);
    expect(res.status).toBe(400);
    expect(res.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await t.gql(`{ __schema { queryType { name } } }`)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('gives no field suggestions', async () => {
    const res = await prod.gql(`{ me { emial } }`);
    expect(res.errors![0].message).not.toContain('Did you mean');
    expect((await t.gql(`{ me { emial } }`)).errors![0].message).toContain('Did you mean');
  });
});
