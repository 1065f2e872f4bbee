import { wrap } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import type { Context } from '../../context';
import { applyKeyset, keysetClause, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { entitiesWhere, rowShape, type RowOf, selectRows } from '../../db/rows';
import { LedgerAccount, LedgerEntry, LedgerPosting, Order, type OrderLine, Payout, type PostingKind, Settlement, type SettlementStatus, type Shop } from '../../entities';
import { BadInputError, ForbiddenError, NotFoundError } from '../../errors';
import type { Viewer } from '../../viewer';
import { MONEY_STAFF, SHOP_MONEY_ROLES } from '../shared';
import { FIGURE_SUMS, type SettlementFigures, settlementEntriesSql, settlementFigures } from './settlements';

/**
 * The finance read side: who may see a shop's money, its settlements (with their orders and
 * lines), its balance, and the ledger itself for finance staff. Reads only; the ledger and the
 * settlements are written by `ledger.ts` and `settlements.ts`.
 */

// --- Who sees a shop's money ---------------------------------------------------------------------

export type MoneyAccess = 'ALLOWED' | 'FORBIDDEN' | 'NOT_FOUND';

/**
 * Whether `viewer` may read the money of shop `shopId` (settlements, balance, statements,
 * commission): staff FINANCE (and ADMIN) any shop's, its OWNER and FINANCE members their shop's.
 * A member of another role, or staff of another role, is FORBIDDEN; to anyone else another shop's
 * money does not exist (NOT_FOUND). With `shopId` null: whether the viewer may read some shop's.
 */
export async function moneyAccess(viewer: Viewer, shopId: string | null): Promise<MoneyAccess> {
  if (viewer.hasStaffRole(...MONEY_STAFF)) return 'ALLOWED';
  if (shopId === null) {
    const roles = [...(await viewer.memberships()).values()];
    return roles.some((r) => SHOP_MONEY_ROLES.includes(r)) ? 'ALLOWED' : 'FORBIDDEN';
  }
  const role = await viewer.roleIn(shopId);
  if (role) return SHOP_MONEY_ROLES.includes(role) ? 'ALLOWED' : 'FORBIDDEN';
  return viewer.isStaff ? 'FORBIDDEN' : 'NOT_FOUND';
}

/** `moneyAccess`, throwing FORBIDDEN or NOT_FOUND (with `notFound` as its message). */
async function requireMoneyAccess(ctx: Context, shopId: string | null, notFound = 'No such shop'): Promise<void> {
  const access = await moneyAccess(ctx.viewer, shopId);
  if (access === 'FORBIDDEN') throw new ForbiddenError();
  if (access === 'NOT_FOUND') throw new NotFoundError(notFound);
}

/**
 * The shops whose money a list shows the viewer (settlements, payouts): the one named, when they
 * may read its money; without one, every shop for staff FINANCE (null) and otherwise the shops
 * they are an OWNER or FINANCE member of. Another shop is NOT_FOUND, other roles FORBIDDEN.
 */
export async function moneyShopScope(ctx: Context, shopId: string | null | undefined): Promise<string[] | null> {
  await requireMoneyAccess(ctx, shopId ?? null);
  if (shopId) return [shopId];
  if (ctx.viewer.hasStaffRole(...MONEY_STAFF)) return null;
  return [...(await ctx.viewer.memberships()).entries()].filter(([, role]) => SHOP_MONEY_ROLES.includes(role)).map(([shop]) => shop);
}

/**
 * The shop of an order line, for the commission rule: its order is normally in the identity map
 * already (the line was reached through it); otherwise the orders of a request's lines load in one
 * batched query.
 */
export async function shopOfOrderLine(ctx: Context, line: OrderLine): Promise<string | undefined> {
  const order = line.order;
  if (wrap(order).isInitialized()) return order.shop.id;
  return (await ctx.loaders.orderById.load(order.id))?.shop.id;
}

// --- Per-request loaders -------------------------------------------------------------------------

/**
 * Each request's settlement figures: CLOSED as stored, all OPEN ones of a tick computed together.
 * Beside the request's own loaders (`ctx.loaders`, keyed by it so it lives and dies with them),
 * because it needs the configuration and the clock, which those do not take.
 */
const figureLoaders = new WeakMap<object, DataLoader<Settlement, SettlementFigures, string>>();

export function figuresOf(ctx: Context, settlement: Settlement): Promise<SettlementFigures> {
  let loader = figureLoaders.get(ctx.loaders);
  if (!loader) {
    loader = new DataLoader(
      async (settlements) => {
        const figures = await settlementFigures(ctx.em, ctx.deps.config, ctx.now(), settlements);
        return settlements.map((s) => figures.get(s.id)!);
      },
      { cacheKeyFn: (s) => s.id },
    );
    figureLoaders.set(ctx.loaders, loader);
  }
  return loader.load(settlement);
}

export async function payoutOf(ctx: Context, settlement: Settlement): Promise<Payout | null> {
  return (await ctx.loaders.payoutsBySettlementId.load(settlement.id))[0] ?? null;
}

export async function settlementOfEntry(ctx: Context, entry: LedgerEntry): Promise<Settlement | null> {
  return entry.settlement ? ctx.loaders.settlementById.load(entry.settlement.id) : null;
}

export async function postingOf(ctx: Context, entry: LedgerEntry): Promise<LedgerPosting> {
  return (await ctx.loaders.postingById.load(entry.posting.id))!;
}

// --- Settlements -----------------------------------------------------------------------------------

/** Filters of the settlement list; `shopId` a database key. */
export interface SettlementFilterInput {
  shopId?: string | null;
  status?: SettlementStatus | null;
  /** Periods starting at or after. */
  periodFrom?: Date | null;
  /** Periods starting before. */
  periodTo?: Date | null;
}

/**
 * Settlements newest period first, keyset on (period_start, id): every shop's for staff FINANCE,
 * otherwise those of the shops the viewer is an OWNER or FINANCE member of.
 */
export async function listSettlements(ctx: Context, args: PageArgs & { filter?: SettlementFilterInput | null }): Promise<Page<Settlement>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  const f = args.filter ?? {};
  if (f.periodFrom && f.periodTo && f.periodFrom >= f.periodTo) throw new BadInputError('`periodFrom` must be before `periodTo`', 'filter.periodFrom');
  const shops = await moneyShopScope(ctx, f.shopId);
  const where: Record<string, unknown> = {};
  if (shops) where.shop = { $in: shops };
  if (f.status) where.status = f.status;
  if (f.periodFrom || f.periodTo) where.periodStart = { ...(f.periodFrom ? { $gte: f.periodFrom } : {}), ...(f.periodTo ? { $lt: f.periodTo } : {}) };
  const keys = [
    { column: 's.period_start', direction: 'desc' as const },
    { column: 's.id', direction: 'desc' as const },
  ];
  const rows = await applyKeyset(ctx.em.createQueryBuilder(Settlement, 's').select('*').where(where), keys, window).getResultList();
  return page(rows, window, (s) => [s.periodStart.toISOString(), s.id], () => ctx.em.count(Settlement, where));
}

