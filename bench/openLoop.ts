/**
 * The checkout measured open-loop (issue 23): purchases arrive on a fixed schedule, arrival i at
 * t0 + i ÷ rate, and each one starts at its time whatever is still in flight, so a slow server
 * meets more concurrent purchases instead of fewer requests (no coordinated omission, unlike the
 * closed `checkoutLoop`, where every shopper waits for its last answer before it asks again).
 *
 * One arrival is one purchase by an idle shopper: addToCart (1 unit of a variant with ample
 * stock), `checkout` with a fresh idempotency key, then payCheckout and the provider's signed
 * webhook, as bench/checkout.ts makes them (payAndConfirm). A shopper has at most one purchase in
 * flight (a cart is per user); an arrival that finds no idle shopper is counted as dropped, never
 * delayed. Every answer is checked (HTTP 200, no GraphQL errors, no payload errors, the checkout
 * PENDING_PAYMENT with its orders, the payment without errors, the webhook `processed`); with
 * `db`, the database must show every completed checkout PAID afterwards.
 *
 * Figures: the `checkout` mutation's round trip (the figure the target names), and the whole
 * purchase from its scheduled arrival to the webhook's answer, which also carries any lateness of
 * the generator (shown on its own as `lag`). Requests go through Node's global fetch (undici's
 * keep-alive agent, no limit on connections per origin): in-flight requests, hence connections,
 * are bounded only by the shoppers, one request each at most.
 *
 * Run it alone (database, server, fixtures and shoppers as `npm run bench` makes them):
 *   node -r @swc-node/register bench/openLoop.ts [--rate 100] [--seconds 10] [--warmup 3] [--shoppers N] [--workers 2] [--smoke]
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { payAndConfirm, payloadOf, type Recorder, STEPS, type Step, Unexpected } from './checkout';
import { gql } from './client';
import { type BenchDatabase, prepareDatabase } from './database';
import { CpuMeter } from './cpu';
import { prepareFixtures, prepareShoppers, type Shopper } from './fixtures';
import { Cleanup } from './lifecycle';
import { ADD_TO_CART, CHECKOUT } from './operations';
import type { Target } from './report';
import { enabledRiskRules, setRiskRules } from './risk';
import { buildIfStale, startServer } from './server';
import { type LatencySummary, Latencies } from './stats';

/** Issue 23: at 100 checkouts/s, the checkout mutation's p99 ≤ 150 ms on 2 cores. */
export const OPEN_LOOP_TARGET = { rate: 100, p99Ms: 150 } as const;

/**
 * Shoppers enough for `rate` arrivals/s while purchases take up to `holdSeconds` each (Little's
 * law: in flight = rate × time in the system): 250 at 100/s. Fewer idle shoppers than arrivals
 * shows up as `dropped`.
 */
export function shoppersFor(rate: number, holdSeconds = 2.5): number {
  return Math.ceil(rate * holdSeconds);
}

/**
 * `count` shoppers of the open loop (bench-open-N@bench.test), signed in (registered the first
 * time) with a default address and an empty cart, through fixtures.ts's prepareShoppers.
 */
export function openLoopShoppers(base: string, db: BenchDatabase, count: number, concurrency = 8): Promise<Shopper[]> {
  return prepareShoppers(base, db, Array.from({ length: count }, (_, i) => `bench-open-${i + 1}@bench.test`), concurrency);
}

export interface OpenLoopOptions {
  /** The server's base URL (RunningServer.url). */
  url: string;
  /** The mock provider's webhook secret (RunningServer.webhookSecret). */
  secret: string;
  /** Arrivals (purchases) per second. */
  rate: number;
  /** Measured seconds: arrivals scheduled in this window are the ones reported. */
  seconds: number;
  /** Seconds of arrivals at the same rate before the window, run and checked but not reported. */
  warmup: number;
  /** Idle shoppers, each with a default address and an empty cart: shoppersFor(rate) of them. */
  shoppers: Shopper[];
  /** A variant with stock for every arrival (fx.warmup.variantId: 100,000 units). */
  variantId: string;
  /** How long to wait for purchases still in flight after the last arrival (default 30 s); those left count as failures. */
  drainSeconds?: number;
  /** With the bench database: afterwards, every completed checkout of the window must be PAID there. */
  db?: BenchDatabase;
  /** Called when the window's first arrival is due and once its last purchase has ended (CPU or SQL meters). */
  onWindow?: (edge: 'start' | 'end') => void;
}

