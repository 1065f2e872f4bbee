import { ArrayType, BigIntType, Check, Collection, Entity, OneToMany, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { StaffRole } from './enums';
import { Node, TimestampedNode } from './Node';
import { ShopMember } from './ShopMember';

const STAFF_ROLES = Object.values(StaffRole).map((r) => `'${r}'`).join(',');

@ObjectType({ implements: Node, description: 'A person signed up to the marketplace: a shopper, a member of shops, platform staff, or any mix.' })
@Entity({ tableName: 'users' })
@Check({ name: 'users_staff_roles_check', expression: `staff_roles <@ ARRAY[${STAFF_ROLES}]::text[]` })
export class User extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  /** Stored normalised (trimmed, lower-case); unique. */
  @Field({ description: 'Sign-in email, normalised to lower case. Visible to the user and to staff: in full to the user and to staff RISK and CUSTOMER_SERVICE (ADMIN passes; each view written to the audit log as "user.viewPersonalData"), masked ("w***@example.com") for other staff.' })
  @Property({ type: 'text', unique: 'users_email_unique' })
  email!: string;

  @Field({ description: 'The name shown to others.' })
  @Property({ type: 'text' })
  displayName!: string;

  /** argon2id PHC string. Never exposed. */
  @Property({ type: 'text', hidden: true })
  passwordHash!: string;

  /** When the user proved the address by the emailed token; null until then. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  emailVerifiedAt?: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Mobile number for SMS notifications (E.164, e.g. +8613812345678); null when none was given. Visible to the user and to staff: in full to the user and to staff RISK and CUSTOMER_SERVICE (ADMIN passes; audited as "user.viewPersonalData"), masked ("+86 138****5678") for other staff.',
  })
  @Property({ type: 'text', nullable: true })
  phone?: string | null;

  @Field(() => [StaffRole], { description: 'Platform staff roles; empty for shoppers and merchants.' })
  @Property({ type: ArrayType, columnType: 'text[]', defaultRaw: "'{}'" })
  staffRoles: StaffRole[] = [];

  /**
   * The code others register with (推薦碼): eight characters from the user's key through a fixed
   * permutation (the SQL function `referral_code`), so it is unique and needs no retry.
   */
  @Property({ type: 'text', generated: '(referral_code("id")) stored', unique: 'users_referral_code_unique' })
  referralCode!: Opt<string>;

  /** Banned by staff RISK (`banUser`): sign-in is refused until `bannedUntil` (null with `bannedAt` set: for good). */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  bannedAt?: Date | null;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  bannedUntil?: Date | null;

  @Property({ type: 'text', nullable: true })
  banReason?: string | null;

  /** Risk control saw an unusual sign-in (RISK_FORCE_PASSWORD_CHANGE): nothing but changePassword until it is changed. */
  @Property({ type: 'boolean', default: false })
  passwordChangeRequired: Opt<boolean> = false;

  @OneToMany(() => ShopMember, (m) => m.user)
  memberships = new Collection<ShopMember>(this);

  constructor(email: string, displayName: string, passwordHash: string) {
    super();
    this.email = email;
    this.displayName = displayName;
    this.passwordHash = passwordHash;
  }
}
