import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { seedActors } from './actors';
import { Address, ModerationDecision, Order, OrderLine, PaymentProviderName, Review, User } from '../entities';
import { toGlobalId } from '../schema/shared/globalId';
import { checkout, confirmDelivery, shipOrder } from '../services/orders';
import { payCheckout, receivePaymentEvent } from '../services/payments';
import { addBlockedWords, addFollowUp, createReview, moderateReview, replyToReview, reportReview } from '../services/reviews';
import { mulberry32 } from '../services/shared/random';
import { ManualClock } from '../services/shared';

const DAY = 86_400_000;

/** The demo reviewers: Chinese display names, so anonymous reviews show masked names such as "王**". */
export const DEMO_REVIEWERS = ['wang@demo.test', 'li@demo.test', 'zhang@demo.test', 'chen@demo.test'];

/** Each reviewer buys (and reviews) about this share of the products on sale. */
const SHARE = 0.45;
/** Lines per checkout (a cart holds at most 100). */
const CHUNK = 60;

const BODIES: Record<number, string[]> = {
  5: ['音質很好，降噪效果明顯，物流也快。', '做工精緻，包裝完好，會回購。', 'Great value, exactly as described.', '和描述一致，客服回覆及時，五星好評！', 'Arrived in two days, works perfectly.'],
  4: ['整體不錯，就是電池續航一般。', 'Good quality, delivery took a little longer than expected.', '性價比高，顏色比圖片稍深。'],
  3: ['中規中矩，和描述基本一致。', 'It does the job, nothing special.'],
  2: ['顏色和圖片有差別，有點失望。', 'The strap broke after a week.'],
  1: ['收到時包裝破損，客服處理很慢。'],
};

/** Stars skewed towards the good end, as real ratings are: 5 (55%), 4 (25%), 3 (10%), 2 (6%), 1 (4%). */
function stars(rng: () => number): number {
  const r = rng();
  return r < 0.55 ? 5 : r < 0.8 ? 4 : r < 0.9 ? 3 : r < 0.96 ? 2 : 1;
}

/**
 * Reviews on most demo products, made as production makes them: four demo shoppers each buy about
 * half of the products on sale (checkout, mock payment, the shops ship, the buyer confirms delivery,
 * ten to sixteen days ago) and review what they bought over the following days through the review service —
 * stars skewed positive, aspects, photos, some anonymous, some follow-ups. blue-sea-digital's owner
 * replies to its reviews; staff OPERATIONS keep a blocked word, feature one buyer show, and find in
 * the moderation queue a review held for a phone number and one reported. Skipped when the first
 * reviewer already has orders.
 */