export interface OpenLoopResult {
  /** Arrivals per second asked for. */
  rate: number;
  seconds: number;
  warmup: number;
  /** Arrivals scheduled in the measured window. */
  arrivals: number;
  /** Purchases of the window that completed, every answer as expected. */
  completed: number;
  /** Arrivals of the window that found no idle shopper (not sent). */
  dropped: number;
  /** Purchases of the window that failed (an unexpected answer, a request error, or not done when the drain ended). */
  failures: number;
  /** The first few failure messages. */
  failureSamples: string[];
  /** The checkout mutation's round trip, completed purchases of the window. */
  checkout: LatencySummary;
  /** A whole purchase, from its scheduled arrival to the webhook's answer. */
  purchase: LatencySummary;
  /** Each step's round trip (addToCart, checkout, payCheckout, webhook). */
  steps: Record<Step, LatencySummary & { requests: number }>;
  /** How late the generator started arrivals (sent − scheduled), the window's arrivals sent. */
  lag: LatencySummary;
  /**
   * Completed purchases per second, from the window's first arrival to its last completion: below
   * `rate` when the server falls behind (purchases of the window still finishing after it).
   */
  achievedRate: number;
  /** Seconds from the window's first arrival to its last purchase completed. */
  spanSeconds: number;
  /** Most purchases in flight at once (window and warm-up). */
  maxInFlight: number;
  shoppers: number;
  /** Warm-up arrivals: sent, dropped, failed. */
  warm: { arrivals: number; dropped: number; failures: number };
  /** This process's CPU over the window, as a share of one core: the generator must not be the bottleneck. */
  clientCpuShare: number;
  /** With `db`: the window's completed checkouts by status in the database (all PAID when right). */
  paidInDatabase?: { checked: number; paid: number; other: Record<string, number> };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** A checkout's database key from its global ID (base64url of `Checkout:key`). */
function checkoutKey(id: string): string {
  return Buffer.from(id, 'base64url').toString('utf8').split(':')[1];
}

/**
 * Purchases at `rate` per second for `warmup` + `seconds`, open loop (see the file's comment).
 * Resolves once every purchase sent has ended (or the drain has run out).
 */
export async function openLoopCheckout(opts: OpenLoopOptions, log: (m: string) => void = () => undefined): Promise<OpenLoopResult> {
  if (!(opts.rate > 0) || !(opts.seconds > 0) || opts.warmup < 0) throw new Error(`open loop: bad rate ${opts.rate} or seconds ${opts.seconds}/${opts.warmup}`);
  const interval = 1000 / opts.rate;
  const warmArrivals = Math.round(opts.warmup * opts.rate);
  const total = warmArrivals + Math.round(opts.seconds * opts.rate);
  const idle = [...opts.shoppers];

  const checkoutMs = new Latencies();
  const purchaseMs = new Latencies();
  const lagMs = new Latencies();
  const perStep = Object.fromEntries(STEPS.map((s) => [s, new Latencies()])) as Record<Step, Latencies>;
  const failureSamples: string[] = [];
  const paidIds: string[] = [];
  const warm = { arrivals: 0, dropped: 0, failures: 0 };
  let dropped = 0;
  let failures = 0;
  let completed = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const running = new Set<Promise<void>>();
  let windowCpu = process.cpuUsage();
  let windowStarted = 0;
  let lastCompleted = 0;

  const fail = (measured: boolean, message: string) => {
    if (measured) failures++;
    else warm.failures++;
    if (failureSamples.length < 5) failureSamples.push(`${measured ? '' : 'warm-up: '}${message}`);
  };

  const purchase = async (shopper: Shopper, due: number, measured: boolean): Promise<void> => {
    const rec: Recorder = {
      record(step, ms) {
        if (measured) perStep[step].record(ms);
      },
    };
    const added = await gql(opts.url, ADD_TO_CART, { input: { variantId: opts.variantId, quantity: 1 } }, shopper.token);
    rec.record('addToCart', added.ms);
    const cart = payloadOf(added, 'addToCart', 'addToCart');
    if (cart.errors?.length) throw new Unexpected(`addToCart: ${JSON.stringify(cart.errors)}`);

    const placed = await gql(opts.url, CHECKOUT, { input: { addressId: shopper.addressId }, key: randomUUID() }, shopper.token);
    rec.record('checkout', placed.ms);
    const payload = payloadOf(placed, 'checkout', 'checkout');
    if (payload.errors?.length) throw new Unexpected(`checkout: ${JSON.stringify(payload.errors)}`);
    const checkout = payload.checkout as { id: string; status: string; orders: unknown[] } | null;
    if (!checkout || checkout.status !== 'PENDING_PAYMENT' || !checkout.orders?.length) throw new Unexpected(`checkout: expected PENDING_PAYMENT with orders, got ${JSON.stringify(checkout).slice(0, 200)}`);

    await payAndConfirm(opts.url, opts.secret, shopper, checkout.id, rec);
    if (measured) {
      checkoutMs.record(placed.ms);
      purchaseMs.record(performance.now() - due);
      paidIds.push(checkout.id);
      completed++;
      lastCompleted = performance.now();
    }
  };

  const arrive = (i: number, due: number) => {
    const measured = i >= warmArrivals;
    if (i === warmArrivals) {
      windowCpu = process.cpuUsage();
      windowStarted = performance.now();
      opts.onWindow?.('start');
    }
    if (!measured) warm.arrivals++;
    const shopper = idle.pop();
    if (!shopper) {
      if (measured) dropped++;
      else warm.dropped++;
      return;
    }
    if (measured) lagMs.record(performance.now() - due);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const p = purchase(shopper, due, measured).then(
      // Back to the pool only after a clean purchase: a failed one may leave a line in its cart.
      () => void idle.push(shopper),
      (err: unknown) => fail(measured, err instanceof Error ? err.message : String(err)),
    );
    const tracked = p.finally(() => {
      inFlight--;
      running.delete(tracked);
    });
    running.add(tracked);
  };

  log(`open loop: ${opts.rate}/s for ${opts.warmup} s warm-up + ${opts.seconds} s (${total} arrivals) with ${opts.shoppers.length} shoppers`);
  // The schedule: every arrival whose time has come starts now, late ones included (their lateness
  // counts in their purchase latency); then sleep until the next one is due.
  const t0 = performance.now() + 20;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && t0 + next * interval <= now) {
        arrive(next, t0 + next * interval);
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, t0 + next * interval - performance.now()));
    };
    tick();
  });

  const drainMs = (opts.drainSeconds ?? 30) * 1000;
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    Promise.all([...running]).then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), drainMs);
    }),
  ]);
  clearTimeout(timer);
  if (!drained) {
    // Counted as failures of the window (a warm-up one would long have ended).
    fail(true, `${running.size} purchases still in flight ${drainMs / 1000} s after the last arrival`);
    failures += running.size - 1;
  }
  opts.onWindow?.('end');
  const cpu = process.cpuUsage(windowCpu);
  const windowMs = Math.max(performance.now() - windowStarted, 1);

  let paidInDatabase: OpenLoopResult['paidInDatabase'];
  if (opts.db && paidIds.length) {
    const rows = await opts.db.sql<{ status: string; n: number }>('select status, count(*)::int as n from checkout where id in (?) group by status', [paidIds.map(checkoutKey)]);
    const other: Record<string, number> = {};
    let paid = 0;
    for (const r of rows) {
      if (r.status === 'PAID') paid = r.n;
      else other[r.status] = r.n;
    }
    paidInDatabase = { checked: paidIds.length, paid, other };
    if (paid !== paidIds.length) fail(true, `the database shows ${paid} of ${paidIds.length} completed checkouts PAID (${JSON.stringify(other)})`);
  }

  const spanSeconds = completed ? (lastCompleted - windowStarted) / 1000 : opts.seconds;
  const result: OpenLoopResult = {
    rate: opts.rate,
    seconds: opts.seconds,
    warmup: opts.warmup,
    arrivals: total - warmArrivals,
    completed,
    dropped,
    failures,
    failureSamples,
    checkout: checkoutMs.summary(),
    purchase: purchaseMs.summary(),
    steps: Object.fromEntries(STEPS.map((s) => [s, { ...perStep[s].summary(), requests: perStep[s].count }])) as OpenLoopResult['steps'],
    lag: lagMs.summary(),
    achievedRate: Math.round((completed / Math.max(spanSeconds, opts.seconds)) * 10) / 10,
    spanSeconds: round2(spanSeconds),
    maxInFlight,
    shoppers: opts.shoppers.length,
    warm,
    clientCpuShare: round2((cpu.user + cpu.system) / 1000 / windowMs),
    paidInDatabase,
  };
  log(
    `  ${result.completed}/${result.arrivals} purchases (${result.achievedRate}/s), ${result.dropped} dropped, ${result.failures} failed; ` +
      `checkout p50 ${result.checkout.p50} p90 ${result.checkout.p90} p99 ${result.checkout.p99} max ${result.checkout.max} ms; ` +
      `purchase p99 ${result.purchase.p99} ms; lag p99 ${result.lag.p99} ms; in flight ≤ ${maxInFlight}; client CPU ${Math.round(result.clientCpuShare * 100)}% of a core`,
  );
  return result;
}

