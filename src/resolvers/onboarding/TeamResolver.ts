import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { InvitationStatus, Shop, ShopInvitation, User } from '../../entities';
import { visibleShop } from '../../services/onboarding';
import * as team from '../../services/onboarding';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { AcceptShopInvitationInput, ChangeShopMemberRoleInput, InviteShopMemberInput, ShopMemberIdInput, ShopMemberPayload } from '../../schema/onboarding/team';
import { payload } from '../shared/payload';

@Resolver(() => ShopInvitation)
export class TeamResolver {
  @Query(() => [ShopInvitation], { description: 'Pending invitations addressed to your email.' })
  myShopInvitations(@Ctx() ctx: Context): Promise<ShopInvitation[]> {
    return team.myInvitations(ctx);
  }

  @Mutation(() => ShopMemberPayload, { description: 'Invite someone by email with a role (OWNER). They accept with `acceptShopInvitation`, also after registering later.' })
  inviteShopMember(@Arg('input', { description: INPUT_DESCRIPTION }) input: InviteShopMemberInput, @Ctx() ctx: Context): Promise<ShopMemberPayload> {
    return payload(() => team.invite(ctx, decodeInput(input, { shopId: 'Shop' })), ({ invitation, token }) => ({ invitation, invitationToken: token, shopMember: null }));
  }

  @Mutation(() => ShopMemberPayload, { description: 'Accept an invitation addressed to your email, with its secret, and join the shop.' })
  acceptShopInvitation(@Arg('input', { description: INPUT_DESCRIPTION }) input: AcceptShopInvitationInput, @Ctx() ctx: Context): Promise<ShopMemberPayload> {
    return payload(() => team.acceptInvitation(ctx, decodeId('ShopInvitation', input.id), input.token).finally(() => ctx.viewer.forgetMemberships()), (shopMember) => ({ shopMember }));
  }

  @Mutation(() => ShopMemberPayload, { description: 'Withdraw a pending invitation (OWNER).' })
  revokeShopInvitation(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<ShopMemberPayload> {
    return payload(() => team.revokeInvitation(ctx, decodeId('ShopInvitation', input.id)), (invitation) => ({ invitation }));
  }

  @Mutation(() => ShopMemberPayload, { description: "Change a member's role (OWNER). A shop always keeps one OWNER." })
  changeShopMemberRole(@Arg('input', { description: INPUT_DESCRIPTION }) input: ChangeShopMemberRoleInput, @Ctx() ctx: Context): Promise<ShopMemberPayload> {
    return payload(() => team.changeRole(ctx, decodeInput(input, { memberId: 'ShopMember' })).finally(() => ctx.viewer.forgetMemberships()), (shopMember) => ({ shopMember }));
  }

  @Mutation(() => ShopMemberPayload, { description: 'Remove a member (OWNER). A shop always keeps one OWNER.' })
  removeShopMember(@Arg('input', { description: INPUT_DESCRIPTION }) input: ShopMemberIdInput, @Ctx() ctx: Context): Promise<ShopMemberPayload> {
    return payload(() => team.removeMember(ctx, decodeId('ShopMember', input.memberId)).finally(() => ctx.viewer.forgetMemberships()), (shopMember) => ({ shopMember }));
  }

  @FieldResolver(() => Shop, { nullable: true, description: 'The shop inviting. A pending invitation shows it to the invitee; otherwise the usual shop visibility applies.' })
  async shop(@Root() invitation: ShopInvitation, @Ctx() ctx: Context): Promise<Shop | null> {
    if (invitation.status === InvitationStatus.PENDING) return ctx.loaders.shopById.load(invitation.shop.id);
    return visibleShop(ctx, invitation.shop.id);
  }

  @FieldResolver(() => User, { description: 'Who sent the invitation.' })
  async invitedBy(@Root() invitation: ShopInvitation, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.userById.load(invitation.invitedBy.id))!;
  }
}
