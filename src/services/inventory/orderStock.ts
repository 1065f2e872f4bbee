import type { EntityManager } from '@mikro-orm/postgresql';
import { StockMovementReason } from '../../entities';

/**
 * Stock moves of orders, each one set-based statement pair: the variants change and the ledger
 * gets one row per order and variant. Rows are locked in id order, so concurrent checkouts and
 * cancellations touching the same variants never deadlock.
 */

export interface Wanted {
  variantId: string;
  quantity: number;
}

/**
 * Reserves every wanted quantity or none: one conditional UPDATE (`on_hand - reserved >= n`), so
 * concurrent checkouts can never oversell. Returns the variants that lacked stock (empty on
 * success) and, on success, each variant's available units before the reservation.
 */
export async function reserveStock(em: EntityManager, wanted: Wanted[]): Promise<{ short: string[]; availableBefore: Map<string, number> }> {
  const ids = wanted.map((w) => w.variantId);
  const quantities = wanted.map((w) => w.quantity);
  // Several variants are locked first, in id order, in a statement of their own, so concurrent
  // checkouts take them in the same order and never deadlock; the update then reads the latest
  // versions. A single row needs no ordering: its update locks it.
  if (ids.length > 1) await em.execute('select id from product_variant where id in (?) order by id for no key update', [ids]);
  const rows = await em.execute<{ id: string; available_before: number }[]>(
    `with wanted as (select unnest(array[?]::bigint[]) as id, unnest(array[?]::int[]) as n)
     update product_variant v set reserved = v.reserved + w.n, updated_at = now()
     from wanted w
     where v.id = w.id and not v.archived and v.on_hand - v.reserved >= w.n
     returning v.id, v.on_hand - v.reserved + w.n as available_before`,
    [ids, quantities],
  );
  const reserved = new Set(rows.map((r) => String(r.id)));
  const short = ids.filter((id) => !reserved.has(id));
  return { short, availableBefore: new Map(rows.map((r) => [String(r.id), Number(r.available_before)])) };
}

type OrderStockMove = 'sale' | 'release' | 'restock';

const MOVES: Record<OrderStockMove, { set: string; onHand: string; reserved: string; reason: StockMovementReason }> = {
  // Payment: the reservation becomes a sale; the units leave on-hand stock.
  sale: { set: 'on_hand = v.on_hand - q.n, reserved = v.reserved - q.n', onHand: '-q.n', reserved: '-q.n', reason: StockMovementReason.SALE },
  // An unpaid order ends: its reservation is released.
  release: { set: 'reserved = v.reserved - q.n', onHand: '0', reserved: '-q.n', reason: StockMovementReason.RELEASE },
  // A paid order is cancelled before shipping: the sold units are back on hand.
  restock: { set: 'on_hand = v.on_hand + q.n', onHand: 'q.n', reserved: '0', reason: StockMovementReason.RELEASE },
};

/** Applies one stock move for every line of the given orders and records it in the ledger. */
export async function moveOrderStock(em: EntityManager, orderIds: string[], move: OrderStockMove, actorId: string | null): Promise<void> {
  if (orderIds.length === 0) return;
  const m = MOVES[move];
  const perOrder = `select l.order_id, l.variant_id, o.shop_id, sum(l.quantity)::int as n
    from order_line l join orders o on o.id = l.order_id where l.order_id in (?) group by l.order_id, l.variant_id, o.shop_id`;
  await em.execute(
    `insert into stock_movement (shop_id, variant_id, delta_on_hand, delta_reserved, reason, actor_id, order_id, created_at)
     select q.shop_id, q.variant_id, ${m.onHand}, ${m.reserved}, ?, ?, q.order_id, now() from (${perOrder}) q`,
    [m.reason, actorId, orderIds],
  );
  // The variants last, locked in id order: other buyers of them wait for as little of this transaction as possible.
  await em.execute(
    `select v.id from product_variant v where v.id in (select l.variant_id from order_line l where l.order_id in (?)) order by v.id for no key update of v`,
    [orderIds],
  );
  await em.execute(
    `with q as (select variant_id as id, sum(n)::int as n from (${perOrder}) x group by variant_id)
     update product_variant v set ${m.set}, updated_at = now() from q where v.id = q.id`,
    [orderIds],
  );
}
