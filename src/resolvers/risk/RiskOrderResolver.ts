import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { RiskRule } from '../../entities';
import * as risk from '../../services/risk';
import { money } from '../../services/shared';
import { OrderConnection, OrderPayload } from '../../schema/orders/orders';
import { ReleaseOrderHoldInput, RiskRuleConnection, RiskRulePayload, UpsertRiskRuleInput } from '../../schema/risk/orders';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

/** Risk control of orders: the rules checkouts are scored by, and the queue of held orders (staff RISK). */
@Resolver(() => RiskRule)
export class RiskOrderResolver {
  @Query(() => RiskRuleConnection, { description: 'The checkout risk rules, enabled or not, oldest first (staff RISK).' })
  riskRules(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(risk.listRiskRules(ctx, args));
  }

  @Mutation(() => RiskRulePayload, {
    description: 'Add a risk rule, or replace every value of one (staff RISK): the kind’s parameters all given and in range and no others, a unique name, a weight of 1 to 1000 (INVALID_INPUT). Applies to checkouts from then on. Audited.',
  })
  upsertRiskRule(@Arg('input', { description: INPUT_DESCRIPTION }) input: UpsertRiskRuleInput, @Ctx() ctx: Context): Promise<RiskRulePayload> {
    return payload(() => risk.upsertRiskRule(ctx, { ...input, id: input.id ? decodeId('RiskRule', input.id) : null }), (riskRule) => ({ riskRule }));
  }

  @Query(() => OrderConnection, { description: 'Orders risk control holds that wait to ship (PAID or PROCESSING), paid longest ago first (staff RISK): release them or cancel them with a refund.' })
  riskQueue(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(risk.riskQueue(ctx, args));
  }

  @Mutation(() => OrderPayload, { description: 'Release a held order waiting to ship, with a reason (staff RISK): its shop may ship it. NOT_ON_HOLD otherwise. Audited.' })
  releaseOrderHold(@Arg('input', { description: INPUT_DESCRIPTION }) input: ReleaseOrderHoldInput, @Ctx() ctx: Context): Promise<OrderPayload> {
    return payload(() => risk.releaseOrderHold(ctx, { ...input, orderId: decodeId('Order', input.orderId) }), (order) => ({ order }));
  }

  @FieldResolver(() => Money, { nullable: true, description: 'ORDER_AMOUNT and NEW_ACCOUNT_AMOUNT: the order total at which it hits; null for other kinds.' })
  amount(@Root() rule: RiskRule, @Ctx() ctx: Context): Money | null {
    return rule.amount == null ? null : money(rule.amount, ctx.deps.config.currency);
  }
}
