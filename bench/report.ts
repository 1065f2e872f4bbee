import { readFileSync } from 'node:fs';
import type { StockProof } from './checkout';
import type { CpuUse } from './cpu';
import type { FeedDetail } from './feed';
import type { FlashDetail, FlashRound } from './flash';
import type { LoadResult } from './load';
import type { OpenLoopResult } from './openLoop';
import type { MixedDetail } from './mixed';
import { WITH_PROMOTIONS, WITH_REVIEWS, WITH_RISK } from './options';
import type { BenchReviews } from './reviews';
import type { SettleResult } from './settle';
import type { SnapshotResult } from './snapshot';
import type { DiscountProof } from './promotions';
import type { ScoringProof } from './risk';
import type { LatencySummary } from './stats';

export interface ScenarioResult extends LoadResult {
  name: string;
  title: string;
  /** SQL statements per request, counted on the database (pg_stat_statements) or by the server (/metrics). */
  sqlPerRequest: number | null;
  sql?: { serverPerRequest?: number | null; top?: { perRequest: number; meanMs: number; query: string }[] };
  /** Statements one request sends, recorded by the server's own query counter in-process (read scenarios). */
  sqlCaptured?: number;
  rss: { primaryMb: number; workersMb: number[] };
  cpu?: CpuUse;
  /**
   * req/s against the ceilings: the bare pg loop of the scenario's SQL (`pgCeiling` names the loop
   * when the scenario shares another's identical statements), bare Fastify, bare Fastify + pg.
   */
  ratio: { pg?: number; fastify?: number; fastifyPg?: number };
  /** The pg ceiling the scenario is held to, when it is another scenario's (the same statements). */
  pgCeiling?: string;
  /** The mixed scenario: its classes of request and what they touched. */
  mixed?: MixedDetail;
  /** checkout-open: purchases on a fixed arrival schedule (bench/openLoop.ts). */
  openLoop?: OpenLoopResult;
  /** A with-promotions or with-reviews scenario against the plain one it repeats: req/s and p99 with ÷ without. */
  vsPlain?: { scenario: string; rps: number; p99: number };
  /** The product page's reviews (`detail-reviews`): what the detail products hold, and the check of every page. */
  reviews?: {
    seeded?: BenchReviews;
    /** What was checked, in a sentence. */
    summary: string;
    problems: string[];
  };
  /** The promotions and coupons live during a with-promotions scenario, and the proof they applied. */
  promotions?: {
    promotions: string[];
    couponsGranted: number;
    /** What was checked, in a sentence. */
    summary: string;
    /** The checkout scenario's proof from the database. */
    proof?: DiscountProof;
    problems: string[];
  };
  /** A checkout scenario's scoring statement (one per checkout): calls and mean execution time (pg_stat_statements). */
  scoring?: { calls: number; meanMs: number } | null;
  /** The risk rules of `checkout-risk` and what the orders it placed scored. */
  risk?: {
    summary: string;
    proof: ScoringProof;
    problems: string[];
  };
  checkout?: {
    purchases: number;
    /** Purchases whose checkout passed a coupon. */
    withCoupon?: number;
    insufficientStock: number;
    soldOut: boolean;
    steps: Record<string, LatencySummary & { requests: number }>;
    stock?: StockProof;
  };
  /** The flash scenario: its flash-sale round and its plain hot-variant round at the same load. */
  flash?: FlashDetail;
  /** The feed scenario: live subscriptions open while the checkout loop runs. */
  feed?: FeedDetail;
  failures: string[];
}

export interface Target {
  name: string;
  scenario: string;
  measured: string;
  target: string;
  met: boolean;
}

export interface BenchResult {
  version: 1;
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; postgres: string; platform: string };
  options: Record<string, unknown>;
  database: { where: string; sqlCounting: string };
  catalog: { products: number; variants: number; categories: number; shops: number; seeded: string; seedSeconds: number };
  ceilings: {
    bareFastify?: LoadResult & { bodyBytes: number };
    /** Bare Fastify + node-postgres: one statement building the listing page's JSON (bench/bareFastifyPg.ts). */
    bareFastifyPg?: LoadResult & { bodyBytes: number; poolMax: number; cpu?: CpuUse };
    pg: Record<string, LoadResult & { statements: number; cpu?: CpuUse }>;
  };
  scenarios: ScenarioResult[];
  /** The `settle` scenario (no request load: its own section), when it ran. */
  settle?: SettleResult;
  /** The `snapshot` scenario (no request load: its own section), when it ran. */
  snapshot?: SnapshotResult;
  targets: Target[];
  failures: string[];
  seconds: number;
}

