import type { Context } from '../../context';
import { ProductVariant, Shop, StockAlert, StockMovement, StockMovementReason, Stocktake, StocktakeLine, User } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { entityWhere, lockWhere, rowShape, selectRows } from '../../db/rows';
import { lockSellingMembership } from '../onboarding';
import { checkText, STOCK_ROLES } from '../shared';
import { applyMoves } from './moves';

/**
 * Inventory (DOMAIN §6): manual adjustments, stocktakes (盤點), the stock ledger and the low-stock
 * warning line (警戒線). Every change of a variant's stock goes through `applyMoves` (moves.ts):
 * one statement changes the variants, writes the `stock_movement` rows and a `stock_alert` row
 * when the change takes a variant to or below its warning line. Services take database keys; the
 * GraphQL layer decodes global IDs.
 */


/** The ledger reasons a shop may give by hand; the others are written by checkout, payment and stocktakes. */
export type AdjustmentReason = StockMovementReason.RESTOCK | StockMovementReason.CORRECTION | StockMovementReason.DAMAGE | StockMovementReason.RETURN;

/** Largest change of one adjustment and largest count of one variant (as for `stockOnHand` of a new variant). */
const MAX_UNITS = 1_000_000;
const MAX_COUNTS = 500;
const MAX_NOTE = 500;

export interface AdjustStockInput {
  /** The variant's database key. */
  variantId: string;
  delta: number;
  reason: AdjustmentReason;
  note?: string | null;
}

export interface StocktakeInput {
  /** Database keys of the shop and of each counted variant. */
  shopId: string;
  counts: { variantId: string; counted: number }[];
  note?: string | null;
}

function parseNote(problems: Problems, note: string | null | undefined): string | null {
  return note?.trim() ? checkText(problems, note, ['input', 'note'], 1, MAX_NOTE, 'A note') : null;
}

const STOCK_NOW = rowShape({ on_hand: 'int', reserved: 'int', archived: 'bool' });

/**
 * Adds `delta` units to (or removes them from) a variant's on-hand stock. One guarded move, so
 * concurrent adjustments and checkouts can never take on-hand stock below the reserved units.
 */
export async function adjustStock(ctx: Context, input: AdjustStockInput): Promise<ProductVariant> {
  const problems = new Problems();
  const { delta, variantId } = input;
  if (!Number.isInteger(delta) || delta === 0 || Math.abs(delta) > MAX_UNITS) {
    problems.add(UserErrorCode.INVALID_INPUT, `The change must be a non-zero number of units, at most ${MAX_UNITS} either way`, ['input', 'delta']);
  }
  const note = parseNote(problems, input.note);
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const variant = await entityWhere(em, ProductVariant, 'e.id = ?', [variantId]);
    if (!variant || variant.archived) throw new NotFoundError('No such variant');
    await lockSellingMembership(ctx, em, variant.shop.id, STOCK_ROLES, 'No such variant');
    const { short } = await applyMoves(em, [{ variantId, dOnHand: delta, dReserved: 0 }], { reason: input.reason, actorId: ctx.viewer.userId, note, guard: 'available', at: ctx.now() });
    if (short.length > 0) {
      // Archived while we waited for the row, or too little stock: tell which.
      const [now] = await selectRows(em, STOCK_NOW, 'select on_hand, reserved, archived from product_variant where id = ?', [variantId]);
      if (!now || now.archived) throw new NotFoundError('No such variant');
      throw new Failure(
        UserErrorCode.INSUFFICIENT_STOCK,
        `${now.on_hand} units are on hand and ${now.reserved} of them reserved by checkouts: at most ${now.on_hand - now.reserved} can be removed`,
        ['input', 'delta'],
      );
    }
    return variant;
  });
}

/**
 * Records a stocktake: every counted variant's on-hand stock becomes its count, and each
 * difference is a STOCKTAKE movement. All or nothing: a variant of another shop is NOT_FOUND, a
 * count below the reserved units is INSUFFICIENT_STOCK, and then nothing changes.
 */
