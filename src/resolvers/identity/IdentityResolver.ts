import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { ShopMember, User } from '../../entities';
import * as identity from '../../services/identity';
import { INPUT_DESCRIPTION, LogoutPayload } from '../../schema/shared/common';
import {
  AuthPayload,
  ChangePasswordInput,
  LoginInput,
  RefreshSessionInput,
  RegisterInput,
  SetStaffRolesInput,
  UserConnection,
  UserPayload,
} from '../../schema/identity/identity';
import { decodeInput } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
export class UsersArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: 'Only users whose email starts with this.' })
  search?: string | null;
}

@Resolver(() => User)
export class IdentityResolver {
  @Query(() => User, { nullable: true, description: 'The signed-in user; null when not signed in.' })
  me(@Ctx() ctx: Context): User | null {
    return ctx.viewer.user;
  }

  @Query(() => UserConnection, { description: 'All users, newest first (ADMIN). Use it to find a user for `setStaffRoles`.' })
  users(@Args() args: UsersArgs, @Ctx() ctx: Context) {
    return connection(identity.listUsers(ctx, args));
  }

  @Mutation(() => AuthPayload, { description: 'Sign up and sign in. Rate-limited per IP.' })
  register(@Arg('input', { description: INPUT_DESCRIPTION }) input: RegisterInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return payload(() => identity.register(ctx, input), (r) => r);
  }

  @Mutation(() => AuthPayload, { description: 'Sign in. Wrong email or password both give INVALID_CREDENTIALS. Rate-limited per IP and per account.' })
  login(@Arg('input', { description: INPUT_DESCRIPTION }) input: LoginInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return payload(() => identity.login(ctx, input), (r) => r);
  }

  @Mutation(() => AuthPayload, {
    description: 'Rotate a refresh token: returns a new access token and a new refresh token. A reused token revokes its whole session family.',
  })
  refreshSession(@Arg('input', { description: INPUT_DESCRIPTION }) input: RefreshSessionInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return payload(() => identity.refreshSession(ctx, input), (r) => r);
  }

  @Mutation(() => LogoutPayload, { description: 'End the current session; its access and refresh tokens stop working at once.' })
  logout(@Ctx() ctx: Context): Promise<LogoutPayload> {
    return payload(() => identity.logout(ctx), () => ({ ok: true }));
  }

  @Mutation(() => UserPayload, { description: 'Change the password and end every other session of this user.' })
  changePassword(@Arg('input', { description: INPUT_DESCRIPTION }) input: ChangePasswordInput, @Ctx() ctx: Context): Promise<UserPayload> {
    return payload(() => identity.changePassword(ctx, input), (user) => ({ user }));
  }

  @Mutation(() => UserPayload, { description: "Replace a user's staff roles (ADMIN). The platform always keeps one ADMIN." })
  setStaffRoles(@Arg('input', { description: INPUT_DESCRIPTION }) input: SetStaffRolesInput, @Ctx() ctx: Context): Promise<UserPayload> {
    return payload(() => identity.setStaffRoles(ctx, decodeInput(input, { userId: 'User' })), (user) => ({ user }));
  }

  @FieldResolver(() => [ShopMember], { description: "The user's shop memberships. Visible to the user and to staff." })
  memberships(@Root() user: User, @Ctx() ctx: Context): Promise<ShopMember[]> {
    return ctx.loaders.membershipsByUserId.load(user.id);
  }
}
