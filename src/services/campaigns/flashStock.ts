import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { lockClause, lockKeys, rowShape, selectRows } from '../../db/rows';
import { FlashSale, FlashSaleItemStatus, StockMovementReason } from '../../entities';
import { Failure, UserErrorCode } from '../../errors';
import { applyMoves } from '../inventory/moves';

/**
 * A flash-sale item's stock. Approval sets its quantity aside from the variant (FLASH_SALE_HOLD)
 * into buckets; a checkout takes units from one bucket that has enough and that no other
 * transaction holds (FOR UPDATE SKIP LOCKED), so buyers of one hot item do not queue on one row
 * (the variant's, or a single counter's) — each waits for at most its own bucket's statement.
 * Units of cancelled orders go back to the item while its sale has not been settled, else to the
 * variant (FLASH_SALE_RETURN); `settleFlashSales` returns the unsold units when a sale ends.
 * Payment, shipping and completion never touch the variant for these units: they left it at approval.
 */

/** Buckets per item: enough that 32–200 concurrent buyers rarely find every bucket taken. */
export const FLASH_BUCKETS = 16;

/** SQL selecting the approved item of a flash sale live at the two `?` (now, now) for `variant` (an SQL expression), if any. */
export const LIVE_FLASH_ITEM_SQL = (variant: string) =>
  `select fi.id, fi.sale_price, fs.title, fi.per_user_limit, fi.funded_by from flash_sale_item fi join flash_sale fs on fs.id = fi.flash_sale_id
   where fi.variant_id = ${variant} and fi.status = '${FlashSaleItemStatus.APPROVED}' and fs.starts_at <= ? and fs.ends_at > ? and fs.settled_at is null
   order by fi.id limit 1`;

/** SQL of the units left in the buckets of the item `item` (an SQL expression). */
export const FLASH_LEFT_SQL = (item: string) => `(select coalesce(sum(b.remaining), 0) from flash_sale_bucket b where b.item_id = ${item})::int`;

/** SQL of a buyer's units of the item `item` in orders not cancelled, paid or not; one parameter: the buyer. */
export const FLASH_HELD_SQL = (item: string) =>
  `(select coalesce(sum(l.quantity), 0) from order_line l join orders o on o.id = l.order_id
    where l.flash_sale_item_id = ${item} and o.buyer_id = ? and o.status <> 'CANCELLED')::int`;

/**
 * Sets `quantity` units of the item's variant aside (FLASH_SALE_HOLD, never below what checkouts
 * hold reserved) into FLASH_BUCKETS buckets. INSUFFICIENT_STOCK when the variant lacks them.
 */
export async function holdFlashUnits(em: EntityManager, item: { id: string; variantId: string; quantity: number }, at: Date, actorId: string | null): Promise<void> {
  const { short } = await applyMoves(em, [{ variantId: item.variantId, dOnHand: -item.quantity, dReserved: 0 }], {
    reason: StockMovementReason.FLASH_SALE_HOLD,
    actorId,
    guard: 'available',
    at,
    note: `Flash-sale item ${item.id}`,
  });
  if (short.length > 0) throw new Failure(UserErrorCode.INSUFFICIENT_STOCK, `The variant has fewer than ${item.quantity} units available to set aside`, ['input', 'quantity']);
  const buckets = Math.min(FLASH_BUCKETS, item.quantity);
  await em.execute(
    `insert into flash_sale_bucket (item_id, bucket, remaining)
     select ?, b, ?::int / ?::int + case when b < ?::int % ?::int then 1 else 0 end from generate_series(0, ? - 1) b`,
    [item.id, item.quantity, buckets, item.quantity, buckets, buckets],
  );
}

/** Tries before a checkout gives up on units that other checkouts hold but have not committed. */
const TAKE_TRIES = 40;

/**
 * Takes `quantity` units of a live item for a checkout, never waiting on a bucket (so two buyers
 * can never deadlock over buckets): from one bucket with enough units that no other transaction
 * holds (SKIP LOCKED), else from several free ones together; when the free buckets lack the units
 * but the held ones may give them back (their checkouts may still fail), it waits a moment and tries
 * again. None left, or never freed in time: FLASH_SALE_SOLD_OUT on `field`.
 */
