import { Client } from 'pg';
import type { BenchDatabase } from './database';

/**
 * Reviews for the detail products, for the `detail-reviews` scenario. The bulk catalog is
 * generated in SQL and has none, and a review needs a real order line, so this writes, set-based in
 * one transaction (a dozen statements, whatever the number of reviews):
 *
 * - BENCH_REVIEWERS bench buyers (`bench-reviewer-N@bench.test`, Chinese and English display
 *   names, no usable password), apart from the scenarios' shoppers so their carts and order
 *   histories stay as the other scenarios expect;
 * - per product, 24–36 of them buy it: each purchase a PAID checkout holding one COMPLETED order of
 *   one line (a checkout holds at most one order per shop, and the products share shops), placed
 *   30–180 days ago, paid, shipped, delivered and completed in order, numbered `BR<product>-<buyer>`,
 *   amounts as checkout computes them (shipping 10.00 under 99.00, commission at the shop's,
 *   the category's or the default rate, rounded half-even);
 * - one PUBLISHED review per line, written within days of delivery: stars skewed positive (a
 *   per-product shift), Chinese or English bodies on 85%, https photos on about a quarter,
 *   anonymous a quarter, aspects on 80%, the shop owner's reply on 30%, a follow-up on some of the
 *   older ones, helpful votes from other bench reviewers (`review_vote`, so `helpful_count` is their
 *   count);
 * - each product's and shop's rating columns recounted from their PUBLISHED reviews (the demo
 *   reviews of a demo product or shop included), as services/reviews/ratings.ts keeps them.
 *
 * Products that already have bench reviews are skipped, so a reused bench database (.bench/) is
 * filled once. No payment, ledger, shipment or order-event rows: nothing the scenarios read needs
 * them, and the money ledger stays the checkouts' own.
 */

export const BENCH_REVIEWERS = 48;
const REVIEWER_EMAIL = 'bench-reviewer-%@bench.test';
/** Published reviews per product, drawn uniformly. */
const PER_PRODUCT = { min: 24, max: 36 } as const;
/** DEFAULT_COMMISSION_RATE as the bench server runs (the config's default). */
const DEFAULT_COMMISSION_RATE = '0.05';

const NAMES = [
  '王小明', '李娜', '張偉', '陳靜', '劉洋', '楊帆', '趙磊', '黃麗', '周杰', '吳敏', '徐婷', '孫浩',
  '馬超', '朱琳', '胡斌', '郭靜怡', '林雪', '何磊', '高遠', '羅蘭', '鄭爽', '梁晨', '謝宇', '宋佳',
  '唐小寶', '韓梅梅', '馮志強', '曹穎', '許晴', '鄧超群', '蕭雅', '程浩然', '葉子', '蘇菲', '潘曉',
  'Emily Chen', 'Jason Wu', 'Olivia Lin', 'Kevin Zhang', 'Grace Liu', 'Daniel Ho', 'Sophie Wang',
  'Ryan Lee', 'Chloe Huang', 'Mark Tan', 'Iris Yang', 'Leo Zhao', 'Amy Xu',
];

