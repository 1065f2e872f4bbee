import type { EntityManager } from '@mikro-orm/postgresql';
import type { SystemDeps } from '../../context';
import { lockKeys, lockWhere } from '../../db/rows';
import { Checkout, CheckoutStatus, Order, OrderStatus, Product } from '../../entities';
import { noOpenCaseSql } from '../aftersales/hooks';
import { moveOrderStock } from '../inventory';
import { releaseDiscounts } from '../promotions/release';
import { onOrdersCompleted } from '../membership/hooks';
import { PLATFORM, step, stepCheckout } from './lifecycle';

/**
 * The order life cycle's timers. Each takes "now" from the injected clock, works in batches of rows
 * claimed with SKIP LOCKED (several workers share the work and never do it twice), and
 * is idempotent: a row already moved on is simply not selected again.
 */

const DAY = 86_400_000;

/** Unpaid checkouts past `expiresAt`: their orders are cancelled and the stock released. */
export async function expireCheckouts(deps: SystemDeps, em: EntityManager, batch = 100): Promise<number> {
  return inBatches(em, batch, async (tx) => {
    const now = deps.clock.now();
    const checkouts = await lockWhere(tx, Checkout, 'e.status = ? and e.expires_at <= ?', [CheckoutStatus.PENDING_PAYMENT, now], { orderBy: 'e.expires_at, e.id', limit: batch, skipLocked: true });
    if (checkouts.length === 0) return 0;
    // Checkouts first, then their orders: the payment webhook and cancellations lock in this order too.
    const orders = await lockWhere(tx, Order, 'e.checkout_id in (?) and e.status = ?', [checkouts.map((c) => c.id), OrderStatus.PENDING_PAYMENT], { orderBy: 'e.id' });
    for (const order of orders) step(tx, order, 'expire', PLATFORM, now, 'Not paid in time');
    for (const checkout of checkouts) stepCheckout(checkout, 'expire');
    await tx.flush();
    await moveOrderStock(tx, orders.map((o) => o.id), 'release', now, null);
    await releaseDiscounts(tx, orders.map((o) => o.id), now);
    return checkouts.length;
  });
}

/** Orders shipped more than AUTO_CONFIRM_DAYS ago are delivered for the buyer. */
export async function autoConfirmDeliveries(deps: SystemDeps, em: EntityManager, batch = 100): Promise<number> {
  return inBatches(em, batch, async (tx) => {
    const now = deps.clock.now();
    const shippedBy = new Date(now.getTime() - deps.config.orders.autoConfirmDays * DAY);
    const orders = await lockWhere(tx, Order, 'e.status = ? and e.shipped_at <= ?', [OrderStatus.SHIPPED, shippedBy], { orderBy: 'e.shipped_at, e.id', limit: batch, skipLocked: true });
    for (const order of orders) step(tx, order, 'autoConfirm', PLATFORM, now, `Confirmed automatically after ${deps.config.orders.autoConfirmDays} days`);
    await tx.flush();
    return orders.length;
  });
}

/**
 * Orders delivered more than AFTER_SALES_DAYS ago without an open after-sale case complete, count
 * towards products' sales, and earn their buyers points, levels and referral rewards.
 */
export async function completeOrders(deps: SystemDeps, em: EntityManager, batch = 100): Promise<number> {
  return inBatches(em, batch, async (tx) => {
    const now = deps.clock.now();
    const deliveredBy = new Date(now.getTime() - deps.config.orders.afterSalesDays * DAY);
    // An open after-sale case holds the order's completion (and so its settlement) until it closes.
    const orders = await lockWhere(tx, Order, `e.status = ? and e.delivered_at <= ? and ${noOpenCaseSql('e.id')}`, [OrderStatus.DELIVERED, deliveredBy], { orderBy: 'e.delivered_at, e.id', limit: batch, skipLocked: true });
    if (orders.length === 0) return 0;
    for (const order of orders) step(tx, order, 'complete', PLATFORM, now);
    await tx.flush();
    // Points earned, levels reached, referrals rewarded: set-based, for the whole batch.
    await onOrdersCompleted(tx, orders.map((o) => o.id), now, deps.config);
    // BEST_SELLING counts units of completed orders.
    // Products are locked in id order first, in their own statement, like every multi-product update.
    await lockKeys(tx, Product, { subquery: 'select product_id from order_line where order_id in (?)', params: [orders.map((o) => o.id)] });
    await tx.execute(
      `update product p set sales_count = p.sales_count + s.n
       from (select product_id, sum(quantity)::int as n from order_line where order_id in (?) group by product_id) s
       where p.id = s.product_id`,
      [orders.map((o) => o.id)],
    );
    return orders.length;
  });
}

async function inBatches(em: EntityManager, batch: number, run: (tx: EntityManager) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await em.fork().transactional(run);
    total += done;
    if (done < batch) return total;
  }
}