const f = (n: number | null | undefined, digits = 1) => (n == null || Number.isNaN(n) ? '–' : n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const cpu = (c: CpuUse | undefined) => (c ? `${f(c.serverMsPerRequest)}${c.postgresMsPerRequest != null ? ` + ${f(c.postgresMsPerRequest)}` : ''}` : '–');
const pct = (r: number | undefined) => (r == null ? '–' : `${Math.round(r * 100)}%`);

export function markdownTable(result: BenchResult): string {
  const rows: string[] = [];
  rows.push('| scenario | req/s | p50 ms | p90 ms | p99 ms | errors | non-2xx | GraphQL errors | SQL/req | CPU ms/req server + PG | RSS/worker MB | vs pg ceiling | vs bare Fastify | vs bare Fastify + pg |');
  rows.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of result.scenarios) {
    const extra = s.flash
      ? ` (${s.flash.flash.sold} sold${Object.entries(s.flash.flash.answers).map(([c, n]) => `, ${n} × ${c}`).join('')}; checkout latency)`
      : s.feed
      ? ` (${s.checkout?.purchases ?? 0} orders, ${s.feed.sockets.total} sockets over ${s.feed.workers} workers)`
      : s.checkout
      ? ` (${s.checkout.purchases} orders${s.checkout.withCoupon ? ` (${s.checkout.withCoupon} with a coupon)` : ''}, ${s.checkout.insufficientStock} × INSUFFICIENT_STOCK expected)`
      : readNotes(s);
    rows.push(
      `| ${s.title}${extra} | ${f(s.rps, 0)} | ${f(s.latency.p50)} | ${f(s.latency.p90)} | ${f(s.latency.p99)} | ${s.errors} | ${s.non2xx} | ${s.gqlErrors} | ${f(s.sqlPerRequest, 2)} | ${cpu(s.cpu)} | ${s.rss.workersMb.length ? Math.max(...s.rss.workersMb).toFixed(0) : '–'} | ${pct(s.ratio.pg)}${s.pgCeiling ? ` (${s.pgCeiling}'s)` : ''} | ${pct(s.ratio.fastify)} | ${pct(s.ratio.fastifyPg)} |`,
    );
  }
  const c = result.ceilings;
  if (c.bareFastify) {
    const b = c.bareFastify;
    rows.push(`| *ceiling: bare Fastify GET, ${b.bodyBytes.toLocaleString('en')}-byte JSON* | ${f(b.rps, 0)} | ${f(b.latency.p50)} | ${f(b.latency.p90)} | ${f(b.latency.p99)} | ${b.errors} | ${b.non2xx} | – | – | – | – | – | 100% | – |`);
  }
  if (c.bareFastifyPg) {
    const b = c.bareFastifyPg;
    rows.push(
      `| *ceiling: bare Fastify + pg, the listing page's JSON (${b.bodyBytes.toLocaleString('en')} bytes) built by one statement, pool ${b.poolMax}/worker* | ${f(b.rps, 0)} | ${f(b.latency.p50)} | ${f(b.latency.p90)} | ${f(b.latency.p99)} | ${b.errors} | ${b.non2xx} | – | 1 | ${cpu(b.cpu)} | – | – | – | 100% |`,
    );
  }
  for (const [name, p] of Object.entries(c.pg)) {
    rows.push(`| *ceiling: bare pg loop, ${name} SQL (${p.statements} statements)* | ${f(p.rps, 0)} | ${f(p.latency.p50)} | ${f(p.latency.p90)} | ${f(p.latency.p99)} | ${p.errors} | – | – | ${p.statements} | ${p.cpu?.postgresMsPerRequest != null ? `PG ${f(p.cpu.postgresMsPerRequest)}` : '–'} | – | 100% | – | – |`);
  }
  return rows.join('\n');
}

/** A read scenario's note: the share answered from the anonymous catalog cache, and by the compiled catalog path. */
function readNotes(s: Pick<LoadResult, 'requests' | 'cacheHits' | 'compiled'>): string {
  const share = (n: number | undefined) => `${Math.round(((n ?? 0) / Math.max(s.requests, 1)) * 100)}%`;
  const notes = [...(s.cacheHits ? [`${share(s.cacheHits)} cache hits`] : []), ...(s.compiled ? [`${share(s.compiled)} compiled`] : [])];
  return notes.length ? ` (${notes.join(', ')})` : '';
}

/**
 * The mixed scenario's own section: each class of request (signed-in and anonymous reads, the
 * merchant's three kinds of write) with its share of the answers, req/s, latencies, cache hits and
 * compiled answers, then what the reads and writes were.
 */
export function mixedTable(result: BenchResult): string | undefined {
  const s = result.scenarios.find((x) => x.mixed);
  if (!s?.mixed) return undefined;
  const d = s.mixed;
  const share = (n: number, of: number) => `${Math.round((n / Math.max(of, 1)) * 1000) / 10}%`;
  const rows = [
    '| mixed: class of request | share | requests | req/s | p50 ms | p90 ms | p99 ms | cache hits | compiled | non-2xx | failed bodies |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const [name, c] of Object.entries(d.classes)) {
    rows.push(
      `| ${name} | ${share(c.share, 1)} | ${c.requests.toLocaleString('en')} | ${f(c.rps, 0)} | ${f(c.latency.p50)} | ${f(c.latency.p90)} | ${f(c.latency.p99)} | ${share(c.cacheHits, c.requests)} | ${share(c.compiled, c.requests)} | ${c.non2xx} | ${c.gqlErrors} |`,
    );
  }
  rows.push(
    `| all | 100% | ${s.requests.toLocaleString('en')} | ${f(s.rps, 0)} | ${f(s.latency.p50)} | ${f(s.latency.p90)} | ${f(s.latency.p99)} | ${share(s.cacheHits ?? 0, s.requests)} | ${share(s.compiled ?? 0, s.requests)} | ${s.non2xx} | ${s.gqlErrors} |`,
  );
  const r = d.reads;
  return [
    ...rows,
    '',
    `Reads: ${r.distinct} distinct (${r.searches} searches for words of product titles, e.g. ${[...d.terms.zh.slice(0, 4), ...d.terms.en.slice(0, 4)].join(', ')}; ${r.filtered} filter combinations of category, brands, price, stock and sort; ` +
      `${r.secondPages} second pages by cursor; ${r.details} product details), signed in as ${d.shoppers} shoppers or anonymous; writes by the merchant on ${d.writes.priceProducts} products (price ±0.01) and ` +
      `${d.writes.stockVariants} variants (stock +1/−1), ${d.writes.draftsCreated} DRAFT products created (warm-up included).${d.problems.length ? ` PROBLEMS: ${d.problems.join('; ')}` : ''}`,
  ].join('\n');
}

// The throughput the CPU per request allows, with ÷ without: what the req/s ratio would be on an
// otherwise idle machine (the req/s of a shared box move with its neighbours, this much less).
const cpuTotal = (c: CpuUse | undefined) => (c ? c.serverMsPerRequest + (c.postgresMsPerRequest ?? 0) : undefined);

/** The paired scenarios of `names` that ran with their plain scenario. */
function pairsOf(result: BenchResult, names: readonly string[]): { s: ScenarioResult; plain: ScenarioResult }[] {
  return result.scenarios.filter((s) => s.vsPlain && names.includes(s.name)).map((s) => ({ s, plain: result.scenarios.find((x) => x.name === s.vsPlain!.scenario)! }));
}

/** One row per pair: req/s, p99, SQL and CPU per request, plain → with, and the ratios. */
function pairRows(heading: string, pairs: { s: ScenarioResult; plain: ScenarioResult }[]): string[] {
  const rows = [
    `| ${heading} | req/s plain → with | ratio | p99 ms plain → with | ratio | SQL/req plain → with | CPU ms/req server + PG plain → with | CPU ratio plain ÷ with |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const { s, plain } of pairs) {
    const [a, b] = [cpuTotal(plain.cpu), cpuTotal(s.cpu)];
    rows.push(
      `| ${s.name} vs ${plain.name} | ${f(plain.rps, 0)} → ${f(s.rps, 0)} | ${pct(s.vsPlain!.rps)} | ${f(plain.latency.p99)} → ${f(s.latency.p99)} | ${pct(s.vsPlain!.p99)} | ${f(plain.sqlPerRequest, 2)} → ${f(s.sqlPerRequest, 2)} | ${cpu(plain.cpu)} → ${cpu(s.cpu)} | ${a && b ? pct(a / b) : '–'} |`,
    );
  }
  return rows;
}

/**
 * Each with-promotions scenario beside the plain one it repeats: req/s, p99, SQL and CPU per
 * request, with the ratio with ÷ without (the target is ≥ 80% of the plain req/s).
 */
export function promotionsTable(result: BenchResult): string | undefined {
  const pairs = pairsOf(result, Object.keys(WITH_PROMOTIONS));
  if (!pairs.length) return undefined;
  const rows = pairRows('with promotions vs plain', pairs);
  for (const { s, plain } of pairs) {
    if (!s.checkout || !plain.checkout) continue;
    for (const [step, l] of Object.entries(s.checkout.steps)) {
      const b = plain.checkout.steps[step];
      if (b) rows.push(`| ${s.name} vs ${plain.name}: ${step} step | ${b.requests} → ${l.requests} requests | | ${f(b.p99)} → ${f(l.p99)} | ${b.p99 ? pct(l.p99 / b.p99) : '–'} | | | |`);
    }
  }
  const notes = pairs.filter(({ s }) => s.promotions).map(({ s }) => `${s.name}: ${s.promotions!.summary}${s.promotions!.problems.length ? ` PROBLEMS: ${s.promotions!.problems.join('; ')}` : ''}`);
  return [...rows, ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : [])].join('\n');
}

/**
 * The checkout loop with the risk rules enabled beside the loop with none (the target is ≥ 90% of
 * its req/s): req/s, p99, SQL and CPU per request, each step's p99, and what the orders scored.
 */
export function riskTable(result: BenchResult): string | undefined {
  const pairs = pairsOf(result, Object.keys(WITH_RISK));
  if (!pairs.length) return undefined;
  const rows = pairRows('with risk rules vs none', pairs);
  for (const { s, plain } of pairs) {
    if (!s.checkout || !plain.checkout) continue;
    for (const [step, l] of Object.entries(s.checkout.steps)) {
      const b = plain.checkout.steps[step];
      if (b) rows.push(`| ${s.name} vs ${plain.name}: ${step} step | ${b.requests} → ${l.requests} requests | | ${f(b.p99)} → ${f(l.p99)} | ${b.p99 ? pct(l.p99 / b.p99) : '–'} | | | |`);
    }
  }
  const notes = pairs.filter(({ s }) => s.risk).map(({ s }) => `${s.name}: ${s.risk!.summary}${s.risk!.problems.length ? ` PROBLEMS: ${s.risk!.problems.join('; ')}` : ''}`);
  for (const { s, plain } of pairs) {
    const ms = (x: ScenarioResult) => (x.scoring ? `${f(x.scoring.meanMs, 3)} ms (${x.scoring.calls} calls)` : '–');
    notes.push(`${s.name}: the scoring statement, one per checkout, mean execution ${ms(plain)} with no rule enabled (the blacklist lookups alone) → ${ms(s)} with the rules.`);
  }
  return [...rows, ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : [])].join('\n');
}

/**
 * The product page with its rating and first page of reviews beside the product detail without
 * them (the target is ≥ 80% of its req/s), with the statements of one uncached request of each
 * and, when the catalog cache answered the plain one, how often.
 */
export function reviewsTable(result: BenchResult): string | undefined {
  const pairs = pairsOf(result, Object.keys(WITH_REVIEWS));
  if (!pairs.length) return undefined;
  const rows = pairRows('with reviews vs without', pairs);
  const notes: string[] = [];
  for (const { s, plain } of pairs) {
    const hits = (x: ScenarioResult) => `${Math.round(((x.cacheHits ?? 0) / Math.max(x.requests, 1)) * 100)}%`;
    notes.push(
      `${s.name}: one uncached request sends ${plain.sqlCaptured ?? '–'} → ${s.sqlCaptured ?? '–'} SQL statements; catalog-cache hits ${hits(plain)} → ${hits(s)} (productReviews is cached with the catalog's anonymous answers and dropped by any review change).`,
    );
    if (s.reviews) notes.push(`${s.name}: ${s.reviews.summary}${s.reviews.problems.length ? ` PROBLEMS: ${s.reviews.problems.join('; ')}` : ''}`);
  }
  return [...rows, '', ...notes.map((n) => `- ${n}`)].join('\n');
}

/**
 * The flash scenario's two rounds side by side: the same buyers checking out one unit each at the
 * same instant, of a flash-sale item and of a plain variant with as many units; then, per round,
 * what the database sessions were doing and the statements that took the most time.
 */
export function flashTable(result: BenchResult): string | undefined {
  const s = result.scenarios.find((x) => x.flash);
  if (!s?.flash) return undefined;
  const d = s.flash;
  const answers = (r: FlashRound) => Object.entries(r.answers).map(([c, n]) => `${n} × ${c}`).join(', ') || '–';
  const row = (label: string, r: FlashRound) =>
    `| ${label} | ${r.buyers} | ${r.units} | ${r.sold} | ${answers(r)} | ${f(r.checkout.p50)} | ${f(r.checkout.p90)} | ${f(r.checkout.p99)} | ${f(r.checkout.max)} | ${f(r.burstSeconds, 2)} | ${r.problems.length ? `**${r.problems.length} problems**` : 'ok'} |`;
  const lines = [
    `| ${d.flash.buyers} buyers at once, one unit each | buyers | units | sold | other answers | checkout p50 ms | p90 ms | p99 ms | max ms | last answer s | proof |`,
    '|---|--:|--:|--:|---|--:|--:|--:|--:|--:|:-:|',
    row(`flash-sale item ${d.item.sku} at ${(d.item.salePrice / 100).toFixed(2)} (per-user limit ${d.item.perUserLimit}, ${d.item.buckets} buckets)`, d.flash),
    row(`plain hot variant ${d.plainSku}`, d.plain),
    ...(d.floor ? [row(`no hot row: ${d.floor.sku} (--flash-floor)`, d.floor)] : []),
    `| flash ÷ plain | | | | | ${pct(d.flash.checkout.p50 / d.plain.checkout.p50)} | ${pct(d.flash.checkout.p90 / d.plain.checkout.p90)} | ${pct(d.p99Ratio ?? undefined)} | ${pct(d.flash.checkout.max / d.plain.checkout.max)} | | |`,
    '',
    `Per buyer (its checkout, and its payment and webhook when placed), CPU server + PostgreSQL and SQL statements: ${[d.flash, d.plain, ...(d.floor ? [d.floor] : [])]
      .map((r) => `${r.round} ${cpu(r.cpu)} ms, ${f(r.statementsPerBuyer, 1)} statements (other processes took ${pct(r.cpu.othersShare)} of the machine)`)
      .join('; ')}. Money ledger Σ = ${d.ledgerSum}.`,
  ];
  for (const r of [d.flash, d.plain, ...(d.floor ? [d.floor] : [])]) {
    if (r.problems.length) lines.push('', `${r.round} round PROBLEMS: ${r.problems.join('; ')}`);
    if (r.waits) {
      const states = r.waits.byState.map((w) => `${f(w.share, 2)} ${w.what}`).join(', ');
      lines.push('', `${r.round} round, database client sessions while the checkouts ran (${r.waits.samples} samples of pg_stat_activity, mean sessions per sample): ${states}. By statement:`);
      for (const w of r.waits.sessions) lines.push(`- ${f(w.share, 2)} × ${w.what}`);
    }
    if (r.top?.length) {
      lines.push('', `${r.round} round, statements by total time (pg_stat_statements; checkouts, payments and webhooks):`);
      for (const t of r.top) lines.push(`- ${t.calls} calls, ${t.totalMs.toLocaleString('en')} ms in all, mean ${f(t.meanMs, 2)} ms, max ${f(t.maxMs, 1)} ms: ${t.query}`);
    }
  }
  return lines.join('\n');
}

/**
 * The feed scenario's own section: the checkout loop with and without the subscriptions open, then
 * the events each kind of socket was due and got, with the delivery latency, and the memory.
 */
export function feedTable(result: BenchResult): string | undefined {
  const s = result.scenarios.find((x) => x.feed);
  if (!s?.feed) return undefined;
  const d = s.feed;
  const lat = (l: LatencySummary & { samples: number }) => (l.samples ? `${f(l.p50)} | ${f(l.p90)} | ${f(l.p99)} | ${f(l.max)}` : '– | – | – | –');
  const delivery = (x: { expected: number; received: number; missing: number; duplicates: number }) => `${x.expected} | ${x.received} | ${x.missing ? `**${x.missing}**` : 0} | ${x.duplicates}`;
  const m = d.memory;
  return [
    `| checkout loop (${d.workers} workers) | checkouts/s | req/s | p99 ms | orders |`,
    '|---|--:|--:|--:|--:|',
    `| without subscribers (${d.baseline.source}) | ${f(d.baseline.checkoutsPerSecond)} | ${f(d.baseline.rps, 0)} | ${f(d.baseline.p99)} | ${d.baseline.purchases} |`,
    `| with ${d.sockets.total.toLocaleString('en')} subscriptions open | ${f(d.checkoutsPerSecond)} | ${f(s.rps, 0)} | ${f(s.latency.p99)} | ${s.checkout?.purchases ?? '–'} |`,
    `| with ÷ without | ${pct(d.ratio ?? undefined)} | ${d.baseline.rps ? pct(s.rps / d.baseline.rps) : '–'} | ${d.baseline.p99 ? pct(s.latency.p99 / d.baseline.p99) : '–'} | |`,
    '',
    '| live events during the loop | sockets | expected | received | missing | duplicates | latency p50 ms | p90 ms | p99 ms | max ms |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    `| shopOrderEvents PAID on ${d.sockets.sellingShop} (${d.paid.orders} paid orders × sockets), receive − event \`at\` (before commit: upper bound) | ${d.sockets.selling} | ${delivery(d.paid)} | ${lat(d.latencyFromAt)} |`,
    `| the same, receive − payment webhook's answer (after commit: lower bound) | | | | | | ${lat(d.latencyFromWebhook)} |`,
    `| notificationAdded, the shoppers' ORDER_PAID, receive − webhook's answer | ${d.sockets.buyers} | ${delivery(d.notifications)} | ${lat(d.notificationLatencyFromWebhook)} |`,
    `| shopOrderEvents of ${d.sockets.quietShops} other shops (none of their orders placed) | ${d.sockets.quiet} | 0 | ${d.quietEvents} | | | | | | |`,
    '',
    `Sockets per worker ${d.perWorker.join(' / ')}, opened in ${f(d.openSeconds, 2)} s (50 at a time), each live (a probe round of ${d.probe.purchases} purchases reached ${d.probe.live ? 'every one' : '**not every one**'}); ` +
      `events on the selling shop's sockets by type: ${Object.entries(d.byType).map(([t, n]) => `${n} × ${t}`).join(', ') || 'none'}; ${d.drained ? `all delivered ${f(d.drainSeconds)} s after the loop's last answer` : `**not all delivered**: the wait gave up ${f(d.drainSeconds)} s after the loop's last answer (no progress for 10 s)`}` +
      `${Object.keys(d.errorCodes).length ? `; subscriptions ended or events with errors: ${Object.entries(d.errorCodes).map(([c, n]) => `${n} × ${c}`).join(', ')}` : ''}. ` +
      `Workers' RSS (sum) ${f(m.beforeMb, 0)} MB before the sockets → ${f(m.openMb, 0)} MB open = **${f(m.perThousandSocketsMb)} MB per 1,000 sockets**${m.perThousandSocketsMb < 0 ? ' (RSS fell meanwhile: the sockets cost less than its noise)' : ''}; ${f(m.afterLoopMb, 0)} MB after the loop, ${f(m.afterCloseMb, 0)} MB once closed. ` +
      `The bench's own CPU (the clients) ${f(d.clientCpuMsPerCheckout, 2)} ms per checkout. Closed: ${Object.entries(d.closed).map(([c, n]) => `${n} × ${c}`).join(', ')}.` +
      (d.problems.length ? ` PROBLEMS: ${d.problems.join('; ')}` : ''),
  ].join('\n');
}

/** The `settle` scenario's own table: one close of a week of orders, and the idempotent second close. */
export function settleTable(s: SettleResult): string {
  const n = (x: number) => x.toLocaleString('en');
  const agree = s.totals.net === s.totals.shopPayable ? 'yes' : `**no** (${n(s.totals.net)} vs ${n(s.totals.shopPayable)})`;
  return [
    '| job scenario | orders | shops | data generated in s | close ms | SQL statements | ledger entries settled | settlements closed | second close ms (closed) | Σ net = −Σ SHOP_PAYABLE |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|',
    `| ${s.title} | ${n(s.orders)} | ${n(s.shops)} | ${f(s.generation.ms / 1000)} | ${n(s.close.ms)} | ${s.close.statements} | ${n(s.close.entries)} | ${n(s.close.closed)} | ${n(s.again.ms)} (${s.again.closed}) | ${agree} |`,
  ].join('\n');
}

/** The `snapshot` scenario's own table: one snapshot of a month of orders and events, and the second run. */
export function snapshotTable(s: SnapshotResult): string {
  const n = (x: number) => x.toLocaleString('en');
  const w = s.written;
  const wrong = s.checks.filter((c) => c.snapshot !== c.source);
  return [
    '| job scenario | paid orders (placed) | events (sessions) | catalog products | data generated in s | snapshot ms | SQL statements | metric_daily rows PLATFORM / SHOP / CATEGORY | product rows | second run ms (SQL) | rows identical | totals = sources |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|',
    `| ${s.title} | ${n(s.orders)} (${n(s.placed)}) | ${n(s.events)} (${n(s.sessions)}) | ${n(s.catalog.products)} | ${f(s.generation.ms / 1000)} | ${n(s.snapshot.ms)} | ${s.snapshot.statements} | ` +
      `${n(w.platform)} / ${n(w.shop)} / ${n(w.category)} | ${n(w.product)} | ${n(s.again.ms)} (${s.again.statements}) | ${s.identical ? 'yes' : '**no**'} | ${wrong.length ? `**no** (${wrong.map((c) => c.name).join(', ')})` : `yes (${s.checks.length})`} |`,
  ].join('\n');
}

export function targetsTable(targets: Target[]): string {
  const rows = ['| target | scenario | measured | target | met |', '|---|---|--:|--:|:-:|'];
  for (const t of targets) rows.push(`| ${t.name} | ${t.scenario} | ${t.measured} | ${t.target} | ${t.met ? 'yes' : '**no**'} |`);
  return rows.join('\n');
}

export function checkoutDetail(result: BenchResult): string | undefined {
  const all = result.scenarios.filter((x) => x.checkout);
  if (!all.length) return undefined;
  const lines = [`| checkout step${all.length > 1 ? ' (scenario)' : ''} | requests | p50 ms | p90 ms | p99 ms |`, '|---|--:|--:|--:|--:|'];
  for (const s of all) {
    for (const [step, l] of Object.entries(s.checkout!.steps)) lines.push(`| ${step}${all.length > 1 ? ` (${s.name})` : ''} | ${l.requests} | ${f(l.p50)} | ${f(l.p90)} | ${f(l.p99)} |`);
  }
  for (const s of all) {
    const p = s.checkout!.stock;
    if (!p) continue;
    lines.push('');
    lines.push(
      `${all.length > 1 ? `${s.name}: ` : ''}Stock of ${p.variant}: ${p.stockAtStart} available at the start; on_hand ${p.onHandBefore} → ${p.onHandAfter}, reserved ${p.reservedBefore} → ${p.reservedAfter}; ` +
        `order lines placed in the loop: ${p.unitsPaid} units paid, ${p.unitsPending} awaiting payment in ${p.orders} orders; ${p.releasedMeanwhile ? `${p.releasedMeanwhile} earlier reservations released meanwhile; ` : ''}ledger ${p.ledgerOnHand}/${p.ledgerReserved}. ` +
        (p.problems.length ? `PROBLEMS: ${p.problems.join('; ')}` : 'No oversell: sold + reserved ≤ available at the start, and order lines, variant and ledger agree.'),
    );
  }
  return lines.join('\n');
}

/** The change of every scenario against an earlier result file. */
export function compareWith(file: string, now: BenchResult): string {
  const before = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
  const delta = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null || !a ? '–' : `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%`);
  const rows = [
    `Change against ${file} (${before.date}):`,
    '',
    '| scenario | req/s before → now | Δ | p99 ms before → now | Δ | SQL/req before → now | RSS MB before → now |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  const rss = (s: ScenarioResult) => (s.rss.workersMb.length ? Math.max(...s.rss.workersMb).toFixed(0) : '–');
  for (const s of now.scenarios) {
    const b = before.scenarios.find((x) => x.name === s.name);
    if (!b) {
      rows.push(`| ${s.title} | new: ${f(s.rps, 0)} | | ${f(s.latency.p99)} | | ${f(s.sqlPerRequest, 2)} | ${rss(s)} |`);
      continue;
    }
    rows.push(
      `| ${s.title} | ${f(b.rps, 0)} → ${f(s.rps, 0)} | ${delta(b.rps, s.rps)} | ${f(b.latency.p99)} → ${f(s.latency.p99)} | ${delta(b.latency.p99, s.latency.p99)} | ${f(b.sqlPerRequest, 2)} → ${f(s.sqlPerRequest, 2)} | ${rss(b)} → ${rss(s)} |`,
    );
  }
  if (before.ceilings.bareFastify && now.ceilings.bareFastify) {
    rows.push(`| *bare Fastify* | ${f(before.ceilings.bareFastify.rps, 0)} → ${f(now.ceilings.bareFastify.rps, 0)} | ${delta(before.ceilings.bareFastify.rps, now.ceilings.bareFastify.rps)} | | | | |`);
  }
  if (before.ceilings.bareFastifyPg && now.ceilings.bareFastifyPg) {
    rows.push(`| *bare Fastify + pg* | ${f(before.ceilings.bareFastifyPg.rps, 0)} → ${f(now.ceilings.bareFastifyPg.rps, 0)} | ${delta(before.ceilings.bareFastifyPg.rps, now.ceilings.bareFastifyPg.rps)} | | | | |`);
  }
  for (const [name, p] of Object.entries(now.ceilings.pg)) {
    const b = before.ceilings.pg?.[name];
    if (b) rows.push(`| *bare pg, ${name}* | ${f(b.rps, 0)} → ${f(p.rps, 0)} | ${delta(b.rps, p.rps)} | | | | |`);
  }
  if (before.settle && now.settle) {
    const [b, s] = [before.settle, now.settle];
    rows.push('', `Settle (${f(b.orders, 0)} → ${f(s.orders, 0)} orders): close ${f(b.close.ms, 0)} → ${f(s.close.ms, 0)} ms (${delta(b.close.ms, s.close.ms)}), SQL statements ${b.close.statements} → ${s.close.statements}.`);
  }
  if (before.snapshot && now.snapshot) {
    const [b, s] = [before.snapshot, now.snapshot];
    rows.push(
      '',
      `Snapshot (${f(b.orders, 0)} → ${f(s.orders, 0)} orders, ${f(b.events, 0)} → ${f(s.events, 0)} events): ${f(b.snapshot.ms, 0)} → ${f(s.snapshot.ms, 0)} ms (${delta(b.snapshot.ms, s.snapshot.ms)}), ` +
        `second run ${f(b.again.ms, 0)} → ${f(s.again.ms, 0)} ms, SQL statements ${b.snapshot.statements} → ${s.snapshot.statements}.`,
    );
  }
  return rows.join('\n');
}