/** One settlement, when the viewer may read its shop's money (else null, as if absent). */
export async function visibleSettlement(ctx: Context, key: string): Promise<Settlement | null> {
  const settlement = await ctx.loaders.settlementById.load(key);
  return settlement && (await moneyAccess(ctx.viewer, settlement.shop.id)) === 'ALLOWED' ? settlement : null;
}

/** The orders with entries in the settlement, newest first (keyset on placed_at, id). */
export async function settlementOrders(ctx: Context, settlement: Settlement, args: PageArgs): Promise<Page<Order>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  const entries = settlementEntriesSql(ctx.deps.config, ctx.now(), settlement);
  const inSettlement = `e.id in (select x.order_id from (${entries.sql}) x where x.order_id is not null)`;
  const { where, orderBy } = keysetClause(
    [
      { column: 'e.placed_at', direction: 'desc' },
      { column: 'e.id', direction: 'desc' },
    ],
    window,
  );
  const rows = await entitiesWhere(
    ctx.em,
    Order,
    `${inSettlement} ${where ? `and ${where.sql}` : ''} order by ${orderSql(orderBy)} limit ${window.limit}`,
    [...entries.params, ...(where?.params ?? [])],
  );
  return page(rows, window, (o) => [o.placedAt.toISOString(), o.id], async () => {
    const [{ count }] = await selectRows(ctx.em, rowShape({ count: 'int' }), `select count(distinct x.order_id)::int as count from (${entries.sql}) x`, entries.params);
    return count;
  });
}

/** A line of a settlement: one posting's entries for one order (or an adjustment), in minor units. */
export interface SettlementLineRow {
  postingId: string;
  /** Database key of the order; null for an adjustment. */
  orderId: string | null;
  /** The order's key as a number, 0 without one: the last part of the lines' sort key. */
  orderKey: number;
  orderNumber: string | null;
  kind: PostingKind;
  at: Date;
  /** The posting's note: a refund's or an adjustment's reason. */
  memo: string | null;
  gross: number;
  /** Discounts the shop funded on the order (a payment line): already off the buyer's price, so off `gross`. */
  shopDiscount: number;
  /** Discounts the platform funds (PLATFORM_PROMOTIONS): paid to the shop within `gross`; negative on a refund. */
  platformDiscount: number;
  commission: number;
  refund: number;
  adjustment: number;
  net: number;
}

