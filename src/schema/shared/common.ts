import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { UserErrorCode } from '../../errors';

/** Every mutation takes one `input` argument (API conventions); this documents it. */
export const INPUT_DESCRIPTION = 'The mutation input.';

@ObjectType({ description: 'An expected failure of a mutation. The mutation changed nothing.' })
export class UserError {
  @Field(() => UserErrorCode, { description: 'Stable machine-readable code; switch on this, not on the message.' })
  code!: UserErrorCode;

  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, e.g. ["input", "email"].' })
  field?: string[];

  @Field({ description: 'Human-readable explanation, in English.' })
  message!: string;
}

@InputType({ description: 'Identifies one object by its global ID.' })
export class IdInput {
  @Field(() => ID, { description: 'Global ID of the object.' })
  id!: string;
}

@ObjectType({ description: 'Result of `logout`.' })
export class LogoutPayload {
  @Field({ description: 'True when the session was ended.' })
  ok!: boolean;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