/** Review bodies by stars (index 0: 1★ … 4: 5★). */
const BODIES: string[][] = [
  ['收到時包裝破損，客服處理很慢。', '跟描述完全不一樣，已經申請退貨。', 'Stopped working after three days. Very disappointed.', '質量太差了，不推薦購買。'],
  ['顏色和圖片有差別，有點失望。', 'The strap broke after a week.', '做工一般，有明顯的線頭。', 'Smaller than expected and the finish feels cheap.', '物流太慢，等了十天才到。'],
  ['中規中矩，和描述基本一致。', 'It does the job, nothing special.', '價格還可以，質量普通。', 'Okay for the price, but I expected a bit more.', '用起來還行，就是說明書不太清楚。', '一般般吧，湊合用。'],
  ['整體不錯，就是電池續航一般。', 'Good quality, delivery took a little longer than expected.', '性價比高，顏色比圖片稍深。', 'Works well. Packaging could be better.', '挺好用的，就是有點重。', 'Nice design, a little pricey but worth it.', '東西不錯，包裝有點簡陋。', 'Solid product, minor scratches on arrival.'],
  ['音質很好，降噪效果明顯，物流也快。', '做工精緻，包裝完好，會回購。', 'Great value, exactly as described.', '和描述一致，客服回覆及時，五星好評！', 'Arrived in two days, works perfectly.', '質感超好，送給朋友很有面子。', 'Excellent quality, my second purchase from this shop.', '非常滿意，已經推薦給同事了。', 'Better than I expected, highly recommend!', '第二次購買了，一如既往的好。', '顏值很高，做工細緻，物超所值。', 'Fast shipping and great customer service.'],
];
const FOLLOW_UPS = ['用了一個月，依然很滿意。', 'Still working great after a month.', '用了幾週，有一點小磨損，整體還好。', 'After a few weeks: battery life dropped a little, otherwise fine.', '追評：耐用，值得購買。', '家人也很喜歡，又買了一個。'];
const REPLIES_GOOD = ['感謝您的支持，期待再次光臨！', '謝謝親的好評，我們會繼續努力～', 'Thank you for your kind review! We hope to see you again.', '感謝您的認可，祝您使用愉快！'];
const REPLIES_FAIR = ['感謝您的反饋，我們會持續改進。', 'Thanks for the feedback — we are working on it.', '謝謝您的建議，已轉達給產品團隊。'];
const REPLIES_BAD = ['非常抱歉給您帶來不便，客服已聯繫您處理。', 'We are sorry to hear that. Our support team has contacted you about a replacement.', '抱歉讓您失望了，請聯繫客服為您退換。'];

