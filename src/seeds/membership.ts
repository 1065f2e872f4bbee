import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { Address, CouponAudience, CouponKind, GrowthTaskKind, Order, PaymentProviderName, User } from '../entities';
import { toGlobalId } from '../schema/shared/globalId';
import { checkIn, createGrowthTask, linkReferral, setMemberLevels } from '../services/membership';
import { checkout, completeOrders, confirmDelivery, shipOrder } from '../services/orders';
import { payCheckout, receivePaymentEvent } from '../services/payments';
import { createCouponCampaign } from '../services/promotions';
import { ManualClock } from '../services/shared';
import { seedActors } from './actors';

const DAY = 86_400_000;

/** Demo members, one per level above the first: email, display name, the level they reach (rank). */
export const DEMO_MEMBERS: { email: string; displayName: string; rank: number }[] = [
  { email: 'silver@demo.test', displayName: '周芳', rank: 1 },
  { email: 'gold@demo.test', displayName: '吳磊', rank: 2 },
  { email: 'platinum@demo.test', displayName: '鄭潔', rank: 3 },
  { email: 'diamond@demo.test', displayName: '馮濤', rank: 4 },
];

/** The demo ladder (our own thresholds: the seeds give none). */
const LADDER = [
  { rank: 0, name: '普通會員 Member', minSpend: '0', pointsMultiplier: 1, perks: [] },
  { rank: 1, name: '白銀會員 Silver', minSpend: '500.00', pointsMultiplier: 1.1, perks: ['生日禮品 Birthday gift'] },
  { rank: 2, name: '黃金會員 Gold', minSpend: '2000.00', pointsMultiplier: 1.2, freeShippingThreshold: '49.00', perks: ['生日禮品 Birthday gift', '新品試用 New-product trials'] },
  { rank: 3, name: '鉑金會員 Platinum', minSpend: '5000.00', pointsMultiplier: 1.5, freeShippingThreshold: '0.00', perks: ['提前購 Early access', '專屬折扣 Member prices'] },
  { rank: 4, name: '鑽石會員 Diamond', minSpend: '20000.00', pointsMultiplier: 2, freeShippingThreshold: '0.00', perks: ['提前購 Early access', '專屬客服 Dedicated agent', '生日禮品 Birthday gift'] },
];

/**
 * Membership as production makes it: staff OPERATIONS set the ladder (a monthly coupon for
 * Platinum) and the growth tasks; four demo shoppers, one per level above the first, buy goods
 * worth just over their level's threshold (checkout, mock payment, the shop ships, the buyer
 * confirms) three weeks ago, and `complete-orders` completes them a week later — so they earn their
 * points and reach their levels through the same code as real orders. Silver referred Gold, so
 * both got the referral reward when Gold's first order completed. Gold then spends points on a
 * second order, and checks in for a week. Skipped when the ladder has levels above the first.
 */
