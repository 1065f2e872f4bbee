import type { Context } from '../../context';
import { Checkout, Order, type OrderStatus, RiskLevel, type Shop, StaffRole } from '../../entities';
import { BadInputError } from '../../errors';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { ORDER_STAFF } from '../shared';

export interface OrderFilterInput {
  status?: OrderStatus | null;
  placedAfter?: Date | null;
  placedBefore?: Date | null;
  /** Database key of the shop. */
  shopId?: string | null;
  /** Database key of the buyer. */
  buyerId?: string | null;
  number?: string | null;
}

/**
 * Whether the viewer may read the order: its buyer, a member of its shop, order staff, or staff
 * RISK when risk control flagged it (MEDIUM or HIGH, held now or before).
 */
async function canSeeOrder(ctx: Context, order: Order): Promise<boolean> {
  if (order.buyer.id === ctx.viewer.userId || ctx.viewer.hasStaffRole(...ORDER_STAFF)) return true;
  if (ctx.viewer.hasStaffRole(StaffRole.RISK) && (order.riskLevel !== RiskLevel.LOW || order.held || order.holdReleasedAt)) return true;
  return (await ctx.viewer.roleIn(order.shop.id)) !== undefined;
}

export async function visibleOrder(ctx: Context, key: string): Promise<Order | null> {
  const order = await ctx.loaders.orderById.load(key);
  return order && (await canSeeOrder(ctx, order)) ? order : null;
}

export async function visibleCheckout(ctx: Context, key: string): Promise<Checkout | null> {
  const checkout = await ctx.em.findOne(Checkout, { id: key });
  return checkout && (checkout.buyer.id === ctx.viewer.userId || ctx.viewer.hasStaffRole(...ORDER_STAFF)) ? checkout : null;
}

/** Orders newest first, keyset on (placed_at, id); each scope below is one composite index. */
async function listOrders(ctx: Context, scope: Record<string, unknown>, args: PageArgs & { filter?: OrderFilterInput | null }): Promise<Page<Order>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  const f = args.filter ?? {};
  if (f.placedAfter && f.placedBefore && f.placedAfter >= f.placedBefore) throw new BadInputError('`placedAfter` must be before `placedBefore`', 'filter.placedAfter');
  const where: Record<string, unknown> = { ...scope };
  if (f.status) where.status = f.status;
  if (f.placedAfter || f.placedBefore) where.placedAt = { ...(f.placedAfter ? { $gte: f.placedAfter } : {}), ...(f.placedBefore ? { $lt: f.placedBefore } : {}) };
  if (f.shopId) where.shop = f.shopId;
  if (f.buyerId) where.buyer = f.buyerId;
  if (f.number) where.number = f.number.trim();
  const keys = [
    { column: 'o.placed_at', direction: 'desc' as const },
    { column: 'o.id', direction: 'desc' as const },
  ];
  const rows = await applyKeyset(ctx.em.createQueryBuilder(Order, 'o').select('*').where(where), keys, window).getResultList();
  return page(rows, window, (o) => [o.placedAt.toISOString(), o.id], () => ctx.em.count(Order, where));
}

export function myOrders(ctx: Context, args: PageArgs & { filter?: OrderFilterInput | null }) {
  return listOrders(ctx, { buyer: ctx.viewer.userId }, { ...args, filter: { ...args.filter, shopId: null, buyerId: null, number: null } });
}

/** A shop's orders (its members, any role, and staff; the shield rule checked that). */
export function shopOrders(ctx: Context, shop: Shop, args: PageArgs & { filter?: OrderFilterInput | null }) {
  return listOrders(ctx, { shop: shop.id }, { ...args, filter: { ...args.filter, shopId: null } });
}

/** Every order, for CUSTOMER_SERVICE and OPERATIONS staff. */
export function allOrders(ctx: Context, args: PageArgs & { filter?: OrderFilterInput | null }) {
  return listOrders(ctx, {}, args);
}
