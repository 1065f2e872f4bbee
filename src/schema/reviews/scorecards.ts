import { ArgsType, Field, ID, registerEnumType } from 'type-graphql';
import { ScorecardLevel, ScorecardLevelChange, ShopScorecard } from '../../entities';
import { ConnectionArgs, connectionTypes } from '../shared/relay';

export enum ScorecardSort {
  SCORE_ASC = 'SCORE_ASC',
  SCORE_DESC = 'SCORE_DESC',
}

registerEnumType(ScorecardSort, {
  name: 'ScorecardSort',
  description: 'Order of the scorecard list; ties by shop.',
  valuesConfig: {
    SCORE_ASC: { description: 'Lowest score first: the shops that need attention (the default).' },
    SCORE_DESC: { description: 'Highest score first.' },
  },
});

export const { ConnectionType: ShopScorecardConnection } = connectionTypes(ShopScorecard);
export const { ConnectionType: ScorecardLevelChangeConnection } = connectionTypes(ScorecardLevelChange);

@ArgsType()
export class ShopScorecardsArgs extends ConnectionArgs {
  @Field(() => ScorecardLevel, { nullable: true, description: 'Only shops at this level. Without it, every shop with a score (NOT_RATED shops only when asked for).' })
  level?: ScorecardLevel | null;

  @Field(() => ScorecardSort, { nullable: true, description: 'Order; SCORE_ASC (worst first) by default.' })
  sort?: ScorecardSort | null;
}

@ArgsType()
export class ScorecardLevelChangesArgs extends ConnectionArgs {
  @Field(() => ID, { nullable: true, description: 'Only the changes of this shop.' })
  shopId?: string | null;

  @Field(() => ScorecardLevel, { nullable: true, description: 'Only changes to this level (AT_RISK: the drops the RISK team follows).' })
  toLevel?: ScorecardLevel | null;
}
