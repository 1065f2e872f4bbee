import { Field, InputType, ObjectType } from 'type-graphql';
import { User } from '../../entities';
import { UserError } from '../shared/common';

@InputType({ description: 'Your profile; a field left out keeps its value.' })
export class UpdateProfileInput {
  @Field(() => String, { nullable: true, description: 'The name shown to others, 1 to 80 characters.' })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: 'Mobile number for SMS notifications in international form (+8613812345678); null removes it.' })
  phone?: string | null;
}

@ObjectType({ description: 'The result of `updateProfile`.' })
export class UpdateProfilePayload {
  @Field(() => User, { nullable: true, description: 'You, as you now are; null when `errors` is not empty.' })
  user?: User | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
