import { timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { lockById } from '../../db/rows';
import { InvitationStatus, Shop, ShopInvitation, ShopMember, ShopMemberRole, ShopStatus, User } from '../../entities';
import { Failure, NotFoundError, UserErrorCode } from '../../errors';
import { recordAudit } from '../platform';
import { hashRefreshToken, newRefreshToken, normaliseEmail } from '../identity';
import { lockShop, lockShopAsMember } from './shops';
import { guardUnique, isValidEmail } from '../shared';
import { announceAccessChanged } from '../../realtime/bus';

function assertOpen(shop: Shop): void {
  if (shop.status === ShopStatus.CLOSED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'A closed shop cannot change its team');
}

/**
 * Invites an email to the shop with a role (OWNER only). The invitee accepts with
 * `acceptShopInvitation`, now or after registering with that email. Inviting the same email
 * again updates the pending invitation's role.
 */
export async function invite(ctx: Context, input: { shopId: string; email: string; role: ShopMemberRole }): Promise<{ invitation: ShopInvitation; token: string }> {
  const email = normaliseEmail(input.email);
  if (!isValidEmail(email)) throw new Failure(UserErrorCode.INVALID_INPUT, 'Enter a valid email address', ['input', 'email']);
  return ctx.em.transactional(async (em) => {
    const shop = await lockShopAsMember(ctx, em, input.shopId, [ShopMemberRole.OWNER]);
    assertOpen(shop);
    const user = await em.findOne(User, { email });
    if (user && (await em.count(ShopMember, { shop, user }))) throw new Failure(UserErrorCode.ALREADY_MEMBER, 'This person is already a member of the shop', ['input', 'email']);
    // Every invitation change holds the shop lock first, so this read cannot go stale.
    let invitation = await em.findOne(ShopInvitation, { shop, email, status: InvitationStatus.PENDING });
    const before = invitation ? { role: invitation.role } : undefined;
    // A fresh secret each time: re-inviting also invalidates the token sent before.
    const { token, hash: tokenHash } = newRefreshToken();
    if (invitation) Object.assign(invitation, { role: input.role, tokenHash });
    else invitation = em.create(ShopInvitation, { shop, email, role: input.role, status: InvitationStatus.PENDING, invitedBy: ctx.viewer.userId!, tokenHash, createdAt: ctx.now(), updatedAt: ctx.now() });
    await em.flush();
    recordAudit(ctx, em, { action: 'shopMember.invite', targetType: 'Shop', targetId: shop.id, before, after: { email, role: input.role, invitationId: invitation.id } });
    await em.flush();
    return { invitation, token };
  });
}

export function myInvitations(ctx: Context): Promise<ShopInvitation[]> {
  return ctx.em.find(ShopInvitation, { email: ctx.viewer.user!.email, status: InvitationStatus.PENDING }, { orderBy: { id: 'asc' } });
}

/** The invitation locked and re-read: taken after the shop lock, it shows any team change committed meanwhile. */
async function lockInvitation(em: EntityManager, id: string): Promise<ShopInvitation> {
  const invitation = await lockById(em, ShopInvitation, id, 'update');
  if (!invitation) throw new NotFoundError('No such invitation');
  return invitation;
}

function tokenMatches(token: string, hash: string): boolean {
  const given = Buffer.from(hashRefreshToken(token), 'hex');
  const expected = Buffer.from(hash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The invitee joins the shop with the invited role: the account email must match and the secret
 * from the invitation must be presented. Either failing is NOT_FOUND.
 */
export async function acceptInvitation(ctx: Context, invitationId: string, token: string): Promise<ShopMember> {
  const alreadyMember = () => new Failure(UserErrorCode.ALREADY_MEMBER, 'You are already a member of this shop');
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        const found = await em.findOne(ShopInvitation, { id: invitationId });
        if (!found || found.email !== ctx.viewer.user!.email) throw new NotFoundError('No such invitation');
        // Lock order for team changes: the shop, then the invitation or member.
        const shop = await lockShop(em, found.shop.id);
        const invitation = await lockInvitation(em, invitationId);
        // Checked on the locked row: a re-invitation committed meanwhile has replaced the secret.
        if (!tokenMatches(token, invitation.tokenHash)) throw new NotFoundError('No such invitation');
        if (invitation.status !== InvitationStatus.PENDING) throw new Failure(UserErrorCode.INVITATION_NOT_PENDING, `This invitation is ${invitation.status}`);
        assertOpen(shop);
        invitation.status = InvitationStatus.ACCEPTED;
        const member = new ShopMember(shop, em.getReference(User, ctx.viewer.userId!), invitation.role);
        em.persist(member);
        await em.flush();
        recordAudit(ctx, em, { action: 'shopMember.join', targetType: 'ShopMember', targetId: member.id, after: { shopId: shop.id, userId: ctx.viewer.userId, role: member.role } });
        await em.flush();
        return member;
      }),
    alreadyMember,
  );
}

