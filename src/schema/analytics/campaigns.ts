import { createUnionType, Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CouponCampaign, FlashSale, Promotion } from '../../entities';
import { NotFoundError } from '../../errors';
import type { CampaignKind } from '../../services/analytics';
import { parseNodeId } from '../shared/globalId';
import { Money } from '../shared/money';
import { PromotionCost } from './metrics';

export enum CampaignReportKind {
  PROMOTION = 'PROMOTION',
  COUPON_CAMPAIGN = 'COUPON_CAMPAIGN',
  FLASH_SALE = 'FLASH_SALE',
}

registerEnumType(CampaignReportKind, {
  name: 'CampaignReportKind',
  description: 'What kind of campaign a report is about.',
  valuesConfig: {
    PROMOTION: { description: 'An automatic promotion: its discounts on orders.' },
    COUPON_CAMPAIGN: { description: 'A coupon campaign: the discounts of its coupons used on orders.' },
    FLASH_SALE: { description: 'A flash sale: the discounts of its items’ sale prices on orders.' },
  },
});

export const CampaignReportSubject = createUnionType({
  name: 'CampaignReportSubject',
  description: 'A campaign a report can be about.',
  types: () => [Promotion, CouponCampaign, FlashSale] as const,
  resolveType: (value) => (value instanceof Promotion ? Promotion : value instanceof CouponCampaign ? CouponCampaign : FlashSale),
});

/** The node types whose global IDs name a campaign, and the kind each is. */
const CAMPAIGN_TYPES: Record<string, CampaignKind> = { Promotion: 'PROMOTION', CouponCampaign: 'COUPON_CAMPAIGN', FlashSale: 'FLASH_SALE' };

/** The kind and database key of a campaign's global ID (a Promotion, CouponCampaign or FlashSale); anything else is NOT_FOUND. */
export function decodeCampaignId(id: string): { kind: CampaignKind; key: string } {
  const parsed = parseNodeId(id);
  const kind = parsed && Object.hasOwn(CAMPAIGN_TYPES, parsed.type) ? CAMPAIGN_TYPES[parsed.type] : undefined;
  if (!parsed || !kind) throw new NotFoundError('No campaign with this ID');
  return { kind, key: parsed.key };
}

@ObjectType({
  description:
    'A campaign’s input and output (投入產出) over its whole life, from the orders themselves: the paid orders (paidAt set, whatever happened later) that carry one of its discounts.',
})
export class CampaignReport {
  @Field(() => CampaignReportSubject, { description: 'The campaign.' })
  campaign!: Promotion | CouponCampaign | FlashSale;

  @Field(() => CampaignReportKind, { description: 'Its kind.' })
  kind!: CampaignReportKind;

  @Field({ description: 'Its title.' })
  title!: string;

  @Field(() => Date, { description: 'Start of its window (a coupon campaign’s: of its claim window).' })
  startsAt!: Date;

  @Field(() => Date, { description: 'End of its window, exclusive (a coupon campaign’s: of its claim window).' })
  endsAt!: Date;

  @Field(() => Int, { description: 'Paid orders carrying one of its discounts.' })
  orders!: number;

  @Field(() => Int, { description: 'Distinct buyers of those orders.' })
  buyers!: number;

  @Field(() => Int, { description: 'Buyers for whom such an order was their first paid order on the platform: the customers it won.' })
  newBuyers!: number;

  @Field(() => Int, { description: 'Units on those orders’ lines (all of them, not only the discounted ones).' })
  units!: number;

  @Field(() => Money, { description: 'Σ of those orders’ totals (what buyers paid, after every discount).' })
  gmv!: Money;

  @Field(() => Money, { description: 'Σ of the refunds of those orders that succeeded, whenever.' })
  refunds!: Money;

  @Field(() => Money, { description: '`gmv` − `refunds`.' })
  netSales!: Money;

  @Field(() => PromotionCost, { description: 'Σ of its discounts on those orders (shipping discounts included), by who funds them.' })
  cost!: PromotionCost;

  @Field(() => Money, { description: '`cost.total` ÷ `orders`, rounded half to even to the minor unit; 0 without orders.' })
  costPerOrder!: Money;

  @Field(() => Float, { nullable: true, description: 'Return on its cost: `netSales` ÷ `cost.total`; null when it cost nothing.' })
  roi!: number | null;
}
