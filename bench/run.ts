/**
 * `npm run bench`: the marketplace server measured as clients use it. Prepares a dedicated,
 * seeded database, starts the built server in production mode as a separate process, prepares
 * shoppers, carts and stock through the API, drives every scenario over HTTP on 127.0.0.1, measures
 * the bare Fastify and bare pg ceilings in the same run, and prints a Markdown table (JSON under
 * bench/results/). The `feed` scenario (bench/feed.ts) holds --feed-sockets subscriptions open over
 * graphql-ws on 2 workers while the checkout loop runs again, in its own section. Then the `settle`
 * job scenario (bench/settle.ts), no request load: the settlement close of a week of orders in a
 * fresh database beside the bench one, in its own table; and the `snapshot` job scenario
 * (bench/snapshot.ts): the analytics snapshot of a month of orders and behaviour events, likewise.
 * `--help` lists the flags; `--smoke` is the few-second version the tests run.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, totalmem } from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { bareFastify, bareFastifyPg, type Captured, captureStatements, explainStatements, pgLoop } from './ceilings';
import { checkoutLoop, proveStock, stockBefore } from './checkout';
import { CpuMeter } from './cpu';
import { gqlBody, gqlOk } from './client';
import { BENCH_DATA_DIR, type BenchDatabase, prepareDatabase } from './database';
import { runFeed } from './feed';
import { type Fixtures, prepareFixtures, setAvailable } from './fixtures';
import { runFlash } from './flash';
import { Cleanup, sleep, withTimeout } from './lifecycle';
import { cleanGraphql, cleanMutation, drive, type LoadResult } from './load';
import { draftsCreated, MIXED_CLASSES, MIXED_LIST, mixedClasses, prepareMixed } from './mixed';
import { CART, PRODUCT, PRODUCT_PAGE, PRODUCTS, PRODUCTS_WITH_FACETS, SHOP_ORDERS } from './operations';
import { type BenchOptions, parseOptions, type ScenarioName, WITH_PROMOTIONS, WITH_REVIEWS, WITH_RISK } from './options';
import { type BenchPromotions, COUPON_AMOUNT_OFF, grantCoupons, insertBenchPromotions, proveDiscounts, removeBenchPromotions } from './promotions';
import { type BenchResult, checkoutDetail, compareWith, feedTable, flashTable, markdownTable, mixedTable, promotionsTable, reviewsTable, riskTable, type ScenarioResult, settleTable, snapshotTable, type Target, targetsTable } from './report';
import { allRiskRules, enabledRiskRules, proveScoring, scoringStatementCost, setRiskRules } from './risk';
import { type BenchReviews, ensureBenchReviews } from './reviews';
import { openLoopCheckout, openLoopShoppers, openLoopTable, openLoopTarget, shoppersFor } from './openLoop';
import { buildIfStale, type RunningServer, startServer } from './server';
import { runSettle, SETTLE_MAX_STATEMENTS, SETTLE_TARGET_MS, type SettleResult } from './settle';
import { runSnapshot, SNAPSHOT_MAX_STATEMENTS, SNAPSHOT_TARGET_MS, type SnapshotResult } from './snapshot';

const TITLES: Record<ScenarioName, string> = {
  listing: 'anonymous listing, 20 per page',
  'search-zh': 'Chinese keyword search',
  'search-en': 'English keyword search',
  category: 'category + PRICE_ASC, page 3 by cursor',
  'listing-signed-in': 'signed-in listing, 20 per page',
  'search-signed-in': 'signed-in keyword search, Chinese and English terms in turn',
  'detail-signed-in': 'signed-in product detail (100 products)',
  facets: 'signed-in listing with category and brand facets',
  detail: 'product detail (100 products)',
  'detail-reviews': 'product page: detail + rating + first 10 reviews (100 products)',
  cart: 'signed-in cart read',
  'cart-promotions': 'signed-in cart read, promotions and a coupon live',
  checkout: 'checkout + pay + webhook until sold out',
  'checkout-promotions': 'checkout with a coupon + pay + webhook until sold out, promotions live',
  'checkout-risk': 'checkout + pay + webhook until sold out, every checkout scored by the risk rules',
  'checkout-open': 'purchases (addToCart, checkout, pay, webhook) arriving at a fixed rate, open loop',
  'merchant-orders': 'merchant order list, 20',
  mixed: 'mixed: 80% signed-in reads, 15% anonymous, 5% merchant writes',
  flash: 'flash sale: buyers all at once on one item, per-user limit 1',
  feed: 'checkout + pay + webhook until sold out, live subscriptions open',
};
/** The flash scenario's target: its checkout p99 under this share of the plain hot-variant checkout's at the same load. */
const FLASH_MAX_P99_RATIO = 1 / 3;
/**
 * Scenarios held to the listing and search targets, each against the bare pg loop of its own SQL
 * (captured anonymous through Apollo: a signed-in scenario whose statements are another's, the same
 * body, is held to that scenario's loop rather than running it again).
 */
const CATALOG: ScenarioName[] = ['listing', 'search-zh', 'search-en', 'category', 'listing-signed-in', 'search-signed-in', 'facets'];
/** The catalog read by signed-in shoppers: never answered from the anonymous cache. */
const SIGNED_IN: ScenarioName[] = ['listing-signed-in', 'search-signed-in', 'detail-signed-in', 'facets'];
/** Besides --zh-term and --en-term, the signed-in search's terms (those the bench catalog matches; bench/fixtures.ts checks). */
const MORE_SEARCH_TERMS = ['新款', 'premium', '官方正品', 'nordic', '藍牙', 'classic'];
/** Issue 23's targets of the signed-in catalog and the mixed load. */
const SIGNED_IN_TARGETS = {
  listingRps: 1500,
  listingP99Ms: 50,
  listingFastifyPgRatio: 0.4,
  listingServerCpuMs: 1.5,
  searchRps: 1000,
  detailRps: 2500,
  facetsRps: 500,
  mixedRps: 1000,
  mixedP99Ms: 80,
};
/** A with-promotions scenario keeps at least this share of its plain scenario's req/s. */
const PROMOTIONS_MIN_RATIO = 0.8;
const withPromotions = (name: string): name is keyof typeof WITH_PROMOTIONS => Object.hasOwn(WITH_PROMOTIONS, name);
/** The product page with its reviews keeps at least this share of the product detail's req/s without them. */
const REVIEWS_MIN_RATIO = 0.8;
const withReviews = (name: string): name is keyof typeof WITH_REVIEWS => Object.hasOwn(WITH_REVIEWS, name);
/** The checkout loop with the risk rules enabled keeps at least this share of the plain loop's req/s (issue 22: scoring costs ≤ 10%). */
const RISK_MIN_RATIO = 0.9;
const withRisk = (name: string): name is keyof typeof WITH_RISK => Object.hasOwn(WITH_RISK, name);
/** Each paired scenario's plain counterpart (with promotions, with reviews, with risk rules). */
const plainOf = (name: string): ScenarioName | undefined =>
  withPromotions(name) ? WITH_PROMOTIONS[name] : withReviews(name) ? WITH_REVIEWS[name] : withRisk(name) ? WITH_RISK[name] : undefined;

const startedAt = performance.now();
const log = (message: string) => console.log(`[bench +${((performance.now() - startedAt) / 1000).toFixed(1)}s] ${message}`);

export interface SqlCount {
  perRequest: number | null;
  /** The server's own histogram (/metrics), when one worker answers every request. */
  serverPerRequest?: number | null;
  /** The statements behind the figure, per request, most frequent first, with their mean execution time (pg_stat_statements). */
  top?: { perRequest: number; meanMs: number; query: string }[];
}

/** SQL statements per request while a scenario runs: pg_stat_statements, or the server's histogram with one worker. */
class SqlCounter {
  private mark = { sum: 0, count: 0 };
  constructor(
    private readonly db: BenchDatabase,
    private readonly server: RunningServer,
    readonly mode: 'pg_stat_statements' | 'server /metrics' | 'unavailable',
  ) {}

  // Everything sent on the bench database, except transaction control (the server does not count
  // it either), pg-boss's own polling, which is no request's cost, and the bench's own looks at
  // pg_stat_statements and pg_stat_activity.
  private static readonly WHERE = `dbid = (select oid from pg_database where datname = current_database())
    and query !~* '^\\s*(begin|commit|rollback|savepoint|release|start transaction)'
    and query !~* 'pgboss' and query !~* 'pg_stat_(statements|activity)'`;

