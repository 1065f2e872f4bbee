import { GraphQLSafeInt } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';
import { DecimalScalar } from './scalars';

/** An amount of money: never a float. Stored and computed as integer minor units. */
@ObjectType({ description: 'An amount of money in the deployment currency.' })
export class Money {
  @Field(() => DecimalScalar, { description: 'The amount as a decimal string with the currency’s digits, e.g. "19.90".' })
  amount!: string;

  @Field({ description: 'ISO 4217 currency code, e.g. "CNY".' })
  currency!: string;

  @Field(() => GraphQLSafeInt, { description: 'The amount in minor units (fen, cents), e.g. 1990.' })
  amountMinor!: number;
}

@ObjectType({ description: 'The lowest and highest price of something with several prices.' })
export class MoneyRange {
  @Field(() => Money, { description: 'Lowest price.' })
  min!: Money;

  @Field(() => Money, { description: 'Highest price.' })
  max!: Money;
}