export async function submitStocktake(ctx: Context, input: StocktakeInput): Promise<Stocktake> {
  const problems = new Problems();
  const { counts, shopId } = input;
  if (counts.length < 1 || counts.length > MAX_COUNTS) problems.add(UserErrorCode.INVALID_INPUT, `A stocktake counts 1 to ${MAX_COUNTS} variants`, ['input', 'counts']);
  const keys = counts.map((c) => c.variantId);
  const seen = new Set<string>();
  counts.forEach((c, i) => {
    const path = ['input', 'counts', String(i)];
    if (!Number.isInteger(c.counted) || c.counted < 0 || c.counted > MAX_UNITS) problems.add(UserErrorCode.INVALID_INPUT, `A count is 0 to ${MAX_UNITS} units`, [...path, 'counted']);
    if (seen.has(keys[i])) problems.add(UserErrorCode.INVALID_INPUT, 'This variant is already counted in this stocktake', [...path, 'variantId']);
    seen.add(keys[i]);
  });
  const note = parseNote(problems, input.note);
  problems.throwIfAny();

  return ctx.em.transactional(async (em) => {
    await lockSellingMembership(ctx, em, shopId, STOCK_ROLES, 'No such shop');
    // Locked while counted against, in id order, so concurrent stocktakes, adjustments and checkouts of the same variants never deadlock.
    const variants = await lockWhere(em, ProductVariant, 'e.id in (?) and e.shop_id = ? and not e.archived', [keys, shopId], { orderBy: 'e.id' });
    if (variants.length !== keys.length) throw new NotFoundError('No such variant');
    const byId = new Map(variants.map((v) => [v.id, v]));
    const lines = counts.map((c, i) => {
      const v = byId.get(keys[i])!;
      if (c.counted < v.reserved) {
        problems.add(UserErrorCode.INSUFFICIENT_STOCK, `${v.reserved} units are reserved by checkouts: the count cannot be lower`, ['input', 'counts', String(i), 'counted']);
      }
      return { variantId: keys[i], expected: v.onHand, counted: c.counted, difference: c.counted - v.onHand };
    });
    problems.throwIfAny();

    const actorId = ctx.viewer.userId;
    const stocktake = em.create(Stocktake, { shop: em.getReference(Shop, shopId), actor: actorId ? em.getReference(User, actorId) : null, note });
    for (const line of lines) {
      em.create(StocktakeLine, { stocktake, variant: em.getReference(ProductVariant, line.variantId), expected: line.expected, counted: line.counted, difference: line.difference });
    }
    await em.flush();

    const { short } = await applyMoves(
      em,
      lines.map((l) => ({ variantId: l.variantId, dOnHand: l.difference, dReserved: 0 })),
      { reason: StockMovementReason.STOCKTAKE, actorId, stocktakeId: stocktake.id, note, guard: 'available', at: ctx.now() },
    );
    // The counts were checked against the reserved units under the variants' locks.
    if (short.length > 0) throw new Error(`Stocktake ${stocktake.id} refused for variants ${short.join(', ')}`);
    return stocktake;
  });
}

/** Staff and the shop's members see its stock; anyone else gets NOT_FOUND. */
async function assertStockInsider(ctx: Context, shopId: string): Promise<void> {
  if (!(await ctx.viewer.isInsiderOf(shopId))) throw new NotFoundError();
}

/** A variant's stock ledger, newest first (served by `stock_movement_variant_idx`). */
export async function stockMovements(ctx: Context, variant: ProductVariant, args: PageArgs): Promise<Page<StockMovement>> {
  const window = pageWindow(args, ['id']);
  await assertStockInsider(ctx, variant.shop.id);
  const where = { variant: variant.id };
  const rows = await applyKeyset(ctx.em.createQueryBuilder(StockMovement, 'm').select('*').where(where), [{ column: 'm.id', direction: 'desc' }], window).getResultList();
  return page(rows, window, (m) => [m.id], () => ctx.em.count(StockMovement, where));
}

const LOW_STOCK = 'v.shop_id = ? and v.low_stock';

/**
 * The shop's live variants at or below their warning line, by id: the partial index
 * `product_variant_low_stock_idx` (shop, id) holds exactly these rows, in this order.
 */
export async function lowStockVariants(ctx: Context, shop: Shop, args: PageArgs): Promise<Page<ProductVariant>> {
  const window = pageWindow(args, ['id']);
  await assertStockInsider(ctx, shop.id);
  const rows = await applyKeyset(ctx.em.createQueryBuilder(ProductVariant, 'v').select('*').where(LOW_STOCK, [shop.id]), [{ column: 'v.id', direction: 'asc' }], window).getResultList();
  return page(rows, window, (v) => [v.id], async () => {
    const [row] = await ctx.em.execute<{ n: number }[]>(`select count(*)::int as n from product_variant v where ${LOW_STOCK}`, [shop.id]);
    return row.n;
  });
}

/** The shop's low-stock alerts, newest first (served by `stock_alert_shop_idx`). */
export async function stockAlerts(ctx: Context, shop: Shop, args: PageArgs): Promise<Page<StockAlert>> {
  const window = pageWindow(args, ['id']);
  await assertStockInsider(ctx, shop.id);
  const where = { shop: shop.id };
  const rows = await applyKeyset(ctx.em.createQueryBuilder(StockAlert, 'a').select('*').where(where), [{ column: 'a.id', direction: 'desc' }], window).getResultList();
  return page(rows, window, (a) => [a.id], () => ctx.em.count(StockAlert, where));
}

/** A stocktake by database key, for the shop's members and staff; null for anyone else. */
export async function visibleStocktake(ctx: Context, key: string): Promise<Stocktake | null> {
  const stocktake = await ctx.em.findOne(Stocktake, { id: key });
  return stocktake && (await ctx.viewer.isInsiderOf(stocktake.shop.id)) ? stocktake : null;
}