  async start(): Promise<void> {
    if (this.mode === 'pg_stat_statements') await this.db.sql('select pg_stat_statements_reset()');
    if (this.server.workers === 1) this.mark = await this.server.sqlMetric();
  }

  /**
   * `requests` completed in the client's window; `inFlight` more were sent and still ran on the
   * server when the client stopped (autocannon leaves one per connection), so their SQL counts too.
   * Call it once those have finished.
   */
  async stop(requests: number, inFlight: number): Promise<SqlCount> {
    const result: SqlCount = { perRequest: null };
    if (this.server.workers === 1) {
      const now = await this.server.sqlMetric();
      const count = now.count - this.mark.count;
      result.serverPerRequest = count > 0 ? Math.round(((now.sum - this.mark.sum) / count) * 100) / 100 : null;
      if (this.mode === 'server /metrics') result.perRequest = result.serverPerRequest;
    }
    if (this.mode === 'pg_stat_statements') {
      const rows = await this.db.sql<{ calls: string; mean: number; query: string }>(
        `select calls::bigint as calls, mean_exec_time as mean, query from pg_stat_statements where ${SqlCounter.WHERE} order by calls desc, total_exec_time desc`,
      );
      const n = Math.max(requests + inFlight, 1);
      const total = rows.reduce((sum, r) => sum + Number(r.calls), 0);
      result.perRequest = Math.round((total / n) * 100) / 100;
      result.top = rows.slice(0, 12).map((r) => ({
        perRequest: Math.round((Number(r.calls) / n) * 1000) / 1000,
        meanMs: Math.round(r.mean * 1000) / 1000,
        query: r.query.replace(/\s+/g, ' ').slice(0, 300),
      }));
    }
    return result;
  }
}

