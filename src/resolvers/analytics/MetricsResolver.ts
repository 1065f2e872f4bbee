import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Category, Product, Shop } from '../../entities';
import * as analytics from '../../services/analytics';
import { money } from '../../services/shared';
import { Cohort, MetricGranularity, MetricScopeInput, MetricSeries, ProductMetric, ProductMetricOrder, ShopMetric, ShopMetricOrder } from '../../schema/analytics/metrics';
import { decodeId } from '../../schema/shared/globalId';
import { CalendarDateScalar } from '../../schema/shared/scalars';
import { metricSeriesOf } from './values';

const FROM = { description: 'The first day, e.g. "2026-12-01" (Asia/Shanghai).' };
const TO = { description: 'The last day, included (Asia/Shanghai); at most 731 days after `from`.' };
const GRANULARITY = { nullable: true, defaultValue: MetricGranularity.DAY, description: 'Points per day (the default), ISO week or calendar month.' };
const FIRST = { nullable: true, defaultValue: 10, description: 'How many, 1 to 100 (10 by default).' };

@Resolver(() => MetricSeries)
export class MetricSeriesResolver {
  @Query(() => MetricSeries, { description: 'The platform’s KPIs over a range of days, with the previous period of equal length (staff ANALYST, FINANCE).' })
  async platformMetrics(
    @Arg('from', () => CalendarDateScalar, FROM) from: string,
    @Arg('to', () => CalendarDateScalar, TO) to: string,
    @Arg('granularity', () => MetricGranularity, GRANULARITY) granularity: MetricGranularity | null,
    @Ctx() ctx: Context,
  ): Promise<MetricSeries> {
    return metricSeriesOf(await analytics.metricSeries(ctx, { kind: 'PLATFORM' }, from, to, granularity ?? MetricGranularity.DAY), ctx.deps.config.currency);
  }

  @Query(() => MetricSeries, { description: 'A shop’s KPIs over a range of days (its OWNER, MANAGER and FINANCE members; staff ANALYST, FINANCE). Another role or shop is FORBIDDEN, an unknown shop NOT_FOUND.' })
  async shopMetrics(
    @Arg('shopId', () => ID, { description: 'The shop.' }) shopId: string,
    @Arg('from', () => CalendarDateScalar, FROM) from: string,
    @Arg('to', () => CalendarDateScalar, TO) to: string,
    @Arg('granularity', () => MetricGranularity, GRANULARITY) granularity: MetricGranularity | null,
    @Ctx() ctx: Context,
  ): Promise<MetricSeries> {
    const scope = { kind: 'SHOP', shopId: decodeId('Shop', shopId) } as const;
    return metricSeriesOf(await analytics.metricSeries(ctx, scope, from, to, granularity ?? MetricGranularity.DAY), ctx.deps.config.currency);
  }

  @Query(() => MetricSeries, { description: 'A category’s KPIs (with its subcategories) over a range of days (staff ANALYST, FINANCE).' })
  async categoryMetrics(
    @Arg('categoryId', () => ID, { description: 'The category.' }) categoryId: string,
    @Arg('from', () => CalendarDateScalar, FROM) from: string,
    @Arg('to', () => CalendarDateScalar, TO) to: string,
    @Arg('granularity', () => MetricGranularity, GRANULARITY) granularity: MetricGranularity | null,
    @Ctx() ctx: Context,
  ): Promise<MetricSeries> {
    const scope = { kind: 'CATEGORY', categoryId: decodeId('Category', categoryId) } as const;
    return metricSeriesOf(await analytics.metricSeries(ctx, scope, from, to, granularity ?? MetricGranularity.DAY), ctx.deps.config.currency);
  }

