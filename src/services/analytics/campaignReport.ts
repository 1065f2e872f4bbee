import type { Context } from '../../context';
import { rowShape, selectRows } from '../../db/rows';
import { CouponCampaign, FlashSale, Promotion } from '../../entities';
import { divideHalfEven } from '../shared';
import { type CampaignEntity, type CampaignKind, campaignOf, requireAnalyticsAccess } from './access';

/**
 * A campaign's input and output (投入產出): what a promotion, a coupon campaign or a flash sale cost
 * and what the orders it discounted brought, over its whole life, from the orders themselves.
 */

export interface CampaignReportResult {
  kind: CampaignKind;
  campaign: CampaignEntity;
  title: string;
  /** Its window: a promotion's or flash sale's, a coupon campaign's claim window. */
  startsAt: Date;
  endsAt: Date;
  /** Paid orders (paid_at set, whatever happened later) that carry one of its discounts. */
  orders: number;
  buyers: number;
  /** Buyers for whom such an order was their first paid order on the platform. */
  newBuyers: number;
  /** Units of those orders' lines. */
  units: number;
  /** Σ of those orders' totals (minor units). */
  gmv: number;
  /** Σ of the refunds of those orders that succeeded, whenever (minor units). */
  refunds: number;
  netSales: number;
  /** Σ of its discounts on those orders, by funder (minor units). */
  shopCost: number;
  platformCost: number;
  cost: number;
  /** cost ÷ orders, rounded half to even (0 without orders). */
  costPerOrder: number;
  /** netSales ÷ cost; null when it cost nothing. */
  roi: number | null;
}

/** The campaign's discounts (order_discount `d`), through the indexes each kind has. */
const DISCOUNTS_OF: Record<CampaignKind, string> = {
  // order_discount_promotion_idx
  PROMOTION: 'd.promotion_id = ?',
  // user_coupon_campaign_user_idx, then order_discount_coupon_idx
  COUPON_CAMPAIGN: 'd.user_coupon_id in (select u.id from user_coupon u where u.campaign_id = ?)',
  // A flash-sale discount names its item (campaign_id); `items` holds the sale's, and the orders come by order_line_flash_idx.
  FLASH_SALE: `d.source = 'FLASH_SALE'
    and d.order_id in (select l.order_id from order_line l where l.flash_sale_item_id in (select i.id from items i))
    and d.campaign_id in (select i.id from items i)`,
};

const REPORT_ROW = rowShape({ orders: 'int', buyers: 'int', new_buyers: 'int', units: 'number', gmv: 'number', refunds: 'number', shop_cost: 'number', platform_cost: 'number' });

function reportSql(kind: CampaignKind): string {
  return `
  with ${kind === 'FLASH_SALE' ? 'items as (select i.id from flash_sale_item i where i.flash_sale_id = ?),' : ''}
  disc as (select d.order_id, d.amount, d.funded_by from order_discount d where ${DISCOUNTS_OF[kind]}),
  ords as (select o.id, o.buyer_id, o.total, o.paid_at from orders o where o.id in (select order_id from disc) and o.paid_at is not null)
  select (select count(*) from ords) as orders,
         (select count(distinct buyer_id) from ords) as buyers,
         (select count(distinct x.buyer_id) from ords x
          where not exists (select 1 from orders e where e.buyer_id = x.buyer_id and e.paid_at < x.paid_at)) as new_buyers,
         (select coalesce(sum(l.quantity), 0) from order_line l where l.order_id in (select id from ords)) as units,
         (select coalesce(sum(total), 0) from ords) as gmv,
         (select coalesce(sum(r.amount), 0) from refund r where r.status = 'SUCCEEDED' and r.order_id in (select id from ords)) as refunds,
         (select coalesce(sum(amount) filter (where funded_by = 'SHOP'), 0) from disc where order_id in (select id from ords)) as shop_cost,
         (select coalesce(sum(amount) filter (where funded_by = 'PLATFORM'), 0) from disc where order_id in (select id from ords)) as platform_cost`;
}

function windowOf(campaign: CampaignEntity): { startsAt: Date; endsAt: Date } {
  if (campaign instanceof CouponCampaign) return { startsAt: campaign.claimStartsAt, endsAt: campaign.claimEndsAt };
  if (campaign instanceof Promotion || campaign instanceof FlashSale) return { startsAt: campaign.startsAt, endsAt: campaign.endsAt };
  throw new Error('campaignReport: not a campaign');
}

/**
 * The report of the campaign of `kind` with key `key`, in one statement after the campaign's load.
 * Access: staff ANALYST, FINANCE, OPERATIONS; for a shop's promotion or coupon campaign also the
 * shop's OWNER, MANAGER and FINANCE members (flash sales and platform campaigns are the platform's).
 * An unknown campaign is NOT_FOUND.
 */
export async function campaignReport(ctx: Context, kind: CampaignKind, key: string): Promise<CampaignReportResult> {
  await requireAnalyticsAccess(ctx, { kind: 'CAMPAIGN', campaign: kind, key });
  const campaign = (await campaignOf(ctx, kind, key))!;
  const [row] = await selectRows(ctx.em, REPORT_ROW, reportSql(kind), [key]);
  const cost = row.shop_cost + row.platform_cost;
  const netSales = row.gmv - row.refunds;
  return {
    kind,
    campaign,
    title: campaign.title,
    ...windowOf(campaign),
    orders: row.orders,
    buyers: row.buyers,
    newBuyers: row.new_buyers,
    units: row.units,
    gmv: row.gmv,
    refunds: row.refunds,
    netSales,
    shopCost: row.shop_cost,
    platformCost: row.platform_cost,
    cost,
    costPerOrder: row.orders > 0 ? Number(divideHalfEven(BigInt(cost), BigInt(row.orders))) : 0,
    roi: cost > 0 ? netSales / cost : null,
  };
}
