import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SCENARIOS } from '../../bench/options';

/**
 * Keeps `npm run bench` from rotting: its smoke mode (a 300-product catalog, one worker, a second
 * per scenario; the feed scenario starts a second server of 2 workers) runs end to end against this
 * file's database. Speed is not asserted here (the benchmark's targets are for the real run); that
 * every scenario ran without an error is.
 */
const root = path.resolve(__dirname, '../..');
const results = mkdtempSync(path.join(tmpdir(), 'marketplace-bench-'));
afterAll(() => rmSync(results, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(root, 'bench', 'run.ts'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

it('runs every benchmark scenario and both ceilings in smoke mode without an error', async () => {
  const out = path.join(results, 'smoke.json');
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_DATABASE_URL: process.env.TEST_DB_URL };
  delete env.NODE_ENV;
  const { code, output } = await run(['--smoke', '--out', out, '--results-dir', results, '--timeout', '230'], env);
  expect(code, output).toBe(0);

  const result = JSON.parse(readFileSync(out, 'utf8'));
  expect(result.failures).toEqual([]);
  expect(result.scenarios.map((s: { name: string }) => s.name)).toEqual([...SCENARIOS]);
  for (const s of result.scenarios) {
    expect(s.requests, s.name).toBeGreaterThan(0);
    expect(s.errors + s.non2xx + s.gqlErrors, s.name).toBe(0);
    // Cached anonymous catalog answers run no SQL at all; every other scenario runs some.
    // The feed runs on a server of its own with 2 workers, whose SQL only pg_stat_statements counts.
    if (!['listing', 'search-zh', 'search-en', 'category', 'detail', 'detail-reviews', 'feed'].includes(s.name)) expect(s.sqlPerRequest, s.name).toBeGreaterThan(0);
    expect(s.rss.workersMb, s.name).toHaveLength(s.name === 'feed' ? 2 : 1);
  }
  const checkout = result.scenarios.find((s: { name: string }) => s.name === 'checkout').checkout;
  expect(checkout.soldOut).toBe(true);
  expect(checkout.purchases).toBe(checkout.stock.stockAtStart);
  expect(checkout.stock.oversold).toBe(false);
  expect(checkout.stock.problems).toEqual([]);
  // The same carts and checkouts with promotions and coupons live: discounted, and beside the plain figures.
  const promoted = result.scenarios.find((s: { name: string }) => s.name === 'checkout-promotions');
  expect(promoted.checkout.soldOut).toBe(true);
  expect(promoted.checkout.stock.problems).toEqual([]);
  expect(promoted.promotions.problems).toEqual([]);
  expect(promoted.promotions.proof.ordersWithBoth).toBe(promoted.promotions.proof.orders);
  expect(promoted.promotions.proof.couponDiscounts).toBeGreaterThan(0);
  expect(promoted.vsPlain.scenario).toBe('checkout');
  expect(result.scenarios.find((s: { name: string }) => s.name === 'cart-promotions').vsPlain.scenario).toBe('cart');
  expect(output).toContain('| cart-promotions vs cart |');
  // The same checkouts scored by the risk rules (disabled for every other scenario), beside the plain figures.
  const scored = result.scenarios.find((s: { name: string }) => s.name === 'checkout-risk');
  expect(scored.checkout.soldOut).toBe(true);
  expect(scored.checkout.stock.problems).toEqual([]);
  expect(scored.risk.problems).toEqual([]);
  expect(scored.risk.proof.rules).toBeGreaterThan(0);
  expect(scored.vsPlain.scenario).toBe('checkout');
  expect(output).toContain('| checkout-risk vs checkout |');
  // A flash sale and a plain hot variant, each bought by more buyers at once than it has units.
  const flash = result.scenarios.find((s: { name: string }) => s.name === 'flash').flash;
  for (const round of [flash.flash, flash.plain]) {
    expect(round.sold, round.round).toBe(round.units);
    expect(round.problems, round.round).toEqual([]);
    expect(Object.values(round.answers).reduce((a: number, b: any) => a + b, 0), round.round).toBe(round.buyers - round.units);
  }
  expect(Object.keys(flash.flash.answers).every((c) => ['FLASH_SALE_SOLD_OUT', 'FLASH_SALE_LIMIT_REACHED'].includes(c))).toBe(true);
  expect(Object.keys(flash.plain.answers)).toEqual(['INSUFFICIENT_STOCK']);
  expect(flash.ledgerSum).toBe(0);
  expect(result.targets.some((t: { name: string }) => t.name.startsWith('flash checkout p99'))).toBe(true);
  // Subscriptions over graphql-ws on 2 workers while the checkout loop runs: every paid order of the
  // watched shop on each of its sockets, every shopper's notification on theirs, all closed cleanly.
  const feed = result.scenarios.find((s: { name: string }) => s.name === 'feed');
  expect(feed.checkout.soldOut).toBe(true);
  expect(feed.checkout.stock.problems).toEqual([]);
  expect(feed.feed.workers).toBe(2);
  expect(feed.feed.sockets.total).toBe(20);
  expect(feed.feed.perWorker.every((n: number) => n > 0), JSON.stringify(feed.feed.perWorker)).toBe(true);
  expect(feed.feed.probe.live).toBe(true);
  expect(feed.feed.paid.expected).toBe(feed.checkout.purchases * feed.feed.sockets.selling);
  expect(feed.feed.paid.received).toBe(feed.feed.paid.expected);
  expect(feed.feed.notifications.expected).toBeGreaterThan(0);
  expect(feed.feed.notifications.received).toBe(feed.feed.notifications.expected);
  expect(feed.feed.latencyFromAt.samples).toBeGreaterThanOrEqual(feed.feed.paid.expected);
  expect(feed.feed.closed).toEqual({ 1000: 20 });
  expect(feed.feed.problems).toEqual([]);
  expect(output).toContain('| live events during the loop |');
  expect(output).toContain('MB per 1,000 sockets');
  expect(result.ceilings.bareFastify.requests).toBeGreaterThan(0);
  expect(Object.keys(result.ceilings.pg)).toEqual(['listing', 'search-zh', 'search-en', 'category', 'facets']);
  // One statement building the listing's JSON behind bare Fastify: the ceiling the compiled reads are held to.
  expect(result.ceilings.bareFastifyPg.requests).toBeGreaterThan(0);
  // Signed-in catalog reads (no cache for them) are answered by the compiled path, facets included.
  for (const name of ['listing-signed-in', 'search-signed-in', 'detail-signed-in', 'facets']) {
    const s = result.scenarios.find((x: { name: string }) => x.name === name);
    expect(s.compiled, name).toBe(s.requests);
  }
  // The realistic mix: reads signed in and anonymous over 200 distinct requests, and merchant writes, all clean.
  const mixed = result.scenarios.find((s: { name: string }) => s.name === 'mixed');
  expect(mixed.mixed.reads.distinct).toBe(200);
  expect(mixed.mixed.problems).toEqual([]);
  expect(mixed.mixed.classes['signed-in read'].requests).toBeGreaterThan(0);
  expect(Object.values(mixed.mixed.classes).every((c: any) => c.non2xx === 0 && c.gqlErrors === 0)).toBe(true);
  expect(output).toContain('| anonymous listing, 20 per page');
}, 260_000);
