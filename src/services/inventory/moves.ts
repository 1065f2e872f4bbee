import type { EntityManager } from '@mikro-orm/postgresql';
import { lockKeys, rowShape, selectRows } from '../../db/rows';
import { ProductVariant, type StockMovementReason } from '../../entities';

/**
 * The one writer of stock. Every change of a variant's on-hand or reserved units — a checkout's
 * reservation, a payment's sale, a release or restock of an order, a manual adjustment, a
 * stocktake, a new variant's starting stock — is a set of moves given to `applyMoves`, which
 * changes the variants, appends one `stock_movement` row per move and records the low-stock
 * alerts in a single statement. So the ledger always sums to the variants' stock, and a new
 * capability (returns, flash sales) is one more short caller, never another writer.
 */

export interface StockMove {
  variantId: string;
  /** Change of on-hand units (negative removes). */
  dOnHand: number;
  /** Change of reserved units (negative releases). */
  dReserved: number;
  /** The order whose line moves, recorded on its ledger row (several orders may move in one call). */
  orderId?: string | null;
}

/**
 * What must hold for the moves to be made:
 * - `available`: every variant is live (not archived) and keeps its available units
 *   (on hand − reserved) at zero or more after its moves. A reservation can never oversell, and
 *   an adjustment or count can never take on-hand stock below the reserved units.
 * - `none`: the moves carry out what was already granted (a reservation becomes a sale or is
 *   released, sold units come back), so they are made whatever the variant's state.
 */
export type MoveGuard = 'available' | 'none';

export interface MoveOptions {
  reason: StockMovementReason;
  /** Who moved the stock; null for the system (jobs, payment webhooks). */
  actorId: string | null;
  guard: MoveGuard;
  /**
   * The business time of the moves (`ctx.now()`, or the clock of a job or webhook): the ledger
   * rows and alerts are stamped with it, so they agree with the order events of the same step.
   */
  at: Date;
  stocktakeId?: string | null;
  note?: string | null;
}

export interface MovedVariant {
  variantId: string;
  shopId: string;
  onHand: number;
  reserved: number;
  /** Available units (on hand − reserved) before the moves. */
  availableBefore: number;
}

/**
 * All or nothing: either every move was made (`short` is empty, `moved` has one entry per variant)
 * or none was (`short` names the variants the guard refused, or that do not exist).
 */
export interface MoveOutcome {
  short: string[];
  moved: MovedVariant[];
}

const OUTCOME = rowShape({
  id: 'key',
  refused: 'bool',
  shop_id: 'key?',
  on_hand: 'int?',
  reserved: 'int?',
  available_before: 'int?',
  in_stock: 'bool?',
  low_stock: 'bool?',
  updated_at: 'date?',
});

/**
 * `m`: the moves in the caller's order; `a`: their sum per variant, which the guard checks;
 * `short`: the variants it refuses (the update then changes no row: all or nothing);
 * `upd`: the variants, setting only on_hand, reserved and updated_at, so a move that flips neither
 * generated stock flag is a HOT update; `ins`: one ledger row per move; `alert`: a low-stock alert
 * for each live variant whose available units crossed from above its warning line to at or below it.
 * The ledger rows and alerts are stamped with the moves' business time (`at`); the variants'
 * `updated_at` is record bookkeeping and stays the database's `now()`.
 * The inserts read the variants' new state from `upd` (the statement's snapshot still shows the old).
 */