/** The shares of a read scenario's answers from the anonymous catalog cache and by the compiled catalog path, for the log. */
function readShares(r: LoadResult): string {
  const share = (n: number) => Math.round((n / Math.max(r.requests, 1)) * 100);
  const parts = [...(r.cacheHits ? [`${share(r.cacheHits)}% catalog-cache hits`] : []), ...(r.compiled ? [`${share(r.compiled)}% compiled`] : [])];
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function graphqlRequest(body: string, token?: string): autocannon.Request {
  return { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body };
}

/** The request bodies of the catalog scenarios, shared by the load and the statement capture. */
function catalogBodies(opts: BenchOptions, fx: Fixtures): Record<string, string> {
  const listing = gqlBody(PRODUCTS, { first: 20, sort: 'NEWEST' });
  return {
    listing,
    // The signed-in scenarios' statements, captured with the same bodies anonymous.
    'listing-signed-in': listing,
    'search-signed-in': gqlBody(PRODUCTS, { first: 20, filter: { search: searchTerms(opts, fx)[0] } }),
    facets: gqlBody(PRODUCTS_WITH_FACETS, { first: 20, sort: 'NEWEST' }),
    'listing-1': gqlBody(PRODUCTS, { first: 1, sort: 'NEWEST' }),
    'search-zh': gqlBody(PRODUCTS, { first: 20, filter: { search: opts.zhTerm } }),
    'search-en': gqlBody(PRODUCTS, { first: 20, filter: { search: opts.enTerm } }),
    category: gqlBody(PRODUCTS, { first: 20, after: fx.category.after, filter: { categoryId: fx.category.id }, sort: 'PRICE_ASC' }),
  };
}

/** The signed-in search's terms: those of --zh-term, --en-term and MORE_SEARCH_TERMS the catalog matches (--zh-term when none does). */
function searchTerms(opts: BenchOptions, fx: Fixtures): string[] {
  return fx.searchTerms.length ? fx.searchTerms.map((t) => t.term) : [opts.zhTerm];
}

function requestsOf(name: ScenarioName, bodies: Record<string, string>, fx: Fixtures, opts: BenchOptions): autocannon.Request[] {
  // Signed-in reads carry the cart shoppers' tokens in turn.
  const token = (i: number) => fx.cartShoppers[i % fx.cartShoppers.length].token;
  switch (name) {
    case 'listing-signed-in':
    case 'facets':
      return fx.cartShoppers.map((_, i) => graphqlRequest(bodies[name], token(i)));
    case 'search-signed-in': {
      const terms = searchTerms(opts, fx);
      return Array.from({ length: Math.max(terms.length * 2, fx.cartShoppers.length) }, (_, i) => graphqlRequest(gqlBody(PRODUCTS, { first: 20, filter: { search: terms[i % terms.length] } }), token(i)));
    }
    case 'detail-signed-in':
      return fx.productIds.map((id, i) => graphqlRequest(gqlBody(PRODUCT, { id }), token(i)));
    case 'detail':
      return fx.productIds.map((id) => graphqlRequest(gqlBody(PRODUCT, { id })));
    case 'detail-reviews':
      return fx.productIds.map((id) => graphqlRequest(gqlBody(PRODUCT_PAGE, { id })));
    case 'cart':
    case 'cart-promotions':
      return fx.cartShoppers.map((s) => graphqlRequest(gqlBody(CART), s.token));
    case 'merchant-orders':
      return [graphqlRequest(gqlBody(SHOP_ORDERS, { slug: fx.merchant.shopSlug }), fx.merchant.token)];
    default:
      return [graphqlRequest(bodies[name])];
  }
}

function failuresOf(r: LoadResult): string[] {
  const out: string[] = [];
  if (r.errors) out.push(`${r.errors} connection errors or timeouts`);
  if (r.non2xx) out.push(`${r.non2xx} non-2xx responses`);
  if (r.gqlErrors) out.push(`${r.gqlErrors} responses with GraphQL errors`);
  if (r.requests === 0) out.push('no request completed');
  if (out.length && r.sample) out.push(`first: ${r.sample}`);
  return out;
}

type ScenarioContext = {
  opts: BenchOptions;
  db: BenchDatabase;
  server: RunningServer;
  fx: Fixtures;
  bodies: Record<string, string>;
  sql: SqlCounter;
  cpu: CpuMeter;
  reviews?: BenchReviews;
  /** The scenarios run so far (the feed shows its loop beside the plain checkout's). */
  done: ScenarioResult[];
  /** The risk rules `checkout-risk` enables (every other scenario runs with none). */
  riskRules: string[];
  /** Another server on the bench database, stopped by the caller (the feed's, when the run's has one worker). */
  startServer(workers: number): Promise<{ server: RunningServer; stop(): Promise<void> }>;
};

async function runScenario(name: ScenarioName, ctx: ScenarioContext): Promise<ScenarioResult> {
  const { opts, db } = ctx;
  const checkout = name === 'checkout' || name === 'checkout-promotions' || name === 'checkout-risk' ? name : undefined;
  if (name === 'checkout-open') return runOpenLoop(ctx);
  if (name === 'flash') {
    log(`flash: ${opts.flashBuyers} buyers at once (one connection each)${opts.warmup > 0 ? ' after a warm-up purchase each' : ''}: ${opts.flashUnits} units of a flash-sale item, then ${opts.flashUnits} of a plain variant`);
    return runFlash({ ...ctx, title: TITLES.flash, log });
  }
  if (name === 'feed') {
    log(`feed: ${opts.feedSockets} subscriptions over graphql-ws (${opts.feedSelling} on the selling shop's orders, ${opts.feedBuyers} on shoppers' notifications) on 2 workers while the checkout loop sells out ${opts.stock} units`);
    const counting = db.pgStatStatements ? 'pg_stat_statements' : 'unavailable';
    return runFeed({
      ...ctx,
      title: `${TITLES.feed} (${opts.feedSockets.toLocaleString('en')})`,
      log,
      plain: ctx.done.find((s) => s.name === 'checkout'),
      sqlMeter: (server) => (server === ctx.server ? ctx.sql : new SqlCounter(db, server, counting)),
    });
  }
  log(`${name}: warm-up ${opts.warmup} s, then ${checkout ? `until ${opts.stock} units sell out` : `${opts.duration} s`} at ${opts.connections} connections`);
  if (checkout === 'checkout-risk') {
    // The rules on for this scenario alone: the same fixtures as the plain checkout, scored.
    const enabled = await setRiskRules(db, ctx.riskRules);
    log(`  risk rules: ${enabled} enabled`);
    try {
      return await runCheckout(checkout, ctx);
    } finally {
      await setRiskRules(db, []);
      log('  risk rules disabled again');
    }
  }
  if (!withPromotions(name)) return checkout ? runCheckout(checkout, ctx) : runLoad(name, ctx);
  // The same fixtures as the plain scenario, with the promotions live only while this one runs.
  const promos = await insertBenchPromotions(db, ctx.fx);
  log(`  live: ${promos.promotions.length} promotions (${[...new Set(promos.promotions.map((p) => p.title))].join('; ')}), platform coupon ${COUPON_AMOUNT_OFF / 100} off`);
  try {
    return checkout ? await runCheckout(checkout, ctx, promos) : await runLoad(name, ctx, promos);
  } finally {
    const removed = await removeBenchPromotions(db);
    log(`  promotions cancelled (${removed.promotions}), unused bench coupons expired (${removed.coupons})`);
  }
}

/**
 * With the promotions live, every cart shopper holds one platform coupon, and each cart shows the
 * platform 滿減 and its shops' 10% as discounts and the coupon as applicable: checked once per
 * shopper before the load, and every response of the load must carry a promotion discount.
 */
async function prepareCartPromotions(ctx: ScenarioContext, promos: BenchPromotions): Promise<NonNullable<ScenarioResult['promotions']>> {
  const { db, server, fx } = ctx;
  const coupons = await grantCoupons(db, promos.campaignId, fx.cartShoppers, 1);
  type Amount = { amount: string };
  type CartView = { cart: { subtotal: Amount; discountTotal: Amount; discounts: { source: string; fundedBy: string; amount: Amount }[]; applicableCoupons: { discount: Amount; coupon: { id: string } }[] } };
  const problems: string[] = [];
  const seen: { subtotal: number; discount: number; discounts: number; applicable: number }[] = [];
  for (const shopper of fx.cartShoppers) {
    const { cart } = await gqlOk<CartView>(server.url, CART, {}, shopper.token);
    const promotionDiscounts = cart.discounts.filter((d) => d.source === 'PROMOTION');
    const platform = promotionDiscounts.some((d) => d.fundedBy === 'PLATFORM');
    const shop = promotionDiscounts.some((d) => d.fundedBy === 'SHOP');
    const coupon = coupons.get(shopper.userId)?.[0];
    const applicable = cart.applicableCoupons.find((a) => a.coupon.id === coupon);
    if (!platform || !shop) problems.push(`${shopper.email}: the cart lacks the platform 滿減 or a shop's 10% (${JSON.stringify(cart.discounts).slice(0, 200)})`);
    if (!applicable || Math.round(Number(applicable.discount.amount) * 100) !== COUPON_AMOUNT_OFF) problems.push(`${shopper.email}: the coupon is not applicable for ${COUPON_AMOUNT_OFF / 100}`);
    seen.push({ subtotal: Number(cart.subtotal.amount), discount: Number(cart.discountTotal.amount), discounts: promotionDiscounts.length, applicable: cart.applicableCoupons.length });
  }
  const first = seen[0];
  return {
    promotions: promos.promotions.map((p) => p.title),
    couponsGranted: fx.cartShoppers.length,
    summary: first
      ? `each of ${seen.length} carts (subtotal ${first.subtotal.toFixed(2)}) shows ${first.discounts} promotion discounts, ${first.discount.toFixed(2)} off in all, and ${first.applicable} applicable coupon; every response of the load carried a PROMOTION discount.`
      : 'no cart shopper',
    problems: problems.slice(0, 5),
  };
}

/**
 * The product page with its reviews, checked once per detail product before the load: the rating
 * (read from the product row) counts exactly the published reviews `productReviews` finds, its
 * distribution adds up to that count, the first page holds min(10, total) reviews, each with a
 * reviewer name (masked when anonymous). Every response of the load must then carry reviews.
 */
async function prepareReviewPages(ctx: ScenarioContext): Promise<NonNullable<ScenarioResult['reviews']>> {
  const { server, fx } = ctx;
  type PageView = {
    product: { rating: { average: number | null; count: number; distribution: number[]; aspects: { count: number } | null } };
    productReviews: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean };
      nodes: { id: string; rating: number; body: string | null; photoUrls: string[]; anonymous: boolean; reviewerName: string; reply: { body: string } | null; followUp: { body: string } | null; aspects: { description: number } | null }[];
    };
  };
  const problems: string[] = [];
  let nodes = 0;
  let shown = { photos: 0, anonymous: 0, replies: 0, followUps: 0, aspects: 0 };
  const counts: number[] = [];
  for (const id of fx.productIds) {
    const page = await gqlOk<PageView>(server.url, PRODUCT_PAGE, { id });
    const { rating } = page.product;
    const list = page.productReviews;
    counts.push(list.totalCount);
    const sum = rating.distribution.reduce((a, b) => a + b, 0);
    if (rating.count !== list.totalCount || sum !== rating.count) problems.push(`${id}: rating.count ${rating.count}, Σ distribution ${sum}, productReviews.totalCount ${list.totalCount}`);
    if (list.totalCount === 0) problems.push(`${id}: no published review`);
    if (list.nodes.length !== Math.min(10, list.totalCount) || list.pageInfo.hasNextPage !== list.totalCount > 10) problems.push(`${id}: ${list.nodes.length} reviews on the first page of ${list.totalCount} (hasNextPage ${list.pageInfo.hasNextPage})`);
    for (const n of list.nodes) {
      if (!n.reviewerName || (n.anonymous && !n.reviewerName.includes('*'))) problems.push(`${id}: review ${n.id} shows reviewer name "${n.reviewerName}"`);
      nodes += 1;
      shown = {
        photos: shown.photos + (n.photoUrls.length ? 1 : 0),
        anonymous: shown.anonymous + (n.anonymous ? 1 : 0),
        replies: shown.replies + (n.reply ? 1 : 0),
        followUps: shown.followUps + (n.followUp ? 1 : 0),
        aspects: shown.aspects + (n.aspects ? 1 : 0),
      };
    }
  }
  const r = ctx.reviews;
  const seeded = r
    ? `${r.products} products with ${r.reviews.toLocaleString('en')} published reviews (${r.perProduct.min}–${r.perProduct.max} each, ${r.average}★ on average; ${Math.round(r.shares.body * 100)}% with text, ` +
      `${Math.round(r.shares.photos * 100)}% with photos, ${Math.round(r.shares.anonymous * 100)}% anonymous, ${Math.round(r.shares.aspects * 100)}% with aspects, ${Math.round(r.shares.reply * 100)}% with the shop's reply, ${Math.round(r.shares.followUp * 100)}% with a follow-up)` +
      `${r.inserted ? `, written by this run (${r.inserted.toLocaleString('en')} reviews, orders and lines in ${r.statements} statements, ${(r.ms / 1000).toFixed(1)} s)` : ', reused from the bench database'}`
    : `${counts.length} products`;
  if (r?.ratingMismatches) problems.push(`${r.ratingMismatches} products' kept rating columns disagree with a recount of their published reviews`);
  return {
    seeded: r,
    summary:
      `${seeded}; each page checked once before the load: rating.count = productReviews.totalCount = Σ distribution, ${nodes} reviews on the ${counts.length} first pages ` +
      `(${shown.photos} with photos, ${shown.anonymous} anonymous, ${shown.aspects} with aspects, ${shown.replies} replies, ${shown.followUps} follow-ups); every response of the load carried reviews.`,
    problems: problems.slice(0, 5),
  };
}

