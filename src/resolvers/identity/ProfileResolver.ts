import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { updateProfile } from '../../services/identity';
import { UpdateProfileInput, UpdateProfilePayload } from '../../schema/identity/profile';
import { payload } from '../shared/payload';

@Resolver()
export class ProfileResolver {
  @Mutation(() => UpdateProfilePayload, { description: 'Change your display name or SMS number (INVALID_INPUT for a name outside 1 to 80 characters or a number not in international form).' })
  updateProfile(@Arg('input', () => UpdateProfileInput, { description: 'What to change.' }) input: UpdateProfileInput, @Ctx() ctx: Context) {
    return payload(() => updateProfile(ctx, input), (user) => ({ user }));
  }
}
