import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** Every load scenario (requests over HTTP, reported as req/s), in the order a full run drives them. */
export const SCENARIOS = [
  'listing', 'search-zh', 'search-en', 'category',
  'listing-signed-in', 'search-signed-in', 'detail-signed-in', 'facets',
  'detail', 'detail-reviews', 'cart', 'cart-promotions', 'checkout', 'checkout-promotions', 'checkout-risk', 'checkout-open', 'merchant-orders', 'mixed', 'flash', 'feed',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/**
 * Scenarios run with live promotions and coupons (bench/promotions.ts), each beside the plain
 * scenario it repeats on the same fixtures, and held to a share of its figures.
 */
export const WITH_PROMOTIONS = { 'cart-promotions': 'cart', 'checkout-promotions': 'checkout' } as const satisfies Partial<Record<ScenarioName, ScenarioName>>;
/**
 * The product page with its rating and first page of reviews (bench/reviews.ts gives the detail
 * products theirs), beside the product detail without them, and held to a share of its figures.
 */
export const WITH_REVIEWS = { 'detail-reviews': 'detail' } as const satisfies Partial<Record<ScenarioName, ScenarioName>>;
/**
 * The checkout loop with the risk rules enabled (bench/risk.ts: every other scenario runs with every
 * rule disabled), beside the plain checkout on the same fixtures, and held to a share of its figures.
 */
export const WITH_RISK = { 'checkout-risk': 'checkout' } as const satisfies Partial<Record<ScenarioName, ScenarioName>>;
/**
 * Scenarios that are no request load: measured in-process after the load scenarios and reported
 * in their own section (`settle`: the settlement close of a week of orders, bench/settle.ts;
 * `snapshot`: the analytics snapshot of a month of orders and behaviour events, bench/snapshot.ts).
 */
export const JOB_SCENARIOS = ['settle', 'snapshot'] as const;
/** What --scenarios accepts. */
export const ALL_SCENARIOS = [...SCENARIOS, ...JOB_SCENARIOS] as const;

export interface BenchOptions {
  smoke: boolean;
  products: number;
  duration: number;
  warmup: number;
  connections: number;
  workers: number;
  poolMax: number;
  /** The load scenarios to drive (empty when --scenarios names only job scenarios). */
  scenarios: ScenarioName[];
  /** Run the `settle` scenario. */
  settle: boolean;
  /** Completed orders of the week the settle scenario closes. */
  settleOrders: number;
  /** Shops they are spread over (each gets at least one). */
  settleShops: number;
  /** Run the `snapshot` scenario. */
  snapshot: boolean;
  /** Paid orders of the month the snapshot scenario snapshots. */
  snapshotOrders: number;
  /** Behaviour events of that month. */
  snapshotEvents: number;
  /** Units of the limited-stock variant the checkout scenario sells out. */
  stock: number;
  /** checkout-open: purchases arriving per second (open loop). */
  openRate: number;
  /** Buyers of the flash scenario, all at once (one connection each), in each of its two rounds. */
  flashBuyers: number;
  /** Units of its flash-sale item, and of the plain hot variant of its second round. */
  flashUnits: number;
  /** A third flash round with no hot row (each unit a variant of its own): the latency floor of the load. */
  flashFloor: boolean;
  /** The feed scenario's open subscriptions (one per socket), all kinds together. */
  feedSockets: number;
  /** Of those, on the order feed of the shop the checkout loop buys from. */
  feedSelling: number;
  /** Of those, on the checkout shoppers' notifications. */
  feedBuyers: number;
  ceilings: boolean;
  compare: string | undefined;
  out: string | undefined;
  /** Where result JSON, server logs and profiles go (default bench/results). */
  resultsDir: string;
  /** Run the server from dist/ (built when stale) or from the TypeScript sources (no build). */
  serverFrom: 'dist' | 'source';
  cpuProf: boolean;
  /** The server's anonymous catalog cache (CATALOG_CACHE_ENTRIES): on as configured by default, or off to measure every request in full. */
  catalogCache: 'on' | 'off';
  /** The server's compiled catalog read path (CATALOG_COMPILED): on by default, off to answer every catalog read through Apollo. */
  catalogCompiled: 'on' | 'off';
  /** Extra node flags for the server processes (workers inherit them), e.g. "--max-semi-space-size=64". */
  nodeFlags: string[];
  /** EXPLAIN ANALYZE every statement of the catalog scenarios into bench/results/. */
  explain: boolean;
  /** Hard limit of the whole run, in seconds. */
  timeout: number;
  pgPort: number;
  zhTerm: string;
  enTerm: string;
}

export const USAGE = `usage: npm run bench -- [options]

  --products N        bulk catalog size, 1..200000 (default 20000; --smoke 300)
  --duration S        measured seconds per scenario (default 15; --smoke 1)
  --warmup S          warm-up seconds per scenario (default 5; --smoke 0)
  --connections N     concurrent connections (default 32; --smoke 4)
  --workers N         server worker processes, WEB_CONCURRENCY (default: cores; --smoke 1)
  --pool-max N        DATABASE_POOL_MAX per worker (default 10)
  --scenarios a,b     some of: ${ALL_SCENARIOS.join(', ')} (settle and snapshot alone start no server)
                      cart-promotions and checkout-promotions repeat cart and checkout with live
                      promotions (a platform 滿減 with tiers, 10% off capped in each shop bought from)
                      and a 5.00 platform coupon per shopper (checkout passes one in couponIds);
                      the promotions are cancelled after each; checkout-risk repeats checkout with
                      the risk rules enabled (every other scenario runs with all of them disabled:
                      scoring's cost, the one statement, shown against checkout); detail-reviews repeats detail on the
                      same 100 products (~30 published reviews each, written in SQL once per bench
                      database) asking also for the rating and the first 10 reviews;
                      listing-signed-in, search-signed-in, detail-signed-in: the catalog as signed-in
                      shoppers read it (Bearer tokens of the cart shoppers, never the anonymous cache):
                      the listing page, searches alternating over Chinese and English terms (--zh-term,
                      --en-term and a few more that hit the bench catalog), the 100 detail products;
                      facets: the signed-in listing also asking for its category and brand facets;
                      mixed: realistic traffic for --duration s, 80% reads by signed-in shoppers over
                      200 distinct requests (searches for words of real product titles, filters by
                      category, brands, price and stock, five sorts, page 2 by cursor, product
                      details), 15% the same reads anonymous, 5% writes by the merchant (price changes
                      through updateProduct, adjustStock, new DRAFT products), each class reported;
                      flash: --flash-buyers buyers check out
                      one unit each all at once, first of a live flash-sale item of --flash-units
                      units (per-user limit 1), then of a plain variant with as many units, each
                      round's checkout p50/p90/p99/max and answers side by side
  --settle-orders N   completed orders the settle scenario closes (default 100000; --smoke 2000)
  --settle-shops N    shops they belong to, each one settlement (default 1000; --smoke 50)
  --snapshot-orders N paid orders of the month the snapshot scenario snapshots, in a database of its
                      own with the bench's catalog (--products), plus 4% never paid (default 100000;
                      --smoke 2000)
  --snapshot-events N behaviour events of that month, in sessions (default 1000000; --smoke 20000)
  --open-rate N       checkout-open: purchases arriving per second on a fixed schedule whatever is
                      still in flight (open loop: addToCart, checkout, pay, webhook by 2.5 × rate
                      shoppers; default 100; --smoke 5); its checkout p99 is held to ≤ 150 ms
  --stock N           units of the limited-stock variant the checkout loop sells out (default 500; --smoke 30)
  --flash-buyers N    flash: buyers checking out all at once, one connection each (default 200; --smoke 16)
  --flash-units N     flash: units of the flash-sale item (per-user limit 1), and of the plain hot
                      variant the same buyers then check out at once (default 100; --smoke 8)
  --flash-floor       flash: a third round at the same load with no hot row (buyer i buys the one
                      unit of variant i mod units): what the burst costs this machine anyway
  --feed-sockets N    feed: GraphQL subscriptions held open over graphql-ws (one per socket) on a
                      server of 2 workers (started for it when --workers is 1) while the checkout
                      loop sells out --stock units again (default 1000; --smoke 20); with 2+ workers
                      the checkout scenario runs first for the figure without subscribers
  --feed-selling N    feed: of those, on shopOrderEvents of the shop the loop buys from, as its
                      members (default 100; --smoke 8); the rest watch other demo shops' orders
  --feed-buyers N     feed: of those, on notificationAdded as the loop's shoppers (default
                      --connections; --smoke 4)
  --no-ceilings       skip the reference runs: bare Fastify (a fixed body), bare Fastify + pg (one
                      statement building the listing page's JSON through node-postgres, on
                      --workers processes, pool --pool-max each) and the bare pg loops
  --compare FILE      print the change against an earlier result JSON
  --out FILE          where to write the result JSON (default <results dir>/<time>.json)
  --results-dir DIR   where results, server logs and profiles go (default bench/results)
  --server dist|source  run dist/ (built when stale; default) or the sources through swc (default with --smoke)
  --node-flags=…      extra node flags for the server processes, e.g. --node-flags=--max-semi-space-size=64
  --catalog-cache on|off  the server's anonymous catalog cache (default on; off sets CATALOG_CACHE_ENTRIES=0)
  --catalog-compiled on|off  the server's compiled catalog reads (CATALOG_COMPILED; default on; off answers
                      every catalog read through Apollo); responses it answered are counted per scenario
  --cpu-prof          write V8 CPU profiles of every server process to bench/results/profiles/
  --explain           EXPLAIN (ANALYZE, BUFFERS) every SQL statement of the catalog and product page scenarios into bench/results/
  --timeout S         hard limit for the whole run (default 1800; --smoke 180)
  --pg-port N         port of the embedded PostgreSQL under .bench/ (default 54339)
  --zh-term T         the Chinese search term (default 耳機), also the first of search-signed-in's
  --en-term T         the English search term (default wireless), also the second of search-signed-in's
  --smoke             a few seconds in all: tiny catalog, every scenario, fails on any error

  BENCH_DATABASE_URL  use this database instead of the embedded PostgreSQL under .bench/`;

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new Error(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")\n\n${USAGE}`);
  return value;
}

export function parseOptions(argv: string[]): BenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        smoke: { type: 'boolean' },
        products: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        connections: { type: 'string' },
        workers: { type: 'string' },
        'pool-max': { type: 'string' },
        scenarios: { type: 'string' },
        'settle-orders': { type: 'string' },
        'settle-shops': { type: 'string' },
        'snapshot-orders': { type: 'string' },
        'snapshot-events': { type: 'string' },
        stock: { type: 'string' },
        'open-rate': { type: 'string' },
        'flash-buyers': { type: 'string' },
        'flash-units': { type: 'string' },
        'flash-floor': { type: 'boolean' },
        'feed-sockets': { type: 'string' },
        'feed-selling': { type: 'string' },
        'feed-buyers': { type: 'string' },
        'no-ceilings': { type: 'boolean' },
        compare: { type: 'string' },
        out: { type: 'string' },
        'results-dir': { type: 'string' },
        server: { type: 'string' },
        'cpu-prof': { type: 'boolean' },
        'catalog-cache': { type: 'string' },
        'catalog-compiled': { type: 'string' },
        'node-flags': { type: 'string' },
        explain: { type: 'boolean' },
        timeout: { type: 'string' },
        'pg-port': { type: 'string' },
        'zh-term': { type: 'string' },
        'en-term': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`, { cause: err });
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const smoke = values.smoke === true;
  const str = (name: string) => values[name] as string | undefined;
  let scenarios: ScenarioName[] = [...SCENARIOS];
  let settle = true;
  let snapshot = true;
  if (str('scenarios') !== undefined) {
    const asked = str('scenarios')!.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = asked.filter((s) => !(ALL_SCENARIOS as readonly string[]).includes(s));
    if (unknown.length || !asked.length) throw new Error(`--scenarios takes a comma-separated list of: ${ALL_SCENARIOS.join(', ')} (unknown: ${unknown.join(', ') || 'none given'})`);
    scenarios = SCENARIOS.filter((s) => asked.includes(s));
    settle = asked.includes('settle');
    snapshot = asked.includes('snapshot');
  }
  const settleOrders = int('settle-orders', str('settle-orders'), smoke ? 2000 : 100_000, 1, 10_000_000);
  const settleShops = int('settle-shops', str('settle-shops'), smoke ? 50 : 1000, 1, 1_000_000);
  if (settleShops > settleOrders) throw new Error(`--settle-shops (${settleShops}) must not exceed --settle-orders (${settleOrders}): every shop gets an order\n\n${USAGE}`);
  const server = str('server') ?? (smoke ? 'source' : 'dist');
  if (server !== 'dist' && server !== 'source') throw new Error('--server is dist or source');
  const catalogCache = str('catalog-cache') ?? 'on';
  if (catalogCache !== 'on' && catalogCache !== 'off') throw new Error('--catalog-cache is on or off');
  const catalogCompiled = str('catalog-compiled') ?? 'on';
  if (catalogCompiled !== 'on' && catalogCompiled !== 'off') throw new Error('--catalog-compiled is on or off');
  const connections = int('connections', str('connections'), smoke ? 4 : 32, 1, 1000);
  const flashBuyers = int('flash-buyers', str('flash-buyers'), smoke ? 16 : 200, 2, 2000);
  const flashUnits = int('flash-units', str('flash-units'), smoke ? 8 : 100, 1, 100_000);
  if (flashUnits >= flashBuyers) throw new Error(`--flash-units (${flashUnits}) must be fewer than --flash-buyers (${flashBuyers}): the scenario sells out\n\n${USAGE}`);
  const feedSockets = int('feed-sockets', str('feed-sockets'), smoke ? 20 : 1000, 1, 20_000);
  const feedSelling = int('feed-selling', str('feed-selling'), Math.min(feedSockets, smoke ? 8 : 100), 1, 20_000);
  const feedBuyers = int('feed-buyers', str('feed-buyers'), Math.min(feedSockets - feedSelling, smoke ? 4 : connections), 0, 20_000);
  if (feedSelling + feedBuyers > feedSockets) throw new Error(`--feed-selling (${feedSelling}) and --feed-buyers (${feedBuyers}) must add up to at most --feed-sockets (${feedSockets})\n\n${USAGE}`);
  const workers = int('workers', str('workers'), smoke ? 1 : availableParallelism(), 1, 64);
  // The feed's checkout loop is shown beside the plain one's on the same server (2+ workers; with
  // one, the feed starts its own server and runs its plain loop there).
  if (scenarios.includes('feed') && workers >= 2 && !scenarios.includes('checkout')) scenarios = SCENARIOS.filter((s) => s === 'checkout' || scenarios.includes(s));
  return {
    smoke,
    products: int('products', str('products'), smoke ? 300 : 20_000, 1, 200_000),
    duration: int('duration', str('duration'), smoke ? 1 : 15, 1, 3600),
    warmup: int('warmup', str('warmup'), smoke ? 0 : 5, 0, 600),
    connections,
    workers,
    poolMax: int('pool-max', str('pool-max'), 10, 1, 200),
    scenarios,
    settle,
    settleOrders,
    settleShops,
    snapshot,
    snapshotOrders: int('snapshot-orders', str('snapshot-orders'), smoke ? 2000 : 100_000, 1, 10_000_000),
    snapshotEvents: int('snapshot-events', str('snapshot-events'), smoke ? 20_000 : 1_000_000, 1, 100_000_000),
    stock: int('stock', str('stock'), smoke ? 30 : 500, 1, 1_000_000),
    openRate: int('open-rate', str('open-rate'), smoke ? 5 : 100, 1, 2000),
    flashBuyers,
    flashUnits,
    flashFloor: values['flash-floor'] === true,
    feedSockets,
    feedSelling,
    feedBuyers,
    ceilings: values['no-ceilings'] !== true,
    compare: str('compare'),
    out: str('out'),
    resultsDir: path.resolve(str('results-dir') ?? path.join(__dirname, 'results')),
    serverFrom: server,
    cpuProf: values['cpu-prof'] === true,
    catalogCache,
    catalogCompiled,
    nodeFlags: (str('node-flags') ?? '').split(/\s+/).filter(Boolean),
    explain: values.explain === true,
    timeout: int('timeout', str('timeout'), smoke ? 180 : 1800, 10, 24 * 3600),
    pgPort: int('pg-port', str('pg-port'), 54339, 1024, 65535),
    zhTerm: str('zh-term') ?? '耳機',
    enTerm: str('en-term') ?? 'wireless',
  };
}
