import { isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { permissionTree, rootRules } from '../../src/permissions';
import { buildBareSchema } from '../../src/schema';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type TestApp, createTestApp } from '../helpers/app';
import { createShop, createUser, userWithToken } from '../helpers/factories';
import { code } from '../helpers/kit';

const SET_ROLES = `mutation($input: SetStaffRolesInput!) { setStaffRoles(input: $input) { user { id staffRoles } errors { code field } } }`;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('the shield tree', () => {
  it('has an explicit rule for every root field', () => {
    const schema = buildBareSchema();
    for (const typeName of ['Query', 'Mutation', 'Subscription'] as const) {
      const type = schema.getType(typeName);
      if (!type || !isObjectType(type)) continue;
      const rules = (rootRules as Record<string, Record<string, unknown>>)[typeName] ?? {};
      const missing = Object.keys(type.getFields()).filter((f) => !(f in rules));
      expect(missing, `${typeName} fields without a rule`).toEqual([]);
    }
  });

  it('covers every object type: explicitly, or as a payload/connection/edge wrapper', () => {
    const schema = buildBareSchema();
    const tree = permissionTree(schema);
    const uncovered = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__') && !(type.name in tree))
      .map((type) => type.name);
    expect(uncovered).toEqual([]);
  });
});

describe('setStaffRoles', () => {
  it('lets an ADMIN grant roles, which take effect on the next request', async () => {
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    const target = await userWithToken(t);
    const res = await t.gql(SET_ROLES, { input: { userId: toGlobalId('User', target.user.id), roles: ['REVIEWER', 'RISK', 'REVIEWER'] } }, { token: admin.token });
    expect(res.data!.setStaffRoles).toEqual({ user: { id: toGlobalId('User', target.user.id), staffRoles: ['REVIEWER', 'RISK'] }, errors: [] });
    const me = await t.gql(`{ me { staffRoles } }`, {}, { token: target.token });
    expect(me.data!.me.staffRoles).toEqual(['REVIEWER', 'RISK']);
  });

  it('writes an audit entry with actor, before/after and request id', async () => {
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    const target = await createUser(t);
    const res = await t.gql(SET_ROLES, { input: { userId: toGlobalId('User', target.id), roles: ['FINANCE'] } }, { token: admin.token });
    const [entry] = await t.orm.em.fork().getConnection().execute('select * from audit_entry where target_id = ? order by id desc limit 1', [target.id]);
    expect(entry).toMatchObject({ action: 'user.setStaffRoles', target_type: 'User', before: { roles: [] }, after: { roles: ['FINANCE'] } });
    expect(String(entry.actor_id)).toBe(admin.user.id);
    expect(entry.request_id).toBe(res.headers['x-request-id']);
  });

  it.each([
    ['a shopper', []],
    ['a REVIEWER', [StaffRole.REVIEWER]],
    ['an OPERATIONS member', [StaffRole.OPERATIONS]],
  ])('is FORBIDDEN to %s, and changes nothing', async (_who, roles) => {
    const caller = await userWithToken(t, { roles });
    const res = await t.gql(SET_ROLES, { input: { userId: toGlobalId('User', caller.user.id), roles: ['ADMIN'] } }, { token: caller.token });
    expect(res.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect(res.data).toBeNull();
    const [row] = await t.orm.em.fork().getConnection().execute('select staff_roles from users where id = ?', [caller.user.id]);
    expect(row.staff_roles).toEqual(roles);
  });

  it('keeps the user directory (users) to ADMINs: FORBIDDEN to other staff and shoppers', async () => {
    for (const roles of [[], [StaffRole.REVIEWER], [StaffRole.RISK]]) {
      const caller = await userWithToken(t, { roles });
      expect((await t.gql(`{ users { totalCount } }`, {}, { token: caller.token })).errors![0].extensions!.code).toBe('FORBIDDEN');
    }
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const res = await t.gql(SET_ROLES, { input: { userId: toGlobalId('User', 1), roles: [] } });
    expect(res.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('refuses to remove the last ADMIN with LAST_ADMIN', async () => {
    await t.orm.em.fork().getConnection().execute("update users set staff_roles = array_remove(staff_roles, 'ADMIN')");
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    const res = await t.gql(SET_ROLES, { input: { userId: toGlobalId('User', admin.user.id), roles: ['RISK'] } }, { token: admin.token });
    expect(res.data!.setStaffRoles).toEqual({ user: null, errors: [{ code: 'LAST_ADMIN', field: ['input', 'roles'] }] });
  });

  it('lets only one of two admins demoting each other at the same moment succeed', async () => {
    await t.orm.em.fork().getConnection().execute("update users set staff_roles = array_remove(staff_roles, 'ADMIN')");
    const a = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    const b = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    const [ra, rb] = await Promise.all([
      t.gql(SET_ROLES, { input: { userId: toGlobalId('User', b.user.id), roles: [] } }, { token: a.token }),
      t.gql(SET_ROLES, { input: { userId: toGlobalId('User', a.user.id), roles: [] } }, { token: b.token }),
    ]);
    const outcomes = [ra, rb].map((r) => code(r) ?? r.data!.setStaffRoles.errors[0]?.code ?? 'OK');
    // The loser is either refused as LAST_ADMIN or, if the winner committed first, no longer an admin at all.
    expect(outcomes).toContain('OK');
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(1);
    const [{ count }] = await t.orm.em.fork().getConnection().execute("select count(*)::int as count from users where 'ADMIN' = any(staff_roles)");
    expect(count).toBe(1);
  });

  it('reports an unknown user as USER_NOT_FOUND and a malformed or foreign ID as NOT_FOUND', async () => {
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    const unknown = await t.gql(SET_ROLES, { input: { userId: toGlobalId('User', '987654321'), roles: [] } }, { token: admin.token });
    expect(unknown.data!.setStaffRoles.errors).toEqual([{ code: 'USER_NOT_FOUND', field: ['input', 'userId'] }]);
    for (const userId of ['garbage!', toGlobalId('Shop', admin.user.id)]) {
      const res = await t.gql(SET_ROLES, { input: { userId, roles: [] } }, { token: admin.token });
      expect(res.errors![0].extensions!.code).toBe('NOT_FOUND');
    }
  });
});

describe('private user fields', () => {
  it("hides another user's email and roles from a shopper, and masks the email for staff who may not see it in full", async () => {
    const owner = await userWithToken(t);
    const shop = await createShop(t, [{ user: owner.user, role: ShopMemberRole.OWNER }]);
    await t.orm.em.fork().getConnection().execute("update shop set status = 'ACTIVE' where id = ?", [shop.id]);
    const outsider = await userWithToken(t);
    const staff = await userWithToken(t, { roles: [StaffRole.ANALYST] });
    const query = `query($id: ID!) { node(id: $id) { ... on User { email } } }`;
    const asOutsider = await t.gql(query, { id: toGlobalId('User', owner.user.id) }, { token: outsider.token });
    expect(asOutsider.data!.node).toBeNull();
    // Staff other than RISK and CUSTOMER_SERVICE see it masked (tests/risk/privacy.test.ts has the rest).
    const asStaff = await t.gql(query, { id: toGlobalId('User', owner.user.id) }, { token: staff.token });
    expect(asStaff.data!.node.email).toBe(`${owner.user.email[0]}***${owner.user.email.slice(owner.user.email.indexOf('@'))}`);
  });

  it("hides a co-member's email and roles even where the user object is reachable", async () => {
    const owner = await userWithToken(t);
    const operator = await userWithToken(t);
    await createShop(t, [{ user: owner.user, role: ShopMemberRole.OWNER }, { user: operator.user, role: ShopMemberRole.OPERATOR }]);
    const res = await t.gql(`{ me { memberships { shop { members { user { displayName email } } } } } }`, {}, { token: operator.token });
    const codes = res.errors!.map((e) => e.extensions!.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['FORBIDDEN']));
    expect(JSON.stringify(res.data)).not.toContain(owner.user.email);
  });

  it('answers IDs beyond the bigint range and forged cursors with NOT_FOUND / BAD_USER_INPUT, not an internal error', async () => {
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    const huge = toGlobalId('Shop', '9999999999999999999');
    expect((await t.gql(`query($id: ID!) { node(id: $id) { id } shop(id: $id) { id } }`, { id: huge }, { token: admin.token })).data).toEqual({ node: null, shop: null });
    const forged = Buffer.from(JSON.stringify(['abc'])).toString('base64url');
    expect((await t.gql(`query($a: String) { users(after: $a) { totalCount } }`, { a: forged }, { token: admin.token })).errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    // A price is a bigint: a fractional or huge number in its place is a forged cursor, not a query PostgreSQL refuses.
    for (const price of [1.5, 1e20]) {
      const cursor = Buffer.from(JSON.stringify([price, '1'])).toString('base64url');
      const res = await t.gql(`query($a: String) { products(sort: PRICE_ASC, first: 2, after: $a) { totalCount } }`, { a: cursor });
      expect(res.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    }
  });

  it("shows a member's memberships with their shop and role", async () => {
    const owner = await userWithToken(t);
    const shop = await createShop(t, [{ user: owner.user, role: ShopMemberRole.OWNER }]);
    const res = await t.gql(`{ me { memberships { role shop { id name status } user { id } } } }`, {}, { token: owner.token });
    expect(res.data!.me.memberships).toEqual([
      { role: 'OWNER', shop: { id: toGlobalId('Shop', shop.id), name: shop.name, status: 'ONBOARDING' }, user: { id: toGlobalId('User', owner.user.id) } },
    ]);
  });
});