/** A scenario of requests autocannon sends in turn on every connection. */
async function runLoad(name: ScenarioName, ctx: ScenarioContext, promos?: BenchPromotions): Promise<ScenarioResult> {
  const { opts, server, fx, sql, cpu } = ctx;
  const promotions = promos ? await prepareCartPromotions(ctx, promos) : undefined;
  const reviews = withReviews(name) ? await prepareReviewPages(ctx) : undefined;
  const mixed = name === 'mixed' ? await prepareMixed(server.url, ctx.db, fx, log) : undefined;
  const verify = promos
    ? (body: string) => cleanGraphql(body) && body.includes('"source":"PROMOTION"')
    : reviews
      ? (body: string) => cleanGraphql(body) && body.includes('"reviewerName":"')
      : name === 'facets'
        ? (body: string) => cleanGraphql(body) && body.includes('"facets":{"categories":[')
        : mixed
          ? cleanMutation
          : cleanGraphql;
  const spec = {
    url: `${server.url}/graphql`,
    connections: opts.connections,
    requests: mixed ? mixed.requests : requestsOf(name, ctx.bodies, fx, opts),
    verify,
    ...(mixed ? { classify: mixed.classify } : {}),
  };
  // Requests still running on the server when the client stops must finish before the SQL count starts or ends.
  const drainMs = (r: LoadResult) => Math.min(10_000, Math.max(300, r.latency.max * 1.5 || 0));
  if (opts.warmup > 0) await sleep(drainMs(await drive({ ...spec, seconds: opts.warmup })));
  await sql.start();
  cpu.begin();
  const result = await drive({ ...spec, seconds: opts.duration });
  await sleep(drainMs(result));
  const used = cpu.end(result.requests + opts.connections);
  const count = await sql.stop(result.requests, opts.connections);
  const failures = failuresOf(result);
  if (promotions) failures.push(...promotions.problems);
  if (reviews) failures.push(...reviews.problems);
  let mixedDetail: ScenarioResult['mixed'];
  if (mixed) {
    const classes = mixedClasses(result.classes, result.seconds);
    const problems = Object.entries(classes).flatMap(([cls, c]) => (c.gqlErrors || c.non2xx ? [`${cls}: ${c.gqlErrors} failed bodies, ${c.non2xx} non-2xx${c.sample ? ` (first: ${c.sample})` : ''}`] : []));
    // A pass over the list holds every class: a run that long must have answered each.
    const missing = Object.keys(MIXED_CLASSES).filter((cls) => !classes[cls]);
    if (missing.length && result.requests >= opts.connections * MIXED_LIST) problems.push(`no answer of: ${missing.join(', ')}`);
    mixedDetail = { ...mixed.detail, writes: { ...mixed.detail.writes, draftsCreated: await draftsCreated(ctx.db, mixed.stamp) }, classes, problems };
    failures.push(...problems);
  }
  // A classified load's classes are kept in its own detail (mixed.classes).
  const { classes: _classes, ...load } = result;
  return { name, title: TITLES[name], ...load, sqlPerRequest: count.perRequest, sql: count, cpu: used, rss: server.rss(), ratio: {}, promotions, reviews, mixed: mixedDetail, failures };
}

/**
 * The checkout loop until the limited variant sells out. With promotions (`checkout-promotions`),
 * each shopper holds enough platform coupons for the checkouts it will likely make and passes an
 * unused one in `couponIds` each time (none once its coupons are used up); afterwards the database
 * must show every order discounted and each coupon used once (bench/promotions.ts, proveDiscounts).
 */
async function runCheckout(name: 'checkout' | 'checkout-promotions' | 'checkout-risk', ctx: ScenarioContext, promos?: BenchPromotions): Promise<ScenarioResult> {
  const { opts, db, server, fx, sql, cpu } = ctx;
  // Orders of this scenario (warm-up and loop) come after this one: the risk proof reads them.
  const [{ last: lastOrderId }] = await db.sql<{ last: string }>('select coalesce(max(id), 0)::text as last from orders');
  const base = { base: server.url, secret: server.webhookSecret, shoppers: fx.checkoutShoppers };
  // A checkout refused as sold out leaves its line in the cart: an earlier checkout scenario's
  // would make this one's orders two units.
  await db.sql('delete from cart_line where user_id in (?)', [fx.checkoutShoppers.map((s) => s.userId)]);
  let warmWithCoupon = 0;
  if (opts.warmup > 0) {
    const coupons = promos ? await grantCoupons(db, promos.campaignId, fx.checkoutShoppers, 2) : undefined;
    const warm = await checkoutLoop({ ...base, variantId: fx.warmup.variantId, seconds: opts.warmup, stopAtSoldOut: false, coupons });
    if (warm.failures.length) throw new Error(`${name} warm-up failed: ${warm.failures[0]}`);
    warmWithCoupon = warm.withCoupon;
  }
  await sleep(300);
  // Exactly --stock units, whatever earlier runs or the expiry job left.
  await setAvailable(server.url, db, fx.merchant.token, fx.limited.variantKey, opts.stock);
  // A shopper's fair share of the stock and two more: most checkouts pass a coupon, and a wallet
  // stays the size a shopper's might be (each pricing reads and weighs every usable coupon).
  const perShopper = Math.ceil(opts.stock / Math.max(fx.checkoutShoppers.length, 1)) + 2;
  const coupons = promos ? await grantCoupons(db, promos.campaignId, fx.checkoutShoppers, perShopper) : undefined;
  const before = await stockBefore(db, fx.limited.variantKey);
  await sql.start();
  cpu.begin();
  // Bounded: the stock should sell out long before this.
  const limit = Math.max(60, opts.duration * 8, opts.stock / 4);
  const result = await checkoutLoop({ ...base, variantId: fx.limited.variantId, seconds: limit, stopAtSoldOut: true, coupons });
  const used = cpu.end(result.requests);
  const count = await sql.stop(result.requests, 0);
  // Read before the next scenario resets pg_stat_statements.
  const scoring = await scoringStatementCost(db);
  const stock = await proveStock(db, { key: fx.limited.variantKey, sku: fx.limited.sku }, before, result.purchases);
  const failures = [...failuresOf(result), ...result.failures.slice(0, 3), ...stock.problems];
  if (!result.soldOut && !result.failures.length) failures.push(`the stock did not sell out within ${limit} s (${result.purchases} of ${stock.stockAtStart} sold): lower --stock`);
  let risk: ScenarioResult['risk'];
  if (name === 'checkout-risk') {
    risk = await proveScoring(db, lastOrderId, ctx.riskRules.length);
    failures.push(...risk.problems);
  }
  let promotions: ScenarioResult['promotions'];
  if (promos) {
    // Over the warm-up's orders and the loop's alike: all were placed with the promotions live.
    const proof = await proveDiscounts(db, promos, warmWithCoupon + result.withCoupon);
    failures.push(...proof.problems);
    promotions = {
      promotions: proof.promotions,
      couponsGranted: proof.couponsGranted,
      summary:
        `${proof.ordersDiscounted} of ${proof.orders} orders (warm-up and loop) discounted, ${proof.ordersWithBoth} by both the platform 滿減 and the shop's 10% ` +
        `(${proof.promotionDiscounts} PROMOTION + ${proof.couponDiscounts} COUPON discount rows, ${(proof.discountTotal / 100).toFixed(2)} off in all, ${(proof.platformDiscount / 100).toFixed(2)} platform-funded and posted to PLATFORM_PROMOTIONS); ` +
        `${proof.checkoutsWithCoupon} checkouts passed a coupon (${result.withCoupon} of ${result.purchases} in the loop; wallets topped up to ${perShopper} coupons), ${proof.couponsUsed} coupons used once each.`,
      proof,
      problems: proof.problems,
    };
  }
  return {
    name,
    title: TITLES[name],
    ...result,
    sqlPerRequest: count.perRequest,
    sql: count,
    cpu: used,
    rss: server.rss(),
    ratio: {},
    promotions,
    risk,
    scoring,
    checkout: { purchases: result.purchases, withCoupon: promos ? result.withCoupon : undefined, insufficientStock: result.insufficientStock, soldOut: result.soldOut, steps: result.steps, stock },
    failures,
  };
}

/**
 * checkout-open: purchases arriving at --open-rate per second whatever is still in flight
 * (bench/openLoop.ts), by their own shoppers, on the warm-up variant's ample stock. Its latency is
 * the checkout mutation's; its req/s the purchases completed per second.
 */
