import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { ProductVariant, Shop, StockAlert, StockMovement, StockMovementReason, Stocktake, StocktakeLine, User } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { decodeId } from '../../schema/shared/globalId';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { lockSellingMembership } from '../onboarding';
import { charLength, STOCK_ROLES } from '../shared';

/**
 * Inventory (DOMAIN §6): manual adjustments, stocktakes (盤點), the stock ledger and the low-stock
 * warning line (警戒線). Every change of a variant's stock is one conditional SQL statement on
 * rows this transaction holds, a `stock_movement` row, and a `stock_alert` row when the change
 * takes the variant to or below its warning line.
 */


/** The ledger reasons a shop may give by hand; the others are written by checkout, payment and stocktakes. */
export type AdjustmentReason = StockMovementReason.RESTOCK | StockMovementReason.CORRECTION | StockMovementReason.DAMAGE | StockMovementReason.RETURN;

/** Largest change of one adjustment and largest count of one variant (as for `stockOnHand` of a new variant). */
const MAX_UNITS = 1_000_000;
const MAX_COUNTS = 500;
const MAX_NOTE = 500;

export interface AdjustStockInput {
  variantId: string;
  delta: number;
  reason: AdjustmentReason;
  note?: string | null;
}

export interface StocktakeInput {
  shopId: string;
  counts: { variantId: string; counted: number }[];
  note?: string | null;
}

function parseNote(problems: Problems, note: string | null | undefined): string | null {
  const trimmed = note?.trim() || null;
  if (trimmed && charLength(trimmed) > MAX_NOTE) problems.add(UserErrorCode.INVALID_INPUT, `A note has at most ${MAX_NOTE} characters`, ['input', 'note']);
  return trimmed;
}

/**
 * Records a low-stock alert for every variant whose available stock (on hand − reserved) crossed
 * from above its warning line to at or below it. `before` holds each variant's available units
 * before the change; variants missing from it are skipped. Call it inside the transaction that
 * changed the stock, after the change and while it still holds the variants' row locks, so the
 * "after" it reads is the caller's own. One statement.
 */
export async function recordLowStockAlerts(em: EntityManager, variantIds: string[], before: Map<string, number>): Promise<void> {
  const ids = [...new Set(variantIds.map(String))].filter((id) => before.has(id));
  if (ids.length === 0) return;
  await em.execute(
    `insert into stock_alert (shop_id, variant_id, available, threshold, created_at)
     select v.shop_id, v.id, v.on_hand - v.reserved, v.low_stock_threshold, now()
     from unnest(array[?]::bigint[], array[?]::int[]) as b(id, available)
     join product_variant v on v.id = b.id
     where not v.archived and b.available > v.low_stock_threshold and v.on_hand - v.reserved <= v.low_stock_threshold
     order by v.id`,
    [ids, ids.map((id) => before.get(id)!)],
  );
}

/**
 * Adds `delta` units to (or removes them from) a variant's on-hand stock. One conditional UPDATE,
 * so concurrent adjustments and checkouts can never take on-hand stock below the reserved units.
 */
export async function adjustStock(ctx: Context, input: AdjustStockInput): Promise<ProductVariant> {
  const problems = new Problems();
  const { delta } = input;
  if (!Number.isInteger(delta) || delta === 0 || Math.abs(delta) > MAX_UNITS) {
    problems.add(UserErrorCode.INVALID_INPUT, `The change must be a non-zero number of units, at most ${MAX_UNITS} either way`, ['input', 'delta']);
  }
  const note = parseNote(problems, input.note);
  problems.throwIfAny();
  const key = decodeId('ProductVariant', input.variantId);
  return ctx.em.transactional(async (em) => {
    const [found] = await em.execute<{ shop_id: string; archived: boolean }[]>('select shop_id, archived from product_variant where id = ?', [key]);
    if (!found || found.archived) throw new NotFoundError('No such variant');
    const shopId = String(found.shop_id);
    await lockSellingMembership(ctx, em, shopId, STOCK_ROLES, 'No such variant');
    const [row] = await em.execute<Record<string, unknown>[]>(
      `update product_variant set on_hand = on_hand + ?, updated_at = now()
       where id = ? and not archived and on_hand + ? >= reserved
       returning *`,
      [delta, key, delta],
    );
    if (!row) {
      // Archived while we waited for the row, or too little stock: tell which.
      const [now] = await em.execute<{ on_hand: number; reserved: number; archived: boolean }[]>('select on_hand, reserved, archived from product_variant where id = ?', [key]);
      if (!now || now.archived) throw new NotFoundError('No such variant');
      throw new Failure(
        UserErrorCode.INSUFFICIENT_STOCK,
        `${now.on_hand} units are on hand and ${now.reserved} of them reserved by checkouts: at most ${now.on_hand - now.reserved} can be removed`,
        ['input', 'delta'],
      );
    }
    await em.execute(
      `insert into stock_movement (shop_id, variant_id, delta_on_hand, delta_reserved, reason, note, actor_id, created_at)
       values (?, ?, ?, 0, ?, ?, ?, now())`,
      [shopId, key, delta, input.reason, note, ctx.viewer.userId],
    );
    const availableBefore = Number(row.on_hand) - delta - Number(row.reserved);
    await recordLowStockAlerts(em, [key], new Map([[key, availableBefore]]));
    return em.map(ProductVariant, row);
  });
}

