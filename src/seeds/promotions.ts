import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { seedActors } from './actors';
import { CouponAudience, CouponKind, Promotion, PromotionKind, Shop, User } from '../entities';
import { claimCoupon, createCouponCampaign, createPromotion } from '../services/promotions';
import { systemClock } from '../services/shared';

const DAY = 86_400_000;

/**
 * Live promotions and claimable coupons, made through the real services as the people who would
 * make them: blue-sea-digital's owner runs 滿200減20 (and 滿500減60) and a shop coupon; staff
 * OPERATIONS run a platform-wide 9折 on one category with a budget, a new-user coupon granted at
 * registration, a platform coupon anyone may claim and a free-shipping code (WELCOME2026). Alice
 * claims the platform and shop coupons, so her cart lists them in `applicableCoupons`. Placed after
 * the demo orders, whose amounts stay as they were. Skipped when the shop's promotion exists.
 */
export async function seedDemoPromotions(em: EntityManager, config: Config): Promise<{ promotions: number; campaigns: number }> {
  const shop = await em.findOne(Shop, { slug: 'blue-sea-digital' });
  if (!shop || (await em.count(Promotion, { shop, title: '滿200減20' })) > 0) return { promotions: 0, campaigns: 0 };
  const [merchant, ops, alice] = await Promise.all(['merchant@demo.test', 'ops@demo.test', 'alice@demo.test'].map((email) => em.findOneOrFail(User, { email })));
  const clock = systemClock;
  const { as } = seedActors(em, config, clock);
  const now = clock.now();
  const startsAt = new Date(now.getTime() - DAY);
  const endsAt = new Date(now.getTime() + 60 * DAY);
  const window = { claimStartsAt: startsAt, claimEndsAt: endsAt };
  const [category] = await em.execute<{ id: string }[]>(`(select id from category where slug = 'earphones') union all (select id from category order by id limit 1)`);

  await createPromotion(as(merchant), {
    shopId: shop.id,
    title: '滿200減20',
    kind: PromotionKind.AMOUNT_OFF_THRESHOLD,
    tiers: [{ threshold: '200.00', amountOff: '20.00' }, { threshold: '500.00', amountOff: '60.00' }],
    scope: { all: true },
    startsAt,
    endsAt,
  });
  await createPromotion(as(ops), {
    title: '耳機節 9折',
    kind: PromotionKind.PERCENT_OFF,
    tiers: [{ threshold: '0', percentOff: 10 }],
    maxDiscount: '50.00',
    scope: { all: false, categoryIds: [category.id] },
    startsAt,
    endsAt,
    budget: '20000.00',
  });
  const shopCoupon = await createCouponCampaign(as(merchant), {
    shopId: shop.id,
    title: '藍海數碼 店鋪券 滿100減10',
    kind: CouponKind.AMOUNT_OFF,
    amountOff: '10.00',
    minSubtotal: '100.00',
    scope: { all: true },
    totalQuantity: 500,
    perUserLimit: 1,
    ...window,
    validDays: 30,
    audience: CouponAudience.ALL,
  });
  const platformCoupon = await createCouponCampaign(as(ops), {
    title: '平台券 滿50減5',
    kind: CouponKind.AMOUNT_OFF,
    amountOff: '5.00',
    minSubtotal: '50.00',
    scope: { all: true },
    totalQuantity: 10_000,
    perUserLimit: 2,
    ...window,
    validDays: 14,
    audience: CouponAudience.ALL,
  });
  await createCouponCampaign(as(ops), {
    title: '新人專享 10 元券',
    kind: CouponKind.AMOUNT_OFF,
    amountOff: '10.00',
    minSubtotal: '30.00',
    scope: { all: true },
    totalQuantity: 10_000,
    perUserLimit: 1,
    ...window,
    validDays: 7,
    audience: CouponAudience.NEW_USERS,
    autoGrant: true,
  });
  await createCouponCampaign(as(ops), {
    title: '包郵碼 WELCOME2026',
    kind: CouponKind.FREE_SHIPPING,
    scope: { all: true },
    totalQuantity: 1000,
    perUserLimit: 1,
    ...window,
    validDays: 30,
    audience: CouponAudience.ALL,
    code: 'WELCOME2026',
  });
  await claimCoupon(as(alice), { campaignId: platformCoupon.id });
  await claimCoupon(as(alice), { campaignId: shopCoupon.id });
  return { promotions: 2, campaigns: 4 };
}
