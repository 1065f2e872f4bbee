import type * as analytics from '../../services/analytics';
import { money } from '../../services/shared';
import type { MetricGranularity, MetricScopeKind, MetricSeries, MetricValues, PromotionCost } from '../../schema/analytics/metrics';

/** The analytics services' figures (money in minor units) as the GraphQL types (money as Money). */

/** The cost of promotions by funder, as Money. */
export function promotionCostOf(shop: number, platform: number, currency: string): PromotionCost {
  return { shop: money(shop, currency), platform: money(platform, currency), total: money(shop + platform, currency) };
}

/** A service's figures as the GraphQL MetricValues (money as Money). */
export function metricValuesOf(f: analytics.MetricFigures, currency: string): MetricValues {
  const { shopPromotionCost, platformPromotionCost, promotionCost: _total, gmv, refunds, netSales, averageOrderValue, commission, ...counts } = f;
  return {
    ...counts,
    gmv: money(gmv, currency),
    refunds: money(refunds, currency),
    netSales: money(netSales, currency),
    averageOrderValue: money(averageOrderValue, currency),
    commission: money(commission, currency),
    promotionCost: promotionCostOf(shopPromotionCost, platformPromotionCost, currency),
  };
}

/** A service's series as the GraphQL MetricSeries. */
export function metricSeriesOf(s: analytics.MetricSeriesResult, currency: string): MetricSeries {
  const { shopPromotionCost: _shop, platformPromotionCost: _platform, ...change } = s.comparison.change;
  return {
    scope: s.scope.kind as MetricScopeKind,
    shopKey: s.scope.kind === 'SHOP' ? s.scope.shopId : null,
    categoryKey: s.scope.kind === 'CATEGORY' ? s.scope.categoryId : null,
    from: s.from,
    to: s.to,
    granularity: s.granularity as MetricGranularity,
    points: s.points.map(({ date, endDate, ...figures }) => ({ date, endDate, ...metricValuesOf(figures, currency) })),
    totals: metricValuesOf(s.totals, currency),
    comparison: { from: s.comparison.from, to: s.comparison.to, previousPeriod: metricValuesOf(s.comparison.previousPeriod, currency), change },
    snapshotAt: s.snapshotAt,
  };
}

