import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Shop, ShopMemberRole, StaffRole, type User } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type GqlResult, type TestApp, createTestApp } from '../helpers/app';
import { createShop, createUser, signIn, uniqueEmail, userWithToken } from '../helpers/factories';
import { code, keyOf } from '../helpers/kit';

const { OWNER, MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE } = ShopMemberRole;

const INVITE = `mutation($input: InviteShopMemberInput!) {
  inviteShopMember(input: $input) { invitation { id email role status shop { id } invitedBy { id } } shopMember { id } errors { code field } }
}`;
const ACCEPT = `mutation($input: AcceptShopInvitationInput!) { acceptShopInvitation(input: $input) { shopMember { id role shop { id } user { id } } errors { code field } } }`;
const REVOKE = `mutation($input: IdInput!) { revokeShopInvitation(input: $input) { invitation { id status } errors { code field } } }`;
const CHANGE_ROLE = `mutation($input: ChangeShopMemberRoleInput!) { changeShopMemberRole(input: $input) { shopMember { id role } errors { code field } } }`;
const REMOVE = `mutation($input: ShopMemberIdInput!) { removeShopMember(input: $input) { shopMember { id role } errors { code field } } }`;
const MY_INVITATIONS = `{ myShopInvitations { id email role status shop { id } invitedBy { id } } }`;
const SHOP_INVITATIONS = `query($id: ID!) { shop(id: $id) { id invitations { id email role status } } }`;
const MY_MEMBERSHIPS = `{ me { memberships { role shop { id } } } }`;
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } errors { code } } }`;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const shopId = (shop: Shop) => toGlobalId('Shop', shop.id);

/** Global ID of the user's membership of the shop. */
async function memberId(shop: Shop, user: User): Promise<string> {
  const [row] = await t.sql('select id from shop_member where shop_id = ? and user_id = ?', [shop.id, user.id]);
  return toGlobalId('ShopMember', row.id);
}

/** The shop's team as `[userId, role]` pairs, by user id: what "nothing changed" compares. */
async function team(shop: Shop): Promise<[string, string][]> {
  const rows = await t.sql('select user_id, role from shop_member where shop_id = ? order by user_id', [shop.id]);
  return rows.map((r) => [String(r.user_id), r.role]);
}

/** Expected team pairs in the order `team()` returns them. */
function byUser(...pairs: [string, string][]): [string, string][] {
  return pairs.sort((a, b) => Number(a[0]) - Number(b[0]));
}

async function invitations(shop: Shop): Promise<{ email: string; role: string; status: string }[]> {
  return t.sql('select email, role, status from shop_invitation where shop_id = ? order by id', [shop.id]);
}

async function auditCount(): Promise<number> {
  const [{ count }] = await t.sql('select count(*)::int as count from audit_entry');
  return count;
}

/** A shop owned by a fresh user, with the owner's token. */
async function ownedShop(): Promise<{ shop: Shop; owner: { user: User; token: string } }> {
  const owner = await userWithToken(t);
  const shop = await createShop(t, [{ user: owner.user, role: OWNER }]);
  return { shop, owner };
}

/** The secret each invitation was last sent with, by invitation ID (what the invitee receives). */
const secrets = new Map<string, string>();

/** Invites, remembering the invitation secret; the payload is returned without it. */
async function invite(token: string, shop: Shop, email: string, role: ShopMemberRole): Promise<GqlResult> {
  const res = await t.gql(INVITE.replace('shopMember { id }', 'shopMember { id } invitationToken'), { input: { shopId: shopId(shop), email, role } }, { token });
  const payload = res.data?.inviteShopMember;
  if (payload) {
    if (payload.invitation) secrets.set(payload.invitation.id, payload.invitationToken);
    delete payload.invitationToken;
  }
  return res;
}

/** Accept input for an invitation: its ID and the secret the invitee was sent. */
function acceptInput(id: string): { id: string; token: string } {
  return { id, token: secrets.get(id) ?? 'A'.repeat(43) };
}

/** Invites `email` as the owner and returns the invitation's global ID. */
async function pendingInvitation(token: string, shop: Shop, email: string, role: ShopMemberRole = OPERATOR): Promise<string> {
  const res = await invite(token, shop, email, role);
  expect(res.data!.inviteShopMember.errors).toEqual([]);
  return res.data!.inviteShopMember.invitation.id;
}

describe('inviting and joining', () => {
  it('lets an OWNER invite an email nobody has registered yet; the person registers, sees it and joins with the role', async () => {
    const { shop, owner } = await ownedShop();
    const email = uniqueEmail('later');

    const res = await invite(owner.token, shop, `  ${email.toUpperCase()} `, MANAGER);
    expect(res.data!.inviteShopMember).toEqual({
      invitation: { id: expect.any(String), email, role: 'MANAGER', status: 'PENDING', shop: { id: shopId(shop) }, invitedBy: { id: toGlobalId('User', owner.user.id) } },
      shopMember: null,
      errors: [],
    });
    const invitationId = res.data!.inviteShopMember.invitation.id;
    const listed = await t.gql(SHOP_INVITATIONS, { id: shopId(shop) }, { token: owner.token });
    expect(listed.data!.shop.invitations).toEqual([{ id: invitationId, email, role: 'MANAGER', status: 'PENDING' }]);

    const registered = await t.gql(REGISTER, { input: { email, password: 'a long enough password', displayName: 'Newcomer' } });
    expect(registered.data!.register.errors).toEqual([]);
    const token = registered.data!.register.accessToken;
    const userId = registered.data!.register.user.id;

    const mine = await t.gql(MY_INVITATIONS, {}, { token });
    expect(mine.data!.myShopInvitations).toEqual([
      { id: invitationId, email, role: 'MANAGER', status: 'PENDING', shop: { id: shopId(shop) }, invitedBy: { id: toGlobalId('User', owner.user.id) } },
    ]);

    const accepted = await t.gql(ACCEPT, { input: acceptInput(invitationId) }, { token });
    expect(accepted.data!.acceptShopInvitation).toEqual({
      shopMember: { id: expect.any(String), role: 'MANAGER', shop: { id: shopId(shop) }, user: { id: userId } },
      errors: [],
    });
    const me = await t.gql(MY_MEMBERSHIPS, {}, { token });
    expect(me.data!.me.memberships).toEqual([{ role: 'MANAGER', shop: { id: shopId(shop) } }]);

    expect((await t.gql(MY_INVITATIONS, {}, { token })).data!.myShopInvitations).toEqual([]);
    expect((await t.gql(SHOP_INVITATIONS, { id: shopId(shop) }, { token: owner.token })).data!.shop.invitations).toEqual([]);
    expect(await invitations(shop)).toEqual([{ email, role: 'MANAGER', status: 'ACCEPTED' }]);
  });

  it('lets an existing user accept an invitation to a shop they cannot otherwise see', async () => {
    const { shop, owner } = await ownedShop();
    const invitee = await userWithToken(t);
    const invitationId = await pendingInvitation(owner.token, shop, invitee.user.email, FINANCE);
    const res = await t.gql(ACCEPT, { input: acceptInput(invitationId) }, { token: invitee.token });
    expect(res.data!.acceptShopInvitation.errors).toEqual([]);
    expect(res.data!.acceptShopInvitation.shopMember.role).toBe('FINANCE');
    expect(await team(shop)).toContainEqual([invitee.user.id, 'FINANCE']);
  });

  it("updates the pending invitation's role when the same email is invited again, keeping one pending row", async () => {
    const { shop, owner } = await ownedShop();
    const email = uniqueEmail('twice');
    const first = await invite(owner.token, shop, email, OPERATOR);
    const second = await invite(owner.token, shop, email.toUpperCase(), FINANCE);
    expect(second.data!.inviteShopMember.errors).toEqual([]);
    expect(second.data!.inviteShopMember.invitation.id).toBe(first.data!.inviteShopMember.invitation.id);
    expect(second.data!.inviteShopMember.invitation.role).toBe('FINANCE');
    expect(await invitations(shop)).toEqual([{ email, role: 'FINANCE', status: 'PENDING' }]);
  });

  it('makes a revoked invitation impossible to accept (INVITATION_NOT_PENDING), and lets the shop invite again', async () => {
    const { shop, owner } = await ownedShop();
    const invitee = await userWithToken(t);
    const invitationId = await pendingInvitation(owner.token, shop, invitee.user.email, MANAGER);

    const revoked = await t.gql(REVOKE, { input: { id: invitationId } }, { token: owner.token });
    expect(revoked.data!.revokeShopInvitation).toEqual({ invitation: { id: invitationId, status: 'REVOKED' }, errors: [] });
    expect((await t.gql(MY_INVITATIONS, {}, { token: invitee.token })).data!.myShopInvitations).toEqual([]);

    const accepted = await t.gql(ACCEPT, { input: acceptInput(invitationId) }, { token: invitee.token });
    expect(accepted.data!.acceptShopInvitation).toEqual({ shopMember: null, errors: [{ code: 'INVITATION_NOT_PENDING', field: null }] });
    expect(await team(shop)).toEqual([[owner.user.id, 'OWNER']]);

    const again = await t.gql(REVOKE, { input: { id: invitationId } }, { token: owner.token });
    expect(again.data!.revokeShopInvitation.errors.map((e: any) => e.code)).toEqual(['INVITATION_NOT_PENDING']);

    const reinvited = await pendingInvitation(owner.token, shop, invitee.user.email, OPERATOR);
    expect(reinvited).not.toBe(invitationId);
    expect(await invitations(shop)).toEqual([
      { email: invitee.user.email, role: 'MANAGER', status: 'REVOKED' },
      { email: invitee.user.email, role: 'OPERATOR', status: 'PENDING' },
    ]);
  });

  it('refuses to accept an invitation twice or to revoke an accepted one, with INVITATION_NOT_PENDING', async () => {
    const { shop, owner } = await ownedShop();
    const invitee = await userWithToken(t);
    const invitationId = await pendingInvitation(owner.token, shop, invitee.user.email);
    await t.gql(ACCEPT, { input: acceptInput(invitationId) }, { token: invitee.token });

    const twice = await t.gql(ACCEPT, { input: acceptInput(invitationId) }, { token: invitee.token });
    expect(twice.data!.acceptShopInvitation.errors.map((e: any) => e.code)).toEqual(['INVITATION_NOT_PENDING']);
    const revoke = await t.gql(REVOKE, { input: { id: invitationId } }, { token: owner.token });
    expect(revoke.data!.revokeShopInvitation.errors.map((e: any) => e.code)).toEqual(['INVITATION_NOT_PENDING']);
    expect(await invitations(shop)).toEqual([{ email: invitee.user.email, role: 'OPERATOR', status: 'ACCEPTED' }]);
    expect(await team(shop)).toHaveLength(2);
  });

  it('refuses to invite an existing member (in any letter case) with ALREADY_MEMBER, and creates no invitation', async () => {
    const { shop, owner } = await ownedShop();
    const member = await createUser(t);
    await t.sql('insert into shop_member (shop_id, user_id, role) values (?, ?, ?)', [shop.id, member.id, OPERATOR]);
    for (const email of [member.email, member.email.toUpperCase(), owner.user.email]) {
      const res = await invite(owner.token, shop, email, MANAGER);
      expect(res.data!.inviteShopMember).toEqual({ invitation: null, shopMember: null, errors: [{ code: 'ALREADY_MEMBER', field: ['input', 'email'] }] });
    }
    expect(await invitations(shop)).toEqual([]);
  });

  it('answers ALREADY_MEMBER when the invitee joined the shop some other way before accepting, and leaves the invitation pending', async () => {
    const { shop, owner } = await ownedShop();
    const invitee = await userWithToken(t);
    const invitationId = await pendingInvitation(owner.token, shop, invitee.user.email, MANAGER);
    await t.sql('insert into shop_member (shop_id, user_id, role) values (?, ?, ?)', [shop.id, invitee.user.id, FINANCE]);
    const res = await t.gql(ACCEPT, { input: acceptInput(invitationId) }, { token: invitee.token });
    expect(res.data!.acceptShopInvitation.errors.map((e: any) => e.code)).toEqual(['ALREADY_MEMBER']);
    expect(await team(shop)).toContainEqual([invitee.user.id, 'FINANCE']);
    expect(await invitations(shop)).toEqual([{ email: invitee.user.email, role: 'MANAGER', status: 'PENDING' }]);
  });

  it.each(['not-an-email', 'two@@example.com', 'spaces in@example.com', ''])('refuses the malformed email %j with INVALID_INPUT', async (email) => {
    const { shop, owner } = await ownedShop();
    const res = await invite(owner.token, shop, email, OPERATOR);
    expect(res.data!.inviteShopMember.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'email'] }]);
    expect(await invitations(shop)).toEqual([]);
  });

  it("answers a thrown NOT_FOUND to someone accepting another person's invitation, and leaves it pending", async () => {
    const { shop, owner } = await ownedShop();
    const invitationId = await pendingInvitation(owner.token, shop, uniqueEmail('someone-else'));
    for (const who of [await userWithToken(t), owner, await userWithToken(t, { roles: [StaffRole.ADMIN] })]) {
      const res = await t.gql(ACCEPT, { input: acceptInput(invitationId) }, { token: who.token });
      expect(code(res)).toBe('NOT_FOUND');
      expect(res.data).toBeNull();
    }
    const unknown = await t.gql(ACCEPT, { input: acceptInput(toGlobalId('ShopInvitation', '987654321')) }, { token: owner.token });
    expect(code(unknown)).toBe('NOT_FOUND');
    expect((await invitations(shop)).map((i) => i.status)).toEqual(['PENDING']);
    expect(await team(shop)).toEqual([[owner.user.id, 'OWNER']]);
  });

  it('refuses every team change in a closed shop with INVALID_TRANSITION', async () => {
    const { shop, owner } = await ownedShop();
    const invitee = await userWithToken(t);
    const invitationId = await pendingInvitation(owner.token, shop, invitee.user.email);
    await t.sql("update shop set status = 'CLOSED' where id = ?", [shop.id]);
    const res = await invite(owner.token, shop, uniqueEmail(), OPERATOR);
    expect(res.data!.inviteShopMember.errors.map((e: any) => e.code)).toEqual(['INVALID_TRANSITION']);
    const accepted = await t.gql(ACCEPT, { input: acceptInput(invitationId) }, { token: invitee.token });
    expect(accepted.data!.acceptShopInvitation.errors.map((e: any) => e.code)).toEqual(['INVALID_TRANSITION']);
    const demoted = await t.gql(CHANGE_ROLE, { input: { memberId: await memberId(shop, owner.user), role: MANAGER } }, { token: owner.token });
    expect(demoted.data!.changeShopMemberRole.errors.map((e: any) => e.code)).toEqual(['INVALID_TRANSITION']);
    expect(await team(shop)).toEqual([[owner.user.id, 'OWNER']]);
    expect(await invitations(shop)).toHaveLength(1);
  });
});

describe('roles and the last OWNER', () => {
  it('lets an OWNER change a member role and remove a member', async () => {
    const { shop, owner } = await ownedShop();
    const member = await createUser(t);
    await t.sql('insert into shop_member (shop_id, user_id, role) values (?, ?, ?)', [shop.id, member.id, OPERATOR]);
    const id = await memberId(shop, member);

    const changed = await t.gql(CHANGE_ROLE, { input: { memberId: id, role: MANAGER } }, { token: owner.token });
    expect(changed.data!.changeShopMemberRole).toEqual({ shopMember: { id, role: 'MANAGER' }, errors: [] });
    expect(await team(shop)).toContainEqual([member.id, 'MANAGER']);

    const removed = await t.gql(REMOVE, { input: { memberId: id } }, { token: owner.token });
    expect(removed.data!.removeShopMember).toEqual({ shopMember: { id, role: 'MANAGER' }, errors: [] });
    expect(await team(shop)).toEqual([[owner.user.id, 'OWNER']]);
  });

  it('refuses to demote or remove the only OWNER with LAST_OWNER, changing nothing', async () => {
    const { shop, owner } = await ownedShop();
    const id = await memberId(shop, owner.user);
    const before = await auditCount();
    for (const role of [MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE]) {
      const res = await t.gql(CHANGE_ROLE, { input: { memberId: id, role } }, { token: owner.token });
      expect(res.data!.changeShopMemberRole).toEqual({ shopMember: null, errors: [{ code: 'LAST_OWNER', field: null }] });
    }
    const removed = await t.gql(REMOVE, { input: { memberId: id } }, { token: owner.token });
    expect(removed.data!.removeShopMember).toEqual({ shopMember: null, errors: [{ code: 'LAST_OWNER', field: null }] });
    expect(await team(shop)).toEqual([[owner.user.id, 'OWNER']]);
    expect(await auditCount()).toBe(before);
  });

  it('lets one of two OWNERs be demoted, and then refuses the other', async () => {
    const { shop, owner } = await ownedShop();
    const second = await userWithToken(t);
    await t.sql('insert into shop_member (shop_id, user_id, role) values (?, ?, ?)', [shop.id, second.user.id, OWNER]);

    const first = await t.gql(CHANGE_ROLE, { input: { memberId: await memberId(shop, second.user), role: MANAGER } }, { token: owner.token });
    expect(first.data!.changeShopMemberRole.errors).toEqual([]);
    const last = await t.gql(CHANGE_ROLE, { input: { memberId: await memberId(shop, owner.user), role: MANAGER } }, { token: owner.token });
    expect(last.data!.changeShopMemberRole.errors.map((e: any) => e.code)).toEqual(['LAST_OWNER']);
    const removed = await t.gql(REMOVE, { input: { memberId: await memberId(shop, owner.user) } }, { token: owner.token });
    expect(removed.data!.removeShopMember.errors.map((e: any) => e.code)).toEqual(['LAST_OWNER']);
    expect(await team(shop)).toEqual(byUser([owner.user.id, 'OWNER'], [second.user.id, 'MANAGER']));
  });

  it('lets an OWNER leave when another OWNER remains', async () => {
    const { shop, owner } = await ownedShop();
    const second = await createUser(t);
    await t.sql('insert into shop_member (shop_id, user_id, role) values (?, ?, ?)', [shop.id, second.id, OWNER]);
    const res = await t.gql(REMOVE, { input: { memberId: await memberId(shop, owner.user) } }, { token: owner.token });
    expect(res.data!.removeShopMember.errors).toEqual([]);
    expect(await team(shop)).toEqual([[second.id, 'OWNER']]);
  });

  it.each([
    ['each demotes the other', 'cross'],
    ['one demotes both', 'same'],
  ])('leaves exactly one OWNER when two demotions of the only two OWNERs run at once (%s)', async (_label, mode) => {
    for (let round = 0; round < 3; round++) {
      const { shop, owner: a } = await ownedShop();
      const b = await userWithToken(t);
      await t.sql('insert into shop_member (shop_id, user_id, role) values (?, ?, ?)', [shop.id, b.user.id, OWNER]);
      const [aId, bId] = [await memberId(shop, a.user), await memberId(shop, b.user)];
      const results = await Promise.all([
        t.gql(CHANGE_ROLE, { input: { memberId: bId, role: MANAGER } }, { token: a.token }),
        t.gql(CHANGE_ROLE, { input: { memberId: aId, role: MANAGER } }, { token: mode === 'cross' ? b.token : a.token }),
      ]);
      const outcomes = results.map((r) => code(r) ?? r.data!.changeShopMemberRole.errors[0]?.code ?? 'OK');
      expect(outcomes.filter((o) => o === 'OK')).toHaveLength(1);
      // The loser is refused as LAST_OWNER, or — if the winner committed before its permission check — is no OWNER any more.
      expect(outcomes.filter((o) => o !== 'OK')[0]).toMatch(/^(LAST_OWNER|FORBIDDEN)$/);
      const [{ owners }] = await t.sql("select count(*)::int as owners from shop_member where shop_id = ? and role = 'OWNER'", [shop.id]);
      expect(owners).toBe(1);
    }
  });
});

describe('who may manage the team', () => {
  /** A shop with an OWNER, a member with `role`, a target OPERATOR and a pending invitation. */
  async function scene(role: ShopMemberRole) {
    const { shop, owner } = await ownedShop();
    const actor = await userWithToken(t);
    const target = await createUser(t);
    await t.sql('insert into shop_member (shop_id, user_id, role) values (?, ?, ?), (?, ?, ?)', [shop.id, actor.user.id, role, shop.id, target.id, OPERATOR]);
    const invitationId = await pendingInvitation(owner.token, shop, uniqueEmail('pending'), FINANCE);
    await t.sql("update shop set status = 'ACTIVE' where id = ?", [shop.id]);
    return { shop, owner, actor, role, target, targetId: await memberId(shop, target), ownerId: await memberId(shop, owner.user), invitationId };
  }

  /** Runs every OWNER-only team operation as `token` and returns each thrown error code. */
  async function attemptAll(s: Awaited<ReturnType<typeof scene>>, token?: string): Promise<Record<string, unknown>> {
    const opts = token ? { token } : {};
    const results: Record<string, GqlResult> = {
      invite: await t.gql(INVITE, { input: { shopId: shopId(s.shop), email: uniqueEmail(), role: OWNER } }, opts),
      revoke: await t.gql(REVOKE, { input: { id: s.invitationId } }, opts),
      changeRole: await t.gql(CHANGE_ROLE, { input: { memberId: s.targetId, role: OWNER } }, opts),
      demoteOwner: await t.gql(CHANGE_ROLE, { input: { memberId: s.ownerId, role: FINANCE } }, opts),
      remove: await t.gql(REMOVE, { input: { memberId: s.targetId } }, opts),
    };
    for (const res of Object.values(results)) expect(res.data).toBeNull();
    return Object.fromEntries(Object.entries(results).map(([k, r]) => [k, code(r)]));
  }

  async function expectUnchanged(s: Awaited<ReturnType<typeof scene>>, auditBefore: number) {
    expect(await team(s.shop)).toEqual(byUser([s.owner.user.id, 'OWNER'], [s.target.id, 'OPERATOR'], [s.actor.user.id, s.role]));
    expect(await invitations(s.shop)).toEqual([{ email: expect.any(String), role: 'FINANCE', status: 'PENDING' }]);
    expect(await auditCount()).toBe(auditBefore);
  }

  it.each([MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE])('refuses a %s of the shop with FORBIDDEN and changes nothing', async (role) => {
    const s = await scene(role);
    const before = await auditCount();
    expect(await attemptAll(s, s.actor.token)).toEqual({ invite: 'FORBIDDEN', revoke: 'FORBIDDEN', changeRole: 'FORBIDDEN', demoteOwner: 'FORBIDDEN', remove: 'FORBIDDEN' });
    const selfPromotion = await t.gql(CHANGE_ROLE, { input: { memberId: await memberId(s.shop, s.actor.user), role: OWNER } }, { token: s.actor.token });
    expect(code(selfPromotion)).toBe('FORBIDDEN');
    await expectUnchanged(s, before);
  });

  it.each([MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE])("hides the shop's pending invitations from a %s (FORBIDDEN)", async (role) => {
    const s = await scene(role);
    const res = await t.gql(SHOP_INVITATIONS, { id: shopId(s.shop) }, { token: s.actor.token });
    expect(code(res)).toBe('FORBIDDEN');
    expect(res.data!.shop).toBeNull();
  });

  it("answers NOT_FOUND to the OWNER of another shop, and changes nothing", async () => {
    const s = await scene(MANAGER);
    const { owner: stranger } = await ownedShop();
    const before = await auditCount();
    expect(await attemptAll(s, stranger.token)).toEqual({ invite: 'NOT_FOUND', revoke: 'NOT_FOUND', changeRole: 'NOT_FOUND', demoteOwner: 'NOT_FOUND', remove: 'NOT_FOUND' });
    await expectUnchanged(s, before);
    const listed = await t.gql(SHOP_INVITATIONS, { id: shopId(s.shop) }, { token: stranger.token });
    expect(code(listed)).toBe('NOT_FOUND');
  });

  it('answers UNAUTHENTICATED without a token, and changes nothing', async () => {
    const s = await scene(MANAGER);
    const before = await auditCount();
    expect(await attemptAll(s)).toEqual({ invite: 'UNAUTHENTICATED', revoke: 'UNAUTHENTICATED', changeRole: 'UNAUTHENTICATED', demoteOwner: 'UNAUTHENTICATED', remove: 'UNAUTHENTICATED' });
    const accept = await t.gql(ACCEPT, { input: acceptInput(s.invitationId) });
    expect(code(accept)).toBe('UNAUTHENTICATED');
    expect(code(await t.gql(MY_INVITATIONS))).toBe('UNAUTHENTICATED');
    expect(code(await t.gql(SHOP_INVITATIONS, { id: shopId(s.shop) }))).toBe('UNAUTHENTICATED');
    await expectUnchanged(s, before);
  });

  it("lets staff read a shop's pending invitations", async () => {
    const s = await scene(MANAGER);
    const staff = await userWithToken(t, { roles: [StaffRole.ANALYST] });
    const res = await t.gql(SHOP_INVITATIONS, { id: shopId(s.shop) }, { token: staff.token });
    expect(res.data!.shop.invitations).toEqual([{ id: s.invitationId, email: expect.any(String), role: 'FINANCE', status: 'PENDING' }]);
  });

  it('answers NOT_FOUND for unknown IDs and IDs of the wrong type', async () => {
    const s = await scene(MANAGER);
    const { owner } = await ownedShop();
    const before = await auditCount();
    for (const [query, input] of [
      [REVOKE, { id: toGlobalId('ShopMember', '1') }],
      [REVOKE, { id: 'garbage!' }],
      [CHANGE_ROLE, { memberId: toGlobalId('ShopInvitation', '1'), role: MANAGER }],
      [REMOVE, { memberId: toGlobalId('ShopMember', '987654321') }],
    ] as const) {
      expect(code(await t.gql(query, { input }, { token: owner.token }))).toBe('NOT_FOUND');
    }
    await expectUnchanged(s, before);
  });
});

describe('myShopInvitations', () => {
  it('lists only pending invitations addressed to the viewer, oldest first', async () => {
    const invitee = await userWithToken(t);
    const a = await ownedShop();
    const b = await ownedShop();
    const c = await ownedShop();
    const first = await pendingInvitation(a.owner.token, a.shop, invitee.user.email, MANAGER);
    const second = await pendingInvitation(b.owner.token, b.shop, invitee.user.email.toUpperCase(), FINANCE);
    const revoked = await pendingInvitation(c.owner.token, c.shop, invitee.user.email, OPERATOR);
    await t.gql(REVOKE, { input: { id: revoked } }, { token: c.owner.token });
    await pendingInvitation(c.owner.token, c.shop, uniqueEmail('other'), OPERATOR);
    const res = await t.gql(MY_INVITATIONS, {}, { token: invitee.token });
    expect(res.data!.myShopInvitations.map((i: any) => [i.id, i.role, i.shop.id])).toEqual([
      [first, 'MANAGER', shopId(a.shop)],
      [second, 'FINANCE', shopId(b.shop)],
    ]);
  });
});

describe('audit trail', () => {
  async function lastAudit(action: string) {
    const [row] = await t.sql('select * from audit_entry where action = ? order by id desc limit 1', [action]);
    return row;
  }

  function expectActorAndRequest(row: any, actor: User, res: GqlResult) {
    expect(String(row.actor_id)).toBe(actor.id);
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    expect(row.request_id).toBe(res.headers['x-request-id']);
  }

  it('records invite, re-invite, join, role change, removal and revocation with the actor and request id', async () => {
    const { shop, owner } = await ownedShop();
    const invitee = await userWithToken(t);

    const invited = await invite(owner.token, shop, invitee.user.email, OPERATOR);
    let row = await lastAudit('shopMember.invite');
    expect(row).toMatchObject({ target_type: 'Shop', target_id: shop.id, before: null, after: { email: invitee.user.email, role: 'OPERATOR' } });
    expectActorAndRequest(row, owner.user, invited);

    const reinvited = await invite(owner.token, shop, invitee.user.email, MANAGER);
    row = await lastAudit('shopMember.invite');
    expect(row).toMatchObject({ target_type: 'Shop', target_id: shop.id, before: { role: 'OPERATOR' }, after: { email: invitee.user.email, role: 'MANAGER' } });
    expectActorAndRequest(row, owner.user, reinvited);

    const joined = await t.gql(ACCEPT, { input: acceptInput(invited.data!.inviteShopMember.invitation.id) }, { token: invitee.token });
    const inviteeMemberId = joined.data!.acceptShopInvitation.shopMember.id;
    const memberKey = keyOf(inviteeMemberId);
    row = await lastAudit('shopMember.join');
    expect(row).toMatchObject({ target_type: 'ShopMember', target_id: memberKey, after: { shopId: shop.id, userId: invitee.user.id, role: 'MANAGER' } });
    expectActorAndRequest(row, invitee.user, joined);

    const changed = await t.gql(CHANGE_ROLE, { input: { memberId: inviteeMemberId, role: FINANCE } }, { token: owner.token });
    row = await lastAudit('shopMember.changeRole');
    expect(row).toMatchObject({ target_type: 'ShopMember', target_id: memberKey, before: { role: 'MANAGER' }, after: { role: 'FINANCE' } });
    expectActorAndRequest(row, owner.user, changed);

    const removed = await t.gql(REMOVE, { input: { memberId: inviteeMemberId } }, { token: owner.token });
    row = await lastAudit('shopMember.remove');
    expect(row).toMatchObject({ target_type: 'ShopMember', target_id: memberKey, before: { shopId: shop.id, userId: invitee.user.id, role: 'FINANCE' } });
    expectActorAndRequest(row, owner.user, removed);

    const pendingId = await pendingInvitation(owner.token, shop, uniqueEmail('revoked'));
    const revoked = await t.gql(REVOKE, { input: { id: pendingId } }, { token: owner.token });
    row = await lastAudit('shopMember.revokeInvitation');
    expect(row).toMatchObject({
      target_type: 'ShopInvitation',
      target_id: keyOf(pendingId),
      before: { status: 'PENDING' },
      after: { status: 'REVOKED' },
    });
    expectActorAndRequest(row, owner.user, revoked);
  });

  it('writes no audit entry for a refused change', async () => {
    const { shop, owner } = await ownedShop();
    const before = await auditCount();
    await invite(owner.token, shop, 'bad-email', OPERATOR);
    await invite(owner.token, shop, owner.user.email, OPERATOR);
    await t.gql(REMOVE, { input: { memberId: await memberId(shop, owner.user) } }, { token: owner.token });
    expect(await auditCount()).toBe(before);
  });

  it('lets someone who accepted an OWNER invitation manage the team at once, with the same token', async () => {
    const { shop, owner } = await ownedShop();
    const invitee = await userWithToken(t);
    const invitationId = await pendingInvitation(owner.token, shop, invitee.user.email, OWNER);
    await t.gql(ACCEPT, { input: acceptInput(invitationId) }, { token: invitee.token });
    const res = await invite(invitee.token, shop, uniqueEmail('by-new-owner'), OPERATOR);
    expect(res.data!.inviteShopMember.errors).toEqual([]);
    const { accessToken } = await signIn(t, invitee.user.email);
    const me = await t.gql(MY_MEMBERSHIPS, {}, { token: accessToken });
    expect(me.data!.me.memberships).toEqual([{ role: 'OWNER', shop: { id: shopId(shop) } }]);
  });
});

// Races found while writing these tests. Each reproduces on most rounds against the current
// src/services/team.ts; they assert the correct behaviour and are skipped until it is fixed.
describe('invitation secrets', () => {
  it('refuses an invitation without its secret, with an old secret after re-inviting, to someone who registered the invited email', async () => {
    const { shop, owner } = await ownedShop();
    const email = uniqueEmail('squatter');
    const id = await pendingInvitation(owner.token, shop, email, OWNER);
    const first = secrets.get(id)!;
    // Someone registers the invited address (emails are not verified) and finds the invitation.
    const squatter = (await t.gql(`mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`, { i: { email, password: 'a long enough password', displayName: 'S' } })).data!.register.accessToken;
    for (const token of ['A'.repeat(43), 'short']) {
      const res = await t.gql(ACCEPT, { input: { id, token } }, { token: squatter });
      expect(res.errors![0].extensions!.code).toBe('NOT_FOUND');
    }
    await pendingInvitation(owner.token, shop, email, OWNER);
    expect(secrets.get(id)).not.toBe(first);
    expect((await t.gql(ACCEPT, { input: { id, token: first } }, { token: squatter })).errors![0].extensions!.code).toBe('NOT_FOUND');
    expect(await team(shop)).toHaveLength(1);
    const [row] = await t.sql('select token_hash from shop_invitation where id = ?', [keyOf(id)]);
    expect(row.token_hash).not.toContain(secrets.get(id));
  });
});

describe('team changes racing each other', () => {
  it('re-inviting while the invitee accepts never fails with an internal error', async () => {
    for (let round = 0; round < 10; round++) {
      const { shop, owner } = await ownedShop();
      const invitee = await userWithToken(t);
      const id = await pendingInvitation(owner.token, shop, invitee.user.email, OPERATOR);
      const sent = acceptInput(id);
      const [reinvited, accepted] = await Promise.all([
        invite(owner.token, shop, invitee.user.email, MANAGER),
        t.gql(ACCEPT, { input: sent }, { token: invitee.token }),
      ]);
      // Re-inviting replaces the secret: the accept either came first (joined as OPERATOR, and
      // the re-invite then says ALREADY_MEMBER) or presents a stale secret (NOT_FOUND).
      if (code(accepted) === undefined) {
        expect(accepted.data!.acceptShopInvitation.errors).toEqual([]);
        expect((await team(shop)).map(([userId]) => userId)).toContain(invitee.user.id);
        expect(code(reinvited) ?? reinvited.data!.inviteShopMember.errors[0]?.code).toBe('ALREADY_MEMBER');
      } else {
        expect(code(accepted)).toBe('NOT_FOUND');
        expect(code(reinvited)).toBeUndefined();
        expect(await invitations(shop)).toContainEqual({ email: invitee.user.email, role: 'MANAGER', status: 'PENDING' });
      }
    }
  });

  it('does not report a role change of a member removed at the same moment as done', async () => {
    for (let round = 0; round < 10; round++) {
      const { shop, owner } = await ownedShop();
      const member = await createUser(t);
      await t.sql('insert into shop_member (shop_id, user_id, role) values (?, ?, ?)', [shop.id, member.id, OPERATOR]);
      const id = await memberId(shop, member);
      const [removed, changed] = await Promise.all([
        t.gql(REMOVE, { input: { memberId: id } }, { token: owner.token }),
        t.gql(CHANGE_ROLE, { input: { memberId: id, role: MANAGER } }, { token: owner.token }),
      ]);
      expect(removed.data!.removeShopMember.errors).toEqual([]);
      const actions = (await t.sql("select action, before from audit_entry where target_type = 'ShopMember' and target_id = ? order by id", [keyOf(id)])).map((r) => r.action);
      // Either the change ran first (and the removal saw MANAGER), or it found no member.
      if (code(changed) === undefined) expect(actions).toEqual(['shopMember.changeRole', 'shopMember.remove']);
      else expect([code(changed), actions]).toEqual(['NOT_FOUND', ['shopMember.remove']]);
    }
  });

  it('does not report a re-invitation as pending when a revocation committed first', async () => {
    for (let round = 0; round < 10; round++) {
      const { shop, owner } = await ownedShop();
      const email = uniqueEmail('race');
      const id = await pendingInvitation(owner.token, shop, email, OPERATOR);
      const [reinvited] = await Promise.all([invite(owner.token, shop, email, MANAGER), t.gql(REVOKE, { input: { id } }, { token: owner.token })]);
      const actions = (await t.sql('select action from audit_entry where request_id in (?) order by id', [reinvited.headers['x-request-id']])).map((r) => r.action);
      expect(actions).toEqual(['shopMember.invite']);
      // Either the re-invitation came first (and the revocation then revoked it, later in the
      // audit log) or the revocation came first and the re-invitation is a new pending one.
      const returned = reinvited.data!.inviteShopMember.invitation;
      const key = keyOf(returned.id);
      const [row] = await t.sql('select status, role from shop_invitation where id = ?', [key]);
      if (row.status === 'REVOKED') {
        const order = await t.sql("select action from audit_entry where action in ('shopMember.invite', 'shopMember.revokeInvitation') and (target_id = ? or after->>'invitationId' = ?) order by id", [key, key]);
        expect(order.map((r) => r.action).at(-1)).toBe('shopMember.revokeInvitation');
        expect(key).toBe(keyOf(id));
      } else {
        expect(row).toEqual({ status: 'PENDING', role: 'MANAGER' });
        expect(await invitations(shop)).toContainEqual({ email, role: 'MANAGER', status: 'PENDING' });
      }
    }
  });
});
