import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { seedActors } from './actors';
import { Address, Order, PaymentProviderName, PayoutProviderName, ProductStatus, Settlement, SettlementStatus, Shop, User } from '../entities';
import { toGlobalId } from '../schema/shared/globalId';
import { acceptOrder, cancelOrder, checkout, completeOrders, confirmDelivery, expireCheckouts, shipOrder } from '../services/orders';
import { adjustSettlement, closeSettlements, createPayout, receivePayoutEvent } from '../services/money';
import { ManualClock } from '../services/shared';
import { payCheckout, receivePaymentEvent } from '../services/payments';
import { seedDemoCases, seedDemoTickets } from './aftersales';

/**
 * Demo orders in every status, placed and moved through the real services (checkout, payment
 * webhook, shop and buyer steps, the jobs), so stock, ledger and timelines are what production
 * would hold. Alice buys from blue-sea-digital (so merchant@demo.test sees them) and from another
 * demo shop. The completed and cancelled orders are placed weeks ago, so `close-settlements` has
 * closed their weeks: one settlement is paid out, the next one's payout is in transit, and an
 * adjustment waits in the open period. Then after-sale cases in every status (see aftersales.ts).
 * Skipped when Alice already has orders.
 */
export async function seedDemoOrders(em: EntityManager, config: Config): Promise<{ orders: number; cases: number; tickets: number }> {
  const alice = await em.findOneOrFail(User, { email: 'alice@demo.test' });
  if ((await em.count(Order, { buyer: alice })) > 0) return { orders: 0, cases: 0, tickets: 0 };
  const merchant = await em.findOneOrFail(User, { email: 'merchant@demo.test' });
  const support = await em.findOneOrFail(User, { email: 'support@demo.test' });
  const finance = await em.findOneOrFail(User, { email: 'finance@demo.test' });

  const variants = await em.execute<{ id: string; shop_slug: string }[]>(
    `select distinct on (p.shop_id) v.id, s.slug as shop_slug
     from product_variant v join product p on p.id = v.product_id join shop s on s.id = p.shop_id
     where p.visible and p.status = ? and not v.archived and v.on_hand - v.reserved >= 20
       and s.slug in ('blue-sea-digital', (select slug from shop where status = 'ACTIVE' and slug <> 'blue-sea-digital' order by id limit 1))
     order by p.shop_id, v.id`,
    [ProductStatus.ACTIVE],
  );
  const own = variants.find((v) => v.shop_slug === 'blue-sea-digital');
  const other = variants.find((v) => v.shop_slug !== 'blue-sea-digital');
  if (!own || !other) return { orders: 0, cases: 0, tickets: 0 };

  const clock = new ManualClock(new Date());
  const { deps, as } = seedActors(em, config, clock);
  const address = em.create(Address, {
    user: alice,
    recipientName: 'Alice 愛麗絲',
    phone: '13812345678',
    province: '浙江省',
    city: '杭州市',
    district: '西湖區',
    line1: '文三路 100 號',
    isDefault: true,
  });
  await em.flush();

  let placed = 0;
  /** Alice checks out one unit of each given variant; returns the orders (blue-sea-digital's first). */
  const place = async (label: string, variantIds: string[]) => {
    for (const id of variantIds) {
      await em.execute('insert into cart_line (user_id, variant_id, quantity, created_at, updated_at) values (?, ?, 1, now(), now())', [alice.id, id]);
    }
    const result = await checkout(as(alice), { addressId: address.id, note: `demo: ${label}` }, `demo-order-${label}`);
    const orders = await em.fork().find(Order, { checkout: result.id }, { orderBy: { id: 'asc' } });
    placed += orders.length;
    return { checkout: result, orders: orders.map((o) => o.id) };
  };
  const pay = async (checkoutId: string, label: string) => {
    const payment = await payCheckout(as(alice), { checkoutId, provider: PaymentProviderName.MOCK });
    await receivePaymentEvent(deps, em.fork(), PaymentProviderName.MOCK, { eventId: `demo-${label}`, type: 'payment.succeeded', paymentId: toGlobalId('Payment', payment.id) }, payment.id);
  };
  const ship = (orderId: string, tracking: string) => shipOrder(as(merchant), { orderId, carrier: 'SF Express 順豐', trackingNumber: tracking });

  const DAY = 86_400_000;
  const startedAt = new Date();
  const complete = async (label: string, weeksAgo: number) => {
    clock.set(new Date(startedAt.getTime() - weeksAgo * 7 * DAY));
    const done = await place(label, [own.id]);
    await pay(done.checkout.id, label);
    await ship(done.orders[0], `SF10000000${weeksAgo}${label.length}`);
    await confirmDelivery(as(alice), done.orders[0]);
    clock.advance((config.orders.afterSalesDays + 1) * DAY);
    await completeOrders(deps, em.fork());
  };
  // COMPLETED: two orders, delivered long enough ago for the after-sales window to pass, in weeks
  // that have ended since.
  await complete('completed', 5);
  await complete('completed-again', 3);

  // CANCELLED twice: an unpaid checkout that expired, and a paid order the buyer cancelled (refunded).
  clock.set(new Date(startedAt.getTime() - 3 * 7 * DAY));
  await place('expired', [own.id]);
  clock.advance((config.orders.checkoutTtlMinutes + 1) * 60_000);
  await expireCheckouts(deps, em.fork());
  const cancelled = await place('cancelled', [own.id]);
  await pay(cancelled.checkout.id, 'cancelled');
  await cancelOrder(as(alice), { orderId: cancelled.orders[0], reason: 'Ordered the wrong colour' });
  clock.set(startedAt);

  // Money: the ended weeks close; finance pays the older settlement out (the provider confirms)
  // and sends the newer one (in transit); a compensation waits in the open period.
  await closeSettlements(deps, em.fork());
  const shop = await em.findOneOrFail(Shop, { slug: 'blue-sea-digital' });
  const closed = await em.fork().find(Settlement, { shop, status: SettlementStatus.CLOSED, payable: { $gt: 0 } }, { orderBy: { periodStart: 'asc' } });
  for (const [i, settlement] of closed.entries()) {
    const payout = await createPayout(as(finance), { settlementId: settlement.id });
    if (i === 0) {
      await receivePayoutEvent(deps, em.fork(), PayoutProviderName.MOCK, { eventId: `demo-payout-${payout.id}`, type: 'payout.paid', payoutId: toGlobalId('Payout', payout.id) }, payout.id);
    }
  }
  await adjustSettlement(as(finance), { shopId: shop.id, amount: '5.00', reason: 'Compensation for a late courier pick-up' });

  // DELIVERED, SHIPPED, PROCESSING and PAID: two shops each; PENDING_PAYMENT: waiting to be paid.
  const delivered = await place('delivered', [own.id, other.id]);
  await pay(delivered.checkout.id, 'delivered');
  await ship(delivered.orders[0], 'SF1000000002');
  await confirmDelivery(as(alice), delivered.orders[0]);
  const shipped = await place('shipped', [own.id]);
  await pay(shipped.checkout.id, 'shipped');
  await acceptOrder(as(merchant), shipped.orders[0]);
  await ship(shipped.orders[0], 'SF1000000003');
  const processing = await place('processing', [own.id]);
  await pay(processing.checkout.id, 'processing');
  await acceptOrder(as(merchant), processing.orders[0]);
  const paid = await place('paid', [own.id, other.id]);
  await pay(paid.checkout.id, 'paid');
  await place('pending-payment', [own.id]);

  // A customer-service cancellation with its reason, for the staff views.
  const staffCancelled = await place('staff-cancelled', [other.id]);
  await pay(staffCancelled.checkout.id, 'staff-cancelled');
  await cancelOrder(as(support), { orderId: staffCancelled.orders[0], reason: 'Buyer asked customer service to cancel' });

  // After-sale cases in every status, each on a delivered order of its own.
  let parcels = 0;
  const deliveredOrder = async (label: string) => {
    const done = await place(label, [own.id]);
    await pay(done.checkout.id, label);
    await ship(done.orders[0], `SF5000${String((parcels += 1)).padStart(4, '0')}`);
    await confirmDelivery(as(alice), done.orders[0]);
    return done.orders[0];
  };
  const bob = await em.findOneOrFail(User, { email: 'bob@demo.test' });
  const kit = { as, deliveredOrder, deps, em, clock, alice, bob, merchant, support };
  const cases = await seedDemoCases(kit);
  const tickets = await seedDemoTickets(kit, delivered.orders[0]);
  return { orders: placed, cases, tickets };
}