async function runOpenLoop(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { opts, db, server, fx, sql, cpu } = ctx;
  const shoppers = await openLoopShoppers(server.url, db, shoppersFor(opts.openRate));
  log(`checkout-open: ${opts.openRate} purchases/s for ${opts.warmup} s warm-up + ${opts.duration} s, ${shoppers.length} shoppers`);
  await setAvailable(server.url, db, fx.merchant.token, fx.warmup.variantKey, 100_000);
  let measuring = false;
  const r = await openLoopCheckout(
    {
      url: server.url,
      secret: server.webhookSecret,
      rate: opts.openRate,
      seconds: opts.duration,
      warmup: opts.warmup,
      shoppers,
      variantId: fx.warmup.variantId,
      db,
      onWindow: (edge) => {
        if (edge === 'start') {
          measuring = true;
          // The window's first arrival is due now: the counters start as close to it as they can.
          sql.start().catch(() => undefined);
          cpu.begin();
        }
      },
    },
    log,
  );
  const requests = Object.values(r.steps).reduce((n, step) => n + step.requests, 0);
  const used = measuring ? cpu.end(Math.max(r.completed, 1)) : undefined;
  const count = measuring ? await sql.stop(Math.max(r.completed, 1), 0) : { perRequest: null };
  const failures = [
    ...(r.failures ? [`${r.failures} purchases failed: ${r.failureSamples.slice(0, 2).join('; ')}`] : []),
    ...(r.paidInDatabase && r.paidInDatabase.paid !== r.paidInDatabase.checked ? [`${r.paidInDatabase.checked - r.paidInDatabase.paid} completed checkouts are not PAID in the database`] : []),
    ...(r.completed === 0 ? ['no purchase completed'] : []),
    ...(r.warm.failures ? [`${r.warm.failures} warm-up purchases failed`] : []),
  ];
  log(`  ${r.completed}/${r.arrivals} purchases done (${r.dropped} dropped for want of an idle shopper), checkout p50 ${r.checkout.p50} p99 ${r.checkout.p99} ms, purchase p99 ${r.purchase.p99} ms`);
  return {
    name: 'checkout-open',
    title: `${TITLES['checkout-open']} (${opts.openRate}/s; req/s, SQL and CPU per purchase)`,
    requests,
    seconds: r.spanSeconds,
    rps: r.achievedRate,
    latency: r.checkout,
    errors: r.failures,
    non2xx: 0,
    gqlErrors: 0,
    sqlPerRequest: count.perRequest,
    sql: count,
    cpu: used,
    rss: server.rss(),
    ratio: {},
    openLoop: r,
    failures,
  };
}

/** The merchant's shop shows a full first page of orders even when the checkout scenario did not run. */
async function ensureShopOrders(db: BenchDatabase, server: RunningServer, fx: Fixtures): Promise<void> {
  const [{ n }] = await db.sql<{ n: number }>('select count(*)::int as n from orders o join shop s on s.id = o.shop_id where s.slug = ?', [fx.merchant.shopSlug]);
  if (n >= 20) return;
  const shoppers = fx.checkoutShoppers.slice(0, 20 - n);
  const result = await checkoutLoop({ base: server.url, secret: server.webhookSecret, shoppers, variantId: fx.warmup.variantId, seconds: 60, stopAtSoldOut: false, perShopper: 1 });
  if (result.failures.length) throw new Error(`placing orders for the merchant scenario failed: ${result.failures[0]}`);
}

/** Issue 23's targets: the catalog read by signed-in shoppers (no anonymous cache), facets, and the mixed load. */
function signedInTargets(result: BenchResult): Target[] {
  const t = SIGNED_IN_TARGETS;
  const targets: Target[] = [];
  const ran = (name: ScenarioName) => result.scenarios.find((s) => s.name === name);
  const rps = (s: ScenarioResult, min: number, what: string) =>
    targets.push({ name: `${what} ≥ ${min.toLocaleString('en')} req/s`, scenario: s.name, measured: `${s.rps.toLocaleString('en')} req/s`, target: `≥ ${min.toLocaleString('en')}`, met: s.rps >= min });
  const listing = ran('listing-signed-in');
  if (listing) {
    rps(listing, t.listingRps, 'signed-in listing');
    targets.push({ name: `signed-in listing p99 ≤ ${t.listingP99Ms} ms`, scenario: listing.name, measured: `${listing.latency.p99} ms`, target: `≤ ${t.listingP99Ms} ms`, met: listing.latency.p99 <= t.listingP99Ms });
    const ceiling = result.ceilings.bareFastifyPg;
    if (ceiling && listing.ratio.fastifyPg != null) {
      targets.push({
        name: `signed-in listing ≥ ${t.listingFastifyPgRatio * 100}% of the bare Fastify + pg ceiling`,
        scenario: listing.name,
        measured: `${Math.round(listing.ratio.fastifyPg * 100)}% (${listing.rps} vs ${ceiling.rps} req/s)`,
        target: `≥ ${t.listingFastifyPgRatio * 100}%`,
        met: listing.ratio.fastifyPg >= t.listingFastifyPgRatio,
      });
    }
    if (listing.cpu) {
      targets.push({
        name: `server CPU per signed-in listing page ≤ ${t.listingServerCpuMs} ms`,
        scenario: listing.name,
        measured: `${listing.cpu.serverMsPerRequest} ms${listing.cpu.postgresMsPerRequest != null ? ` (+ ${listing.cpu.postgresMsPerRequest} ms PostgreSQL)` : ''}`,
        target: `≤ ${t.listingServerCpuMs} ms`,
        met: listing.cpu.serverMsPerRequest <= t.listingServerCpuMs,
      });
    }
  }
  const search = ran('search-signed-in');
  if (search) rps(search, t.searchRps, 'signed-in search');
  const detail = ran('detail-signed-in');
  if (detail) rps(detail, t.detailRps, 'signed-in product detail');
  const facets = ran('facets');
  if (facets) rps(facets, t.facetsRps, 'listing with facets');
  const mixed = ran('mixed');
  if (mixed) {
    rps(mixed, t.mixedRps, 'mixed load');
    targets.push({ name: `mixed load p99 ≤ ${t.mixedP99Ms} ms`, scenario: mixed.name, measured: `${mixed.latency.p99} ms`, target: `≤ ${t.mixedP99Ms} ms`, met: mixed.latency.p99 <= t.mixedP99Ms });
  }
  return targets;
}

