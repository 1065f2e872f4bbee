import type { Context } from '../../context';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { AfterSaleCase, type AfterSaleStatus, AfterSaleStatus as S, type AfterSaleType, type Order } from '../../entities';
import { ForbiddenError, NotFoundError } from '../../errors';
import type { AfterSaleAction } from '../../schema/aftersales/actions';
import { AFTER_SALE_ROLES, AFTER_SALE_STAFF } from '../shared';
import { caseActorKinds, nextCaseActions } from './lifecycle';

/** Reading cases: the buyer's, a shop's (its after-sales members), every one for staff CUSTOMER_SERVICE. */

export interface AfterSaleFilterInput {
  status?: AfterSaleStatus | null;
  type?: AfterSaleType | null;
}

/** Whether the viewer sees the cases of an order of `buyerId` in shop `shopId`: its buyer, any member of the shop, staff CUSTOMER_SERVICE. */
async function seesCases(ctx: Context, buyerId: string, shopId: string): Promise<boolean> {
  return buyerId === ctx.viewer.userId || ctx.viewer.hasStaffRole(...AFTER_SALE_STAFF) || (await ctx.viewer.roleIn(shopId)) !== undefined;
}

/** The case, for its buyer, any member of its shop and staff CUSTOMER_SERVICE; null for anyone else. */
export async function visibleCase(ctx: Context, key: string): Promise<AfterSaleCase | null> {
  const c = await ctx.em.findOne(AfterSaleCase, { id: key });
  return c && (await seesCases(ctx, c.buyer.id, c.shop.id)) ? c : null;
}

/** An order's cases, oldest first (a page of orders loads theirs in one query); FORBIDDEN to order staff without CUSTOMER_SERVICE. */
export async function orderCases(ctx: Context, order: Order): Promise<AfterSaleCase[]> {
  if (!(await seesCases(ctx, order.buyer.id, order.shop.id))) throw new ForbiddenError('After-sale cases are for the buyer, the shop and customer service');
  return ctx.loaders.casesByOrderId.load(order.id);
}

/** The orders cases are listed in, each a keyset on an index of the scope: newest first, or oldest escalation first (the arbitration queue). */
const CASE_ORDERS = {
  newest: { column: 'created_at', direction: 'desc', key: (c: AfterSaleCase) => c.createdAt },
  escalation: { column: 'escalated_at', direction: 'asc', key: (c: AfterSaleCase) => c.escalatedAt! },
} as const;

async function listCases(ctx: Context, where: Record<string, unknown>, args: PageArgs, order: keyof typeof CASE_ORDERS = 'newest'): Promise<Page<AfterSaleCase>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  const { column, direction, key } = CASE_ORDERS[order];
  const keys = [
    { column: `c.${column}`, direction },
    { column: 'c.id', direction },
  ];
  const rows = await applyKeyset(ctx.em.createQueryBuilder(AfterSaleCase, 'c').select('*').where(where), keys, window).getResultList();
  return page(rows, window, (c) => [key(c).toISOString(), c.id], () => ctx.em.count(AfterSaleCase, where));
}

export function myAfterSaleCases(ctx: Context, args: PageArgs): Promise<Page<AfterSaleCase>> {
  return listCases(ctx, { buyer: ctx.viewer.userId }, args);
}

/** A shop's cases for its OWNER, MANAGER and CUSTOMER_SERVICE members and staff CUSTOMER_SERVICE; another shop's are NOT_FOUND. */
export async function shopAfterSaleCases(ctx: Context, shopId: string, args: PageArgs & { filter?: AfterSaleFilterInput | null }): Promise<Page<AfterSaleCase>> {
  if (!ctx.viewer.hasStaffRole(...AFTER_SALE_STAFF)) {
    const role = await ctx.viewer.roleIn(shopId);
    if (role === undefined) throw new NotFoundError('No such shop');
    if (!AFTER_SALE_ROLES.includes(role)) throw new ForbiddenError();
  }
  const where: Record<string, unknown> = { shop: shopId };
  if (args.filter?.status) where.status = args.filter.status;
  if (args.filter?.type) where.type = args.filter.type;
  return listCases(ctx, where, args);
}

/** Escalated cases, oldest escalation first (staff CUSTOMER_SERVICE). */
export function arbitrationQueue(ctx: Context, args: PageArgs): Promise<Page<AfterSaleCase>> {
  return listCases(ctx, { status: S.ARBITRATION }, args, 'escalation');
}

/** What the viewer may do next with the case. */
export async function caseNextActions(ctx: Context, c: AfterSaleCase): Promise<AfterSaleAction[]> {
  return nextCaseActions(c, caseActorKinds(ctx.viewer, c, await ctx.viewer.roleIn(c.shop.id)), ctx.now());
}
