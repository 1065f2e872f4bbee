import { BigIntType, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { ShopMemberRole } from './enums';
import { Node, TimestampedNode } from './Node';
import { Shop } from './Shop';
import { User } from './User';

export enum InvitationStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  REVOKED = 'REVOKED',
}

registerEnumType(InvitationStatus, {
  name: 'InvitationStatus',
  description: 'State of a shop invitation.',
  valuesConfig: {
    PENDING: { description: 'Waiting for the invitee (who may not have an account yet).' },
    ACCEPTED: { description: 'Accepted; the invitee is a member.' },
    REVOKED: { description: 'Withdrawn by the shop.' },
  },
});

/** An invitation to join a shop, addressed to an email: it waits for the invitee to register. */
@ObjectType({ implements: Node, description: 'An invitation to join a shop with a role.' })
@Entity({ tableName: 'shop_invitation' })
@Index({ name: 'shop_invitation_pending_unique', expression: `create unique index "shop_invitation_pending_unique" on "shop_invitation" ("shop_id", "email") where "status" = 'PENDING'` })
export class ShopInvitation extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Field({ description: 'Invitee email (normalised).' })
  @Index({ name: 'shop_invitation_email_idx' })
  @Property({ type: 'text' })
  email!: string;

  @Field(() => ShopMemberRole, { description: 'Role the invitee gets on accepting.' })
  @Enum({ items: () => ShopMemberRole })
  role!: ShopMemberRole;

  @Field(() => InvitationStatus, { description: 'Invitation state.' })
  @Enum({ items: () => InvitationStatus })
  status: InvitationStatus = InvitationStatus.PENDING;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  invitedBy!: Rel<User>;

  /**
   * SHA-256 of the single-use secret the invitee must present. Emails are not verified, so matching
   * the account email alone would let anyone who registers an invited address take the role.
   */
  @Property({ type: 'text', hidden: true })
  tokenHash!: string;
}
