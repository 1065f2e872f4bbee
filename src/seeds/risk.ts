import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { Address, BlacklistAction, BlacklistKind, BlacklistEntry, Order, PaymentProviderName, ProductReportReason, User } from '../entities';
import { toGlobalId } from '../schema/shared/globalId';
import { checkout } from '../services/orders';
import { payCheckout, receivePaymentEvent } from '../services/payments';
import { addBlacklistEntry, decideProductReport, reportProduct } from '../services/risk';
import { systemClock } from '../services/shared';
import { seedActors } from './actors';

/** The demo's new shopper whose first, large order to a watched phone is held by risk control. */
export const DEMO_RISKY_SHOPPER = { email: 'mallory@demo.test', displayName: '馬洛瑞' };
/** The watched delivery phone (a REVIEW blacklist entry): the held order ships to it. */
const WATCHED_PHONE = '13900001111';

export interface DemoRisk {
  blacklistEntries: number;
  heldOrders: number;
  violations: number;
  /** The slug of the shop the upheld report restricted. */
  reportedShop: string | null;
}

/**
 * Risk control's demo data, through the real services as staff RISK and the shoppers would make it:
 * three blacklist entries (a blocked email domain, a blocked IP network, a watched phone); a new
 * shopper's ¥5,000+ first order to the watched phone (new account + watch list = 70 ≥
 * RISK_HOLD_SCORE), paid and so held in `riskQueue`; and Alice's counterfeit report of a product of
 * a shop other than blue-sea-digital (which the README's merchant examples use), upheld by staff
 * RISK: the product banned and a 12-point violation (the shop restricted). Skipped once the
 * watched phone is listed.
 */
export async function seedDemoRisk(em: EntityManager, config: Config): Promise<DemoRisk> {
  if ((await em.count(BlacklistEntry, { kind: BlacklistKind.PHONE, value: WATCHED_PHONE })) > 0) return { blacklistEntries: 0, heldOrders: 0, violations: 0, reportedShop: null };
  const [risk, alice, mallory] = await Promise.all(['risk@demo.test', 'alice@demo.test', DEMO_RISKY_SHOPPER.email].map((email) => em.findOneOrFail(User, { email })));
  const { deps, as } = seedActors(em, config, systemClock);

  await addBlacklistEntry(as(risk), { kind: BlacklistKind.EMAIL_DOMAIN, value: 'spam-mail.test', reason: 'Throwaway addresses used for coupon farming' });
  await addBlacklistEntry(as(risk), { kind: BlacklistKind.IP, value: '203.0.113.0/24', reason: 'Card-testing bursts from this network', expiresAt: new Date(systemClock.now().getTime() + 30 * 86_400_000) });
  await addBlacklistEntry(as(risk), { kind: BlacklistKind.PHONE, value: WATCHED_PHONE, action: BlacklistAction.REVIEW, reason: 'Phone on several chargebacks: watch, do not block' });

  // The held order: enough units of one in-stock variant for ¥5,000 or more.
  let heldOrders = 0;
  const [variant] = await em.execute<{ id: string; quantity: number }[]>(
    `select v.id, ceil(500000.0 / v.price)::int as quantity
     from product_variant v join product p on p.id = v.product_id join shop s on s.id = p.shop_id
     where p.visible and not v.archived and s.status = 'ACTIVE' and v.price >= 50000 and v.on_hand - v.reserved >= ceil(500000.0 / v.price) + 5
     order by v.price desc, v.id limit 1`,
  );
  if (variant) {
    const address = em.create(Address, { user: mallory, recipientName: DEMO_RISKY_SHOPPER.displayName, phone: WATCHED_PHONE, province: '廣東省', city: '深圳市', district: '南山區', line1: '科技園南路 8 號', isDefault: true });
    await em.flush();
    await em.execute('insert into cart_line (user_id, variant_id, quantity, created_at, updated_at) values (?, ?, ?, now(), now())', [mallory.id, variant.id, variant.quantity]);
    const placed = await checkout(as(mallory), { addressId: address.id, note: null }, 'demo-risk-held');
    const payment = await payCheckout(as(mallory), { checkoutId: placed.id, provider: PaymentProviderName.MOCK });
    await receivePaymentEvent(deps, em.fork(), PaymentProviderName.MOCK, { eventId: 'demo-risk-held', type: 'payment.succeeded', paymentId: toGlobalId('Payment', payment.id) }, payment.id);
    heldOrders = await em.fork().count(Order, { checkout: placed.id, held: true });
  }

  // A counterfeit report upheld into a violation, on a shop the merchant examples do not use.
  let violations = 0;
  const [product] = await em.execute<{ id: string; slug: string }[]>(
    `select p.id, s.slug from product p join shop s on s.id = p.shop_id
     where p.visible and s.status = 'ACTIVE' and s.slug <> 'blue-sea-digital'
       and not exists (select 1 from shop_member m where m.shop_id = s.id and m.user_id = ?)
     order by p.id desc limit 1`,
    [alice.id],
  );
  if (product) {
    const report = await reportProduct(as(alice), {
      productId: String(product.id),
      reason: ProductReportReason.COUNTERFEIT,
      evidenceUrls: ['https://img.demo.test/reports/label-close-up.jpg', 'https://img.demo.test/reports/brand-letter.pdf'],
      description: '包裝上的防偽標籤與品牌官網的不一致，序號查詢不到。The hologram and serial number do not match the brand’s.',
    });
    await decideProductReport(as(risk), { reportId: report.id, decision: 'UPHOLD', reason: 'The brand confirmed the serial number is not theirs' });
    violations = 1;
  }
  return { blacklistEntries: 3, heldOrders, violations, reportedShop: product?.slug ?? null };
}