export async function seedDemoReviews(em: EntityManager, config: Config): Promise<number> {
  const reviewers = await Promise.all(DEMO_REVIEWERS.map((email) => em.findOneOrFail(User, { email })));
  if ((await em.count(Order, { buyer: reviewers[0] })) > 0) return 0;
  const [merchant, ops, alice] = await Promise.all(['merchant@demo.test', 'ops@demo.test', 'alice@demo.test'].map((email) => em.findOneOrFail(User, { email })));
  const clock = new ManualClock(new Date());
  const { deps, as } = seedActors(em, config, clock);
  const startedAt = clock.now();
  const rng = mulberry32(20261206);

  // One in-stock variant of every product on sale, and the owner who ships for its shop.
  const products = await em.execute<{ variant_id: string; product_id: string; shop_id: string; owner_id: string }[]>(
    `select distinct on (p.id) v.id as variant_id, p.id as product_id, p.shop_id,
            (select m.user_id from shop_member m where m.shop_id = p.shop_id and m.role = 'OWNER' order by m.id limit 1) as owner_id
     from product p join product_variant v on v.product_id = p.id
     where p.visible and not v.archived and v.on_hand - v.reserved >= 10
     order by p.id, v.id`,
  );
  // Each shop's owner, who ships its orders.
  const users = new Map((await em.find(User, { id: [...new Set(products.map((p) => String(p.owner_id)))] })).map((u) => [u.id, u]));
  const ownerOf = new Map(products.map((p) => [String(p.shop_id), users.get(String(p.owner_id))!]));

  const bought: { reviewer: User; lineIds: string[] }[] = [];
  for (const [r, reviewer] of reviewers.entries()) {
    const address = em.create(Address, { user: reviewer, recipientName: reviewer.displayName, phone: `1381234${String(5670 + r)}`, province: '上海市', city: '上海市', district: '徐匯區', line1: `漕溪北路 ${200 + r} 號`, isDefault: true });
    await em.flush();
    const mine = products.filter(() => rng() < SHARE);
    const lineIds: string[] = [];
    for (let i = 0; i < mine.length; i += CHUNK) {
      const chunk = mine.slice(i, i + CHUNK);
      for (const p of chunk) await em.execute('insert into cart_line (user_id, variant_id, quantity, created_at, updated_at) values (?, ?, 1, now(), now())', [reviewer.id, p.variant_id]);
      const label = `review-${r}-${i}`;
      // Bought 10 to 16 days ago, a checkout a day (so the dashboard's days differ), delivered two
      // days later: every review below (1 to 7 days ago) is written within the review window.
      clock.set(new Date(startedAt.getTime() - (10 + ((r * 3 + i / CHUNK) % 7)) * DAY));
      const placed = await checkout(as(reviewer), { addressId: address.id, note: null }, `demo-${label}`);
      const payment = await payCheckout(as(reviewer), { checkoutId: placed.id, provider: PaymentProviderName.MOCK });
      await receivePaymentEvent(deps, em.fork(), PaymentProviderName.MOCK, { eventId: `demo-${label}`, type: 'payment.succeeded', paymentId: toGlobalId('Payment', payment.id) }, payment.id);
      const orders = await em.fork().find(Order, { checkout: placed.id }, { orderBy: { id: 'asc' } });
      for (const [n, order] of orders.entries()) {
        await shipOrder(as(ownerOf.get(order.shop.id)!), { orderId: order.id, carrier: 'SF Express 順豐', trackingNumber: `SF2${r}${String(i).padStart(3, '0')}${String(n).padStart(4, '0')}` });
      }
      clock.advance(2 * DAY);
      for (const order of orders) await confirmDelivery(as(reviewer), order.id);
      clock.advance(-2 * DAY);
      lineIds.push(...(await em.fork().find(OrderLine, { order: { $in: orders.map((o) => o.id) }, gift: false })).map((l) => l.id));
    }
    bought.push({ reviewer, lineIds });
  }

  // Reviews over the next days, each through the review service.
  await addBlockedWords(as(ops), ['加微信', '刷單']);
  let written = 0;
  const reviews: Review[] = [];
  const lastLine = bought[bought.length - 1].lineIds.at(-1);
  for (const { reviewer, lineIds } of bought) {
    for (const lineId of lineIds) {
      clock.set(new Date(startedAt.getTime() - (7 - rng() * 6) * DAY));
      const rating = stars(rng);
      const texts = BODIES[rating];
      // The last one gives a phone number: held for moderation (PHONE_NUMBER).
      const body = lineId === lastLine ? '質量不錯，有需要的聯繫我 138 1234 5678' : rng() < 0.85 ? texts[Math.floor(rng() * texts.length)] : null;
      const review = await createReview(as(reviewer), {
        orderLineId: lineId,
        rating,
        body,
        photoUrls: rng() < 0.3 ? [`https://img.demo.test/reviews/${lineId}-1.jpg`, `https://img.demo.test/reviews/${lineId}-2.jpg`] : [],
        anonymous: rng() < 0.3,
        aspects: rng() < 0.7 ? { description: Math.min(5, rating + (rng() < 0.3 ? 1 : 0)), service: Math.max(1, rating - (rng() < 0.2 ? 1 : 0)), logistics: 5 - Math.floor(rng() * 2) } : null,
      });
      reviews.push(review);
      written++;
    }
  }
  clock.set(new Date(startedAt.getTime() - DAY));
  // Follow-ups on a few, the shop's replies to blue-sea-digital's reviews, a featured buyer show.
  for (const review of reviews.filter((_, i) => i % 9 === 0)) {
    await addFollowUp(as(await em.findOneOrFail(User, review.buyer.id)), { reviewId: review.id, body: '用了一週，依然很滿意。 Still happy after a week.' });
  }
  const [blueSea] = await em.execute<{ id: string }[]>("select id from shop where slug = 'blue-sea-digital'");
  for (const review of reviews.filter((r) => blueSea && r.shop.id === String(blueSea.id)).slice(0, 12)) {
    await replyToReview(as(merchant), { reviewId: review.id, body: review.rating >= 4 ? '感謝您的支持，期待再次光臨！' : '非常抱歉給您帶來不便，客服已聯繫您處理。' });
  }
  const show = reviews.find((r) => r.photoUrls.length > 0 && r.rating === 5);
  if (show) await moderateReview(as(ops), { reviewId: show.id, decision: ModerationDecision.FEATURE, reason: '優質買家秀：清晰實拍' });

  // The moderation queue: besides the held one, a published review reported by a shopper.
  const reported = reviews.find((r) => r.rating <= 2 && r.body);
  if (reported) await reportReview(as(alice), { reviewId: reported.id, reason: '內容與商品無關' });
  clock.set(startedAt);
  return written;
}