const LINE = rowShape({
  posting_id: 'key',
  order_id: 'key?',
  order_key: 'number',
  order_number: 'text?',
  kind: 'text',
  at: 'date',
  memo: 'text?',
  gross: 'number',
  commission: 'number',
  refunds: 'number',
  adjustments: 'number',
  net: 'number',
  shop_discount: 'number',
  platform_discount: 'number',
});

/**
 * The settlement's lines as SQL over its entries, one per (posting, order), oldest first: the
 * figures of settlement totals (see `settlements.ts`), per line, so the lines add up to them.
 */
function linesSql(entries: string): string {
  return `select l.*, p.memo, o.number as order_number,
      case when l.kind = 'PAYMENT' then coalesce(o.discount_total - o.platform_discount, 0) else 0 end as shop_discount
    from (
      select x.posting_id, x.order_id, coalesce(x.order_id, 0) as order_key, x.kind, x.at, ${FIGURE_SUMS},
             coalesce(sum(x.amount) filter (where x.account = 'PLATFORM_PROMOTIONS'), 0) as platform_discount
      from (${entries}) x
      group by x.posting_id, x.order_id, x.kind, x.at
    ) l
    join ledger_posting p on p.id = l.posting_id
    left join orders o on o.id = l.order_id`;
}

const LINE_KEYS = [
  { column: 'l.at', direction: 'asc' as const },
  { column: 'l.posting_id', direction: 'asc' as const },
  { column: 'l.order_key', direction: 'asc' as const },
];

function toLine(r: RowOf<typeof LINE>): SettlementLineRow {
  return {
    postingId: r.posting_id,
    orderId: r.order_id,
    orderKey: r.order_key,
    orderNumber: r.order_number,
    kind: r.kind as PostingKind,
    at: r.at,
    memo: r.memo,
    gross: r.gross,
    shopDiscount: r.shop_discount,
    platformDiscount: r.platform_discount,
    commission: r.commission,
    refund: r.refunds,
    adjustment: r.adjustments,
    net: r.net,
  };
}

function orderSql(orderBy: Record<string, 'asc' | 'desc'>): string {
  return Object.entries(orderBy)
    .map(([column, direction]) => `${column} ${direction}`)
    .join(', ');
}

/** A page of the settlement's lines, oldest first: one query whatever the page size. */
export async function settlementLines(ctx: Context, settlement: Settlement, args: PageArgs): Promise<Page<SettlementLineRow>> {
  const window = pageWindow(args, ['timestamp', 'id', 'int']);
  const entries = settlementEntriesSql(ctx.deps.config, ctx.now(), settlement);
  const { where, orderBy } = keysetClause(LINE_KEYS, window);
  const rows = await selectRows(
    ctx.em,
    LINE,
    `select * from (${linesSql(entries.sql)}) l ${where ? `where ${where.sql}` : ''} order by ${orderSql(orderBy)} limit ${window.limit}`,
    [...entries.params, ...(where?.params ?? [])],
  );
  return page(rows.map(toLine), window, (l) => [l.at.toISOString(), l.postingId, l.orderKey], async () => {
    const [{ count }] = await selectRows(ctx.em, rowShape({ count: 'int' }), `select count(*)::int as count from (${linesSql(entries.sql)}) l`, entries.params);
    return count;
  });
}

/** A settlement's statement: the settlement, its shop and every line, oldest first. */
export interface SettlementStatement {
  settlement: Settlement;
  shop: Shop;
  lines: SettlementLineRow[];
}

/**
 * The whole statement of a settlement (the CSV export): three queries whatever its size. NOT_FOUND
 * for an unknown settlement or another shop's, FORBIDDEN for a member of a role that may not see
 * money (as `settlements`).
 */
export async function settlementStatement(ctx: Context, key: string): Promise<SettlementStatement> {
  const settlement = await ctx.loaders.settlementById.load(key);
  if (!settlement) throw new NotFoundError('No such settlement');
  await requireMoneyAccess(ctx, settlement.shop.id, 'No such settlement');
  const shop = (await ctx.loaders.shopById.load(settlement.shop.id))!;
  const entries = settlementEntriesSql(ctx.deps.config, ctx.now(), settlement);
  const rows = await selectRows(ctx.em, LINE, `select * from (${linesSql(entries.sql)}) l order by l.at, l.posting_id, l.order_key`, entries.params);
  return { settlement, shop, lines: rows.map(toLine) };
}