function evaluateTargets(result: BenchResult, pgAvailable: boolean, connections: number): Target[] {
  const targets: Target[] = [];
  for (const s of result.scenarios) {
    if (s.openLoop) targets.push(openLoopTarget(s.openLoop));
    if (CATALOG.includes(s.name as ScenarioName)) {
      // The signed-in listing's p99 is held to issue 23's ≤ 50 ms below.
      if (s.name !== 'listing-signed-in') targets.push({ name: 'p99 < 50 ms at 32 connections', scenario: s.name, measured: `${s.latency.p99} ms`, target: '< 50 ms', met: s.latency.p99 < 50 });
      if (pgAvailable && s.ratio.pg != null) targets.push({ name: `≥ 40% of the bare-pg ceiling${s.pgCeiling ? ` (${s.pgCeiling}'s SQL)` : ''}`, scenario: s.name, measured: `${Math.round(s.ratio.pg * 100)}%`, target: '≥ 40%', met: s.ratio.pg >= 0.4 });
      // The exact count of one uncached request (the server's own counter, in-process); under load the
      // database-side figure also catches a few statements of the background jobs. Signed-in reads
      // are never cached: their figure under load is what each request sent.
      const signedIn = SIGNED_IN.includes(s.name as ScenarioName);
      const sql = signedIn ? (s.sqlPerRequest ?? s.sqlCaptured) : (s.sqlCaptured ?? s.sqlPerRequest);
      if (sql != null) targets.push({ name: `SQL statements per request ≤ 6 (${signedIn ? 'under load' : 'one uncached request'})`, scenario: s.name, measured: String(sql), target: '≤ 6', met: sql <= 6 });
    }
    if (s.checkout) {
      // A closed loop: each shopper sends its next request when the last one answers, so the mean
      // latency is connections ÷ throughput whatever the server does; shown beside the p99.
      const floor = s.rps > 0 ? ` (mean ${Math.round((connections / s.rps) * 1000)} ms = ${connections} connections ÷ ${s.rps} req/s)` : '';
      targets.push({ name: 'checkout loop p99 < 150 ms', scenario: s.name, measured: `${s.latency.p99} ms${floor}`, target: '< 150 ms', met: s.latency.p99 < 150 });
      const stock = s.checkout.stock;
      targets.push({ name: 'no oversell, no errors', scenario: s.name, measured: stock ? (stock.oversold ? 'OVERSOLD' : `${s.checkout.purchases} orders, ${s.errors} errors`) : 'not proven', target: 'no oversell, 0 errors', met: !!stock && !stock.oversold && !stock.problems.length && !s.errors });
    }
  }
  for (const s of result.scenarios) {
    if (!s.vsPlain || !withPromotions(s.name)) continue;
    const plain = result.scenarios.find((x) => x.name === s.vsPlain!.scenario)!;
    const what = s.checkout ? 'checkout loop' : 'cart';
    targets.push({
      name: `${what} with promotions ≥ ${PROMOTIONS_MIN_RATIO * 100}% of plain ${what} req/s`,
      scenario: s.name,
      measured: `${Math.round(s.vsPlain.rps * 100)}% (${s.rps} vs ${plain.rps} req/s; p99 ${s.latency.p99} vs ${plain.latency.p99} ms)`,
      target: `≥ ${PROMOTIONS_MIN_RATIO * 100}%`,
      met: s.vsPlain.rps >= PROMOTIONS_MIN_RATIO,
    });
  }
  for (const s of result.scenarios) {
    if (!s.vsPlain || !withRisk(s.name)) continue;
    const plain = result.scenarios.find((x) => x.name === s.vsPlain!.scenario)!;
    targets.push({
      name: `checkout loop with risk scoring ≥ ${RISK_MIN_RATIO * 100}% of plain checkout loop req/s`,
      scenario: s.name,
      measured: `${Math.round(s.vsPlain.rps * 100)}% (${s.rps} vs ${plain.rps} req/s; p99 ${s.latency.p99} vs ${plain.latency.p99} ms; SQL/req ${s.sqlPerRequest ?? '–'} vs ${plain.sqlPerRequest ?? '–'})`,
      target: `≥ ${RISK_MIN_RATIO * 100}%`,
      met: s.vsPlain.rps >= RISK_MIN_RATIO,
    });
  }
  for (const s of result.scenarios) {
    if (!s.vsPlain || !withReviews(s.name)) continue;
    const plain = result.scenarios.find((x) => x.name === s.vsPlain!.scenario)!;
    targets.push({
      name: `product page with reviews ≥ ${REVIEWS_MIN_RATIO * 100}% of product page req/s`,
      scenario: s.name,
      measured: `${Math.round(s.vsPlain.rps * 100)}% (${s.rps} vs ${plain.rps} req/s; p99 ${s.latency.p99} vs ${plain.latency.p99} ms)`,
      target: `≥ ${REVIEWS_MIN_RATIO * 100}%`,
      met: s.vsPlain.rps >= REVIEWS_MIN_RATIO,
    });
  }
  for (const s of result.scenarios) {
    if (!s.reviews) continue;
    targets.push({
      name: 'rating and reviews on every product page, rating = recount',
      scenario: s.name,
      measured: s.reviews.problems.length ? `${s.reviews.problems.length} problems` : `${s.reviews.seeded?.products ?? '–'} pages`,
      target: 'every page, 0 problems',
      met: !s.reviews.problems.length,
    });
  }
  for (const s of result.scenarios) {
    if (!s.promotions) continue;
    const p = s.promotions.proof;
    targets.push({
      name: 'promotions and the coupon applied',
      scenario: s.name,
      measured: p ? `${p.ordersWithBoth}/${p.orders} orders, ${p.couponDiscounts} coupons` : s.promotions.problems.length ? 'not on every cart' : 'every cart',
      target: p ? 'every order, a coupon each time one was passed' : 'every cart',
      met: !s.promotions.problems.length,
    });
  }
  for (const s of result.scenarios) {
    const d = s.flash;
    if (!d) continue;
    const answers = (r: typeof d.flash) => Object.entries(r.answers).map(([c, n]) => `${n} × ${c}`).join(', ') || 'none other';
    targets.push({
      name: `flash checkout p99 < ${Math.round(FLASH_MAX_P99_RATIO * 100)}% of the plain hot-variant checkout p99 (${d.flash.buyers} buyers at once)`,
      scenario: s.name,
      measured: `${d.flash.checkout.p99} vs ${d.plain.checkout.p99} ms (${d.p99Ratio == null ? '–' : `${Math.round(d.p99Ratio * 100)}%`})`,
      target: `< ${Math.round(FLASH_MAX_P99_RATIO * 100)}%`,
      met: d.p99Ratio != null && d.p99Ratio < FLASH_MAX_P99_RATIO,
    });
    targets.push({
      name: 'exactly the units sold, only sold-out answers, stock and ledgers agree',
      scenario: s.name,
      measured: `flash ${d.flash.sold}/${d.flash.units} (${answers(d.flash)}); plain ${d.plain.sold}/${d.plain.units} (${answers(d.plain)}); ledger Σ ${d.ledgerSum}`,
      target: 'both rounds, 0 problems',
      met: !s.failures.length,
    });
  }
  for (const s of result.scenarios) {
    const d = s.feed;
    if (!d) continue;
    targets.push({
      name: `every paid order on each of its shop's ${d.sockets.selling} sockets, every notification on its shopper's`,
      scenario: s.name,
      measured: `PAID ${d.paid.received}/${d.paid.expected}, notifications ${d.notifications.received}/${d.notifications.expected}`,
      target: 'all, of 1 subscription per socket',
      met: d.paid.missing === 0 && d.notifications.missing === 0 && d.paid.expected > 0,
    });
    const unclean = Object.entries(d.closed).filter(([code]) => code !== '1000').reduce((n, [, k]) => n + k, 0);
    targets.push({ name: 'every socket opened and closed cleanly (1000)', scenario: s.name, measured: `${d.sockets.total - unclean}/${d.sockets.total}`, target: 'all', met: unclean === 0 && !d.problems.some((p) => p.includes('did not open')) });
  }
  targets.push(...signedInTargets(result));
  const rss = result.scenarios.flatMap((s) => s.rss.workersMb);
  if (rss.length) targets.push({ name: 'RSS per worker < 300 MB', scenario: 'all', measured: `${Math.max(...rss).toFixed(0)} MB`, target: '< 300 MB', met: Math.max(...rss) < 300 });
  const settle = result.settle;
  if (settle) {
    targets.push({ name: `settle ${settle.orders.toLocaleString('en')} orders < ${SETTLE_TARGET_MS / 1000} s`, scenario: 'settle', measured: `${(settle.close.ms / 1000).toFixed(1)} s`, target: `< ${SETTLE_TARGET_MS / 1000} s`, met: settle.close.ms < SETTLE_TARGET_MS });
    // closeSettlements sends 6 statements and one per period it closes, however many orders: a
    // count above the constant means some work became per order or per shop.
    targets.push({
      name: 'SQL statements per close independent of order count',
      scenario: 'settle',
      measured: `${settle.close.statements} for ${settle.orders.toLocaleString('en')} orders (second close ${settle.again.statements})`,
      target: `≤ ${SETTLE_MAX_STATEMENTS}, any size`,
      met: settle.close.statements <= SETTLE_MAX_STATEMENTS,
    });
  }
  const snapshot = result.snapshot;
  if (snapshot) {
    targets.push({
      name: `snapshot of ${snapshot.window.days} days, ${snapshot.orders.toLocaleString('en')} orders and ${snapshot.events.toLocaleString('en')} events < ${SNAPSHOT_TARGET_MS / 1000} s`,
      scenario: 'snapshot',
      measured: `${(snapshot.snapshot.ms / 1000).toFixed(1)} s (second run ${(snapshot.again.ms / 1000).toFixed(1)} s)`,
      target: `< ${SNAPSHOT_TARGET_MS / 1000} s`,
      met: snapshot.snapshot.ms < SNAPSHOT_TARGET_MS,
    });
    // snapshotMetrics sends a fixed number of statements (a lock, then one statement that upserts and prunes), whatever the
    // days, scopes, orders and events: a count above the constant means work became per row.
    targets.push({
      name: 'SQL statements per snapshot independent of days and data',
      scenario: 'snapshot',
      measured: `${snapshot.snapshot.statements} for ${snapshot.window.days} days (second run ${snapshot.again.statements})`,
      target: `≤ ${SNAPSHOT_MAX_STATEMENTS}, any size`,
      met: snapshot.snapshot.statements <= SNAPSHOT_MAX_STATEMENTS,
    });
  }
  return targets;
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n[bench] ${signal}: stopping everything this run started …`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const RESULTS = opts.resultsDir;
  mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
  const serverLog = path.join(RESULTS, `${stamp}-server.log`);

  const runSettleScenario = (benchUrl: string): Promise<SettleResult> =>
    runSettle({ benchUrl, orders: opts.settleOrders, shops: opts.settleShops }, cleanup, log);
  const runSnapshotScenario = (benchUrl: string): Promise<SnapshotResult> =>
    runSnapshot({ benchUrl, products: opts.products, orders: opts.snapshotOrders, events: opts.snapshotEvents }, cleanup, log);

  /** Only job scenarios (settle, snapshot): no catalog, no server; only a PostgreSQL to create their databases on. */
  const jobsOnly = async (): Promise<BenchResult> => {
    const external = process.env.BENCH_DATABASE_URL?.trim();
    let url: string;
    let where: string;
    if (external) {
      url = external;
      where = 'BENCH_DATABASE_URL';
    } else {
      const pg = await startEmbeddedPostgres({ dataDir: BENCH_DATA_DIR, port: opts.pgPort, database: 'postgres' });
      cleanup.add('embedded PostgreSQL', () => pg.stop());
      url = pg.url;
      where = `embedded PostgreSQL under .bench/ (port ${new URL(pg.url).port}${pg.owned ? '' : ', joined a running one'})`;
    }
    const settle = opts.settle ? await runSettleScenario(url) : undefined;
    const snapshot = opts.snapshot ? await runSnapshotScenario(url) : undefined;
    const result: BenchResult = {
      version: 1,
      date: new Date().toISOString(),
      machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, postgres: (settle ?? snapshot)?.postgresVersion ?? 'unknown', platform: platform() },
      options: { ...opts },
      database: { where, sqlCounting: 'in-process (withQueryCount)' },
      catalog: { products: 0, variants: 0, categories: 0, shops: 0, seeded: 'not prepared (job scenarios only)', seedSeconds: 0 },
      ceilings: { pg: {} },
      scenarios: [],
      settle,
      snapshot,
      targets: [],
      failures: [...(settle?.failures.map((m) => `settle: ${m}`) ?? []), ...(snapshot?.failures.map((m) => `snapshot: ${m}`) ?? [])],
      seconds: 0,
    };
    result.targets = evaluateTargets(result, false, opts.connections);
    return result;
  };

  const run = async (): Promise<BenchResult> => {
    if (!opts.scenarios.length) return jobsOnly();
    if (opts.serverFrom === 'dist') buildIfStale(log);
    const db = await prepareDatabase({ products: opts.products, pgPort: opts.pgPort, poolMax: 4 }, cleanup, log);
    const server = await startServer(
      { databaseUrl: db.url, workers: opts.workers, poolMax: opts.poolMax, from: opts.serverFrom, cpuProf: opts.cpuProf, nodeFlags: opts.nodeFlags, catalogCache: opts.catalogCache, catalogCompiled: opts.catalogCompiled, logFile: serverLog, profileDir: path.join(RESULTS, 'profiles', stamp) },
      cleanup,
      log,
    );
    const fx = await prepareFixtures(server.url, db, { connections: opts.connections, stock: opts.stock, terms: [opts.zhTerm, opts.enTerm, ...MORE_SEARCH_TERMS] }, log);
    // The detail products' reviews, before anything is measured (their write drops the catalog caches).
    const reviews = opts.scenarios.includes('detail-reviews') ? await ensureBenchReviews(db, fx.productKeys, log) : undefined;
    // Every scenario but checkout-risk runs with the risk rules disabled; the rules enabled now are
    // what checkout-risk enables (all of them when an interrupted run left none) and what the run restores.
    const enabledAtStart = await enabledRiskRules(db);
    const riskRules = enabledAtStart.length ? enabledAtStart : await allRiskRules(db);
    cleanup.add('risk rules restored', async () => {
      await setRiskRules(db, riskRules);
    });
    await setRiskRules(db, []);
    // Promotions and coupons an interrupted run left live would change what the plain scenarios measure.
    const stale = await removeBenchPromotions(db);
    if (stale.promotions || stale.coupons) log(`cancelled ${stale.promotions} bench promotions and expired ${stale.coupons} bench coupons an earlier run left live`);
    const bodies = catalogBodies(opts, fx);
    // The statements of one uncached product detail, with and without its reviews (the first product).
    const detailBodies: Record<string, string> = {
      ...(opts.scenarios.includes('detail') || reviews ? { detail: gqlBody(PRODUCT, { id: fx.productIds[0] }) } : {}),
      ...(reviews ? { 'detail-reviews': gqlBody(PRODUCT_PAGE, { id: fx.productIds[0] }) } : {}),
    };
    const captured: Record<string, Captured> = await captureStatements(db, { ...bodies, ...detailBodies });
    // The bytes of a real listing response, for the bare Fastify ceiling.
    const listingBody = await (await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies.listing })).text();
    if (captured['listing-1'].statements.length !== captured.listing.statements.length) {
      log(`note: a page of 1 sends ${captured['listing-1'].statements.length} statements, a page of 20 ${captured.listing.statements.length}`);
    }
    if (opts.explain) {
      const { text, summary } = await explainStatements(db, captured);
      const file = path.join(RESULTS, `${stamp}-explain.txt`);
      writeFileSync(file, text);
      log(`EXPLAIN ANALYZE of the catalog statements: ${path.relative(process.cwd(), file)}`);
      for (const s of summary) log(`  ${s.scenario} #${s.statement}: ${s.ms.toFixed(2)} ms  ${s.sql.slice(0, 110)}`);
    }
    const counting = db.pgStatStatements ? 'pg_stat_statements' : opts.workers === 1 ? 'server /metrics' : 'unavailable';
    const sql = new SqlCounter(db, server, counting);
    log(`SQL per request counted by ${counting}${counting === 'unavailable' ? ' (no pg_stat_statements on BENCH_DATABASE_URL: use --workers 1)' : ''}`);

    const cpu = new CpuMeter(server.child.pid, db.postmasterPid);
    const scenarios: ScenarioResult[] = [];
    const startAnother = async (workers: number) => {
      const own = new Cleanup();
      cleanup.add(`marketplace server (${workers} workers)`, () => own.run());
      const another = await startServer(
        { databaseUrl: db.url, workers, poolMax: opts.poolMax, from: opts.serverFrom, cpuProf: opts.cpuProf, nodeFlags: opts.nodeFlags, catalogCache: opts.catalogCache, catalogCompiled: opts.catalogCompiled, logFile: serverLog, profileDir: path.join(RESULTS, 'profiles', stamp) },
        own,
        log,
      );
      return { server: another, stop: () => own.run() };
    };
    for (const name of opts.scenarios) {
      if (name === 'merchant-orders') await ensureShopOrders(db, server, fx);
      const result = await runScenario(name, { opts, db, server, fx, bodies, sql, cpu, reviews, done: scenarios, riskRules, startServer: startAnother });
      if (captured[name]) result.sqlCaptured = captured[name].statements.length;
      scenarios.push(result);
      const w = result.rss.workersMb.map((m) => m.toFixed(0)).join('/');
      const c = result.cpu;
      const busy = c && c.othersShare > 0.05 ? ` (other processes used ${Math.round(c.othersShare * 100)}% of the CPU meanwhile: figures disturbed)` : '';
      log(`  ${result.rps} req/s, p50 ${result.latency.p50} p90 ${result.latency.p90} p99 ${result.latency.p99} ms, SQL/req ${result.sqlPerRequest ?? '–'}${readShares(result)}, CPU/req ${c?.serverMsPerRequest ?? '–'} ms server + ${c?.postgresMsPerRequest ?? '–'} ms PG, RSS ${w} MB${busy}${result.failures.length ? ` — FAILED: ${result.failures.join('; ')}` : ''}`);
    }

    const ceilings: BenchResult['ceilings'] = { pg: {} };
    /** Scenarios held to another's bare pg loop (the same statements). */
    const pgShared: Partial<Record<ScenarioName, string>> = {};
    if (opts.ceilings) {
      log(`ceiling: bare Fastify (${opts.workers} worker${opts.workers > 1 ? 's' : ''}), GET of the listing's ${Buffer.byteLength(listingBody).toLocaleString('en')} bytes`);
      const fastify = await bareFastify(listingBody, { workers: opts.workers, connections: opts.connections, warmup: opts.warmup, seconds: opts.duration, resultsDir: RESULTS, logFile: serverLog }, cleanup);
      ceilings.bareFastify = { ...fastify, bodyBytes: Buffer.byteLength(listingBody) };
      log(`  ${fastify.rps} req/s, p99 ${fastify.latency.p99} ms`);
      log(`ceiling: bare Fastify + pg (${opts.workers} worker${opts.workers > 1 ? 's' : ''}, pool ${opts.poolMax} each), GET of the listing page's JSON built by one statement`);
      const fastifyPg = await bareFastifyPg(db.url, { workers: opts.workers, poolMax: opts.poolMax, connections: opts.connections, warmup: opts.warmup, seconds: opts.duration, logFile: serverLog, postmasterPid: db.postmasterPid }, cleanup);
      ceilings.bareFastifyPg = fastifyPg;
      log(`  ${fastifyPg.rps} req/s, p99 ${fastifyPg.latency.p99} ms, ${fastifyPg.bodyBytes.toLocaleString('en')} bytes, CPU/req ${fastifyPg.cpu?.serverMsPerRequest ?? '–'} ms Node + ${fastifyPg.cpu?.postgresMsPerRequest ?? '–'} ms PG`);
      // One loop per distinct request body: the signed-in scenarios' statements are captured with
      // the anonymous scenarios' bodies, so such a scenario is held to the loop already measured.
      // (Bodies, not the captured SQL, decide: the first capture can carry a statement of the
      // process's first request that the next one, of the same body, does not.)
      const loops = new Map<string, string>();
      for (const name of CATALOG.filter((n) => opts.scenarios.includes(n))) {
        const statements = captured[name].statements;
        const same = loops.get(bodies[name]);
        if (same) {
          pgShared[name] = same;
          log(`ceiling: ${name} sends the ${same} body signed in: held to its bare pg loop`);
          continue;
        }
        log(`ceiling: bare pg loop of the ${name} SQL (${statements.length} statements, pool ${opts.workers * opts.poolMax})`);
        const pg = await pgLoop(db.url, statements, { connections: opts.connections, poolMax: opts.workers * opts.poolMax, warmup: opts.warmup, seconds: opts.duration, cpu });
        ceilings.pg[name] = { ...pg, statements: statements.length };
        loops.set(bodies[name], name);
        log(`  ${pg.rps} req/s, p99 ${pg.latency.p99} ms${pg.cpu?.postgresMsPerRequest != null ? `, PostgreSQL CPU ${pg.cpu.postgresMsPerRequest} ms per iteration` : ''}`);
      }
    }
    // Last, each on its own database: their data generation and jobs would disturb the load figures.
    const settle = opts.settle ? await runSettleScenario(db.url) : undefined;
    const snapshot = opts.snapshot ? await runSnapshotScenario(db.url) : undefined;
    for (const s of scenarios) {
      if (ceilings.bareFastify) s.ratio.fastify = Math.round((s.rps / ceilings.bareFastify.rps) * 1000) / 1000;
      if (ceilings.bareFastifyPg?.rps) s.ratio.fastifyPg = Math.round((s.rps / ceilings.bareFastifyPg.rps) * 1000) / 1000;
      const pgName = pgShared[s.name as ScenarioName] ?? s.name;
      const pg = ceilings.pg[pgName];
      if (pg) s.ratio.pg = Math.round((s.rps / pg.rps) * 1000) / 1000;
      if (pg && pgName !== s.name) s.pgCeiling = pgName;
      const plainName = plainOf(s.name);
      const plain = plainName ? scenarios.find((x) => x.name === plainName) : undefined;
      if (plain && plain.rps > 0 && plain.latency.p99 > 0) {
        s.vsPlain = { scenario: plain.name, rps: Math.round((s.rps / plain.rps) * 1000) / 1000, p99: Math.round((s.latency.p99 / plain.latency.p99) * 1000) / 1000 };
      }
    }
    const result: BenchResult = {
      version: 1,
      date: new Date().toISOString(),
      machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, postgres: db.postgresVersion, platform: platform() },
      options: { ...opts },
      database: { where: db.where, sqlCounting: counting },
      catalog: db.catalog,
      ceilings,
      scenarios,
      settle,
      snapshot,
      targets: [],
      failures: [
        ...scenarios.flatMap((s) => s.failures.map((m) => `${s.name}: ${m}`)),
        ...(settle?.failures.map((m) => `settle: ${m}`) ?? []),
        ...(snapshot?.failures.map((m) => `snapshot: ${m}`) ?? []),
        ...Object.entries(ceilings.pg).flatMap(([n, p]) => (p.errors ? [`pg ceiling ${n}: ${p.errors} errors (${p.sample})`] : [])),
        ...(ceilings.bareFastify && failuresOf(ceilings.bareFastify).length ? [`bare Fastify: ${failuresOf(ceilings.bareFastify).join('; ')}`] : []),
        ...(ceilings.bareFastifyPg && failuresOf(ceilings.bareFastifyPg).length ? [`bare Fastify + pg: ${failuresOf(ceilings.bareFastifyPg).join('; ')}`] : []),
      ],
      seconds: 0,
    };
    result.targets = evaluateTargets(result, opts.ceilings, opts.connections);
    return result;
  };

  let result: BenchResult;
  try {
    result = await withTimeout(run(), opts.timeout * 1000, 'the benchmark run (--timeout)');
  } catch (err) {
    console.error(`[bench] FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanup.run();
    return 1;
  }
  await cleanup.run();
  result.seconds = Math.round((performance.now() - started) / 100) / 10;

  const out = opts.out ? path.resolve(opts.out) : path.join(RESULTS, `${stamp}${opts.smoke ? '-smoke' : ''}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

  const c = result.catalog;
  const machine = `${result.date.slice(0, 10)}: ${result.machine.cpus} cores (${result.machine.cpuModel}), Node ${result.machine.node}, PostgreSQL ${result.machine.postgres}`;
  console.log('');
  if (result.scenarios.length) {
    console.log(
      `## Benchmark ${machine}; ` +
        `${c.products.toLocaleString('en')} products on sale (${c.variants.toLocaleString('en')} variants, ${c.categories} categories, ${c.shops} shops); ` +
        `${opts.workers} worker${opts.workers > 1 ? 's' : ''} × pool ${opts.poolMax}; catalog cache ${opts.catalogCache}; catalog compiled ${opts.catalogCompiled}; ${opts.connections} connections; ${opts.warmup} s warm-up + ${opts.duration} s per scenario; SQL counted by ${result.database.sqlCounting}`,
    );
    console.log('');
    console.log(markdownTable(result));
    const promotions = promotionsTable(result);
    if (promotions) console.log(`\n${promotions}`);
    const withReviewsTable = reviewsTable(result);
    if (withReviewsTable) console.log(`\n${withReviewsTable}`);
    const withRiskTable = riskTable(result);
    if (withRiskTable) console.log(`\n${withRiskTable}`);
    const mixed = mixedTable(result);
    if (mixed) console.log(`\n${mixed}`);
  } else {
    console.log(`## Benchmark ${machine}; ${[result.settle && 'settle', result.snapshot && 'snapshot'].filter(Boolean).join(' and ')} only, on ${result.database.where}`);
  }
  const detail = checkoutDetail(result);
  if (detail) console.log(`\n${detail}`);
  const open = result.scenarios.find((s) => s.openLoop)?.openLoop;
  if (open) console.log(`\n${openLoopTable(open)}`);
  const flash = flashTable(result);
  if (flash) console.log(`\n${flash}`);
  const feed = feedTable(result);
  if (feed) console.log(`\n${feed}`);
  if (result.settle) console.log(`${result.scenarios.length ? '\n' : ''}${settleTable(result.settle)}`);
  if (result.snapshot) console.log(`${result.scenarios.length || result.settle ? '\n' : ''}${snapshotTable(result.snapshot)}`);
  if (result.targets.length) console.log(`\n${targetsTable(result.targets)}`);
  if (opts.compare) console.log(`\n${compareWith(opts.compare, result)}`);
  console.log(`\nresult: ${path.relative(process.cwd(), out)} (${result.seconds} s in all)${result.scenarios.length ? `; server log: ${path.relative(process.cwd(), serverLog)}` : ''}`);
  if (opts.cpuProf) console.log(`CPU profiles: ${path.relative(process.cwd(), path.join(RESULTS, 'profiles', stamp))}`);
  if (result.failures.length) {
    console.error(`\n[bench] FAILED:\n  - ${result.failures.join('\n  - ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
