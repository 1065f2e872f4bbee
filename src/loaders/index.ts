import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import {
  AfterSaleCase,
  AfterSaleCaseLine,
  AfterSaleEvent,
  AfterSaleMessage,
  ApplicationDecision,
  Bargain,
  BargainCampaign,
  BargainHelp,
  Brand,
  Category,
  CouponCampaign,
  FlashSale,
  FlashSaleItem,
  Group,
  GroupBuy,
  InvitationStatus,
  LedgerPosting,
  Order,
  type Funder,
  OrderDiscount,
  OrderEvent,
  OrderLine,
  Payment,
  Payout,
  Product,
  ProductReport,
  ProductStatusChange,
  ProductVariant,
  Promotion,
  QuizQuestion,
  Refund,
  Review,
  ReviewReport,
  ScorecardLevelChange,
  Settlement,
  Shipment,
  ShippingTemplate,
  Shop,
  ShopInvitation,
  ShopMember,
  ShopScorecard,
  ShopViolation,
  StocktakeLine,
  TicketMessage,
  TrainingCourse,
  TrainingLesson,
  User,
  UserCoupon,
  ViolationAppeal,
} from '../entities';
import { entitiesByIds, entitiesWhereIn } from '../db/rows';
import { promotionsForProducts } from '../services/promotions/badges';
import { FLASH_LEFT_SQL, LIVE_FLASH_ITEM_SQL } from '../services/campaigns/flashStock';
import { type GroupMemberRow, membersOfGroups, ordersAwaitingGroup } from '../services/campaigns/groupHooks';
import { levelChangesOfShops } from '../services/reviews/scorecards';

/** Groups rows by a key, in the order of `keys`, with an empty list for keys without rows. */
export function groupBy<K, T>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): T[][] {
  const map = new Map<K, T[]>(keys.map((k) => [k, []]));
  for (const row of rows) map.get(keyOf(row))?.push(row);
  return keys.map((k) => map.get(k)!);
}

/** Loads entities of `entity` by id in one query per tick, in the order asked. */
function byId<T extends { id: string }>(em: EntityManager, entity: new (...args: never[]) => T): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const rows = await entitiesByIds(em, entity, ids);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/**
 * Loads, per key, the one entity of `entity` whose unique `column` holds that key (null for none),
 * in one query per tick; `keyOf` reads the key back from an entity.
 */
function oneBy<T extends object>(em: EntityManager, entity: new (...args: never[]) => T, column: string, keyOf: (row: T) => string): DataLoader<string, T | null> {
  return new DataLoader(async (keys) => {
    const map = new Map((await entitiesWhereIn(em, entity, column, keys, `e."${column}"`)).map((row) => [keyOf(row), row]));
    return keys.map((key) => map.get(key) ?? null);
  });
}

/**
 * Loads, per key, the entities of `entity` whose `column` holds that key, in one query per tick,
 * ordered by `orderBy` (SQL over alias `e`); `keyOf` reads the key back from an entity.
 */
function manyBy<T extends object>(
  em: EntityManager,
  entity: new (...args: never[]) => T,
  column: string,
  keyOf: (row: T) => string,
  orderBy = 'e.id',
  extra = '',
): DataLoader<string, T[]> {
  return new DataLoader(async (keys) => groupBy(keys, await entitiesWhereIn(em, entity, column, keys, orderBy, extra), keyOf));
}

/**
 * DataLoaders for one request. Named <Target>By<Key>; a page of N parents costs one query per
 * relation, not N.
 */
