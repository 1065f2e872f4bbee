import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { createTestApp, type TestApp } from '../helpers/app';
import { listedProduct, productInput, seller, staff } from '../helpers/catalog';
import { createCategory, createUser, PASSWORD } from '../helpers/factories';
import { keyOf, listen } from '../helpers/kit';
import { toGlobalId } from '../../src/schema/shared/globalId';

/**
 * The staff dashboard at /dashboard (src/dashboard.ts, src/dashboard/): its files over plain HTTP,
 * always; then, when Debian's Chromium is installed at /usr/bin/chromium (or DASHBOARD_CHROMIUM), the page itself in a real
 * headless browser driven by playwright-core, against the real server listening on a port, with a
 * history written straight into the snapshot tables (metric_daily, product_metric_daily).
 *
 * Screenshots go to .test-output/ (gitignored); their paths are printed.
 *
 * `DASHBOARD_SCREENSHOT=docs/dashboard.png npx vitest run tests/analytics/dashboard.test.ts`
 * instead fills eight weeks of demo-like figures (a dozen products, four shops) and writes the
 * README's screenshot to that path (the browser assertions are skipped then: same database).
 */

/** Debian's Chromium; DASHBOARD_CHROMIUM points at another build. */
const CHROMIUM = process.env.DASHBOARD_CHROMIUM ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOT = process.env.DASHBOARD_SCREENSHOT;
const ROOT = path.resolve(__dirname, '../..');
const OUTPUT = path.join(ROOT, '.test-output');

if (!HAS_CHROMIUM) {
  process.stdout.write(`\n[dashboard] ${CHROMIUM} is missing: the browser tests are SKIPPED (install it with \`apt-get install -y chromium\`; .ci/run does).\n`);
}

let t: TestApp;
let origin: string;

beforeAll(async () => {
  t = await createTestApp();
  origin = (await listen(t)).origin;
});

afterAll(async () => {
  await t?.close();
});

// --- Snapshot rows ----------------------------------------------------------------------------

/** "YYYY-MM-DD" of today in Asia/Shanghai, and days around it. */
const shanghaiToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

interface MetricRow {
  scope: 'PLATFORM' | 'SHOP' | 'CATEGORY';
  scope_id: string | number;
  day: string;
  orders?: number;
  paid_orders?: number;
  cancelled_orders?: number;
  units?: number;
  gmv?: number;
  refunds?: number;
  refunded_orders?: number;
  commission?: number;
  product_views?: number;
  add_to_carts?: number;
  buyer_ids?: number[];
  new_buyer_ids?: number[];
  visitor_keys?: number[];
  viewer_keys?: number[];
  cart_user_ids?: number[];
}

interface ProductRow {
  day: string;
  product_id: string;
  shop_id: string;
  category_path: string;
  views?: number;
  add_to_carts?: number;
  paid_orders?: number;
  units?: number;
  gmv?: number;
}

const sorted = (ids: number[] = []) => [...new Set(ids)].sort((a, b) => a - b);

/** Writes daily snapshot rows as snapshot-metrics would (columns: src/migrations/Migration20261206214039_analytics.ts). */
async function insertMetrics(rows: MetricRow[]): Promise<void> {
  const json = rows.map((r) => ({
    ...r,
    buyer_ids: sorted(r.buyer_ids),
    new_buyer_ids: sorted(r.new_buyer_ids),
    visitor_keys: sorted(r.visitor_keys),
    viewer_keys: sorted(r.viewer_keys),
    cart_user_ids: sorted(r.cart_user_ids),
    computed_at: new Date().toISOString(),
  }));
  // Every column has a default but the key and computed_at: coalesce what a row leaves out.
  await t.sql(
    `insert into metric_daily (scope, scope_id, day, orders, cancelled_orders, paid_orders, units, gmv, refunds, refunded_orders, commission, product_views, add_to_carts,
       buyer_ids, new_buyer_ids, visitor_keys, viewer_keys, cart_user_ids, computed_at)
     select r.scope, r.scope_id, r.day, coalesce(r.orders, 0), coalesce(r.cancelled_orders, 0), coalesce(r.paid_orders, 0), coalesce(r.units, 0), coalesce(r.gmv, 0),
       coalesce(r.refunds, 0), coalesce(r.refunded_orders, 0), coalesce(r.commission, 0), coalesce(r.product_views, 0), coalesce(r.add_to_carts, 0),
       r.buyer_ids, r.new_buyer_ids, r.visitor_keys, r.viewer_keys, r.cart_user_ids, r.computed_at
     from json_populate_recordset(null::metric_daily, ?::json) r`,
    [JSON.stringify(json)],
  );
}

