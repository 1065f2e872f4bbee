import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import * as analytics from '../../services/analytics';
import { money } from '../../services/shared';
import { CampaignReport, type CampaignReportKind, decodeCampaignId } from '../../schema/analytics/campaigns';
import { promotionCostOf } from './values';

@Resolver(() => CampaignReport)
export class CampaignReportResolver {
  @Query(() => CampaignReport, {
    description:
      'What a promotion, coupon campaign or flash sale cost and brought: orders, buyers, GMV, refunds, cost by funder and ROI (staff ANALYST, FINANCE, OPERATIONS; for a shop’s campaign also its OWNER, MANAGER and FINANCE members).',
  })
  async campaignReport(@Arg('id', () => ID, { description: 'The Promotion, CouponCampaign or FlashSale.' }) id: string, @Ctx() ctx: Context): Promise<CampaignReport> {
    const { kind, key } = decodeCampaignId(id);
    const r = await analytics.campaignReport(ctx, kind, key);
    const currency = ctx.deps.config.currency;
    return {
      campaign: r.campaign,
      kind: r.kind as CampaignReportKind,
      title: r.title,
      startsAt: r.startsAt,
      endsAt: r.endsAt,
      orders: r.orders,
      buyers: r.buyers,
      newBuyers: r.newBuyers,
      units: r.units,
      gmv: money(r.gmv, currency),
      refunds: money(r.refunds, currency),
      netSales: money(r.netSales, currency),
      cost: promotionCostOf(r.shopCost, r.platformCost, currency),
      costPerOrder: money(r.costPerOrder, currency),
      roi: r.roi,
    };
  }
}
