import type { EntityManager } from '@mikro-orm/postgresql';
import pino from 'pino';
import type { Config } from '../config';
import { type Context, contextAs } from '../context';
import { Address, Order, PaymentProviderName, ProductStatus, User } from '../entities';
import { toGlobalId } from '../schema/shared/globalId';
import { acceptOrder, cancelOrder, checkout, completeOrders, confirmDelivery, expireCheckouts, shipOrder } from '../services/orders';
import { ManualClock } from '../services/shared';
import { applyPaymentEvent, payCheckout } from '../services/payments';
import { Viewer } from '../viewer';

/**
 * Demo orders in every status, placed and moved through the real services (checkout, payment
 * webhook, shop and buyer steps, the jobs), so stock, ledger and timelines are what production
 * would hold. Alice buys from blue-sea-digital (so merchant@demo.test sees them) and from another
 * demo shop. Skipped when Alice already has orders.
 */
export async function seedDemoOrders(em: EntityManager, config: Config): Promise<number> {
  const alice = await em.findOneOrFail(User, { email: 'alice@demo.test' });
  if ((await em.count(Order, { buyer: alice })) > 0) return 0;
  const merchant = await em.findOneOrFail(User, { email: 'merchant@demo.test' });
  const support = await em.findOneOrFail(User, { email: 'support@demo.test' });

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
  if (!own || !other) return 0;

  const clock = new ManualClock(new Date());
  const deps = { config, clock, rateLimits: undefined as never };
  const log = pino({ level: 'silent' });
  const as = (user: User): Context => {
    const fork = em.fork();
    return contextAs(deps, fork, new Viewer(fork, fork.merge(user), null), { requestId: 'seed-demo', log });
  };
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
    await applyPaymentEvent(deps, em.fork(), PaymentProviderName.MOCK, { eventId: `demo-${label}`, type: 'payment.succeeded', paymentId: toGlobalId('Payment', payment.id) }, payment.id);
  };
  const ship = (orderId: string, tracking: string) => shipOrder(as(merchant), { orderId, carrier: 'SF Express 順豐', trackingNumber: tracking });

  // COMPLETED: delivered long enough ago for the after-sales window to pass.
  const completed = await place('completed', [own.id]);
  await pay(completed.checkout.id, 'completed');
  await ship(completed.orders[0], 'SF1000000001');
  await confirmDelivery(as(alice), completed.orders[0]);
  clock.advance((config.orders.afterSalesDays + 1) * 86_400_000);
  await completeOrders(deps, em.fork());
  clock.set(new Date());

  // CANCELLED twice: an unpaid checkout that expired, and a paid order the buyer cancelled (refunded).
  await place('expired', [own.id]);
  clock.advance((config.orders.checkoutTtlMinutes + 1) * 60_000);
  await expireCheckouts(deps, em.fork());
  clock.set(new Date());
  const cancelled = await place('cancelled', [own.id]);
  await pay(cancelled.checkout.id, 'cancelled');
  await cancelOrder(as(alice), { orderId: cancelled.orders[0], reason: 'Ordered the wrong colour' });

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
  return placed;
}
