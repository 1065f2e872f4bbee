import type { EntityManager } from '@mikro-orm/postgresql';
import type { SystemDeps } from '../../context';
import { Checkout, CheckoutStatus, Order, OrderStatus } from '../../entities';
import { moveOrderStock } from '../inventory';
import { step } from './orders';
import { lockRows } from '../../db/locks';

/**
 * The order life cycle's timers. Each takes "now" from the injected clock, works in batches of rows
 * claimed with FOR UPDATE SKIP LOCKED (several workers share the work and never do it twice), and
 * is idempotent: a row already moved on is simply not selected again.
 */

const DAY = 86_400_000;

/** Unpaid checkouts past `expiresAt`: their orders are cancelled and the stock released. */
export async function expireCheckouts(deps: SystemDeps, em: EntityManager, batch = 100): Promise<number> {
  return inBatches(em, batch, async (tx) => {
    const now = deps.clock.now();
    const checkouts = await lockRows(tx, Checkout, { status: CheckoutStatus.PENDING_PAYMENT, expiresAt: { $lte: now } }, { limit: batch, orderBy: { expiresAt: 'asc', id: 'asc' }, skipLocked: true });
    if (checkouts.length === 0) return 0;
    const orders = await lockRows(tx, Order, { checkout: { $in: checkouts.map((c) => c.id) }, status: OrderStatus.PENDING_PAYMENT }, { orderBy: { id: 'asc' } });
    for (const order of orders) step(tx, order, 'expire', now, 'Not paid in time');
    for (const checkout of checkouts) checkout.status = CheckoutStatus.EXPIRED;
    await tx.flush();
    await moveOrderStock(tx, orders.map((o) => o.id), 'release', null);
    return checkouts.length;
  });
}

/** Orders shipped more than AUTO_CONFIRM_DAYS ago are delivered for the buyer. */
export async function autoConfirmDeliveries(deps: SystemDeps, em: EntityManager, batch = 100): Promise<number> {
  return inBatches(em, batch, async (tx) => {
    const now = deps.clock.now();
    const orders = await lockRows(
      tx,
      Order,
      { status: OrderStatus.SHIPPED, shippedAt: { $lte: new Date(now.getTime() - deps.config.orders.autoConfirmDays * DAY) } },
      { limit: batch, orderBy: { shippedAt: 'asc', id: 'asc' }, skipLocked: true },
    );
    for (const order of orders) step(tx, order, 'confirmDelivery', now, `Confirmed automatically after ${deps.config.orders.autoConfirmDays} days`);
    await tx.flush();
    return orders.length;
  });
}

/** Orders delivered more than AFTER_SALES_DAYS ago complete, and count towards products' sales. */
export async function completeOrders(deps: SystemDeps, em: EntityManager, batch = 100): Promise<number> {
  return inBatches(em, batch, async (tx) => {
    const now = deps.clock.now();
    const orders = await lockRows(
      tx,
      Order,
      { status: OrderStatus.DELIVERED, deliveredAt: { $lte: new Date(now.getTime() - deps.config.orders.afterSalesDays * DAY) } },
      { limit: batch, orderBy: { deliveredAt: 'asc', id: 'asc' }, skipLocked: true },
    );
    if (orders.length === 0) return 0;
    for (const order of orders) step(tx, order, 'complete', now);
    await tx.flush();
    // BEST_SELLING counts units of completed orders.
    // Products are locked in id order first, in their own statement, like every multi-product update.
    await tx.execute(
      'select id from product where id in (select product_id from order_line where order_id in (?)) order by id for no key update',
      [orders.map((o) => o.id)],
    );
    await tx.execute(
      `update product p set sales_count = p.sales_count + s.n
       from (select product_id, sum(quantity)::int as n from order_line where order_id in (?) group by product_id) s
       where p.id = s.product_id`,
      [orders.map((o) => o.id)],
    );
    return orders.length;
  });
}

/** Expired rate-limit rows of the PostgreSQL store. */
export async function purgeRateLimits(_deps: SystemDeps, em: EntityManager): Promise<number> {
  const rows = await em.execute<{ n: number }[]>(
    "with gone as (delete from rate_limit where expire is not null and expire < (extract(epoch from now()) * 1000)::bigint returning 1) select count(*)::int as n from gone",
  );
  return rows[0]?.n ?? 0;
}

async function inBatches(em: EntityManager, batch: number, run: (tx: EntityManager) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await em.fork().transactional(run);
    total += done;
    if (done < batch) return total;
  }
}