export function createLoaders(em: EntityManager, now: () => Date = () => new Date()) {
  return {
    userById: byId(em, User),
    shopById: byId(em, Shop),
    categoryById: byId(em, Category),
    brandById: byId(em, Brand),
    shippingTemplateById: byId(em, ShippingTemplate),
    productById: byId(em, Product),
    variantById: byId(em, ProductVariant),
    /** Live (not archived) variants of each product, in the shop's order. */
    variantsByProductId: manyBy(em, ProductVariant, 'product_id', (v) => v.product.id, 'e.product_id, e.position, e.id', 'and not e.archived'),
    /** The lines of each stocktake, in the order submitted. */
    linesByStocktakeId: new DataLoader<string, StocktakeLine[]>(async (ids) => {
      const rows = await em.find(StocktakeLine, { stocktake: { $in: [...ids] } }, { orderBy: { id: 'asc' } });
      return groupBy(ids, rows, (l) => l.stocktake.id);
    }),
    statusChangesByProductId: manyBy(em, ProductStatusChange, 'product_id', (c) => c.product.id),
    membershipsByUserId: new DataLoader<string, ShopMember[]>(async (userIds) => {
      const rows = await em.find(ShopMember, { user: { $in: [...userIds] } }, { populate: ['shop'], orderBy: { id: 'asc' } });
      return groupBy(userIds, rows, (m) => m.user.id);
    }),
    membersByShopId: new DataLoader<string, ShopMember[]>(async (shopIds) => {
      const rows = await em.find(ShopMember, { shop: { $in: [...shopIds] } }, { orderBy: { id: 'asc' } });
      return groupBy(shopIds, rows, (m) => m.shop.id);
    }),
    decisionsByApplicationId: new DataLoader<string, ApplicationDecision[]>(async (ids) => {
      const rows = await em.find(ApplicationDecision, { application: { $in: [...ids] } }, { orderBy: { id: 'asc' } });
      return groupBy(ids, rows, (d) => d.application.id);
    }),
    lessonsByCourseId: new DataLoader<string, TrainingLesson[]>(async (ids) => {
      const rows = await em.find(TrainingLesson, { course: { $in: [...ids] } }, { orderBy: { position: 'asc' } });
      return groupBy(ids, rows, (l) => l.course.id);
    }),
    questionsByCourseId: new DataLoader<string, QuizQuestion[]>(async (ids) => {
      const rows = await em.find(QuizQuestion, { course: { $in: [...ids] } }, { orderBy: { position: 'asc' } });
      return groupBy(ids, rows, (q) => q.course.id);
    }),
    pendingInvitationsByShopId: new DataLoader<string, ShopInvitation[]>(async (ids) => {
      const rows = await em.find(ShopInvitation, { shop: { $in: [...ids] }, status: InvitationStatus.PENDING }, { orderBy: { id: 'asc' } });
      return groupBy(ids, rows, (i) => i.shop.id);
    }),
    /** The agreement version each shop accepted last (null when none). */
    acceptedAgreementByShopId: new DataLoader<string, string | null>(async (ids) => {
      const rows = await em.execute<{ shop_id: string; version: string }[]>(
        'select distinct on (shop_id) shop_id, version from agreement_acceptance where shop_id in (?) order by shop_id, accepted_at desc, id desc',
        [[...ids]],
      );
      const map = new Map(rows.map((r) => [String(r.shop_id), r.version]));
      return ids.map((id) => map.get(id) ?? null);
    }),
    /** Per shop: best score, passed and attempts for every course it tried. */
    quizStatsByShopId: new DataLoader<string, Map<string, { best: number; passed: boolean; attempts: number }>>(async (ids) => {
      const rows = await em.execute<{ shop_id: string; course_id: string; best: number; passed: boolean; attempts: string }[]>(
        'select shop_id, course_id, max(score) as best, bool_or(passed) as passed, count(*) as attempts from quiz_attempt where shop_id in (?) group by shop_id, course_id',
        [[...ids]],
      );
      const byShop = new Map(ids.map((id) => [id, new Map<string, { best: number; passed: boolean; attempts: number }>()]));
      for (const r of rows) byShop.get(String(r.shop_id))?.set(String(r.course_id), { best: Number(r.best), passed: r.passed, attempts: Number(r.attempts) });
      return ids.map((id) => byShop.get(id)!);
    }),
    /** Published courses, loaded once per request. */
    publishedCourses: new DataLoader<'all', TrainingCourse[]>(async (keys) => {
      const courses = await em.find(TrainingCourse, { published: true }, { orderBy: { id: 'asc' } });
      return keys.map(() => courses);
    }),
    orderById: byId(em, Order),
    promotionById: byId(em, Promotion),
    couponCampaignById: byId(em, CouponCampaign),
    promotionsByProductId: new DataLoader<string, Promotion[]>((ids) => promotionsForProducts(em, ids, now())),
    userCouponById: byId(em, UserCoupon),
    discountsByOrderId: manyBy(em, OrderDiscount, 'order_id', (d) => d.order.id),
    orderLinesByOrderId: manyBy(em, OrderLine, 'order_id', (l) => l.order.id),
    orderEventsByOrderId: manyBy(em, OrderEvent, 'order_id', (e) => e.order.id),
    shipmentsByOrderId: manyBy(em, Shipment, 'order_id', (s) => s.order.id),
    refundsByOrderId: manyBy(em, Refund, 'order_id', (r) => r.order!.id),
    ordersByCheckoutId: manyBy(em, Order, 'checkout_id', (o) => o.checkout.id),
    paymentsByCheckoutId: manyBy(em, Payment, 'checkout_id', (p) => p.checkout.id),
    /** Each shop's shipping-fee templates, the default first. */
    shippingTemplatesByShopId: manyBy(em, ShippingTemplate, 'shop_id', (t) => t.shop.id, 'e.is_default desc, e.id'),
    categoryChildrenByParentId: manyBy(em, Category, 'parent_id', (c) => c.parent!.id, 'e.position, e.name, e.id'),
    settlementById: byId(em, Settlement),
    postingById: byId(em, LedgerPosting),
    /** Each settlement's payout (at most one: payout_settlement_unique). */
    payoutsBySettlementId: manyBy(em, Payout, 'settlement_id', (p) => p.settlement.id),
    orderLineById: byId(em, OrderLine),
    refundById: byId(em, Refund),
    casesByOrderId: manyBy(em, AfterSaleCase, 'order_id', (c) => c.order.id),
    caseLinesByCaseId: manyBy(em, AfterSaleCaseLine, 'case_id', (l) => l.afterSaleCase.id),
    caseMessagesByCaseId: manyBy(em, AfterSaleMessage, 'case_id', (m) => m.afterSaleCase.id, 'e.at, e.id'),
    caseEventsByCaseId: manyBy(em, AfterSaleEvent, 'case_id', (e) => e.afterSaleCase.id, 'e.at, e.id'),
    /** Each ticket's messages, oldest first. */
    ticketMessagesByTicketId: manyBy(em, TicketMessage, 'ticket_id', (m) => m.ticket.id, 'e.ticket_id, e.id'),
    flashSaleById: byId(em, FlashSale),
    flashSaleItemById: byId(em, FlashSaleItem),
    /** Each flash sale's items, oldest first. */
    flashSaleItemsBySaleId: manyBy(em, FlashSaleItem, 'flash_sale_id', (i) => i.flashSale.id),
    /**
     * Each flash-sale item's units: left in its buckets, and sold — taken by orders while its sale
     * is not settled (quantity less what is left), counted from the orders not cancelled once it is.
     */
    flashUnitsByItemId: new DataLoader<string, { remaining: number; sold: number }>(async (ids) => {
      const rows = await em.execute<{ id: string; remaining: number; sold: number }[]>(
        `select i.id, coalesce(b.remaining, 0)::int as remaining,
                (case when i.status <> 'APPROVED' then 0
                      when s.settled_at is null then i.quantity - coalesce(b.remaining, 0)
                      else (select coalesce(sum(l.quantity), 0) from order_line l join orders o on o.id = l.order_id
                            where l.flash_sale_item_id = i.id and o.status <> 'CANCELLED') end)::int as sold
         from flash_sale_item i join flash_sale s on s.id = i.flash_sale_id
         left join lateral (select sum(remaining) as remaining from flash_sale_bucket where item_id = i.id) b on true
         where i.id in (?)`,
        [[...ids]],
      );
      const map = new Map(rows.map((r) => [String(r.id), { remaining: Number(r.remaining), sold: Number(r.sold) }]));
      return ids.map((id) => map.get(id) ?? { remaining: 0, sold: 0 });
    }),
    /** The approved item of a flash sale live now for each variant (its price applies), with its units left; null for none. */
    liveFlashItemByVariantId: new DataLoader<string, LiveFlashItem | null>(async (ids) => {
      const rows = await em.execute<{ variant_id: string; id: string; sale_price: string; title: string; per_user_limit: number; remaining: number; funded_by: Funder }[]>(
        `select v.id as variant_id, f.id, f.sale_price, f.title, f.per_user_limit,
                ${FLASH_LEFT_SQL('f.id')} as remaining
         from unnest(?::bigint[]) v(id) join lateral (${LIVE_FLASH_ITEM_SQL('v.id')}) f on true`,
        // One array literal (the keys are bigint strings): a JS array would expand into a list.
        [`{${ids.join(',')}}`, now(), now()],
      );
      const map = new Map(rows.map((r) => [String(r.variant_id), { id: String(r.id), salePrice: Number(r.sale_price), title: r.title, perUserLimit: Number(r.per_user_limit), remaining: Number(r.remaining), fundedBy: r.funded_by }]));
      return ids.map((id) => map.get(id) ?? null);
    }),
    /** Each shop's scorecard, or null before its first `compute-scorecards`. */
    scorecardByShopId: oneBy(em, ShopScorecard, 'shop_id', (s) => s.shop.id),
    /** Each shop's newest scorecard level changes (at most MAX_RECENT_LEVEL_CHANGES), newest first. */
    levelChangesByShopId: new DataLoader<string, ScorecardLevelChange[]>(async (ids) => groupBy(ids, await levelChangesOfShops(em, ids), (c) => c.shop.id)),
    bargainCampaignById: byId(em, BargainCampaign),
    bargainById: byId(em, Bargain),
    /** Each bargain's helps, oldest first. */
    bargainHelpsByBargainId: manyBy(em, BargainHelp, 'bargain_id', (h) => h.bargain.id, 'e.bargain_id, e.id'),
    groupBuyById: byId(em, GroupBuy),
    groupById: byId(em, Group),
    /** Each group's members, earliest first (see membersOfGroups). */
    groupMembersByGroupId: new DataLoader<string, GroupMemberRow[]>((ids) => membersOfGroups(em, ids)),
    /** Whether each order belongs to a group buy's group that has not formed (it cannot be accepted or shipped yet). */
    awaitingGroupByOrderId: new DataLoader<string, boolean>(async (ids) => {
      const waiting = await ordersAwaitingGroup(em, ids);
      return ids.map((id) => waiting.has(id));
    }),
    reviewById: byId(em, Review),
    /** Each review's reports, newest first. */
    reportsByReviewId: manyBy(em, ReviewReport, 'review_id', (r) => r.review.id, 'e.review_id, e.id desc'),
    /** The review of each order line, or null (one per line). */
    reviewByOrderLineId: oneBy(em, Review, 'order_line_id', (r) => r.orderLine.id),
    productReportById: byId(em, ProductReport),
    violationById: byId(em, ShopViolation),
    /** The appeal of each violation, or null (one per violation). */
    appealByViolationId: oneBy(em, ViolationAppeal, 'violation_id', (a) => a.violation.id),
    /**
     * Audit entries of full views of personal data by staff (services/risk/privacy.ts): every view
     * of a request's tick in one INSERT (a page of 20 orders is one statement), each target once
     * per request. Resolves once written, so nothing is shown unaudited.
     */
    personalDataViewAudit: new DataLoader<PersonalDataView, true, string>(
      async (views) => {
        await em.execute(
          `insert into audit_entry (actor_id, action, target_type, target_id, request_id, created_at)
           select v.actor_id, v.action, v.target_type, v.target_id, v.request_id, ? from jsonb_to_recordset(?::jsonb) as v(actor_id bigint, action text, target_type text, target_id text, request_id text)`,
          [now(), JSON.stringify(views.map((v) => ({ actor_id: v.actorId, action: v.action, target_type: v.targetType, target_id: v.targetId, request_id: v.requestId })))],
          'run',
        );
        return views.map(() => true as const);
      },
      { cacheKeyFn: (v) => `${v.actorId}|${v.action}|${v.targetType}|${v.targetId}` },
    ),
  };
}

/** A full view of someone's personal data by staff, to audit: who, in which request, what (an action such as "order.viewPersonalData") of which object. */
export interface PersonalDataView {
  actorId: string | null;
  requestId: string;
  action: string;
  targetType: string;
  targetId: string;
}

/** A variant's approved item of a flash sale live now: its price, title, limit per buyer and units left. */
export interface LiveFlashItem {
  /** Database key of the item. */
  id: string;
  salePrice: number;
  title: string;
  perUserLimit: number;
  remaining: number;
  fundedBy: Funder;
}

export type Loaders = ReturnType<typeof createLoaders>;
