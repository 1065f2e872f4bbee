import { BigIntType, Entity, Enum, Index, ManyToOne, PrimaryKey, type Rel, Unique } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { ShopMemberRole } from './enums';
import { Node, TimestampedNode } from './Node';
import { Shop } from './Shop';
import { User } from './User';

@ObjectType({ implements: Node, description: "A user's membership of a shop, with the role that decides what they may do there." })
@Entity({ tableName: 'shop_member' })
@Unique({ name: 'shop_member_shop_user_unique', properties: ['shop', 'user'] })
export class ShopMember extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Index({ name: 'shop_member_user_idx' })
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: Rel<User>;

  @Field(() => ShopMemberRole, { description: 'What this member may do in the shop.' })
  @Enum({ items: () => ShopMemberRole })
  role!: ShopMemberRole;

  constructor(shop: Rel<Shop>, user: Rel<User>, role: ShopMemberRole) {
    super();
    this.shop = shop;
    this.user = user;
    this.role = role;
  }
}