export async function revokeInvitation(ctx: Context, invitationId: string): Promise<ShopInvitation> {
  return ctx.em.transactional(async (em) => {
    const found = await em.findOne(ShopInvitation, { id: invitationId });
    if (!found) throw new NotFoundError('No such invitation');
    await lockShopAsMember(ctx, em, found.shop.id, [ShopMemberRole.OWNER]);
    const invitation = await lockInvitation(em, invitationId);
    if (invitation.status !== InvitationStatus.PENDING) throw new Failure(UserErrorCode.INVITATION_NOT_PENDING, `This invitation is ${invitation.status}`);
    invitation.status = InvitationStatus.REVOKED;
    recordAudit(ctx, em, { action: 'shopMember.revokeInvitation', targetType: 'ShopInvitation', targetId: invitation.id, before: { status: InvitationStatus.PENDING }, after: { status: InvitationStatus.REVOKED } });
    await em.flush();
    return invitation;
  });
}

/**
 * A member with its shop locked (and the caller re-checked as OWNER under the lock), re-read after
 * the lock so a concurrent removal or role change is seen.
 */
async function lockedMember(ctx: Context, em: EntityManager, id: string): Promise<{ member: ShopMember; shop: Shop }> {
  const found = await em.findOne(ShopMember, { id });
  if (!found) throw new NotFoundError('No such shop member');
  const shop = await lockShopAsMember(ctx, em, found.shop.id, [ShopMemberRole.OWNER]);
  assertOpen(shop);
  const member = await em.findOne(ShopMember, { id }, { refresh: true });
  if (!member) throw new NotFoundError('No such shop member');
  return { member, shop };
}

async function assertKeepsAnOwner(em: EntityManager, shop: Shop, member: ShopMember): Promise<void> {
  if (member.role !== ShopMemberRole.OWNER) return;
  const owners = await em.count(ShopMember, { shop, role: ShopMemberRole.OWNER });
  if (owners <= 1) throw new Failure(UserErrorCode.LAST_OWNER, 'A shop must keep at least one OWNER');
}

export async function changeRole(ctx: Context, input: { memberId: string; role: ShopMemberRole }): Promise<ShopMember> {
  const member = await ctx.em.transactional(async (em) => {
    const { member, shop } = await lockedMember(ctx, em, input.memberId);
    if (member.role === input.role) return member;
    if (input.role !== ShopMemberRole.OWNER) await assertKeepsAnOwner(em, shop, member);
    const before = { role: member.role };
    member.role = input.role;
    recordAudit(ctx, em, { action: 'shopMember.changeRole', targetType: 'ShopMember', targetId: member.id, before, after: { role: input.role } });
    await em.flush();
    return member;
  });
  // The member's open feeds re-check their access at once, in every process.
  await announceAccessChanged(ctx, member.user.id);
  return member;
}

export async function removeMember(ctx: Context, memberId: string): Promise<ShopMember> {
  const member = await ctx.em.transactional(async (em) => {
    const { member, shop } = await lockedMember(ctx, em, memberId);
    await assertKeepsAnOwner(em, shop, member);
    recordAudit(ctx, em, { action: 'shopMember.remove', targetType: 'ShopMember', targetId: member.id, before: { shopId: shop.id, userId: member.user.id, role: member.role } });
    em.remove(member);
    await em.flush();
    return member;
  });
  // The removed member's shop and order feeds end at once (NOT_FOUND), in every process.
  await announceAccessChanged(ctx, member.user.id);
  return member;
}