interface LockedVariant {
  id: string;
  on_hand: number;
  reserved: number;
}

/**
 * Records a stocktake: every counted variant's on-hand stock becomes its count, and each
 * difference is a STOCKTAKE movement. All or nothing: a variant of another shop is NOT_FOUND, a
 * count below the reserved units is INSUFFICIENT_STOCK, and then nothing changes.
 */
export async function submitStocktake(ctx: Context, input: StocktakeInput): Promise<Stocktake> {
  const problems = new Problems();
  const { counts } = input;
  if (counts.length < 1 || counts.length > MAX_COUNTS) problems.add(UserErrorCode.INVALID_INPUT, `A stocktake counts 1 to ${MAX_COUNTS} variants`, ['input', 'counts']);
  const shopKey = decodeId('Shop', input.shopId);
  const keys = counts.map((c) => decodeId('ProductVariant', c.variantId));
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
    await lockSellingMembership(ctx, em, shopKey, STOCK_ROLES, 'No such shop');
    // In id order, so concurrent stocktakes, adjustments and checkouts of the same variants never deadlock.
    const rows = await em.execute<LockedVariant[]>(
      'select id, on_hand, reserved from product_variant where id in (?) and shop_id = ? and not archived order by id for no key update',
      [keys, shopKey],
    );
    if (rows.length !== keys.length) throw new NotFoundError('No such variant');
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    const lines = counts.map((c, i) => {
      const v = byId.get(keys[i])!;
      if (c.counted < v.reserved) {
        problems.add(UserErrorCode.INSUFFICIENT_STOCK, `${v.reserved} units are reserved by checkouts: the count cannot be lower`, ['input', 'counts', String(i), 'counted']);
      }
      return { variantId: keys[i], expected: v.on_hand, counted: c.counted, difference: c.counted - v.on_hand, availableBefore: v.on_hand - v.reserved };
    });
    problems.throwIfAny();

    const actorId = ctx.viewer.userId;
    const stocktake = em.create(Stocktake, { shop: em.getReference(Shop, shopKey), actor: actorId ? em.getReference(User, actorId) : null, note });
    for (const line of lines) {
      em.create(StocktakeLine, { stocktake, variant: em.getReference(ProductVariant, line.variantId), expected: line.expected, counted: line.counted, difference: line.difference });
    }
    await em.flush();

    const changed = lines.filter((l) => l.difference !== 0);
    if (changed.length > 0) {
      const ids = changed.map((l) => l.variantId);
      const differences = changed.map((l) => l.difference);
      await em.execute(
        `update product_variant v set on_hand = c.counted, updated_at = now()
         from unnest(array[?]::bigint[], array[?]::int[]) as c(id, counted) where v.id = c.id`,
        [ids, changed.map((l) => l.counted)],
      );
      await em.execute(
        `insert into stock_movement (shop_id, variant_id, delta_on_hand, delta_reserved, reason, note, actor_id, stocktake_id, created_at)
         select ?, c.id, c.difference, 0, ?, ?, ?, ?, now() from unnest(array[?]::bigint[], array[?]::int[]) as c(id, difference)`,
        [shopKey, StockMovementReason.STOCKTAKE, note, actorId, stocktake.id, ids, differences],
      );
      await recordLowStockAlerts(em, ids, new Map(changed.map((l) => [l.variantId, l.availableBefore])));
    }
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
