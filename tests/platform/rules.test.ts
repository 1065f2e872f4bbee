import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context';
import { Shop, ShopMemberRole, StaffRole, User } from '../../src/entities';
import { isShopMember, isStaff } from '../../src/permissions/rules';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { Viewer } from '../../src/viewer';
import { type TestApp, createTestApp } from '../helpers/app';
import { createShop, createUser, userWithToken } from '../helpers/factories';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** Evaluates a shield rule the way the middleware does, for a real viewer loaded from the database. */
async function evaluate(r: ReturnType<typeof isShopMember>, viewerUserId: string | null, parent: unknown, args: Record<string, unknown>) {
  const em = t.orm.em.fork();
  const user = viewerUserId ? await em.findOneOrFail(User, { id: viewerUserId }) : null;
  const ctx = { viewer: new Viewer(em, user, null), _shield: { cache: {} } } as unknown as Parameters<ReturnType<typeof isShopMember>['resolve']>[2] & Context;
  const result = await r.resolve(parent as object, args, ctx, {} as never, {} as never);
  return result === true ? 'ALLOW' : (result as { extensions?: { code?: string } }).extensions?.code;
}

describe('isShopMember', () => {
  it('takes the shop from input.shopId, shopId or the parent, and decides by role', async () => {
    const owner = await createUser(t);
    const operator = await createUser(t);
    const shop = await createShop(t, [
      { user: owner, role: ShopMemberRole.OWNER },
      { user: operator, role: ShopMemberRole.OPERATOR },
    ]);
    const shopId = toGlobalId('Shop', shop.id);
    const rule = isShopMember(ShopMemberRole.OWNER, ShopMemberRole.MANAGER);
    expect(await evaluate(rule, owner.id, null, { input: { shopId } })).toBe('ALLOW');
    expect(await evaluate(rule, owner.id, null, { shopId })).toBe('ALLOW');
    expect(await evaluate(rule, owner.id, shop, {})).toBe('ALLOW');
    expect(await evaluate(rule, owner.id, { shop: { id: shop.id } }, {})).toBe('ALLOW');
    expect(await evaluate(rule, operator.id, null, { input: { shopId } })).toBe('FORBIDDEN');
    expect(await evaluate(isShopMember(), operator.id, shop, {})).toBe('ALLOW');
  });

  it("treats another shop's member as NOT_FOUND and anonymous callers as UNAUTHENTICATED", async () => {
    const owner = await createUser(t);
    const other = await createUser(t);
    const shop = await createShop(t, [{ user: owner, role: ShopMemberRole.OWNER }]);
    await createShop(t, [{ user: other, role: ShopMemberRole.OWNER }]);
    const rule = isShopMember(ShopMemberRole.OWNER);
    expect(await evaluate(rule, other.id, null, { input: { shopId: toGlobalId('Shop', shop.id) } })).toBe('NOT_FOUND');
    expect(await evaluate(rule, null, null, { input: { shopId: toGlobalId('Shop', shop.id) } })).toBe('UNAUTHENTICATED');
    expect(await evaluate(rule, owner.id, null, { input: { shopId: toGlobalId('User', shop.id) } })).toBe('NOT_FOUND');
    expect(await evaluate(rule, owner.id, null, { input: { shopId: 'not an id' } })).toBe('NOT_FOUND');
  });

  it('hands out one rule instance per role set (shield requires unique names)', () => {
    expect(isShopMember(ShopMemberRole.OWNER)).toBe(isShopMember(ShopMemberRole.OWNER));
    expect(isStaff(StaffRole.RISK)).toBe(isStaff(StaffRole.RISK));
  });
});

describe('Shop.members', () => {
  const MEMBERS = `query($id: ID!) { node(id: $id) { ... on Shop { name members { role user { displayName } } } } }`;

  it("is visible to the shop's members and to staff, NOT_FOUND to others", async () => {
    const owner = await userWithToken(t);
    const outsider = await userWithToken(t);
    const staff = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
    const shop = await createShop(t, [{ user: owner.user, role: ShopMemberRole.OWNER }]);
    await t.orm.em.fork().nativeUpdate(Shop, { id: shop.id }, { status: 'ACTIVE' as never });
    const id = toGlobalId('Shop', shop.id);

    const asOwner = await t.gql(MEMBERS, { id }, { token: owner.token });
    expect(asOwner.data!.node.members).toEqual([{ role: 'OWNER', user: { displayName: 'Test User' } }]);
    const asStaff = await t.gql(MEMBERS, { id }, { token: staff.token });
    expect(asStaff.data!.node.members).toHaveLength(1);
    const asOutsider = await t.gql(MEMBERS, { id }, { token: outsider.token });
    expect(asOutsider.errors![0]).toMatchObject({ path: ['node', 'members'], extensions: { code: 'NOT_FOUND' } });
    const anonymous = await t.gql(MEMBERS, { id });
    expect(anonymous.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('hides a shop that is not ACTIVE from the public but not from its members', async () => {
    const owner = await userWithToken(t);
    const shop = await createShop(t, [{ user: owner.user, role: ShopMemberRole.OWNER }]);
    const query = `query($id: ID!) { node(id: $id) { id } }`;
    expect((await t.gql(query, { id: toGlobalId('Shop', shop.id) })).data!.node).toBeNull();
    expect((await t.gql(query, { id: toGlobalId('Shop', shop.id) }, { token: owner.token })).data!.node).toEqual({ id: toGlobalId('Shop', shop.id) });
  });
});
