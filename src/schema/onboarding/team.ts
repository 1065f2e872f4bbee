import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { ShopInvitation, ShopMember, ShopMemberRole } from '../../entities';
import { UserError } from '../shared/common';

@InputType({ description: 'Invite someone to a shop by email (OWNER).' })
export class InviteShopMemberInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field({ description: "Invitee's email; they may register later." })
  email!: string;

  @Field(() => ShopMemberRole, { description: 'Role on joining.' })
  role!: ShopMemberRole;
}

@InputType({ description: 'Accept an invitation addressed to your email.' })
export class AcceptShopInvitationInput {
  @Field(() => ID, { description: 'The invitation.' })
  id!: string;

  @Field({ description: 'The secret the shop sent with the invitation (`invitationToken` of `inviteShopMember`).' })
  token!: string;
}

@InputType({ description: "Change a member's role (OWNER)." })
export class ChangeShopMemberRoleInput {
  @Field(() => ID, { description: 'The member.' })
  memberId!: string;

  @Field(() => ShopMemberRole, { description: 'New role.' })
  role!: ShopMemberRole;
}

@InputType({ description: 'Identifies a shop member.' })
export class ShopMemberIdInput {
  @Field(() => ID, { description: 'The member.' })
  memberId!: string;
}

@ObjectType({ description: 'Result of a team mutation.' })
export class ShopMemberPayload {
  @Field(() => ShopMember, { nullable: true, description: 'The member after the change (null for a pending invitation).' })
  shopMember?: ShopMember | null;

  @Field(() => ShopInvitation, { nullable: true, description: 'The invitation, for `inviteShopMember` and invitation changes.' })
  invitation?: ShopInvitation | null;

  @Field(() => String, {
    nullable: true,
    description: 'Single-use secret for the invitee, returned once by `inviteShopMember` (inviting again replaces it). Send it with the invitation; `acceptShopInvitation` requires it.',
  })
  invitationToken?: string | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