export async function takeFlashUnits(em: EntityManager, itemId: string, quantity: number, field: string[]): Promise<void> {
  for (let attempt = 0; attempt < TAKE_TRIES; attempt++) {
    const [taken] = await selectRows(
      em,
      rowShape({ id: 'key' }),
      `update flash_sale_bucket set remaining = remaining - ? where id = (
         select id from flash_sale_bucket where item_id = ? and remaining >= ? order by random() limit 1 ${lockClause({ skipLocked: true })}
       ) returning id`,
      [quantity, itemId, quantity],
    );
    if (taken) return;
    // Everything the item has, held or not (read without a lock): too little is sold out at once.
    const [{ left }] = await selectRows(em, rowShape({ left: 'int' }), 'select coalesce(sum(remaining), 0)::int as left from flash_sale_bucket where item_id = ?', [itemId]);
    if (left < quantity) break;
    if (quantity > 1) {
      // No one free bucket holds `quantity`: the free ones together, when they have enough.
      const spread = await selectRows(
        em,
        rowShape({ id: 'key' }),
        `with free as (select id, remaining from flash_sale_bucket where item_id = ? and remaining > 0 order by id ${lockClause({ skipLocked: true })}),
              taking as (select id, least(remaining, ? - (sum(remaining) over (order by id) - remaining)) as n from free)
         update flash_sale_bucket b set remaining = b.remaining - taking.n from taking
         where b.id = taking.id and taking.n > 0 and (select sum(remaining) from free) >= ? returning b.id`,
        [itemId, quantity, quantity],
      );
      if (spread.length > 0) return;
    }
    // The units are in buckets other checkouts hold: wait for them to commit or give them back.
    await sleep(2 + attempt);
  }
  throw new Failure(UserErrorCode.FLASH_SALE_SOLD_OUT, 'This flash-sale item is sold out', field);
}

const FLASH_UNITS = rowShape({ order_id: 'key', item_id: 'key', variant_id: 'key', sale_id: 'key', settled: 'bool', n: 'int' });

/**
 * The flash-sale units of orders cancelled (unpaid or paid, before shipping) go back: to their
 * item while its sale is not settled (a bucket), else to the variant (FLASH_SALE_RETURN). The
 * sales are locked first (as `settleFlashSales` locks them), so a return and a settlement take turns.
 */
export async function returnFlashUnits(em: EntityManager, orderIds: string[], at: Date, actorId: string | null): Promise<void> {
  if (orderIds.length === 0) return;
  const sales = await lockKeys(em, FlashSale, {
    subquery: 'select i.flash_sale_id from order_line l join flash_sale_item i on i.id = l.flash_sale_item_id where l.order_id in (?)',
    params: [orderIds],
  });
  if (sales.length === 0) return;
  const units = await selectRows(
    em,
    FLASH_UNITS,
    `select l.order_id, i.id as item_id, i.variant_id, i.flash_sale_id as sale_id, s.settled_at is not null as settled, sum(l.quantity)::int as n
     from order_line l join flash_sale_item i on i.id = l.flash_sale_item_id join flash_sale s on s.id = i.flash_sale_id
     where l.order_id in (?) group by l.order_id, i.id, i.variant_id, i.flash_sale_id, s.settled_at order by i.id`,
    [orderIds],
  );
  for (const u of units.filter((x) => !x.settled)) {
    await em.execute('update flash_sale_bucket set remaining = remaining + ? where item_id = ? and bucket = (select min(bucket) from flash_sale_bucket where item_id = ?)', [u.n, u.item_id, u.item_id]);
  }
  const late = units.filter((x) => x.settled);
  if (late.length > 0) {
    await applyMoves(em, late.map((u) => ({ variantId: u.variant_id, dOnHand: u.n, dReserved: 0, orderId: u.order_id })), {
      reason: StockMovementReason.FLASH_SALE_RETURN,
      actorId,
      guard: 'none',
      at,
    });
  }
}

/**
 * `end-flash-sales`: each sale ended at `now` and not yet settled returns its items' unsold units
 * to their variants (FLASH_SALE_RETURN) and empties their buckets, in one transaction per run
 * (sales locked in id order, as order cancellations lock them). Returns the sales settled.
 */
export async function settleFlashSales(em: EntityManager, now: Date): Promise<number> {
  return em.fork().transactional(async (tx) => {
    const sales = await lockKeys(tx, FlashSale, { subquery: 'select id from flash_sale where ends_at <= ? and settled_at is null', params: [now] }, { skipLocked: true });
    if (sales.length === 0) return 0;
    // The buckets too: a checkout still taking units (it read the sale as live) finishes first,
    // and one coming later finds them empty.
    // Item by item in id order, as checkouts take them (one bucket of each item at a time).
    await tx.execute(
      `select b.id from flash_sale_bucket b join flash_sale_item i on i.id = b.item_id where i.flash_sale_id in (?) order by b.item_id, b.id ${lockClause({}, 'b')}`,
      [sales],
    );
    const left = await selectRows(
      tx,
      rowShape({ item_id: 'key', variant_id: 'key', n: 'int' }),
      `select i.id as item_id, i.variant_id, coalesce(sum(b.remaining), 0)::int as n
       from flash_sale_item i join flash_sale_bucket b on b.item_id = i.id
       where i.flash_sale_id in (?) group by i.id, i.variant_id having sum(b.remaining) > 0 order by i.id`,
      [sales],
    );
    if (left.length > 0) {
      await applyMoves(tx, left.map((l) => ({ variantId: l.variant_id, dOnHand: l.n, dReserved: 0 })), { reason: StockMovementReason.FLASH_SALE_RETURN, actorId: null, guard: 'none', at: now });
      await tx.execute('update flash_sale_bucket set remaining = 0 where item_id in (?)', [left.map((l) => l.item_id)]);
    }
    await tx.execute('update flash_sale set settled_at = ?, updated_at = now() where id in (?)', [now, sales]);
    return sales.length;
  });
}