/** Whether the run meets OPEN_LOOP_TARGET: the rate asked and held (nothing dropped or failed), checkout p99 under the line. */
export function openLoopMet(r: OpenLoopResult): boolean {
  return r.rate >= OPEN_LOOP_TARGET.rate && r.dropped === 0 && r.failures === 0 && r.completed === r.arrivals && r.checkout.p99 <= OPEN_LOOP_TARGET.p99Ms;
}

/** The run as a row of bench/report.ts's targets table. */
export function openLoopTarget(r: OpenLoopResult): Target {
  return {
    name: `open-loop checkout p99 ≤ ${OPEN_LOOP_TARGET.p99Ms} ms at ${OPEN_LOOP_TARGET.rate}/s, nothing dropped or failed`,
    scenario: 'checkout-open',
    measured: `${r.checkout.p99} ms at ${r.rate}/s (${r.completed}/${r.arrivals} done, ${r.dropped} dropped, ${r.failures} failed)`,
    target: `≤ ${OPEN_LOOP_TARGET.p99Ms} ms at ≥ ${OPEN_LOOP_TARGET.rate}/s`,
    met: openLoopMet(r),
  };
}

/** A Markdown table of one open-loop run: its header, separator and one row. */
export function openLoopTable(r: OpenLoopResult): string {
  const l = (s: LatencySummary) => (Number.isNaN(s.p50) ? '–' : `${s.p50} / ${s.p90} / ${s.p99} / ${s.max}`);
  return [
    '| open-loop checkout | rate/s (achieved) | arrivals | completed | dropped | failed | checkout p50 / p90 / p99 / max ms | purchase p50 / p90 / p99 / max ms | target |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    `| ${r.seconds} s after ${r.warmup} s warm-up, ${r.shoppers} shoppers | ${r.rate} (${r.achievedRate}) | ${r.arrivals} | ${r.completed} | ${r.dropped} | ${r.failures} | ${l(r.checkout)} | ${l(r.purchase)} | p99 ≤ ${OPEN_LOOP_TARGET.p99Ms} ms: ${openLoopMet(r) ? 'met' : 'NOT met'} |`,
  ].join('\n');
}

