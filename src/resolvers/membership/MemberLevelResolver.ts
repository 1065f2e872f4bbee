import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { CouponCampaign, MemberLevel, User } from '../../entities';
import * as membership from '../../services/membership';
import { visibleCouponCampaign } from '../../services/promotions';
import { money } from '../../services/shared';
import { MemberLevelsPayload, Membership, SetMemberLevelsInput } from '../../schema/membership/levels';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeInput } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { payload } from '../shared/payload';

@Resolver(() => MemberLevel)
export class MemberLevelResolver {
  @Query(() => [MemberLevel], { description: 'The member levels (會員等級), lowest rank first: what spend reaches each and its benefits. Public.' })
  memberLevels(@Ctx() ctx: Context): Promise<MemberLevel[]> {
    return membership.memberLevels(ctx);
  }

  @Mutation(() => MemberLevelsPayload, {
    description: 'Replace the whole ladder of member levels (staff OPERATIONS), in one go: ranks not given are removed and their members move to the highest rank left below theirs. INVALID_INPUT names the level and field. Audited.',
  })
  setMemberLevels(@Arg('input', { description: INPUT_DESCRIPTION }) input: SetMemberLevelsInput, @Ctx() ctx: Context): Promise<MemberLevelsPayload> {
    const { levels } = decodeInput(input, { levels: { monthlyCouponCampaignId: 'CouponCampaign' } });
    return payload(() => membership.setMemberLevels(ctx, levels), (ladder) => ({ levels: ladder }));
  }

  @FieldResolver(() => Money, { description: 'Spend over the last LEVEL_WINDOW_DAYS (completed orders, less refunds) that reaches it.' })
  minSpend(@Root() level: MemberLevel, @Ctx() ctx: Context): Money {
    return money(level.minSpend, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { nullable: true, description: 'A shop group whose goods reach this ships free, the platform paying the fee; null: the shop’s own shipping rules.' })
  freeShippingThreshold(@Root() level: MemberLevel, @Ctx() ctx: Context): Money | null {
    return level.freeShippingThreshold == null ? null : money(level.freeShippingThreshold, ctx.deps.config.currency);
  }

  @FieldResolver(() => CouponCampaign, { nullable: true, description: 'The platform coupon campaign that grants members of this level one coupon each calendar month; null for none.' })
  monthlyCouponCampaign(@Root() level: MemberLevel, @Ctx() ctx: Context): Promise<CouponCampaign | null> | null {
    return level.monthlyCouponCampaign ? visibleCouponCampaign(ctx, level.monthlyCouponCampaign.id) : null;
  }
}

@Resolver(() => User)
export class UserMembershipResolver {
  @FieldResolver(() => Membership, { description: 'The user’s membership: level, points and progress to the next level. The user and staff OPERATIONS and CUSTOMER_SERVICE.' })
  async membership(@Root() user: User, @Ctx() ctx: Context): Promise<Membership> {
    const view = await membership.membershipOf(ctx, user.id);
    const { currency } = ctx.deps.config;
    return {
      ...view,
      spendInWindow: money(view.spendInWindow, currency),
      amountToNextLevel: view.amountToNextLevel === null ? null : money(view.amountToNextLevel, currency),
    };
  }
}