async function insertProductMetrics(rows: ProductRow[]): Promise<void> {
  await t.sql(
    `insert into product_metric_daily (day, product_id, shop_id, category_path, views, add_to_carts, paid_orders, units, gmv)
     select r.day, r.product_id, r.shop_id, r.category_path, coalesce(r.views, 0), coalesce(r.add_to_carts, 0), coalesce(r.paid_orders, 0), coalesce(r.units, 0), coalesce(r.gmv, 0)
     from json_populate_recordset(null::product_metric_daily, ?::json) r`,
    [JSON.stringify(rows)],
  );
}

// --- Plain HTTP --------------------------------------------------------------------------------

describe('GET /dashboard', () => {
  it('serves the page at /dashboard and /dashboard/, its script and style, and Chart.js from node_modules', async () => {
    for (const url of ['/dashboard', '/dashboard/']) {
      const res = await fetch(origin + url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const html = await res.text();
      expect(html).toContain('<canvas id="chart-gmv"');
      // Everything from this server: no CDN, no inline script or style.
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|style="/);
    }

    const files: [string, string, RegExp][] = [
      ['/dashboard/dashboard.js', 'text/javascript; charset=utf-8', /platformMetrics/],
      ['/dashboard/dashboard.css', 'text/css; charset=utf-8', /\.kpi/],
      ['/dashboard/vendor/chart.umd.js', 'text/javascript; charset=utf-8', /window\.Chart\s*=/],
    ];
    for (const [url, type, content] of files) {
      const res = await fetch(origin + url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type'), url).toBe(type);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toMatch(content);
      // Revalidation is a 304.
      const again = await fetch(origin + url, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status, url).toBe(304);
    }
    expect((await fetch(`${origin}/dashboard/vendor/chart.umd.js`)).headers.get('cache-control')).toBe('public, max-age=86400');

    for (const url of ['/dashboard/nothing.js', '/dashboard/../package.json', '/dashboard/vendor/../../package.json', '/dashboard/index.html/x']) {
      expect((await fetch(origin + url)).status, url).toBe(404);
    }
  });
});

// --- In Chromium -------------------------------------------------------------------------------

const CHROMIUM_ARGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Chromium headless, without its sandbox (root in containers), with a fresh temporary profile per launch (playwright's). */
function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** A page at 1280×900 in Asia/Shanghai that records script errors, console errors and any request off this server. */
async function openPage(browser: Browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Asia/Shanghai', locale: 'en-US', reducedMotion: 'reduce' });
  const page = await context.newPage();
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) foreign.push(request.url());
  });
  page.setDefaultTimeout(15_000);
  await page.goto(`${origin}/dashboard`);
  return { page, problems, foreign, close: () => context.close() };
}

/**
 * Waits until the page has settled in `state` (ready, error, signed-out) and fails at once, with the
 * page's message, when it settles in another one instead of waiting for the timeout.
 */
async function settled(page: Page, state: string, extra = ''): Promise<void> {
  const others = ['ready', 'error'].filter((s) => s !== state).map((s) => `body[data-state="${s}"]`);
  await page.waitForSelector([`body[data-state="${state}"]${extra}`, ...others].join(', '));
  const now = await page.evaluate(() => (globalThis as any).document.body.dataset.state);
  if (now !== state) throw new Error(`the page settled in ${now}, not ${state}: ${await page.evaluate(() => (globalThis as any).document.querySelector('[role=alert]:not([hidden])')?.textContent)}`);
}

async function signInWith(page: Page, email: string, password: string) {
  await page.waitForSelector('body[data-state="signed-out"]');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('#sign-in-button');
}

async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(OUTPUT, { recursive: true });
  const file = path.join(OUTPUT, name);
  await page.screenshot({ path: file, fullPage: true });
  process.stdout.write(`\n[dashboard] screenshot: ${path.relative(ROOT, file)}\n`);
  return file;
}

const kpi = (page: Page, key: string) => page.locator(`[data-kpi="${key}"] .value`).innerText();
const kpiChange = (page: Page, key: string) => page.locator(`[data-kpi="${key}"] .change`).innerText();

