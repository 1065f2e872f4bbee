import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type GqlResult, type TestApp, createTestApp } from '../helpers/app';
import { createShop, createUser, userWithToken } from '../helpers/factories';

const USERS = `query($first: Int, $after: String, $last: Int, $before: String, $search: String) {
  users(first: $first, after: $after, last: $last, before: $before, search: $search) {
    totalCount
    edges { cursor node { id email } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

let t: TestApp;
let admin: { token: string };
const prefix = `page-${Date.now()}`;
const created: string[] = [];
beforeAll(async () => {
  t = await createTestApp();
  admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
  for (let i = 0; i < 7; i++) created.push(toGlobalId('User', (await createUser(t, { email: `${prefix}-${i}@example.com` })).id));
});
afterAll(() => t.close());

describe('keyset connections', () => {
  it('pages forwards newest first without gaps or duplicates, with stable cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: GqlResult = await t.gql(USERS, { first: 3, after, search: prefix }, { token: admin.token });
      const conn = res.data!.users;
      expect(conn.totalCount).toBe(7);
      expect(conn.nodes.map((n: { id: string }) => n.id)).toEqual(conn.edges.map((e: { node: { id: string } }) => e.node.id));
      seen.push(...conn.nodes.map((n: { id: string }) => n.id));
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      pages++;
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  it('is stable under inserts: a new row does not shift the next page', async () => {
    const first = (await t.gql(USERS, { first: 2, search: prefix }, { token: admin.token })).data!.users;
    await createUser(t, { email: `${prefix}-late@example.com` });
    const second = (await t.gql(USERS, { first: 2, after: first.pageInfo.endCursor, search: prefix }, { token: admin.token })).data!.users;
    expect(second.nodes.map((n: { id: string }) => n.id)).toEqual([created[4], created[3]]);
  });

  it('pages backwards with last/before', async () => {
    const all = (await t.gql(USERS, { first: 100, search: `${prefix}-` }, { token: admin.token })).data!.users;
    const anchor = all.edges[5].cursor;
    const back = (await t.gql(USERS, { last: 2, before: anchor, search: `${prefix}-` }, { token: admin.token })).data!.users;
    expect(back.nodes.map((n: { id: string }) => n.id)).toEqual([all.nodes[3].id, all.nodes[4].id]);
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const start = (await t.gql(USERS, { last: 10, before: all.edges[2].cursor, search: `${prefix}-` }, { token: admin.token })).data!.users;
    expect(start.nodes).toHaveLength(2);
    expect(start.pageInfo.hasPreviousPage).toBe(false);
  });

  it.each([
    [{ first: 101 }, 'first'],
    [{ first: -1 }, 'first'],
    [{ last: 101 }, 'last'],
    [{ after: 'not-a-cursor' }, 'after'],
    [{ first: 2, last: 2 }, 'first'],
  ])('refuses %o with BAD_USER_INPUT', async (args, field) => {
    const res = await t.gql(USERS, args, { token: admin.token });
    expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('refuses a forged timestamp cursor PostgreSQL cannot store (year 0000, 29 February of 2023) with BAD_USER_INPUT', async () => {
    const query = `query($after: String) { productsForReview(after: $after) { totalCount } }`;
    const cursor = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
    for (const at of ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z', '2023-02-29T00:00:00.000Z', '2024-01-01T00:00:00+08:00']) {
      const res = await t.gql(query, { after: cursor([at, '1']) }, { token: admin.token });
      expect(res.errors![0].extensions, at).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
    const wellFormed = await t.gql(query, { after: cursor(['2024-02-29T00:00:00.000Z', '1']) }, { token: admin.token });
    expect(wellFormed.errors).toBeUndefined();
  });

  it('defaults to 20 per page', async () => {
    for (let i = 0; i < 14; i++) await createUser(t);
    const res = await t.gql(USERS, {}, { token: admin.token });
    expect(res.data!.users.nodes).toHaveLength(20);
  });

  it('costs a fixed number of SQL queries whatever the page size, and skips the count unless asked', async () => {
    const q = (first: number) => `{ users(first: ${first}) { nodes { id email memberships { role shop { name } } } } }`;
    const one = await t.countQueries(q(1), {}, { token: admin.token });
    const twenty = await t.countQueries(q(20), {}, { token: admin.token });
    expect(one.result.errors).toBeUndefined();
    expect(one.queries).toBeGreaterThan(1);
    expect(twenty.queries).toBe(one.queries);
    // session+viewer, the page, memberships (with shops) in one batch, the audit of the emails shown in one insert
    expect(twenty.queries).toBeLessThanOrEqual(4);
    const counted = await t.countQueries(`{ users(first: 20) { totalCount } }`, {}, { token: admin.token });
    expect(counted.queries).toBe(3);
  });
});

describe('node and nodes', () => {
  it('refetches a visible object by global ID and returns null for absent, invisible or malformed IDs', async () => {
    const me = await userWithToken(t);
    const other = await createUser(t);
    const res = await t.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, {
      ids: [toGlobalId('User', me.user.id), toGlobalId('User', other.id), toGlobalId('User', '999999999'), 'garbage', toGlobalId('Order', '1'), toGlobalId('User', 'abc')],
    }, { token: me.token });
    expect(res.data!.nodes).toEqual([{ __typename: 'User', id: toGlobalId('User', me.user.id) }, null, null, null, null, null]);
  });

  it('resolves shops and memberships through node, batching the loads', async () => {
    const owner = await userWithToken(t);
    const shops = [];
    for (let i = 0; i < 5; i++) shops.push(await createShop(t, [{ user: owner.user, role: ShopMemberRole.OWNER }]));
    const ids = shops.map((s) => toGlobalId('Shop', s.id));
    const { result, queries } = await t.countQueries(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on Shop { slug members { role } } } }`, { ids }, { token: owner.token });
    expect(result.data!.nodes.map((n: { slug: string }) => n.slug)).toEqual(shops.map((s) => s.slug));
    // session, shops (one batch), viewer memberships, members (one batch)
    expect(queries).toBeLessThanOrEqual(4);
  });
});