/**
 * Stand-alone run (not a test): the bench database, the server and the fixtures as bench/run.ts
 * prepares them, shoppersFor(rate) open-loop shoppers, then the open loop on the warm-up variant.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      shoppers: { type: 'string' },
      workers: { type: 'string' },
      products: { type: 'string' },
      smoke: { type: 'boolean' },
    },
  });
  const smoke = values.smoke === true;
  const num = (v: string | undefined, dflt: number) => (v === undefined ? dflt : Number(v));
  // One rate, or several in turn on the same server ("20,40,100"): where the checkout saturates.
  const rates = (values.rate ?? String(smoke ? 20 : OPEN_LOOP_TARGET.rate)).split(',').map(Number);
  const seconds = num(values.seconds, smoke ? 2 : 10);
  const warmup = num(values.warmup, smoke ? 1 : 3);
  const workers = num(values.workers, smoke ? 1 : availableParallelism());
  const products = num(values.products, smoke ? 300 : 20_000);
  const started = performance.now();
  const log = (m: string) => console.log(`[open-loop +${((performance.now() - started) / 1000).toFixed(1)}s] ${m}`);

  const cleanup = new Cleanup();
  const stop = () => void cleanup.run().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const from = smoke ? 'source' : 'dist';
    if (from === 'dist') buildIfStale(log);
    const db = await prepareDatabase({ products, pgPort: 54339, poolMax: 4 }, cleanup, log);
    const results = path.resolve(__dirname, 'results');
    mkdirSync(results, { recursive: true });
    const server = await startServer(
      { databaseUrl: db.url, workers, poolMax: 10, from, cpuProf: false, nodeFlags: [], catalogCache: 'on', logFile: path.join(results, 'open-loop-server.log'), profileDir: path.join(results, 'profiles') },
      cleanup,
      log,
    );
    const fx = await prepareFixtures(server.url, db, { connections: 4, stock: 30 }, log);
    // As in `npm run bench`: the risk rules off (only checkout-risk scores), restored afterwards.
    const rules = await enabledRiskRules(db);
    cleanup.add('risk rules restored', async () => void (await setRiskRules(db, rules)));
    await setRiskRules(db, []);
    const shoppers = await openLoopShoppers(server.url, db, num(values.shoppers, shoppersFor(Math.max(...rates))));
    const cpu = new CpuMeter(server.child.pid, db.postmasterPid);
    let failed = 0;
    for (const rate of rates) {
      // A failed purchase may have left a line in its shopper's cart.
      await db.sql('delete from cart_line where user_id in (?)', [shoppers.map((s) => s.userId)]);
      const onWindow = (edge: 'start' | 'end') => edge === 'start' && cpu.begin();
      const result = await openLoopCheckout({ url: server.url, secret: server.webhookSecret, rate, seconds, warmup, shoppers, variantId: fx.warmup.variantId, db, drainSeconds: 120, onWindow }, log);
      const used = cpu.end(result.completed);
      log(`  CPU per completed purchase: ${used.serverMsPerRequest} ms server + ${used.postgresMsPerRequest ?? '–'} ms PostgreSQL; machine ${Math.round(used.busyShare * 100)}% busy, others ${Math.round(used.othersShare * 100)}%`);
      console.log(`\n${openLoopTable(result)}\n`);
      console.log(JSON.stringify({ steps: result.steps, lag: result.lag, maxInFlight: result.maxInFlight, clientCpuShare: result.clientCpuShare, warm: result.warm, paidInDatabase: result.paidInDatabase, failureSamples: result.failureSamples }));
      failed += result.failures + result.warm.failures;
    }
    return failed ? 1 : 0;
  } finally {
    await cleanup.run();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
