import { Field, InputType, ObjectType } from 'type-graphql';
import { UserError } from '../shared/common';

@InputType({ description: 'Ask for a password reset link by email.' })
export class RequestPasswordResetInput {
  @Field({ description: 'The account email (case-insensitive). The answer is the same whether or not an account has it.' })
  email!: string;
}

@InputType({ description: 'Choose a new password with the token of a reset email.' })
export class ResetPasswordInput {
  @Field({ description: 'The `token` parameter of the emailed link.' })
  token!: string;

  @Field({ description: 'The new password: at least 10 characters, not the email.' })
  newPassword!: string;
}

@InputType({ description: 'Confirm the email address with the token of a verification email.' })
export class VerifyEmailInput {
  @Field({ description: 'The `token` parameter of the emailed link.' })
  token!: string;
}

@ObjectType({ description: 'Result of an account email step: asking for a link, verifying, resetting the password.' })
export class AccountEmailPayload {
  @Field(() => Boolean, { nullable: true, description: 'True when the step was taken; null when it failed (see `errors`).' })
  ok?: boolean | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
