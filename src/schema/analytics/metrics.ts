import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../shared/money';
import { CalendarDateScalar } from '../shared/scalars';

/**
 * KPI series and rankings (數據分析), read from the daily snapshots of `snapshot-metrics`. The
 * definitions are our own choice (the seeds name the metrics but define none): each field says its.
 */

export enum MetricGranularity {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}

registerEnumType(MetricGranularity, {
  name: 'MetricGranularity',
  description: 'How a series is cut into points. Days are Asia/Shanghai calendar days.',
  valuesConfig: {
    DAY: { description: 'One point per day.' },
    WEEK: { description: 'One point per ISO week (Monday to Sunday) overlapping the range; a point covers only its days inside the range.' },
    MONTH: { description: 'One point per calendar month overlapping the range; a point covers only its days inside the range.' },
  },
});

export enum MetricScopeKind {
  PLATFORM = 'PLATFORM',
  SHOP = 'SHOP',
  CATEGORY = 'CATEGORY',
}

registerEnumType(MetricScopeKind, {
  name: 'MetricScopeKind',
  description: 'What a series measures.',
  valuesConfig: {
    PLATFORM: { description: 'The whole platform.' },
    SHOP: { description: 'One shop.' },
    CATEGORY: { description: 'One category with its subcategories (by where the products are filed now).' },
  },
});

export enum ProductMetricOrder {
  GMV = 'GMV',
  UNITS = 'UNITS',
  VIEWS = 'VIEWS',
  CONVERSION = 'CONVERSION',
}

registerEnumType(ProductMetricOrder, {
  name: 'ProductMetricOrder',
  description: 'How `topProducts` ranks products, highest first; ties by the product.',
  valuesConfig: {
    GMV: { description: 'By GMV (the lines’ amounts after discounts).' },
    UNITS: { description: 'By units sold on paid orders.' },
    VIEWS: { description: 'By product views reported by clients.' },
    CONVERSION: { description: 'By conversion (paid orders ÷ views); only products viewed at least 10 times in the range are ranked.' },
  },
});

export enum ShopMetricOrder {
  GMV = 'GMV',
  ORDERS = 'ORDERS',
}

registerEnumType(ShopMetricOrder, {
  name: 'ShopMetricOrder',
  description: 'How `topShops` ranks shops, highest first; ties by the shop.',
  valuesConfig: {
    GMV: { description: 'By GMV (paid order totals).' },
    ORDERS: { description: 'By orders paid.' },
  },
});

/** Each figure's definition, shared by MetricValues and MetricChange. */
const DEFINED = {
  orders: 'Orders placed (placedAt) in the period, paid or not.',
  paidOrders: 'Orders paid (paidAt) in the period, whatever happened to them later.',
  cancelledOrders: 'Orders cancelled (cancelledAt) in the period, whenever they were placed.',
  units: 'Units on the lines of the orders paid in the period.',
  gmv: 'GMV: Σ of the totals of the orders paid in the period (for a category: its lines’ amounts after their discounts, as shipping is not split by category).',
  refunds: 'Σ of the refunds that succeeded in the period, whenever their orders were paid (for a category: its share of each refund, pro rata of the order’s lines after discounts).',
  netSales: '`gmv` − `refunds`.',
  averageOrderValue: 'Average order value (客單價): `gmv` ÷ `paidOrders`, rounded half to even to the minor unit; 0 without paid orders.',
  commission: 'Σ of the platform’s commission on the orders paid in the period (for a category: on its lines).',
  promotionCost: 'Σ of the discounts on the orders paid in the period (shipping discounts included), by who funds them. Always 0 for a category: discounts are not split by category.',
  buyers: 'Distinct buyers of the orders paid in the period, each counted once over the whole point or range.',
  newBuyers: 'Buyers whose first paid order in the scope (on the platform; in the shop; with a line in the category) was paid in the period.',
  repeatBuyers: '`buyers` − `newBuyers`: buyers who had already paid in the scope before the period.',
  visitors: 'Distinct client sessions that reported any behaviour event (`trackEvents`) in the scope: on the platform; of the shop’s products; of the category’s products.',
  productViewers: 'Distinct client sessions that reported a PRODUCT_VIEW in the scope.',
  cartUsers: 'Distinct signed-in users who reported an ADD_TO_CART in the scope (carts belong to accounts).',
  productViews: 'PRODUCT_VIEW events reported in the scope.',
  searches: 'SEARCH events reported (platform only: a search belongs to no shop or category, so 0 for those).',
  addToCarts: 'ADD_TO_CART events reported in the scope.',
  shares: 'SHARE events reported in the scope.',
  afterSales: 'After-sale cases opened in the period (for a category: cases of orders with a line in it).',
  refundedOrders: 'Distinct orders with a refund that succeeded in the period.',
  couponRedemptions: 'Coupons used on the orders paid in the period (order discounts of source COUPON).',
  conversionRate: 'Conversion (轉化率): `buyers` ÷ `visitors`; 0 without visitors. Reported as is: it can exceed 1 when buyers order through clients that report no events.',
  cartAbandonmentRate: 'Share of `cartUsers` who are not `buyers` of the same period; 0 without cart users.',
  refundRate: '`refunds` ÷ `gmv`, a share of money; 0 without GMV.',
  afterSaleRate: '`afterSales` ÷ `paidOrders`; 0 without paid orders.',
} as const;