function movesStatement(guard: string): string {
  return `with m as (
      select * from unnest(array[?]::bigint[], array[?]::int[], array[?]::int[], array[?]::bigint[]) with ordinality as m(variant_id, d_on_hand, d_reserved, order_id, n)
    ), a as (
      select variant_id as id, sum(d_on_hand)::int as d_on_hand, sum(d_reserved)::int as d_reserved from m group by variant_id
    ), short as (
      select a.id from a left join product_variant v on v.id = a.id where v.id is null or not (${guard})
    ), upd as (
      update product_variant v set on_hand = v.on_hand + a.d_on_hand, reserved = v.reserved + a.d_reserved, updated_at = now()
      from a
      where v.id = a.id and ${guard} and not exists (select from short)
      returning v.id, v.shop_id, v.on_hand, v.reserved, v.archived, v.low_stock_threshold, v.in_stock, v.low_stock, v.updated_at,
                v.on_hand - a.d_on_hand - (v.reserved - a.d_reserved) as available_before
    ), ins as (
      insert into stock_movement (shop_id, variant_id, delta_on_hand, delta_reserved, reason, note, actor_id, order_id, stocktake_id, created_at)
      select u.shop_id, m.variant_id, m.d_on_hand, m.d_reserved, ?::text, ?::text, ?::bigint, m.order_id, ?::bigint, ?::timestamptz
      from m join upd u on u.id = m.variant_id
      order by m.n
    ), alert as (
      insert into stock_alert (shop_id, variant_id, available, threshold, created_at)
      select u.shop_id, u.id, u.on_hand - u.reserved, u.low_stock_threshold, ?::timestamptz
      from upd u
      where not u.archived and u.available_before > u.low_stock_threshold and u.on_hand - u.reserved <= u.low_stock_threshold
      order by u.id
    )
    select a.id, s.id is not null as refused, u.shop_id, u.on_hand, u.reserved, u.available_before, u.in_stock, u.low_stock, u.updated_at
    from a left join short s on s.id = a.id left join upd u on u.id = a.id
    order by a.id`;
}

const STATEMENTS: Record<MoveGuard, string> = {
  available: movesStatement('not v.archived and v.on_hand + a.d_on_hand - v.reserved - a.d_reserved >= 0'),
  none: movesStatement('true'),
};

/**
 * Makes `moves` and records them, all or nothing (see `MoveOutcome`). Moves of one variant are
 * summed for the update and the guard, and each still gets its ledger row; moves changing nothing
 * are dropped. Call it inside the caller's transaction, as late as the caller can: several
 * variants are first locked in id order, in a statement of their own, so concurrent callers take
 * them in the same order and never deadlock, and others wait on them only for the rest of the
 * transaction; a single variant is locked by the update itself. Variants the entity manager holds
 * get their new stock, so an entity read before the move shows it.
 */
export async function applyMoves(em: EntityManager, moves: readonly StockMove[], options: MoveOptions): Promise<MoveOutcome> {
  const made = moves.filter((m) => m.dOnHand !== 0 || m.dReserved !== 0);
  if (made.length === 0) return { short: [], moved: [] };
  const variantIds = [...new Set(made.map((m) => m.variantId))];
  if (variantIds.length > 1) await lockKeys(em, ProductVariant, variantIds);
  const rows = await selectRows(em, OUTCOME, STATEMENTS[options.guard], [
    made.map((m) => m.variantId),
    made.map((m) => m.dOnHand),
    made.map((m) => m.dReserved),
    made.map((m) => m.orderId ?? null),
    options.reason,
    options.note ?? null,
    options.actorId,
    options.stocktakeId ?? null,
    options.at,
    options.at,
  ]);

  const moved = rows.filter((r) => r.shop_id !== null);
  if (moved.length < rows.length) {
    // Several variants are locked before the statement, so the guard saw what the update changed.
    if (moved.length > 0) throw new Error('applyMoves changed only some of its variants');
    const refused = rows.filter((r) => r.refused);
    // Nothing refused at the statement's start, yet nothing moved: the one variant changed while
    // the update waited for it, and its new state failed the guard.
    return { short: (refused.length > 0 ? refused : rows).map((r) => r.id), moved: [] };
  }

  const uow = em.getUnitOfWork();
  for (const r of moved) {
    if (uow.getById(ProductVariant.name, r.id)) {
      em.map(ProductVariant, { id: r.id, on_hand: r.on_hand, reserved: r.reserved, in_stock: r.in_stock, low_stock: r.low_stock, updated_at: r.updated_at } as never);
    }
  }
  return {
    short: [],
    moved: moved.map((r) => ({ variantId: r.id, shopId: r.shop_id!, onHand: r.on_hand!, reserved: r.reserved!, availableBefore: r.available_before! })),
  };
}
