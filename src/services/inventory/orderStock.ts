import type { EntityManager } from '@mikro-orm/postgresql';
import { returnFlashUnits } from '../campaigns/flashStock';
import { rowShape, selectRows } from '../../db/rows';
import { StockMovementReason } from '../../entities';
import { applyMoves, type MoveGuard, type StockMove } from './moves';

/** Stock moves of orders: a checkout's reservation, and the sale, release or restock of whole orders. */

export interface Wanted {
  variantId: string;
  quantity: number;
  /** The order the units are reserved for, recorded in the ledger. */
  orderId?: string;
}

/**
 * Reserves every wanted quantity or none (RESERVE movements, stamped `at`): the guard
 * (`on_hand - reserved >= n` under the variants' locks) means concurrent checkouts can never
 * oversell. Returns the variants that lacked stock (empty on success).
 */
export async function reserveStock(em: EntityManager, wanted: Wanted[], at: Date, actorId: string | null = null): Promise<{ short: string[] }> {
  const { short } = await applyMoves(
    em,
    wanted.map((w) => ({ variantId: w.variantId, dOnHand: 0, dReserved: w.quantity, orderId: w.orderId })),
    { reason: StockMovementReason.RESERVE, actorId, guard: 'available', at },
  );
  return { short };
}

type OrderStockMove = 'sale' | 'release' | 'restock';

const MOVES: Record<OrderStockMove, { move: (n: number) => Pick<StockMove, 'dOnHand' | 'dReserved'>; reason: StockMovementReason }> = {
  // Payment: the reservation becomes a sale; the units leave on-hand stock.
  sale: { move: (n) => ({ dOnHand: -n, dReserved: -n }), reason: StockMovementReason.SALE },
  // An unpaid order ends: its reservation is released.
  release: { move: (n) => ({ dOnHand: 0, dReserved: -n }), reason: StockMovementReason.RELEASE },
  // A paid order is cancelled before shipping: the sold units are back on hand.
  restock: { move: (n) => ({ dOnHand: n, dReserved: 0 }), reason: StockMovementReason.RELEASE },
};

const ORDER_UNITS = rowShape({ order_id: 'key', variant_id: 'key', n: 'int' });

/**
 * Applies one stock move for every line of the given orders: one ledger row per order and variant,
 * stamped `at` (the business time of the order step that moves the stock). The moves carry out
 * what the orders already hold, so no guard refuses them.
 */
export async function moveOrderStock(em: EntityManager, orderIds: string[], move: OrderStockMove, at: Date, actorId: string | null): Promise<void> {
  if (orderIds.length === 0) return;
  const { move: units, reason } = MOVES[move];
  // Flash-sale units left the variant when their item was approved: a sale leaves them be, a
  // release or restock gives them back to the item (or, once its sale is settled, the variant).
  if (move !== 'sale') await returnFlashUnits(em, orderIds, at, actorId);
  const lines = await selectRows(
    em,
    ORDER_UNITS,
    'select order_id, variant_id, sum(quantity)::int as n from order_line where order_id in (?) and flash_sale_item_id is null group by order_id, variant_id order by order_id, variant_id',
    [orderIds],
  );
  // The variants are locked last, in id order (by applyMoves): other buyers of them wait for as
  // little of this transaction as possible.
  const { short } = await applyMoves(em, lines.map((l) => ({ variantId: l.variant_id, orderId: l.order_id, ...units(l.n) })), { reason, actorId, guard: 'none', at });
  if (short.length > 0) throw new Error(`Order stock of missing variants ${short.join(', ')}`);
}

type CaseStockMove = 'return' | 'replace';

const CASE_MOVES: Record<CaseStockMove, { sign: 1 | -1; reason: StockMovementReason; guard: MoveGuard }> = {
  // Units a buyer returned that the merchant restocks: back on hand, whatever the variant's state.
  return: { sign: 1, reason: StockMovementReason.RETURN, guard: 'none' },
  // An exchange's replacement units: out of on-hand stock, never below what checkouts hold reserved.
  replace: { sign: -1, reason: StockMovementReason.EXCHANGE, guard: 'available' },
};

/**
 * Stock moves of after-sale cases, stamped `at`: a restocked return or an exchange's replacement.
 * Returns the variants that lacked the units (a replacement only: a return is always made).
 */
export async function moveCaseStock(em: EntityManager, units: readonly Wanted[], move: CaseStockMove, at: Date, actorId: string | null): Promise<{ short: string[] }> {
  if (units.length === 0) return { short: [] };
  const { sign, reason, guard } = CASE_MOVES[move];
  const { short } = await applyMoves(em, units.map((u) => ({ variantId: u.variantId, orderId: u.orderId, dOnHand: sign * u.quantity, dReserved: 0 })), { reason, actorId, guard, at });
  if (guard === 'none' && short.length > 0) throw new Error(`Returned stock of missing variants ${short.join(', ')}`);
  return { short };
}