type Figure = keyof typeof DEFINED;

/** A MetricChange field's description: how the figure `name` changed. */
function changed(name: Figure): string {
  if (name.endsWith('Rate')) return `Difference of \`${name}\` (current − previous), in shares: 0.02 is two percentage points.`;
  const of = name === 'promotionCost' ? '`promotionCost.total`' : `\`${name}\``;
  return `Relative change of ${of}: (current − previous) ÷ |previous|; null when the previous period’s was 0.`;
}

@ObjectType({ description: 'Promotion cost by who funds it (a platform-funded discount is paid to the shop by the platform).' })
export class PromotionCost {
  @Field(() => Money, { description: 'Discounts the shops fund.' })
  shop!: Money;

  @Field(() => Money, { description: 'Discounts the platform funds.' })
  platform!: Money;

  @Field(() => Money, { description: '`shop` + `platform`.' })
  total!: Money;
}

@ObjectType({
  description:
    'A scope’s figures over a day, a period or a range of Asia/Shanghai days. Each figure is dated by its own event (an order placed one day and paid the next counts in `orders` on the first and in `paidOrders` on the second). People are counted once over the whole span.',
})
export class MetricValues {
  @Field(() => Int, { description: DEFINED.orders })
  orders!: number;

  @Field(() => Int, { description: DEFINED.paidOrders })
  paidOrders!: number;

  @Field(() => Int, { description: DEFINED.cancelledOrders })
  cancelledOrders!: number;

  @Field(() => Int, { description: DEFINED.units })
  units!: number;

  @Field(() => Money, { description: DEFINED.gmv })
  gmv!: Money;

  @Field(() => Money, { description: DEFINED.refunds })
  refunds!: Money;

  @Field(() => Money, { description: DEFINED.netSales })
  netSales!: Money;

  @Field(() => Money, { description: DEFINED.averageOrderValue })
  averageOrderValue!: Money;

  @Field(() => Money, { description: DEFINED.commission })
  commission!: Money;

  @Field(() => PromotionCost, { description: DEFINED.promotionCost })
  promotionCost!: PromotionCost;

  @Field(() => Int, { description: DEFINED.buyers })
  buyers!: number;

  @Field(() => Int, { description: DEFINED.newBuyers })
  newBuyers!: number;

  @Field(() => Int, { description: DEFINED.repeatBuyers })
  repeatBuyers!: number;

  @Field(() => Int, { description: DEFINED.visitors })
  visitors!: number;

  @Field(() => Int, { description: DEFINED.productViewers })
  productViewers!: number;

  @Field(() => Int, { description: DEFINED.cartUsers })
  cartUsers!: number;

  @Field(() => Int, { description: DEFINED.productViews })
  productViews!: number;

  @Field(() => Int, { description: DEFINED.searches })
  searches!: number;

  @Field(() => Int, { description: DEFINED.addToCarts })
  addToCarts!: number;

  @Field(() => Int, { description: DEFINED.shares })
  shares!: number;

  @Field(() => Int, { description: DEFINED.afterSales })
  afterSales!: number;

  @Field(() => Int, { description: DEFINED.refundedOrders })
  refundedOrders!: number;

  @Field(() => Int, { description: DEFINED.couponRedemptions })
  couponRedemptions!: number;

  @Field(() => Float, { description: DEFINED.conversionRate })
  conversionRate!: number;

  @Field(() => Float, { description: DEFINED.cartAbandonmentRate })
  cartAbandonmentRate!: number;