export async function seedDemoMembership(em: EntityManager, config: Config): Promise<{ levels: number; members: number }> {
  const [{ n }] = await em.execute<{ n: number }[]>('select count(*)::int as n from member_level where rank > 0');
  if (n > 0) return { levels: 0, members: 0 };
  const ops = await em.findOneOrFail(User, { email: 'ops@demo.test' });
  const members = await Promise.all(DEMO_MEMBERS.map((m) => em.findOneOrFail(User, { email: m.email })));
  const clock = new ManualClock(new Date());
  const { deps, as } = seedActors(em, config, clock);
  const startedAt = clock.now();
  clock.set(new Date(startedAt.getTime() - 30 * DAY));

  const monthly = await createCouponCampaign(as(ops), {
    title: '鉑金會員月度券 滿100減20',
    kind: CouponKind.AMOUNT_OFF,
    amountOff: '20.00',
    minSubtotal: '100.00',
    scope: { all: true },
    totalQuantity: 100_000,
    perUserLimit: 24,
    claimStartsAt: clock.now(),
    claimEndsAt: new Date(startedAt.getTime() + 365 * DAY),
    validDays: 31,
    audience: CouponAudience.MEMBER_LEVEL,
    memberLevel: 3,
  });
  await setMemberLevels(
    as(ops),
    LADDER.map((l) => ({ ...l, monthlyCouponCampaignId: l.rank === 3 ? monthly.id : null })),
  );
  const tasks: [GrowthTaskKind, string, number, number][] = [
    [GrowthTaskKind.COMPLETE_PROFILE, '完善收貨地址 Save a shipping address', 1, 20],
    [GrowthTaskKind.FIRST_ORDER, '完成首單 Complete your first order', 1, 50],
    [GrowthTaskKind.FIRST_REVIEW, '發表首條評價 Write your first review', 1, 30],
    [GrowthTaskKind.INVITE_FRIEND, '邀請好友 Invite a friend', 1, 100],
    [GrowthTaskKind.CHECK_IN_STREAK, '連續簽到 7 天 Check in 7 days running', 7, 50],
  ];
  for (const [kind, title, target, rewardPoints] of tasks) await createGrowthTask(as(ops), { kind, title, target, rewardPoints });

  // Silver brought Gold: linked before Gold's first order.
  await linkReferral(em.fork(), members[0].id, members[1].id, clock.now());

  // One in-stock variant of every product on sale, dearest first; each shop's owner ships.
  const products = await em.execute<{ variant_id: string; price: string }[]>(
    `select distinct on (p.id) v.id as variant_id, v.price
     from product p join product_variant v on v.product_id = p.id
     where p.visible and not v.archived and v.on_hand - v.reserved >= 10
     order by p.id, v.price desc`,
  );
  products.sort((a, b) => Number(b.price) - Number(a.price));
  const ownerRows = await em.execute<{ shop_id: string; user_id: string }[]>("select distinct on (shop_id) shop_id, user_id from shop_member where role = 'OWNER' order by shop_id, id");
  const ownerUsers = new Map((await em.find(User, { id: [...new Set(ownerRows.map((r) => String(r.user_id)))] })).map((u) => [u.id, u]));
  const ownerOf = new Map(ownerRows.map((r) => [String(r.shop_id), ownerUsers.get(String(r.user_id))!]));

  /** Checks out `lines`, pays, has the shops ship, and (unless told) the buyer confirm delivery a day later. */
  const buy = async (buyer: User, address: Address, lines: { variant_id: string }[], label: string, pointsToRedeem = 0, deliver = true) => {
    for (const l of lines) await em.execute('insert into cart_line (user_id, variant_id, quantity, created_at, updated_at) values (?, ?, 1, now(), now())', [buyer.id, l.variant_id]);
    const placed = await checkout(as(buyer), { addressId: address.id, note: null, pointsToRedeem }, `demo-${label}`);
    const payment = await payCheckout(as(buyer), { checkoutId: placed.id, provider: PaymentProviderName.MOCK });
    await receivePaymentEvent(deps, em.fork(), PaymentProviderName.MOCK, { eventId: `demo-${label}`, type: 'payment.succeeded', paymentId: toGlobalId('Payment', payment.id) }, payment.id);
    const orders = await em.fork().find(Order, { checkout: placed.id }, { orderBy: { id: 'asc' } });
    for (const [i, order] of orders.entries()) {
      await shipOrder(as(ownerOf.get(order.shop.id)!), { orderId: order.id, carrier: 'SF Express 順豐', trackingNumber: `SFM${label.replace(/[^a-z0-9]/gi, '').toUpperCase()}${i}` });
    }
    if (deliver) {
      clock.advance(DAY);
      for (const order of orders) await confirmDelivery(as(buyer), order.id);
      clock.advance(-DAY);
    }
  };

  const addresses = new Map<string, Address>();
  for (const [i, member] of members.entries()) {
    const address = em.create(Address, { user: member, recipientName: member.displayName, phone: `1391234${String(5600 + i)}`, province: '浙江省', city: '杭州市', district: '濱江區', line1: `江南大道 ${300 + i} 號`, isDefault: true });
    await em.flush();
    addresses.set(member.id, address);
    // Goods worth just over the level's threshold, dearest first, skipping what would overshoot the next level.
    const threshold = Number(LADDER[DEMO_MEMBERS[i].rank].minSpend) * 100;
    const ceiling = DEMO_MEMBERS[i].rank + 1 < LADDER.length ? Number(LADDER[DEMO_MEMBERS[i].rank + 1].minSpend) * 100 : Infinity;
    const lines: typeof products = [];
    let total = 0;
    for (const p of products) {
      if (total >= threshold * 1.05 || lines.length >= 60) break;
      if (total + Number(p.price) >= ceiling) continue;
      lines.push(p);
      total += Number(p.price);
    }
    await buy(member, address, lines, `member-${i}`);
  }

  // A week later the after-sales window has closed: the orders complete, earning points and levels.
  clock.set(new Date(startedAt.getTime() - 21 * DAY));
  await completeOrders(deps, em.fork());

  // Gold spends points on the next order, and checks in for a week.
  const gold = members[1];
  const [{ balance }] = await em.execute<{ balance: number }[]>('select coalesce(sum(delta), 0)::int as balance from points_entry where user_id = ?', [gold.id]);
  const cheap = products.filter((p) => Number(p.price) >= 50_00 && Number(p.price) <= 500_00).slice(0, 1);
  if (cheap.length > 0) {
    // 300 points (3.00 off), well inside the cap (half the goods after other discounts).
    const redeem = Math.min(300, balance, Math.floor(Number(cheap[0].price) * 0.3));
    await buy(gold, addresses.get(gold.id)!, cheap, 'member-gold-points', redeem, false);
  }
  for (let day = 0; day < 7; day++) {
    clock.set(new Date(startedAt.getTime() - (7 - day) * DAY));
    await checkIn(as(gold));
  }
  clock.set(startedAt);
  return { levels: LADDER.length, members: members.length };
}
