import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeId, toGlobalId } from '../../src/schema/shared/globalId';
import { seedBulkCatalog } from '../../src/seeds/bulkCatalog';
import { DEMO_PASSWORD, seedDemo } from '../../src/seeds/demo';
import { type GqlResult, type TestApp, createTestApp } from '../helpers/app';
import { signIn } from '../helpers/factories';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const CATALOG_TABLES = ['users', 'shop', 'shop_member', 'merchant_application', 'category', 'brand', 'product', 'product_variant', 'stock_movement', 'product_status_change'];

async function rowCounts(): Promise<Record<string, number>> {
  const [row] = await t.sql(`select ${CATALOG_TABLES.map((table) => `(select count(*)::int from ${table}) as ${table}`).join(', ')}`);
  return row;
}

type ProductPage = { products: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };

/** Every product a shopper can page through, as database keys. */
async function shopperCatalog(filter: Record<string, unknown> = {}): Promise<string[]> {
  const keys: string[] = [];
  let after: string | null = null;
  do {
    const res: GqlResult<ProductPage> = await t.gql<ProductPage>(
      `query($filter: ProductFilter, $after: String) { products(filter: $filter, first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }`,
      { filter, after },
    );
    expect(res.errors).toBeUndefined();
    keys.push(...res.data!.products.nodes.map((n) => decodeId('Product', n.id)));
    after = res.data!.products.pageInfo.hasNextPage ? res.data!.products.pageInfo.endCursor : null;
  } while (after);
  return keys;
}