  @Field(() => Float, { description: DEFINED.refundRate })
  refundRate!: number;

  @Field(() => Float, { description: DEFINED.afterSaleRate })
  afterSaleRate!: number;
}

@ObjectType({ description: 'One point of a series: the figures of the days of one period (a day, an ISO week or a month) that lie inside the range.' })
export class MetricPoint extends MetricValues {
  @Field(() => CalendarDateScalar, { description: 'The point’s first day inside the range (for WEEK and MONTH, the period’s first day unless the range starts later).' })
  date!: string;

  @Field(() => CalendarDateScalar, { description: 'The point’s last day inside the range (the same as `date` for DAY).' })
  endDate!: string;
}

@ObjectType({ description: 'How each figure changed from the previous period to this one: a relative change for counts and money, a difference for the rates.' })
export class MetricChange {
  @Field(() => Float, { nullable: true, description: changed('orders') })
  orders!: number | null;

  @Field(() => Float, { nullable: true, description: changed('paidOrders') })
  paidOrders!: number | null;

  @Field(() => Float, { nullable: true, description: changed('cancelledOrders') })
  cancelledOrders!: number | null;

  @Field(() => Float, { nullable: true, description: changed('units') })
  units!: number | null;

  @Field(() => Float, { nullable: true, description: changed('gmv') })
  gmv!: number | null;

  @Field(() => Float, { nullable: true, description: changed('refunds') })
  refunds!: number | null;

  @Field(() => Float, { nullable: true, description: changed('netSales') })
  netSales!: number | null;

  @Field(() => Float, { nullable: true, description: changed('averageOrderValue') })
  averageOrderValue!: number | null;

  @Field(() => Float, { nullable: true, description: changed('commission') })
  commission!: number | null;

  @Field(() => Float, { nullable: true, description: changed('promotionCost') })
  promotionCost!: number | null;

  @Field(() => Float, { nullable: true, description: changed('buyers') })
  buyers!: number | null;

  @Field(() => Float, { nullable: true, description: changed('newBuyers') })
  newBuyers!: number | null;

  @Field(() => Float, { nullable: true, description: changed('repeatBuyers') })
  repeatBuyers!: number | null;

  @Field(() => Float, { nullable: true, description: changed('visitors') })
  visitors!: number | null;

  @Field(() => Float, { nullable: true, description: changed('productViewers') })
  productViewers!: number | null;

  @Field(() => Float, { nullable: true, description: changed('cartUsers') })
  cartUsers!: number | null;

  @Field(() => Float, { nullable: true, description: changed('productViews') })
  productViews!: number | null;

  @Field(() => Float, { nullable: true, description: changed('searches') })
  searches!: number | null;

  @Field(() => Float, { nullable: true, description: changed('addToCarts') })
  addToCarts!: number | null;

  @Field(() => Float, { nullable: true, description: changed('shares') })
  shares!: number | null;

  @Field(() => Float, { nullable: true, description: changed('afterSales') })
  afterSales!: number | null;

  @Field(() => Float, { nullable: true, description: changed('refundedOrders') })
  refundedOrders!: number | null;

  @Field(() => Float, { nullable: true, description: changed('couponRedemptions') })
  couponRedemptions!: number | null;

  @Field(() => Float, { nullable: true, description: changed('conversionRate') })
  conversionRate!: number | null;

  @Field(() => Float, { nullable: true, description: changed('cartAbandonmentRate') })
  cartAbandonmentRate!: number | null;

  @Field(() => Float, { nullable: true, description: changed('refundRate') })
  refundRate!: number | null;

  @Field(() => Float, { nullable: true, description: changed('afterSaleRate') })
  afterSaleRate!: number | null;
}

@ObjectType({ description: 'The range compared with the period of equal length just before it (the weekly rule: last week against the week before).' })
export class MetricComparison {
  @Field(() => CalendarDateScalar, { description: 'The previous period’s first day: `from` − n days, n the range’s length.' })
  from!: string;

  @Field(() => CalendarDateScalar, { description: 'The previous period’s last day: the day before the range.' })
  to!: string;

  @Field(() => MetricValues, { description: 'The previous period’s figures.' })
  previousPeriod!: MetricValues;

  @Field(() => MetricChange, { description: 'The change from the previous period to the range.' })
  change!: MetricChange;
}