  @Query(() => [ProductMetric], {
    description:
      'The top products over a range of days, of one shop, one category or the whole platform. Staff ANALYST, FINANCE; with `scope.shopId`, also that shop’s OWNER, MANAGER and FINANCE members.',
  })
  async topProducts(
    @Arg('scope', () => MetricScopeInput, { nullable: true, description: 'Whose products; the whole platform’s when omitted.' }) scope: MetricScopeInput | null,
    @Arg('from', () => CalendarDateScalar, FROM) from: string,
    @Arg('to', () => CalendarDateScalar, TO) to: string,
    @Arg('by', () => ProductMetricOrder, { nullable: true, defaultValue: ProductMetricOrder.GMV, description: 'The ranking (GMV by default).' }) by: ProductMetricOrder | null,
    @Arg('first', () => Int, FIRST) first: number | null,
    @Ctx() ctx: Context,
  ): Promise<ProductMetric[]> {
    const keys = { shopId: scope?.shopId ? decodeId('Shop', scope.shopId) : null, categoryId: scope?.categoryId ? decodeId('Category', scope.categoryId) : null };
    const rows = await analytics.topProducts(ctx, keys, from, to, by ?? ProductMetricOrder.GMV, first ?? 10);
    const currency = ctx.deps.config.currency;
    return rows.map(({ productId, gmv, ...figures }) => ({ productKey: productId, gmv: money(gmv, currency), ...figures }));
  }

  @Query(() => [ShopMetric], { description: 'The top shops over a range of days (staff ANALYST, FINANCE).' })
  async topShops(
    @Arg('from', () => CalendarDateScalar, FROM) from: string,
    @Arg('to', () => CalendarDateScalar, TO) to: string,
    @Arg('by', () => ShopMetricOrder, { nullable: true, defaultValue: ShopMetricOrder.GMV, description: 'The ranking (GMV by default).' }) by: ShopMetricOrder | null,
    @Arg('first', () => Int, FIRST) first: number | null,
    @Ctx() ctx: Context,
  ): Promise<ShopMetric[]> {
    const rows = await analytics.topShops(ctx, from, to, by ?? ShopMetricOrder.GMV, first ?? 10);
    const currency = ctx.deps.config.currency;
    return rows.map(({ shopId, gmv, refunds, ...figures }) => ({ shopKey: shopId, gmv: money(gmv, currency), refunds: money(refunds, currency), ...figures }));
  }

  @Query(() => [Cohort], {
    description:
      'Retention by cohort (staff ANALYST, FINANCE): the buyers whose first paid order on the platform was paid in the range, by month of that order, and the share of each cohort who paid again in each later month.',
  })
  cohortRetention(
    @Arg('from', () => CalendarDateScalar, { description: 'The first day of first orders, e.g. "2026-01-01" (Asia/Shanghai).' }) from: string,
    @Arg('to', () => CalendarDateScalar, { description: 'The last day of first orders, included; at most 731 days after `from`.' }) to: string,
    @Ctx() ctx: Context,
  ): Promise<Cohort[]> {
    return analytics.cohortRetention(ctx, from, to);
  }

  @FieldResolver(() => Shop, { nullable: true, description: 'The shop measured (SHOP); null otherwise.' })
  shop(@Root() series: MetricSeries, @Ctx() ctx: Context): Promise<Shop | null> | null {
    return series.shopKey ? ctx.loaders.shopById.load(series.shopKey) : null;
  }

  @FieldResolver(() => Category, { nullable: true, description: 'The category measured (CATEGORY); null otherwise.' })
  category(@Root() series: MetricSeries, @Ctx() ctx: Context): Promise<Category | null> | null {
    return series.categoryKey ? ctx.loaders.categoryById.load(series.categoryKey) : null;
  }
}

@Resolver(() => ProductMetric)
export class ProductMetricResolver {
  @FieldResolver(() => Product, { description: 'The product.' })
  async product(@Root() row: ProductMetric, @Ctx() ctx: Context): Promise<Product> {
    return (await ctx.loaders.productById.load(row.productKey))!;
  }
}

@Resolver(() => ShopMetric)
export class ShopMetricResolver {
  @FieldResolver(() => Shop, { description: 'The shop.' })
  async shop(@Root() row: ShopMetric, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(row.shopKey))!;
  }
}