describe('seed:demo', () => {
  it('creates shops and applications in every status, courses and a category tree, and is safe to run again', async () => {
    const first = await seedDemo(t.orm.em.fork());
    const counts = await rowCounts();
    const again = await seedDemo(t.orm.em.fork());
    expect(again.shops).toBe(0);
    expect(again.catalog).toEqual({ brands: 0, shops: 0, products: 0 });
    expect(await rowCounts()).toEqual(counts);
    expect(first.catalog.products).toBe(counts.product);
    const sql = (q: string) => t.orm.em.fork().getConnection().execute<{ status: string }[]>(q);
    expect((await sql('select distinct status from shop order by status')).map((r) => r.status)).toEqual(['ACTIVE', 'CLOSED', 'ONBOARDING', 'SUSPENDED']);
    expect((await sql('select distinct status from merchant_application order by status')).map((r) => r.status)).toEqual([
      'APPROVED', 'CHANGES_REQUESTED', 'DRAFT', 'IN_REVIEW', 'REJECTED', 'SUBMITTED',
    ]);
    const [{ count }] = await t.orm.em.fork().getConnection().execute<{ count: number }[]>("select count(*)::int as count from shop where slug = 'blue-sea-digital'");
    expect(count).toBe(1);
    const [{ max }] = await t.orm.em.fork().getConnection().execute<{ max: number }[]>('select max(depth) as max from category');
    expect(max).toBe(3);
    expect(first.orders).toBeGreaterThan(0);
    expect(again.orders).toBe(0);
    expect((await sql('select distinct status from orders order by status')).map((r) => r.status)).toEqual([
      'CANCELLED', 'COMPLETED', 'DELIVERED', 'PAID', 'PENDING_PAYMENT', 'PROCESSING', 'SHIPPED',
    ]);
    // Stock stays consistent with the orders: nothing reserved beyond the unpaid checkout.
    const [{ reserved }] = await t.orm.em.fork().getConnection().execute<{ reserved: number }[]>('select coalesce(sum(reserved), 0)::int as reserved from product_variant');
    const [{ pending }] = await t.orm.em.fork().getConnection().execute<{ pending: number }[]>(
      "select coalesce(sum(l.quantity), 0)::int as pending from order_line l join orders o on o.id = l.order_id where o.status = 'PENDING_PAYMENT'",
    );
    expect(reserved).toBe(pending);
    // Money: closed settlements, one paid out and one in transit, an adjustment in the open period, and a ledger that balances.
    expect(await sql("select status, count(*)::int as n from settlement group by status order by status")).toEqual([
      { status: 'CLOSED', n: expect.any(Number) },
      { status: 'OPEN', n: 1 },
    ]);
    expect((await sql('select status from payout order by id')).map((r) => r.status)).toEqual(['PAID', 'PENDING']);
    expect(await sql('select posting_id from ledger_entry group by posting_id having sum(amount) <> 0')).toEqual([]);
    expect(await sql('select coalesce(sum(amount), 0)::int as total from ledger_entry')).toEqual([{ total: 0 }]);
    // After-sales: a case in every status, and the closed ones in three outcomes.
    expect(first.cases).toBeGreaterThan(0);
    expect(again.cases).toBe(0);
    expect((await sql('select distinct status from after_sale_case order by status')).map((r) => r.status)).toEqual([
      'ARBITRATION', 'AWAITING_RETURN', 'CLOSED', 'RECEIVED', 'REFUNDING', 'REJECTED', 'REQUESTED', 'RESENT', 'RETURN_SHIPPED',
    ]);
    expect((await sql("select distinct outcome as status from after_sale_case where status = 'CLOSED' order by outcome")).map((r) => r.status)).toEqual(['REFUNDED', 'REPLACED', 'WITHDRAWN']);
    // Customer service: tickets with replies (one rated, one overdue and flagged) and the FAQ.
    expect(first.tickets).toBe(3);
    expect(await sql("select status, (sla_breached_at is not null) as breached, satisfaction_score as score from ticket order by id")).toEqual([
      { status: 'OPEN', breached: true, score: null },
      { status: 'CLOSED', breached: false, score: 5 },
      { status: 'IN_PROGRESS', breached: false, score: null },
    ]);
    expect(await sql('select count(*)::int as n from ticket_message')).toEqual([{ n: 7 }]);
    expect(await sql('select count(*)::int as n from faq')).toEqual([{ n: 5 }]);
    // Reviews on most products on sale, with ratings equal to a recount; moderation has work waiting.
    expect(first.reviews).toBeGreaterThan(200);
    expect(again.reviews).toBe(0);
    const [coverage]: { reviewed: number; visible: number }[] = await t.sql('select count(*) filter (where rating_count > 0)::int as reviewed, count(*)::int as visible from product where visible');
    expect(coverage.reviewed / coverage.visible).toBeGreaterThan(0.6);
    expect(await sql(`select p.id as status from product p left join (select product_id, count(*)::int as n, sum(rating)::int as s from review where status = 'PUBLISHED' group by product_id) r on r.product_id = p.id
      where p.rating_count <> coalesce(r.n, 0) or p.rating_sum <> coalesce(r.s, 0)`)).toEqual([]);
    expect(await sql("select status, count(*)::int as n from review where queued group by status order by status")).toEqual([
      { status: 'PENDING_MODERATION', n: 1 },
      { status: 'PUBLISHED', n: 1 },
    ]);
    expect(await sql('select count(*)::int as n from review where featured')).toEqual([{ n: 1 }]);
    expect(first.scorecards).toBeGreaterThan(30);
    // Promotions: live ones and claimable coupons; alice holds a platform and a shop coupon, and her cart would list them.
    expect([first.promotions, first.couponCampaigns, again.promotions, again.couponCampaigns]).toEqual([2, 4, 0, 0]);
    expect(await sql("select title, shop_id is null as platform from promotion where cancelled_at is null and starts_at <= now() and ends_at > now() order by id")).toEqual([
      { title: '滿200減20', platform: false },
      { title: '耳機節 9折', platform: true },
    ]);
    expect(await sql("select c.title from user_coupon uc join coupon_campaign c on c.id = uc.campaign_id join users u on u.id = uc.user_id where u.email = 'alice@demo.test' and uc.status = 'AVAILABLE' order by c.id")).toEqual([
      { title: '藍海數碼 店鋪券 滿100減10' },
      { title: '平台券 滿50減5' },
    ]);
    // Membership: a five-level ladder and members at each level, their points earned by completed
    // orders (Σ entries, never negative); gold@ spent some on a second order and checks in daily.
    expect([first.memberLevels, first.members, again.memberLevels, again.members]).toEqual([5, 4, 0, 0]);
    expect(await sql(`select coalesce(m.level_rank, 0) as status from users u left join member m on m.user_id = u.id
      where u.email in ('bob@demo.test', 'silver@demo.test', 'gold@demo.test', 'platinum@demo.test', 'diamond@demo.test') order by 1`)).toEqual([0, 1, 2, 3, 4].map((status) => ({ status })));
    expect(await sql("select u.email as status from points_entry e join users u on u.id = e.user_id where e.reason = 'REDEEMED'")).toEqual([{ status: 'gold@demo.test' }]);
    expect(await sql("select user_id as status from points_entry group by user_id having sum(delta) < 0")).toEqual([]);
    expect(await sql("select count(*)::int as n from points_entry where reason in ('ORDER_EARNED', 'REFERRAL', 'CHECK_IN')")).toEqual([{ n: expect.any(Number) }]);
    expect(await sql("select count(*)::int as n from referral where rewarded_at is not null")).toEqual([{ n: 1 }]);
    // Analytics: a month of behaviour events (anonymous and by the demo shoppers) once, and the
    // snapshot of the seeded range on every run, so the dashboard has figures at once.
    expect(first.events).toBeGreaterThan(1000);
    expect(again.events).toBe(0);
    expect(first.metrics.days).toBeGreaterThanOrEqual(30);
    expect(again.metrics.rows).toBeGreaterThan(0);
    const { from, to } = again.metrics;
    const [platform] = await t.sql(
      `select count(*)::int as days, count(*) filter (where paid_orders > 0)::int as order_days, count(*) filter (where product_views > 0)::int as view_days,
              coalesce(sum(paid_orders), 0)::int as paid, coalesce(sum(product_views), 0)::int as views, coalesce(sum(searches), 0)::int as searches,
              coalesce(sum(add_to_carts), 0)::int as carts, (select count(distinct k)::int from metric_daily m, unnest(m.cart_user_ids) k where m.scope = 'PLATFORM' and m.day between ? and ?) as cart_users
       from metric_daily where scope = 'PLATFORM' and day between ? and ?`,
      [from, to, from, to],
    );
    const [source] = await t.sql(
      `select (select count(*)::int from orders where (paid_at at time zone 'Asia/Shanghai')::date between ? and ?) as paid,
              (select count(*)::int from behaviour_event where type = 'PRODUCT_VIEW') as views`,
      [from, to],
    );
    expect(platform).toMatchObject({ days: again.metrics.days, paid: source.paid, views: source.views });
    // The demo's orders fall on a week or more of days (the reviewers' purchases a day apart), its events on every past day.
    expect(platform.order_days).toBeGreaterThanOrEqual(7);
    expect(platform.view_days).toBeGreaterThanOrEqual(29);
    expect(platform.searches).toBeGreaterThan(0);
    expect(platform.carts).toBeGreaterThan(0);
    expect(platform.cart_users).toBeGreaterThan(1);
    const [{ products }] = await t.sql('select count(distinct product_id)::int as products from product_metric_daily where day between ? and ? and views > 0', [from, to]);
    expect(products).toBeGreaterThan(50);
  });

  it('lets the demo merchant sign in and see an active shop, and the demo reviewer see the queue', async () => {
    const merchant = await signIn(t, 'merchant@demo.test', DEMO_PASSWORD);
    const shops = await t.gql(`{ myShops { slug status trainingProgress { passed } } }`, {}, { token: merchant.accessToken });
    expect(shops.data!.myShops).toEqual([{ slug: 'blue-sea-digital', status: 'ACTIVE', trainingProgress: [{ passed: true }] }]);
    const admin = await signIn(t, 'admin@demo.test', DEMO_PASSWORD);
    // Staff listing every shop's private fields: a fixed number of queries, however many shops.
    const listed = await t.countQueries(
      `{ nodes(ids: ["U2hvcDox", "U2hvcDoy", "U2hvcDoz", "U2hvcDo0"]) { ... on Shop { slug acceptedAgreementVersion invitations { id } trainingProgress { passed bestScore } members { role user { displayName } } } } }`,
      {},
      { token: admin.accessToken },
    );
    expect(listed.result.errors).toBeUndefined();
    expect(listed.result.data!.nodes.map((n: { acceptedAgreementVersion: string | null }) => n.acceptedAgreementVersion)).toEqual(['2026-11', null, '2026-11', '2026-11']);
    // session, shops, viewer memberships, agreements, invitations, quiz stats, courses, members, users
    expect(listed.queries).toBeLessThanOrEqual(9);
    const reviewer = await signIn(t, 'reviewer@demo.test', DEMO_PASSWORD);
    const queue = await t.gql(`{ merchantApplications(filter: { status: SUBMITTED }) { totalCount } }`, {}, { token: reviewer.accessToken });
    expect(queue.data!.merchantApplications.totalCount).toBe(1);
  });

  it('seeds a catalog of a few hundred products in every status, from a dozen brands and thirty ACTIVE shops', async () => {
    const statuses = await t.sql('select status, count(*)::int as n from product group by status order by status');
    expect(statuses.map((r) => r.status)).toEqual(['ACTIVE', 'BANNED', 'DELISTED', 'DRAFT', 'PENDING_REVIEW', 'REJECTED']);
    // One banned in the catalog seed, one by the upheld counterfeit report (seeds/risk.ts).
    expect(statuses.find((r) => r.status === 'BANNED').n).toBe(2);
    const [catalog] = await t.sql(
      `select (select count(*)::int from product) as products, (select count(distinct brand_id)::int from product) as brands,
         (select count(*)::int from shop where status = 'ACTIVE') as active_shops,
         (select count(distinct p.shop_id)::int from product p join shop s on s.id = p.shop_id where s.status = 'ACTIVE') as selling_shops,
         (select count(*)::int from product where char_length(description) < 20 or jsonb_array_length(image_urls) = 0
            or image_urls->>0 not like 'https://img.demo.test/%' or cardinality(tags) = 0) as incomplete,
         (select count(*)::int from product where listed and listed_at is null) as listed_undated,
         (select count(*)::int from product where status = 'PENDING_REVIEW' and submitted_at is null) as unqueued,
         (select count(distinct sales_count)::int from product where listed) as sales_figures,
         (select count(*)::int from product_variant where compare_at_price > price) as discounted,
         (select count(*)::int from product p where not exists (
            select 1 from product_variant v where v.product_id = p.id and v.on_hand > v.reserved)) as sold_out,
         (select min(n)::int from (select count(*) as n from product_variant group by product_id) v) as min_variants,
         (select max(n)::int from (select count(*) as n from product_variant group by product_id) v) as max_variants,
         (select count(*)::int from product_variant v left join lateral (
            select coalesce(sum(m.delta_on_hand), 0) as on_hand, coalesce(sum(m.delta_reserved), 0) as reserved from stock_movement m where m.variant_id = v.id) l on true
          where v.on_hand <> l.on_hand or v.reserved <> l.reserved) as unrecorded_stock`,
    );
    expect(catalog).toMatchObject({ incomplete: 0, listed_undated: 0, unqueued: 0, min_variants: 1, max_variants: 4, unrecorded_stock: 0 });
    expect(catalog.products).toBeGreaterThanOrEqual(200);
    expect(catalog.brands).toBeGreaterThanOrEqual(12);
    expect(catalog.active_shops).toBeGreaterThanOrEqual(30);
    expect(catalog.selling_shops).toBe(catalog.active_shops);
    expect(catalog.sales_figures).toBeGreaterThan(100);
    expect(catalog.discounted).toBeGreaterThan(0);
    expect(catalog.sold_out).toBeGreaterThan(0);
  });

  it('gives every demo product its life cycle: created by the shop, decided by staff with a reason for rejections and bans', async () => {
    const [history] = await t.sql(
      `select (select count(*)::int from product p where not exists (
                select 1 from product_status_change c where c.product_id = p.id and c.action = 'CREATE' and c.from_status is null)) as uncreated,
              (select count(*)::int from product p where p.status <> (
                select c.to_status from product_status_change c where c.product_id = p.id order by c.at desc, c.id desc limit 1)) as out_of_step,
              (select count(*)::int from product p where p.status in ('REJECTED', 'BANNED') and not exists (
                select 1 from product_status_change c where c.product_id = p.id and c.action in ('REJECT', 'BAN') and c.by_staff and c.reason is not null)) as unexplained`,
    );
    expect(history).toEqual({ uncreated: 0, out_of_step: 0, unexplained: 0 });

    const merchant = await signIn(t, 'merchant@demo.test', DEMO_PASSWORD);
    const own = await t.gql(
      `{ shop(slug: "blue-sea-digital") { products(first: 100) { nodes { status pendingRevision { title } statusHistory { action reason } } } } }`,
      {},
      { token: merchant.accessToken },
    );
    expect(own.errors).toBeUndefined();
    const nodes: { status: string; pendingRevision: { title: string } | null; statusHistory: { action: string; reason: string | null }[] }[] = own.data!.shop.products.nodes;
    expect(new Set(nodes.map((n) => n.status))).toEqual(new Set(['ACTIVE', 'DRAFT', 'PENDING_REVIEW', 'REJECTED', 'DELISTED']));
    expect(nodes.some((n) => n.status === 'PENDING_REVIEW' && n.pendingRevision)).toBe(true);
    const rejected = nodes.find((n) => n.status === 'REJECTED')!;
    expect(rejected.statusHistory.map((h) => h.action)).toEqual(['CREATE', 'SUBMIT', 'REJECT']);
    expect(rejected.statusHistory[2].reason).toBeTruthy();

    const reviewer = await signIn(t, 'reviewer@demo.test', DEMO_PASSWORD);
    const queue = await t.gql(`{ productsForReview(first: 5) { totalCount } }`, {}, { token: reviewer.accessToken });
    const [{ pending }] = await t.sql("select count(*)::int as pending from product where status = 'PENDING_REVIEW'");
    expect(queue.data!.productsForReview.totalCount).toBe(pending);
  });

  it('lets shoppers search the demo catalog and shows them only products on sale in ACTIVE shops', async () => {
    const found = await t.gql(`{ products(filter: { search: "耳機" }, first: 10) { totalCount nodes { title } } }`);
    expect(found.errors).toBeUndefined();
    expect(found.data!.products.totalCount).toBeGreaterThanOrEqual(10);
    expect(found.data!.products.nodes[0].title).toContain('耳機');
    const english = await t.gql(`{ products(filter: { search: "anker charger" }) { totalCount } }`);
    expect(english.data!.products.totalCount).toBeGreaterThan(0);

    const visible = (await t.sql(
      "select p.id from product p join shop s on s.id = p.shop_id where p.listed and s.status = 'ACTIVE' order by p.id",
    )).map((r) => String(r.id));
    const [{ hidden }] = await t.sql("select count(*)::int as hidden from product p join shop s on s.id = p.shop_id where p.listed and s.status <> 'ACTIVE'");
    expect(hidden).toBeGreaterThan(0);
    expect((await shopperCatalog()).sort((a, b) => Number(a) - Number(b))).toEqual(visible);
  });

  it('gives risk control its demo: a held order in the queue, blacklist entries, and a counterfeit report upheld into a violation', async () => {
    const risk = await signIn(t, 'risk@demo.test', DEMO_PASSWORD);
    const res = await t.gql(
      `{ riskQueue(first: 5) { nodes { buyer { email } risk { level onHold score reasons { kind } } } }
         blacklistEntries(first: 10) { nodes { kind value action } }
         productReports(first: 5, filter: { status: UPHELD }) { nodes { reason shop { slug standing creditScore } } } }`,
      {},
      { token: risk.accessToken },
    );
    expect(res.errors).toBeUndefined();
    const [held] = res.data!.riskQueue.nodes;
    expect(held).toMatchObject({ buyer: { email: 'mallory@demo.test' }, risk: { level: 'HIGH', onHold: true } });
    expect(held.risk.score).toBeGreaterThanOrEqual(60);
    expect(held.risk.reasons.map((r: { kind: string }) => r.kind)).toEqual(expect.arrayContaining(['WATCHLISTED', 'NEW_ACCOUNT_AMOUNT']));
    expect(res.data!.blacklistEntries.nodes.map((e: { kind: string; action: string }) => `${e.kind}/${e.action}`).sort()).toEqual(['EMAIL_DOMAIN/BLOCK', 'IP/BLOCK', 'PHONE/REVIEW']);
    const [report] = res.data!.productReports.nodes;
    expect(report).toMatchObject({ reason: 'COUNTERFEIT', shop: { standing: 'RESTRICTED', creditScore: 88 } });
    // The merchant examples' shop is left alone.
    expect(report.shop.slug).not.toBe('blue-sea-digital');
  });

  it('adds exactly N generated products in bulk, three variants each, on sale and searchable', async () => {
    const [{ before }] = await t.sql('select max(id)::text as before from product');
    const result = await seedBulkCatalog(t.orm.em.fork(), { products: 500 });
    expect(result).toMatchObject({ products: 500, variants: 1500, statusChanges: 1500 });

    const [added] = await t.sql(
      `select count(*)::int as products, count(*) filter (where visible and search_vector is not null and min_price > 0)::int as on_sale,
         count(distinct category_id)::int as categories, count(distinct shop_id)::int as shops,
         (select count(*)::int from (select product_id from product_variant where product_id > ? group by product_id having count(*) <> 3) odd) as odd,
         (select count(*)::int from product_variant v where v.product_id > ? and v.on_hand > 0 and not exists (
            select 1 from stock_movement m where m.variant_id = v.id and m.reason = 'INITIAL')) as unrecorded_stock,
         (select count(*)::int from shop where status = 'ACTIVE') as active_shops,
         (select count(*)::int from category) as all_categories
       from product where id > ?`,
      [before, before, before],
    );
    expect(added).toMatchObject({ products: 500, on_sale: 500, odd: 0, unrecorded_stock: 0 });
    expect(added.active_shops).toBeGreaterThanOrEqual(50);
    expect(added.all_categories).toBeGreaterThanOrEqual(200);
    expect(added.categories).toBeGreaterThan(100);
    expect(added.shops).toBeGreaterThan(30);
    expect(result.stockMovements).toBe((await t.sql('select count(*)::int as n from product_variant where product_id > ? and on_hand > 0', [before]))[0].n);

    const [sample] = await t.sql('select id, title, shop_id from product where id > ? order by id desc limit 1', [before]);
    const hits = await shopperCatalog({ search: sample.title, shopId: toGlobalId('Shop', sample.shop_id) });
    expect(hits).toContain(String(sample.id));
  });
});