@ObjectType({ description: 'A scope’s KPIs over a range of Asia/Shanghai days (both ends included): points, totals and the comparison with the previous period. A day with no activity is zeros, not a gap.' })
export class MetricSeries {
  @Field(() => MetricScopeKind, { description: 'What is measured.' })
  scope!: MetricScopeKind;

  /** Database keys of the scope, for `shop` and `category`. */
  shopKey!: string | null;
  categoryKey!: string | null;

  @Field(() => CalendarDateScalar, { description: 'The range’s first day.' })
  from!: string;

  @Field(() => CalendarDateScalar, { description: 'The range’s last day.' })
  to!: string;

  @Field(() => MetricGranularity, { description: 'How the range is cut into points.' })
  granularity!: MetricGranularity;

  @Field(() => [MetricPoint], { description: 'One point per day, week or month overlapping the range, oldest first.' })
  points!: MetricPoint[];

  @Field(() => MetricValues, { description: 'The figures of the whole range (people counted once over it, so not the sum of the points’).' })
  totals!: MetricValues;

  @Field(() => MetricComparison, { description: 'The previous period of equal length and the change from it.' })
  comparison!: MetricComparison;

  @Field(() => Date, { nullable: true, description: 'When `snapshot-metrics` last computed a day of the range; null when none of its days has been computed yet (then every figure is 0).' })
  snapshotAt!: Date | null;
}

@InputType({ description: 'What `topProducts` ranks: one shop’s products, one category’s (with its subcategories), both, or the whole platform’s.' })
export class MetricScopeInput {
  @Field(() => ID, { nullable: true, description: 'Only this shop’s products (its OWNER, MANAGER and FINANCE members may ask; staff ANALYST and FINANCE any shop).' })
  shopId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only products filed in this category or its subcategories now.' })
  categoryId?: string | null;
}

@ObjectType({ description: 'A product’s figures over a range, from the daily snapshots.' })
export class ProductMetric {
  /** Database key of the product. */
  productKey!: string;

  @Field(() => Money, { description: 'Σ of its lines’ amounts after their discounts, on orders paid in the range.' })
  gmv!: Money;

  @Field(() => Int, { description: 'Units of it on orders paid in the range.' })
  units!: number;

  @Field(() => Int, { description: 'Orders paid in the range with a line of it (each order counted once a day).' })
  paidOrders!: number;

  @Field(() => Int, { description: 'PRODUCT_VIEW events reported for it.' })
  views!: number;

  @Field(() => Int, { description: 'ADD_TO_CART events reported for it.' })
  addToCarts!: number;

  @Field(() => Float, { description: '`paidOrders` ÷ `views`; 0 without views.' })
  conversionRate!: number;
}

@ObjectType({ description: 'A shop’s figures over a range, from the daily snapshots.' })
export class ShopMetric {
  /** Database key of the shop. */
  shopKey!: string;

  @Field(() => Money, { description: 'Σ of the totals of its orders paid in the range.' })
  gmv!: Money;

  @Field(() => Int, { description: 'Its orders paid in the range.' })
  paidOrders!: number;

  @Field(() => Int, { description: 'Distinct buyers of those orders, each counted once over the range.' })
  buyers!: number;

  @Field(() => Money, { description: 'Σ of its refunds that succeeded in the range.' })
  refunds!: Money;

  @Field(() => Float, { description: '`refunds` ÷ `gmv`; 0 without GMV.' })
  refundRate!: number;
}

@ObjectType({ description: 'A later month of a cohort.' })
export class CohortMonth {
  @Field(() => Int, { description: 'Months after the cohort’s month (1: the month after).' })
  offset!: number;

  @Field({ description: 'The month, "YYYY-MM" (Asia/Shanghai).' })
  month!: string;

  @Field(() => Int, { description: 'The cohort’s buyers who paid an order in that month.' })
  buyers!: number;

  @Field(() => Float, { description: '`buyers` ÷ the cohort’s buyers: its retention that month.' })
  share!: number;
}

@ObjectType({ description: 'Buyers whose first paid order on the platform was paid in one month, and how many of them paid again in each later month.' })
export class Cohort {
  @Field({ description: 'The month of their first paid order, "YYYY-MM" (Asia/Shanghai).' })
  month!: string;

  @Field(() => Int, { description: 'Buyers in the cohort.' })
  buyers!: number;

  @Field(() => [CohortMonth], { description: 'Each month after the cohort’s, up to the current month and at most 24, oldest first.' })
  months!: CohortMonth[];
}