// --- Balances --------------------------------------------------------------------------------------

/** A shop's money in minor units, positive when owed to the shop. */
export interface ShopBalanceFigures {
  /** Settled and not yet paid out: SHOP_PAYABLE's balance less `pending`. */
  available: number;
  /** Sales, refunds and adjustments not yet in a closed settlement. */
  pending: number;
  /** Payouts sent and not yet confirmed paid (PAYOUTS_IN_TRANSIT). */
  inTransit: number;
}

/** The shop's balance (its OWNER and FINANCE members, staff FINANCE): one query on the shop's two accounts. */
export async function shopBalance(ctx: Context, shopId: string): Promise<ShopBalanceFigures> {
  await requireMoneyAccess(ctx, shopId);
  const [row] = await selectRows(
    ctx.em,
    rowShape({ payable: 'number', pending: 'number', in_transit: 'number' }),
    // The two balances from the (account, shop) index alone; pending from the unsettled entries' partial index.
    `select
       (select coalesce(-sum(amount), 0) from ledger_entry where account = 'SHOP_PAYABLE' and shop_id = ?) as payable,
       (select coalesce(-sum(amount), 0) from ledger_entry
        where shop_id = ? and settlement_id is null and kind in ('PAYMENT', 'REFUND', 'ADJUSTMENT') and account = 'SHOP_PAYABLE') as pending,
       (select coalesce(-sum(amount), 0) from ledger_entry where account = 'PAYOUTS_IN_TRANSIT' and shop_id = ?) as in_transit`,
    [shopId, shopId, shopId],
  );
  return { available: row.payable - row.pending, pending: row.pending, inTransit: row.in_transit };
}

/** One account's totals in minor units: debits and credits (both ≥ 0) and balance = debits − credits. */
export interface LedgerBalanceFigures {
  account: LedgerAccount;
  debits: number;
  credits: number;
  balance: number;
}

/** Every account's totals (staff FINANCE), in the order of the account enum; balances sum to zero. */
export async function ledgerBalances(ctx: Context): Promise<LedgerBalanceFigures[]> {
  const rows = await selectRows(
    ctx.em,
    rowShape({ account: 'text', debits: 'number', credits: 'number' }),
    `select account, coalesce(sum(amount) filter (where amount > 0), 0) as debits, coalesce(-sum(amount) filter (where amount < 0), 0) as credits
     from ledger_entry group by account`,
  );
  const byAccount = new Map(rows.map((r) => [r.account, r]));
  return Object.values(LedgerAccount).map((account) => {
    const debits = byAccount.get(account)?.debits ?? 0;
    const credits = byAccount.get(account)?.credits ?? 0;
    return { account, debits, credits, balance: debits - credits };
  });
}

// --- The ledger ------------------------------------------------------------------------------------

/** Filters of the ledger; `shopId` and `orderId` database keys. */
export interface LedgerFilterInput {
  account: LedgerAccount;
  shopId?: string | null;
  orderId?: string | null;
  /** At or after. */
  from?: Date | null;
  /** Before. */
  to?: Date | null;
}

/** One account's entries newest first (staff FINANCE), keyset on (at, id); each filter has its index. */
export async function listLedgerEntries(ctx: Context, args: PageArgs & { filter: LedgerFilterInput }): Promise<Page<LedgerEntry>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  const f = args.filter;
  if (f.from && f.to && f.from >= f.to) throw new BadInputError('`from` must be before `to`', 'filter.from');
  const where: Record<string, unknown> = { account: f.account };
  if (f.shopId) where.shop = f.shopId;
  if (f.orderId) where.order = f.orderId;
  if (f.from || f.to) where.at = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lt: f.to } : {}) };
  const keys = [
    { column: 'e.at', direction: 'desc' as const },
    { column: 'e.id', direction: 'desc' as const },
  ];
  const rows = await applyKeyset(ctx.em.createQueryBuilder(LedgerEntry, 'e').select('*').where(where), keys, window).getResultList();
  return page(rows, window, (e) => [e.at.toISOString(), e.id], () => ctx.em.count(LedgerEntry, where));
}

/** A ledger posting by key (staff FINANCE only; null for anyone else, as if absent). */
export async function visiblePosting(ctx: Context, key: string): Promise<LedgerPosting | null> {
  return ctx.viewer.hasStaffRole(...MONEY_STAFF) ? ctx.loaders.postingById.load(key) : null;
}
