import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '../../src/apollo';
import { type TestApp, createTestApp } from '../helpers/app';

/** Request-shape limits and client mistakes at the HTTP edge, with the default limits of config.ts. */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const post = (payload: string) => t.app.http.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload });
const get = (params: Record<string, string>) =>
  t.app.http.inject({ method: 'GET', url: `/graphql?${new URLSearchParams(params).toString()}`, headers: { 'apollo-require-preflight': 'true' } });
const nested = (levels: number, inner = '0') => '['.repeat(levels) + inner + ']'.repeat(levels);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('deeply nested JSON', () => {
  it('refuses variables nested 5,000 and 100,000 levels deep with 400 BAD_REQUEST instead of overflowing the stack', async () => {
    for (const levels of [5_000, 100_000]) {
      const res = await post(`{"query":"{ __typename }","variables":{"a":${nested(levels)}}}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].extensions).toEqual({ code: 'BAD_REQUEST', requestId: res.headers['x-request-id'] });
      expect(res.json().errors[0].message).toMatch(/nested/);
    }
  });

  it('refuses a body whose query member is nested 5,000 levels deep', async () => {
    const res = await post(`{"query":${nested(5_000, '"{ __typename }"')}}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a GET whose variables are nested 5,000 levels deep', async () => {
    const res = await get({ query: '{ __typename }', variables: `{"a":${nested(5_000)}}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('still serves reasonably nested variables', async () => {
    const res = await post(`{"query":"{ __typename }","variables":{"a":${nested(50)}}}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a NUL escaped inside GET variables, as it does in a POST body', async () => {
    const query = 'query($q: String) { category(slug: $q) { id } }';
    expect((await post(JSON.stringify({ query, variables: { q: 'a\u0000b' } }))).json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const res = await get({ query, variables: JSON.stringify({ q: 'a\u0000b' }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('deeply nested documents', () => {
  const deepQuery = (levels: number) => `{ ${'products { nodes { shop '.repeat(levels)}{ id }${' } }'.repeat(levels)} }`;

  it('refuses a query nested 3,000 levels deep before parsing it, saying nothing of stacks', async () => {
    for (const res of [await post(JSON.stringify({ query: deepQuery(1_500) })), await get({ query: deepQuery(1_500) })]) {
      expect(res.statusCode).toBe(400);
      const [error] = res.json().errors;
      expect(error.extensions.code).toBe('QUERY_TOO_COMPLEX');
      expect(error.message).not.toMatch(/stack/i);
    }
    const batch = await post(JSON.stringify([{ query: '{ __typename }' }, { query: `{ __typename ${'('.repeat(300)}` }]));
    expect(batch.statusCode).toBe(400);
    expect(batch.json().errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('counts no brackets inside strings and comments', async () => {
    const query = `query($q: String = "${'{'.repeat(400)}") { # ${'('.repeat(400)}\n category(slug: $q) { id } }`;
    const res = await post(JSON.stringify({ query }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: { category: null } });
  });
});

describe('client mistakes are client errors, not masked internal ones', () => {
  it('answers a subscription over HTTP with 400 BAD_REQUEST', async () => {
    // A valid subscription: they are served over WebSocket only (src/realtime/ws.ts).
    const res = await post(JSON.stringify({ query: 'subscription { notificationAdded { id } }' }));
    expect(res.statusCode).toBe(400);
    const [error] = res.json().errors;
    expect(error.extensions.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/subscription/i);
  });

  it('answers a persisted-query hash that does not match the query with 400 BAD_REQUEST, over GET and POST', async () => {
    const query = '{ __typename }';
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } });
    const viaGet = await get({ query, extensions });
    expect(viaGet.statusCode).toBe(400);
    expect(viaGet.json().errors[0]).toMatchObject({ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } });
    const viaPost = await post(JSON.stringify({ query, extensions: JSON.parse(extensions) }));
    expect(viaPost.statusCode).toBe(400);
    expect(viaPost.json().errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('answers more than 50 invalid variable values with 400 BAD_USER_INPUT only, the cut-off notice included', async () => {
    const query = 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }';
    const res = await post(JSON.stringify({ query, variables: { ids: Array.from({ length: 60 }, () => [1]) } }));
    expect(res.statusCode).toBe(400);
    const { errors } = res.json();
    expect(errors).toHaveLength(51);
    expect(new Set(errors.map((e: { extensions: { code: string } }) => e.extensions.code))).toEqual(new Set(['BAD_USER_INPUT']));
    expect(errors[50].message).toMatch(/too many errors/i);
  });

  it('answers an unknown persisted-query version with 400 BAD_REQUEST', async () => {
    const res = await get({ extensions: JSON.stringify({ persistedQuery: { version: 2, sha256Hash: 'a'.repeat(64) } }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('still serves automatic persisted queries whose hash matches', async () => {
    const query = '{ __typename }';
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });
    expect((await get({ query, extensions })).json()).toEqual({ data: { __typename: 'Query' } });
    // Registered by the first request: the hash alone is enough now.
    expect((await get({ extensions })).json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('alias limit', () => {
  const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;

  it('counts aliases of __typename: 1,000 of them are QUERY_TOO_COMPLEX', async () => {
    const res = await t.gql(aliases(1000));
    expect(res.status).toBe(400);
    expect(res.errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX');
    expect(res.data ?? null).toBeNull();
  });

  it('allows exactly MAX_QUERY_ALIASES (30 by default) aliases, __typename ones included', async () => {
    expect(t.config.limits.maxQueryAliases).toBe(30);
    expect((await t.gql(aliases(30))).status).toBe(200);
    expect((await t.gql(aliases(31))).errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX');
  });
});

describe('transient database failures', () => {
  it('answers a deadlock victim or a serialization failure as retryable SERVICE_UNAVAILABLE: the transaction was rolled back whole', () => {
    for (const code of ['40P01', '40001']) {
      const driverError = Object.assign(new Error('deadlock detected'), { code });
      expect(errorCode(driverError)).toBe('SERVICE_UNAVAILABLE');
      expect(errorCode(new Error('wrapped', { cause: driverError }))).toBe('SERVICE_UNAVAILABLE');
    }
    expect(errorCode(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe('INTERNAL_SERVER_ERROR');
  });
});