export interface BenchReviews {
  /** Reviews this run wrote (0 when the database had them already). */
  inserted: number;
  /** Products it wrote them for. */
  productsFilled: number;
  /** Statements sent and time taken, the recount included (0 when reused). */
  statements: number;
  ms: number;
  /** Over the detail products' PUBLISHED reviews, bench and demo alike. */
  products: number;
  reviews: number;
  perProduct: { min: number; max: number };
  average: number | null;
  /** Shares of the reviews with photos, anonymous, with aspects, a reply, a follow-up, a body. */
  shares: { photos: number; anonymous: number; aspects: number; reply: number; followUp: number; body: number };
  /** Products whose kept rating columns disagree with a recount of their published reviews (should be 0). */
  ratingMismatches: number;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * One transaction on one session (the plan is a temporary table, and `setseed` makes the draws the
 * same on every database). Returns the statements sent.
 */
async function write(url: string, productKeys: string[]): Promise<{ inserted: number; products: number; statements: number }> {
  const client = new Client({ connectionString: url, application_name: 'bench-reviews' });
  await client.connect();
  let statements = 0;
  const q = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) => {
    statements += 1;
    return (await client.query(sql, params)).rows as T[];
  };
  try {
    await q('begin');
    await q('select setseed(0.1206)');
    await q(
      `insert into users (created_at, updated_at, email, display_name, password_hash)
       select now() - interval '400 days' + n * interval '3 days', now() - interval '400 days' + n * interval '3 days',
              replace($2, '%', n::text), ($1::text[])[n], '!'
       from generate_series(1, cardinality($1::text[])) n
       on conflict (email) do nothing`,
      [NAMES.slice(0, BENCH_REVIEWERS), REVIEWER_EMAIL],
    );
    // One row per purchase and its review, every figure decided here. Ids are taken from the
    // tables' sequences so the inserts below can refer to each other.
    await q(
      `create temporary table bench_review_plan on commit drop as
       with buyers as (
         select id, display_name, substring(email from '^bench-reviewer-(\\d+)@')::int as n from users where email like $2
       ),
       products as (
         select p.id as product_id, p.shop_id, p.title as product_title,
           (select m.user_id from shop_member m where m.shop_id = p.shop_id and m.role = 'OWNER' order by m.id limit 1) as owner_id,
           coalesce(s.commission_rate,
             (select cat.own_commission_rate from category cat
              where cat.id = any(string_to_array(trim(both '/' from p.category_path), '/')::bigint[]) and cat.own_commission_rate is not null
              order by cat.depth desc limit 1),
             $3::numeric) as rate,
           (select array_agg(v.id order by v.position, v.id) from product_variant v where v.product_id = p.id and not v.archived) as variant_ids,
           0.08 - random() * 0.16 as skew,
           $4::int + floor(random() * ($5::int - $4::int + 1))::int as wanted
         from product p join shop s on s.id = p.shop_id
         where p.id = any($1::bigint[])
           and not exists (select 1 from review r join buyers b on b.id = r.buyer_id where r.product_id = p.id)
       ),
       picks as (
         select pr.*, b.id as buyer_id, b.n as buyer_n, b.display_name, row_number() over (partition by pr.product_id order by random()) as k
         from products pr cross join buyers b
         where cardinality(pr.variant_ids) > 0
       ),
       draws as (
         select pk.*,
           pk.variant_ids[1 + floor(random() * cardinality(pk.variant_ids))::int] as variant_id,
           case when random() < 0.9 then 1 else 2 end as quantity,
           now() - interval '1 day' * (30 + random() * 150) as placed_at,
           interval '1 minute' * (1 + random() * 29) as to_pay,
           interval '1 hour' * (2 + random() * 40) as to_ship,
           interval '1 hour' * (24 + random() * 72) as to_deliver,
           interval '1 hour' * (2 + random() * 238) as to_review,
           random() as u_rating, random() as u_aspects, random() as u_desc, random() as u_service, random() as u_logistics,
           random() as u_body, random() as u_text, random() as u_photos, random() as u_anonymous, random() as u_helpful,
           random() as u_reply, random() as u_reply_text, random() as u_reply_gap, random() as u_follow, random() as u_follow_text, random() as u_follow_gap
         from picks pk
         where pk.k <= pk.wanted
       ),
       rated as (
         select d.*,
           case when d.u_rating < 0.55 + d.skew then 5 when d.u_rating < 0.80 + d.skew / 2 then 4 when d.u_rating < 0.90 then 3 when d.u_rating < 0.96 then 2 else 1 end as rating,
           date_trunc('milliseconds', d.placed_at) as placed,
           date_trunc('milliseconds', d.placed_at + d.to_pay) as paid_at,
           date_trunc('milliseconds', d.placed_at + d.to_pay + d.to_ship) as shipped_at,
           date_trunc('milliseconds', d.placed_at + d.to_pay + d.to_ship + d.to_deliver) as delivered_at,
           date_trunc('milliseconds', d.placed_at + d.to_pay + d.to_ship + d.to_deliver + interval '7 days') as completed_at,
           date_trunc('milliseconds', d.placed_at + d.to_pay + d.to_ship + d.to_deliver + d.to_review) as reviewed_at
         from draws d
       ),
       priced as (
         select r.*, v.sku, v.title as variant_title, v.price as unit_price, v.price * r.quantity as line_total, v.price * r.quantity * r.rate as commission_exact
         from rated r join product_variant v on v.id = r.variant_id
       )
       -- Ids in the order the reviews were written, so NEWEST (by id) lists them newest first.
       select nextval('checkout_id_seq') as checkout_id, nextval('orders_id_seq') as order_id, nextval('order_line_id_seq') as line_id, nextval('review_id_seq') as review_id, w.*
       from (
         select product_id, shop_id, owner_id, buyer_id, buyer_n, display_name, product_title, variant_id, sku, variant_title, unit_price, quantity, line_total,
           case when line_total >= 9900 then 0 else 1000 end::bigint as shipping_fee,
           rate::numeric(5, 4) as rate,
           -- round_half_even(line_total × rate), as commissionOn computes it
           (case when commission_exact - floor(commission_exact) = 0.5 then floor(commission_exact) + floor(commission_exact)::bigint % 2 else round(commission_exact) end)::bigint as commission,
           placed, paid_at, shipped_at, delivered_at, completed_at, reviewed_at, rating,
           case when u_aspects < 0.8 then least(5, greatest(1, rating + case when u_desc < 0.15 then -1 when u_desc > 0.8 then 1 else 0 end)) end as aspect_description,
           case when u_aspects < 0.8 then least(5, greatest(1, rating + case when u_service < 0.2 then -1 when u_service > 0.85 then 1 else 0 end)) end as aspect_service,
           case when u_aspects < 0.8 then case when u_logistics < 0.55 then 5 when u_logistics < 0.85 then 4 when u_logistics < 0.95 then 3 else 2 end end as aspect_logistics,
           case when u_body < 0.85 then ($6::jsonb -> (rating - 1) ->> floor(u_text * jsonb_array_length($6::jsonb -> (rating - 1)))::int) end as body,
           case when u_photos < case when rating >= 4 then 0.28 else 0.18 end
             then array(select format('https://img.bench.test/reviews/%s-%s-%s.jpg', product_id, buyer_n, i) from generate_series(1, 1 + floor(u_photos * 1000)::int % 3) i)
             else '{}'::text[] end as photo_urls,
           u_anonymous < 0.25 as anonymous,
           floor(power(u_helpful, 3) * 21)::int as helpful_count,
           case when owner_id is not null and u_reply < 0.3 then
             case when rating >= 4 then ($7::text[])[1 + floor(u_reply_text * cardinality($7::text[]))::int]
                  when rating = 3 then ($8::text[])[1 + floor(u_reply_text * cardinality($8::text[]))::int]
                  else ($9::text[])[1 + floor(u_reply_text * cardinality($9::text[]))::int] end end as reply_body,
           case when owner_id is not null and u_reply < 0.3 then date_trunc('milliseconds', reviewed_at + interval '1 hour' * (1 + u_reply_gap * 47)) end as replied_at,
           case when u_follow < 0.12 and delivered_at < now() - interval '75 days' then ($10::text[])[1 + floor(u_follow_text * cardinality($10::text[]))::int] end as follow_up_body,
           case when u_follow < 0.12 and delivered_at < now() - interval '75 days' then date_trunc('milliseconds', reviewed_at + interval '1 day' * (20 + u_follow_gap * 40)) end as follow_up_at
         from priced
         order by reviewed_at, product_id, buyer_id
       ) w`,
      [productKeys, REVIEWER_EMAIL, DEFAULT_COMMISSION_RATE, PER_PRODUCT.min, PER_PRODUCT.max, JSON.stringify(BODIES), REPLIES_GOOD, REPLIES_FAIR, REPLIES_BAD, FOLLOW_UPS],
    );
    const [{ n, products }] = await q<{ n: number; products: number }>('select count(*)::int as n, count(distinct product_id)::int as products from bench_review_plan');
    if (n > 0) {
      await q(
        `insert into checkout (id, created_at, updated_at, buyer_id, idempotency_key, status, total, expires_at)
         select checkout_id, placed, paid_at, buyer_id, 'bench-review-' || product_id, 'PAID', line_total + shipping_fee, placed + interval '30 minutes'
         from bench_review_plan`,
      );
      await q(
        `insert into orders (id, created_at, updated_at, number, checkout_id, shop_id, buyer_id, status, subtotal, shipping_fee, discount_total, total,
                             shipping_address, placed_at, paid_at, shipped_at, delivered_at, completed_at, commission, platform_discount, shipping_discount)
         select order_id, placed, completed_at, 'BR' || product_id || '-' || lpad(buyer_n::text, 2, '0'), checkout_id, shop_id, buyer_id, 'COMPLETED',
                line_total, shipping_fee, 0, line_total + shipping_fee,
                jsonb_build_object('recipientName', display_name, 'phone', '139' || lpad((buyer_n * 7919 % 100000000)::text, 8, '0'),
                  'province', (array['上海市', '北京市', '廣東省', '浙江省', '四川省', '江蘇省'])[1 + buyer_n % 6],
                  'city', (array['上海市', '北京市', '深圳市', '杭州市', '成都市', '南京市'])[1 + buyer_n % 6],
                  'district', (array['浦東新區', '朝陽區', '南山區', '西湖區', '武侯區', '鼓樓區'])[1 + buyer_n % 6],
                  'line1', '建設路 ' || (buyer_n * 13 % 300 + 1) || ' 號', 'postalCode', null),
                placed, paid_at, shipped_at, delivered_at, completed_at, commission, 0, 0
         from bench_review_plan`,
      );
      await q(
        `insert into order_line (id, order_id, variant_id, product_id, product_title, variant_title, sku, unit_price, quantity, line_total, commission_rate, commission, discount, platform_discount, gift)
         select line_id, order_id, variant_id, product_id, product_title, variant_title, sku, unit_price, quantity, line_total, rate, commission, 0, 0, false
         from bench_review_plan`,
      );
      await q(
        `insert into review (id, created_at, updated_at, order_line_id, order_id, product_id, shop_id, buyer_id, variant_title, rating,
                             aspect_description, aspect_service, aspect_logistics, body, photo_urls, anonymous, status, helpful_count,
                             follow_up_body, follow_up_at, reply_body, replied_at, reply_author_id)
         select review_id, reviewed_at, greatest(reviewed_at, replied_at, follow_up_at), line_id, order_id, product_id, shop_id, buyer_id, variant_title, rating,
                aspect_description, aspect_service, aspect_logistics, body, photo_urls, anonymous, 'PUBLISHED', helpful_count,
                follow_up_body, follow_up_at, reply_body, replied_at, case when reply_body is not null then owner_id end
         from bench_review_plan`,
      );
      // Helpful votes by other bench reviewers: helpful_count of them per review.
      await q(
        `insert into review_vote (review_id, user_id)
         select p.review_id, v.id
         from bench_review_plan p
         cross join lateral (select u.id from users u where u.email like $1 and u.id <> p.buyer_id order by hashint8extended(u.id, p.review_id) limit p.helpful_count) v
         where p.helpful_count > 0`,
        [REVIEWER_EMAIL],
      );
      // The kept ratings, recounted from the PUBLISHED reviews of each product and shop touched.
      const recount = (table: 'product' | 'shop', key: 'product_id' | 'shop_id') =>
        q(
          `update ${table} t set rating_count = c.n, rating_sum = c.s, rating_distribution = c.dist, aspect_count = c.an,
             aspect_description_sum = c.ad, aspect_service_sum = c.asv, aspect_logistics_sum = c.al
           from (
             select x.id, count(r.id)::int as n, coalesce(sum(r.rating), 0)::int as s,
               array[count(*) filter (where r.rating = 1), count(*) filter (where r.rating = 2), count(*) filter (where r.rating = 3),
                     count(*) filter (where r.rating = 4), count(*) filter (where r.rating = 5)]::int[] as dist,
               count(r.aspect_description)::int as an, coalesce(sum(r.aspect_description), 0)::int as ad,
               coalesce(sum(r.aspect_service), 0)::int as asv, coalesce(sum(r.aspect_logistics), 0)::int as al
             from (select distinct ${key} as id from bench_review_plan) x
             left join review r on r.${key} = x.id and r.status = 'PUBLISHED'
             group by x.id
           ) c
           where t.id = c.id`,
        );
      await recount('product', 'product_id');
      await recount('shop', 'shop_id');
    }
    await q('commit');
    // The planner sees the tables as they now are (review was empty), as autovacuum soon would.
    if (n > 0) await q('analyze users, checkout, orders, order_line, review, review_vote, product, shop');
    return { inserted: n, products, statements };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

/**
 * Gives the detail products (`productKeys`) their bench reviews unless they have them, and
 * describes the reviews they then have.
 */
export async function ensureBenchReviews(db: BenchDatabase, productKeys: string[], log: (m: string) => void): Promise<BenchReviews> {
  const started = performance.now();
  const [{ missing }] = await db.sql<{ missing: number }>(
    `select count(*)::int as missing from product p
     where p.id = any(?::bigint[]) and exists (select 1 from product_variant v where v.product_id = p.id and not v.archived)
       and not exists (select 1 from review r join users u on u.id = r.buyer_id where r.product_id = p.id and u.email like ?)`,
    [`{${productKeys.join(',')}}`, REVIEWER_EMAIL],
  );
  const written = missing > 0 ? await write(db.url, productKeys) : { inserted: 0, products: 0, statements: 0 };
  const ms = Math.round(performance.now() - started);
  const [s] = await db.sql<{
    products: number; reviews: number; min: number | null; max: number | null; average: number | null;
    photos: number; anonymous: number; aspects: number; reply: number; follow_up: number; body: number; mismatches: number;
  }>(
    `with ids as (select unnest(?::bigint[]) as id),
     per as (
       select i.id, count(r.id)::int as n, coalesce(sum(r.rating), 0)::int as s,
         array[count(*) filter (where r.rating = 1), count(*) filter (where r.rating = 2), count(*) filter (where r.rating = 3),
               count(*) filter (where r.rating = 4), count(*) filter (where r.rating = 5)]::int[] as dist
       from ids i left join review r on r.product_id = i.id and r.status = 'PUBLISHED' group by i.id
     )
     select (select count(*) from per)::int as products, (select sum(n) from per)::int as reviews, (select min(n) from per) as min, (select max(n) from per) as max,
       (select avg(rating)::float8 from review r join ids i on i.id = r.product_id where r.status = 'PUBLISHED') as average,
       (select count(*) filter (where cardinality(photo_urls) > 0) from review r join ids i on i.id = r.product_id where r.status = 'PUBLISHED')::int as photos,
       (select count(*) filter (where anonymous) from review r join ids i on i.id = r.product_id where r.status = 'PUBLISHED')::int as anonymous,
       (select count(*) filter (where aspect_description is not null) from review r join ids i on i.id = r.product_id where r.status = 'PUBLISHED')::int as aspects,
       (select count(*) filter (where reply_body is not null) from review r join ids i on i.id = r.product_id where r.status = 'PUBLISHED')::int as reply,
       (select count(*) filter (where follow_up_body is not null) from review r join ids i on i.id = r.product_id where r.status = 'PUBLISHED')::int as follow_up,
       (select count(*) filter (where body is not null) from review r join ids i on i.id = r.product_id where r.status = 'PUBLISHED')::int as body,
       (select count(*) from per join product p on p.id = per.id where p.rating_count <> per.n or p.rating_sum <> per.s or p.rating_distribution <> per.dist)::int as mismatches`,
    [`{${productKeys.join(',')}}`],
  );
  const reviews = s.reviews ?? 0;
  const share = (x: number) => (reviews ? round(x / reviews) : 0);
  const result: BenchReviews = {
    inserted: written.inserted,
    productsFilled: written.products,
    statements: written.statements,
    ms: written.inserted ? ms : 0,
    products: s.products,
    reviews,
    perProduct: { min: s.min ?? 0, max: s.max ?? 0 },
    average: s.average == null ? null : round(s.average),
    shares: { photos: share(s.photos), anonymous: share(s.anonymous), aspects: share(s.aspects), reply: share(s.reply), followUp: share(s.follow_up), body: share(s.body) },
    ratingMismatches: s.mismatches,
  };
  log(
    (written.inserted
      ? `wrote ${written.inserted.toLocaleString('en')} bench reviews (with their checkouts, orders and lines) for ${written.products} detail products in ${(ms / 1000).toFixed(1)} s, ${written.statements} statements; `
      : 'reusing the bench reviews; ') +
      `the ${result.products} detail products hold ${reviews.toLocaleString('en')} published reviews (${result.perProduct.min}–${result.perProduct.max} each, ${result.average ?? '–'}★ on average)`,
  );
  return result;
}