interface CanvasReport {
  id: string;
  width: number;
  height: number;
  painted: number;
  datasets: number[][];
  labels: string[];
}

/** Each chart canvas: its size, how many pixels are painted, and Chart.js's data behind it. */
function charts(page: Page): Promise<CanvasReport[]> {
  // Runs in the page (the tests' types have no DOM library: the page's globals are `any` here).
  return page.evaluate(() => {
    const { document, Chart } = globalThis as any;
    return [...document.querySelectorAll('canvas')].map((canvas: any) => {
      const context = canvas.getContext('2d');
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
      const chart = Chart.getChart(canvas);
      return {
        id: canvas.id,
        width: canvas.width,
        height: canvas.height,
        painted,
        datasets: chart ? chart.data.datasets.map((d: { data: number[] }) => d.data) : [],
        labels: chart ? chart.data.labels : [],
      };
    });
  });
}

describe.skipIf(!HAS_CHROMIUM || !!SCREENSHOT)('the dashboard in Chromium', () => {
  let browser: Browser;
  const analystEmail = `analyst-${Date.now()}@example.com`;
  const shopperEmail = `shopper-${Date.now()}@example.com`;
  const today = shanghaiToday();
  const day1 = addDays(today, -12);
  const day2 = addDays(today, -5);
  let productTitle: string;
  let shopNames: string[];

  beforeAll(async () => {
    browser = await launchChromium();
    await createUser(t, { email: analystEmail, roles: [StaffRole.ANALYST], displayName: 'Ana Analyst' });
    await createUser(t, { email: shopperEmail });

    // A product and two shops the snapshot rows point at (topProducts and topShops load them).
    const reviewer = await staff(t, StaffRole.REVIEWER);
    const shopA = await seller(t);
    const shopB = await seller(t);
    const category = await createCategory(t);
    productTitle = 'Dashboard Test Kettle 1.7L';
    const productId = keyOf(await listedProduct(t, shopA, reviewer.token, productInput(shopA.shopId, toGlobalId('Category', category.id), { title: productTitle })));
    shopNames = [shopA.shop.name, shopB.shop.name];

    // The last 30 days: ¥300.00 + ¥150.50 paid, 5 orders placed, 3 paid, ¥15.00 refunded;
    // 8 visitors, 6 product viewers, 3 cart users, 2 buyers. The previous 30 days: ¥300.00.
    await insertMetrics([
      { scope: 'PLATFORM', scope_id: 0, day: day1, orders: 3, paid_orders: 2, units: 3, gmv: 30_000, refunds: 1_500, refunded_orders: 1,
        buyer_ids: [101, 102], new_buyer_ids: [101, 102], visitor_keys: [1, 2, 3, 4, 5], viewer_keys: [1, 2, 3, 4], cart_user_ids: [101, 102, 103] },
      { scope: 'PLATFORM', scope_id: 0, day: day2, orders: 2, paid_orders: 1, units: 1, gmv: 15_050,
        buyer_ids: [102], visitor_keys: [4, 5, 6, 7, 8], viewer_keys: [5, 6], cart_user_ids: [102] },
      { scope: 'PLATFORM', scope_id: 0, day: addDays(today, -40), orders: 2, paid_orders: 2, units: 2, gmv: 30_000, buyer_ids: [101], visitor_keys: [1] },
      { scope: 'SHOP', scope_id: shopA.shop.id, day: day1, orders: 2, paid_orders: 2, units: 3, gmv: 30_000, refunds: 1_500, refunded_orders: 1, buyer_ids: [101, 102] },
      { scope: 'SHOP', scope_id: shopB.shop.id, day: day2, orders: 1, paid_orders: 1, units: 1, gmv: 15_050, buyer_ids: [102] },
    ]);
    await insertProductMetrics([
      { day: day1, product_id: productId, shop_id: shopA.shop.id, category_path: category.path, views: 12, add_to_carts: 3, paid_orders: 2, units: 3, gmv: 30_000 },
    ]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('signs an analyst in and draws the last 30 days: KPI totals, charts, top products and shops', async () => {
    const { page, problems, foreign, close } = await openPage(browser);
    try {
      await signInWith(page, analystEmail, PASSWORD);
      await settled(page, 'ready');

      // Defaults: the last 30 Asia/Shanghai days, daily.
      expect(await page.inputValue('#to')).toBe(shanghaiToday());
      expect(await page.inputValue('#from')).toBe(addDays(await page.inputValue('#to'), -29));
      expect(await page.inputValue('#granularity')).toBe('DAY');
      expect(await page.locator('#account-name').innerText()).toBe('Ana Analyst');
      expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('dashboard.accessToken'))).toEqual(expect.any(String));

      expect(await kpi(page, 'gmv')).toBe('¥450.50');
      expect(await kpiChange(page, 'gmv')).toBe('+50.2% vs previous period'); // 450.50 ÷ 300.00 − 1
      expect(await kpi(page, 'netSales')).toBe('¥435.50');
      expect(await kpi(page, 'orders')).toBe('5');
      expect(await kpi(page, 'paidOrders')).toBe('3');
      expect(await kpi(page, 'buyers')).toBe('2');
      expect(await kpi(page, 'visitors')).toBe('8');
      expect(await kpi(page, 'refundRate')).toBe('3.3%'); // 15.00 ÷ 450.50
      expect(await page.isVisible('#empty-state')).toBe(false);
      expect(await page.isVisible('#dashboard-error')).toBe(false);

      const drawn = Object.fromEntries((await charts(page)).map((c) => [c.id, c]));
      expect(Object.keys(drawn).sort()).toEqual(['chart-funnel', 'chart-gmv', 'chart-products', 'chart-refunds', 'chart-shops']);
      for (const c of Object.values(drawn)) {
        expect(c.width, c.id).toBeGreaterThan(100);
        expect(c.painted, `${c.id} has painted pixels`).toBeGreaterThan(500);
      }
      // GMV and orders per day: 30 points, the two known days in place.
      const gmv = drawn['chart-gmv'];
      expect(gmv.labels).toHaveLength(30);
      expect(gmv.datasets[0][gmv.labels.indexOf(day1)]).toBe(300);
      expect(gmv.datasets[0][gmv.labels.indexOf(day2)]).toBe(150.5);
      expect(gmv.datasets[0].reduce((a, b) => a + b, 0)).toBeCloseTo(450.5);
      expect(gmv.datasets[2][gmv.labels.indexOf(day1)]).toBe(2); // paid orders
      expect(drawn['chart-funnel'].datasets[0]).toEqual([8, 6, 3, 2]);
      expect(drawn['chart-refunds'].datasets[0][gmv.labels.indexOf(day1)]).toBeCloseTo(0.05);
      expect(drawn['chart-products'].labels).toEqual([productTitle]);
      expect(drawn['chart-products'].datasets[0]).toEqual([300]);
      expect(drawn['chart-shops'].labels).toEqual(shopNames);
      expect(drawn['chart-shops'].datasets[0]).toEqual([300, 150.5]);

      expect(await page.locator('#top-products li .name').allInnerTexts()).toEqual([productTitle]);
      expect(await page.locator('#top-products li .figure').allInnerTexts()).toEqual(['¥300.00 · 3 units']);
      expect(await page.locator('#top-shops li .name').allInnerTexts()).toEqual(shopNames);
      expect(await page.locator('#top-shops li .figure').allInnerTexts()).toEqual(['¥300.00 · 2 paid orders', '¥150.50 · 1 paid order']);

      await screenshot(page, 'dashboard.png');

      // Weekly: the same totals over fewer points.
      await page.selectOption('#granularity', 'WEEK');
      await page.waitForFunction(() => (globalThis as any).Chart.getChart((globalThis as any).document.getElementById('chart-gmv')).data.labels.length < 30);
      await settled(page, 'ready');
      expect(await kpi(page, 'gmv')).toBe('¥450.50');
      const weekly = (await charts(page)).find((c) => c.id === 'chart-gmv')!;
      expect(weekly.datasets[0].reduce((a, b) => a + b, 0)).toBeCloseTo(450.5);

      // A reload keeps the session (sessionStorage); signing out forgets it.
      await page.reload();
      await settled(page, 'ready');
      await page.click('#sign-out');
      await page.waitForSelector('body[data-state="signed-out"]');
      expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
      expect(await page.isVisible('#results')).toBe(false);

      expect(problems).toEqual([]);
      expect(foreign).toEqual([]);
    } finally {
      await close();
    }
  });

  it('shows zeros and an empty state for a period without data, charts still drawn, no script errors', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await signInWith(page, analystEmail, PASSWORD);
      await settled(page, 'ready');
      await page.fill('#from', '2021-03-01');
      await page.fill('#to', '2021-03-14');
      await page.click('#apply');
      await settled(page, 'ready', '[data-empty="true"]');

      expect(await page.locator('#empty-state').innerText()).toBe('No orders in this period.');
      expect(await kpi(page, 'gmv')).toBe('¥0.00');
      expect(await kpi(page, 'paidOrders')).toBe('0');
      expect(await kpi(page, 'refundRate')).toBe('0.0%');
      expect(await kpiChange(page, 'gmv')).toBe('nothing in the previous period');
      expect(await kpiChange(page, 'refundRate')).toBe('no change vs previous period');
      expect(await page.locator('#products-empty').innerText()).toBe('No product sales in this period.');
      expect(await page.locator('#shops-empty').innerText()).toBe('No shop sales in this period.');
      expect(await page.locator('#top-products li').count()).toBe(0);

      const drawn = Object.fromEntries((await charts(page)).map((c) => [c.id, c]));
      expect(drawn['chart-gmv'].labels).toHaveLength(14);
      expect(drawn['chart-gmv'].datasets[0]).toEqual(Array(14).fill(0));
      expect(drawn['chart-funnel'].datasets[0]).toEqual([0, 0, 0, 0]);
      for (const c of Object.values(drawn)) expect(c.painted, `${c.id}: axes drawn`).toBeGreaterThan(100);
      await screenshot(page, 'dashboard-empty.png');

      // A reversed range is refused in the page, before any request.
      await page.fill('#from', '2021-03-20');
      await page.click('#apply');
      expect(await page.locator('#dashboard-error').innerText()).toBe('The start date must not be after the end date.');

      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('says so on a wrong password, and for a signed-in account without an analytics role', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await signInWith(page, analystEmail, 'not the password');
      await page.waitForSelector('#sign-in-error:visible');
      expect(await page.locator('#sign-in-error').innerText()).toBe('Wrong email or password.');
      expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
      expect(await page.isVisible('#dashboard-view')).toBe(false);

      await page.fill('#email', shopperEmail);
      await page.fill('#password', PASSWORD);
      await page.click('#sign-in-button');
      await settled(page, 'error');
      expect(await page.locator('#dashboard-error').innerText()).toContain('Your account has no analytics role');
      expect(await page.isVisible('#results')).toBe(false);
      await screenshot(page, 'dashboard-forbidden.png');

      // Only the browser's own line for a refused request may be logged, no script error.
      expect(problems.filter((p) => !/Failed to load resource: the server responded with a status of 40[13]/.test(p))).toEqual([]);
    } finally {
      await close();
    }
  });

  it('sends a reader with an expired or revoked token back to the sign-in form', async () => {
    const { page, close } = await openPage(browser);
    try {
      await page.evaluate(() => (globalThis as any).sessionStorage.setItem('dashboard.accessToken', 'not-a-token'));
      await page.reload();
      await page.waitForSelector('body[data-state="signed-out"]');
      expect(await page.locator('#sign-in-error').innerText()).toBe('Your session has ended. Sign in again.');
      expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
    } finally {
      await close();
    }
  });
});

