import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { StaffRole, User } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';

@InputType({ description: 'Sign up with an email and password.' })
export class RegisterInput {
  @Field({ description: 'Email to sign in with; trimmed and lower-cased, unique.' })
  email!: string;

  @Field({ description: 'At least 10 characters, and not the email.' })
  password!: string;

  @Field({ description: 'Name shown to others, 1 to 80 characters.' })
  displayName!: string;

  @Field(() => String, { nullable: true, description: 'The referral code (推薦碼) of the member who invited you, any case; an unknown code is INVALID_REFERRAL_CODE and nothing is created. Blank: none.' })
  referralCode?: string | null;
}

@InputType({ description: 'Sign in.' })
export class LoginInput {
  @Field({ description: 'The account email (case-insensitive).' })
  email!: string;

  @Field({ description: 'The account password.' })
  password!: string;
}

@InputType({ description: 'Exchange a refresh token for a new access and refresh token.' })
export class RefreshSessionInput {
  @Field({ description: 'The refresh token from the last sign-in or refresh. It is used up by this call.' })
  refreshToken!: string;
}

@InputType({ description: "Change the signed-in user's password." })
export class ChangePasswordInput {
  @Field({ description: 'The current password.' })
  currentPassword!: string;

  @Field({ description: 'The new password: at least 10 characters, not the email, not the current one.' })
  newPassword!: string;
}

@InputType({ description: "Replace a user's platform staff roles (ADMIN only)." })
export class SetStaffRolesInput {
  @Field(() => ID, { description: 'Global ID of the user.' })
  userId!: string;

  @Field(() => [StaffRole], { description: 'The complete new set of roles; an empty list removes all staff access.' })
  roles!: StaffRole[];
}

@ObjectType({ description: 'Result of signing up, signing in or refreshing a session.' })
export class AuthPayload {
  @Field(() => String, { nullable: true, description: 'JWT for `Authorization: Bearer`, valid for 15 minutes.' })
  accessToken?: string | null;

  @Field(() => String, { nullable: true, description: 'Single-use token for `refreshSession`. Store it securely.' })
  refreshToken?: string | null;

  @Field(() => User, { nullable: true, description: 'The signed-in user.' })
  user?: User | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of a mutation on a user.' })
export class UserPayload {
  @Field(() => User, { nullable: true, description: 'The user after the change.' })
  user?: User | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

export const { ConnectionType: UserConnection } = connectionTypes(User);