// --- The README's screenshot ---------------------------------------------------------------------

/** A small deterministic generator (mulberry32), so the screenshot is the same from run to run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe.runIf(HAS_CHROMIUM && !!SCREENSHOT)('the README screenshot', () => {
  it(`writes the screenshot (${SCREENSHOT}) from eight weeks of demo-like figures`, { timeout: 120_000 }, async () => {
    const rnd = random(21);
    const pick = <T>(items: T[], n: number) => Array.from({ length: n }, () => items[Math.floor(rnd() * items.length)]);
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

    const reviewer = await staff(t, StaffRole.REVIEWER);
    const category = await createCategory(t, 'Home & Living');
    const shopNames = ['Hangzhou Tea House', 'Shenzhen Audio Lab', 'Suzhou Silk Studio', 'Chengdu Outdoor Co.'];
    const titles = [
      ['West Lake Longjing Tea 250g', 'Yixing Clay Teapot', 'Bamboo Tea Tray'],
      ['Wireless Earphones Pro', 'Smart Speaker Mini', 'Mechanical Keyboard 87', 'USB-C Fast Charger 65W'],
      ['Mulberry Silk Scarf', 'Silk Pillowcase Set', 'Embroidered Fan'],
      ['Down Jacket Ultralight', 'Trail Running Shoes'],
    ];
    const products: { id: string; shopId: string; weight: number; price: number }[] = [];
    const shops: { id: string; weight: number }[] = [];
    for (const [i, name] of shopNames.entries()) {
      const s = await seller(t);
      await t.sql('update shop set name = ? where id = ?', [name, s.shop.id]);
      shops.push({ id: s.shop.id, weight: 0 });
      for (const title of titles[i]) {
        const id = keyOf(await listedProduct(t, s, reviewer.token, productInput(s.shopId, toGlobalId('Category', category.id), { title })));
        const weight = 0.3 + rnd() * 1.7;
        products.push({ id, shopId: s.shop.id, weight, price: Math.round(4_000 + rnd() * 60_000) });
      }
    }

    const today = shanghaiToday();
    const platform: MetricRow[] = [];
    const shopRows: MetricRow[] = [];
    const productRows: ProductRow[] = [];
    const totalWeight = products.reduce((a, p) => a + p.weight, 0);
    for (let back = 59; back >= 0; back--) {
      const day = addDays(today, -back);
      const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
      const trend = 1 + (59 - back) / 120; // growing over the weeks
      const season = weekday === 0 || weekday === 6 ? 1.35 : weekday === 5 ? 1.15 : 1;
      const visitors = Math.round(900 * trend * season * (0.85 + rnd() * 0.3));
      const visitorKeys = range(1 + Math.floor(rnd() * 20_000), visitors);
      const viewerKeys = visitorKeys.filter(() => rnd() < 0.62);
      const paid = Math.round(visitors * (0.045 + rnd() * 0.015));
      const orders = Math.round(paid * (1.08 + rnd() * 0.06));
      const buyers = pick(range(100_000, 4_000), paid);
      const cartUsers = [...buyers, ...pick(range(100_000, 4_000), Math.round(paid * 1.6))];
      let gmv = 0;
      let units = 0;
      const byShop = new Map<string, { gmv: number; paid: number; buyers: number[] }>();
      for (const p of products) {
        const n = Math.max(0, Math.round((paid * p.weight) / totalWeight + (rnd() - 0.5) * 2));
        if (n === 0 && rnd() < 0.5) continue;
        const productGmv = n * p.price;
        gmv += productGmv;
        units += n;
        const shop = byShop.get(p.shopId) ?? { gmv: 0, paid: 0, buyers: [] };
        shop.gmv += productGmv;
        shop.paid += n;
        shop.buyers.push(...buyers.slice(0, n));
        byShop.set(p.shopId, shop);
        productRows.push({ day, product_id: p.id, shop_id: p.shopId, category_path: category.path, views: Math.round(n * 14 + rnd() * 20), add_to_carts: Math.round(n * 2.2), paid_orders: n, units: n, gmv: productGmv });
      }
      const refunds = Math.round(gmv * (0.01 + rnd() * 0.04));
      platform.push({ scope: 'PLATFORM', scope_id: 0, day, orders, paid_orders: paid, units, gmv, refunds, refunded_orders: Math.round(paid * 0.03),
        buyer_ids: buyers, new_buyer_ids: buyers.filter(() => rnd() < 0.4), visitor_keys: visitorKeys, viewer_keys: viewerKeys, cart_user_ids: cartUsers, product_views: viewerKeys.length * 3 });
      for (const [shopId, s] of byShop) shopRows.push({ scope: 'SHOP', scope_id: shopId, day, orders: s.paid, paid_orders: s.paid, units: s.paid, gmv: s.gmv, refunds: Math.round((refunds * s.gmv) / Math.max(gmv, 1)), buyer_ids: s.buyers });
    }
    await insertMetrics([...platform, ...shopRows]);
    await insertProductMetrics(productRows);

    const browser = await launchChromium();
    try {
      const { page, problems, close } = await openPage(browser);
      await signInWith(page, (await createUser(t, { roles: [StaffRole.ANALYST], displayName: 'Li Na (Analytics)' })).email, PASSWORD);
      await settled(page, 'ready');
      const file = path.resolve(ROOT, SCREENSHOT!);
      mkdirSync(path.dirname(file), { recursive: true });
      await page.screenshot({ path: file, fullPage: true });
      process.stdout.write(`\n[dashboard] README screenshot: ${path.relative(ROOT, file)}\n`);
      expect(problems).toEqual([]);
      await close();
    } finally {
      await browser.close();
    }
  });
});
