// The staff analytics dashboard (served at /dashboard by src/dashboard.ts). Plain JavaScript, no
// build step, no inline code (the page is served with a strict Content-Security-Policy). Chart.js
// is loaded before this module by /dashboard/vendor/chart.umd.js and is `window.Chart`.
//
// It signs in with the GraphQL `login` mutation, keeps the access token (and the refresh token,
// to renew it once when it expires) in sessionStorage — gone when the tab closes — and reads
// `platformMetrics`, `topProducts` and `topShops` with it.
//
// `document.body.dataset.state` tells where the page is (signed-out, loading, ready, error), for
// people reading the DOM and for the browser test (tests/analytics/dashboard.test.ts).

const Chart = window.Chart;
const TIME_ZONE = 'Asia/Shanghai';
const DEFAULT_DAYS = 30;
const STORAGE = { access: 'dashboard.accessToken', refresh: 'dashboard.refreshToken', name: 'dashboard.displayName' };

const $ = (id) => document.getElementById(id);

// --- GraphQL ---------------------------------------------------------------------------------

const LOGIN = `mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken user { displayName } errors { code message } }
}`;
const REFRESH = `mutation Refresh($input: RefreshSessionInput!) {
  refreshSession(input: $input) { accessToken refreshToken errors { code message } }
}`;
const LOGOUT = 'mutation Logout { logout { ok } }';

const VALUES = `gmv { amount currency } netSales { amount currency } averageOrderValue { amount currency }
  orders paidOrders buyers visitors productViewers cartUsers conversionRate cartAbandonmentRate refundRate`;
const DASHBOARD = `query Dashboard($from: Date!, $to: Date!, $granularity: MetricGranularity!) {
  platformMetrics(from: $from, to: $to, granularity: $granularity) {
    from to granularity snapshotAt
    points { date endDate gmv { amount currency } paidOrders orders refundRate visitors productViewers cartUsers buyers }
    totals { ${VALUES} }
    comparison { from to change { gmv netSales averageOrderValue orders paidOrders buyers visitors conversionRate cartAbandonmentRate refundRate } }
  }
  topProducts(from: $from, to: $to, by: GMV, first: 10) { product { id title } gmv { amount currency } units }
  topShops(from: $from, to: $to, by: GMV, first: 10) { shop { id name } gmv { amount currency } paidOrders }
}`;

/** An error the page explains to its reader; `code` is the GraphQL error code when there is one. */
class DashboardError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** One GraphQL request; resolves with `{ data, errors }`, rejects only when the server cannot be reached or answers garbage. */
async function graphql(query, variables, token) {
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      credentials: 'omit',
    });
  } catch {
    throw new DashboardError('Cannot reach the server. Check your connection and try again.', 'NETWORK');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new DashboardError(`The server answered ${response.status} without a readable body.`, 'BAD_RESPONSE');
  }
  return { data: body.data ?? null, errors: body.errors ?? [] };
}

const errorCode = (errors) => errors.find((e) => e.extensions?.code)?.extensions.code;

/** The message shown for thrown GraphQL errors. */
function explain(errors) {
  const code = errorCode(errors);
  if (code === 'FORBIDDEN') return new DashboardError('Your account has no analytics role. Ask an administrator for the ANALYST or FINANCE role.', code);
  if (code === 'UNAUTHENTICATED') return new DashboardError('Your session has ended. Sign in again.', code);
  if (code === 'RATE_LIMITED') return new DashboardError('Too many requests. Wait a minute and try again.', code);
  const first = errors[0];
  const id = first?.extensions?.requestId ? ` (request ${first.extensions.requestId})` : '';
  return new DashboardError(`Could not load the figures: ${first?.message ?? 'unknown error'}${id}`, code);
}

// --- Session ---------------------------------------------------------------------------------

const session = {
  get token() { return sessionStorage.getItem(STORAGE.access); },
  get name() { return sessionStorage.getItem(STORAGE.name) ?? ''; },
  save({ accessToken, refreshToken }, name) {
    sessionStorage.setItem(STORAGE.access, accessToken);
    if (refreshToken) sessionStorage.setItem(STORAGE.refresh, refreshToken);
    if (name !== undefined) sessionStorage.setItem(STORAGE.name, name);
  },
  clear() {
    for (const key of Object.values(STORAGE)) sessionStorage.removeItem(key);
  },
  /**
   * Trades the refresh token for new tokens (once per expiry); false when there is none or it is
   * refused. Requests that find the access token expired at the same time share one refresh: the
   * refresh token is single use.
   */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = this.trade().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  },
  /** @type {Promise<boolean> | null} */
  refreshing: null,
  async trade() {
    const refreshToken = sessionStorage.getItem(STORAGE.refresh);
    if (!refreshToken) return false;
    sessionStorage.removeItem(STORAGE.refresh); // single use, whatever the answer
    const { data } = await graphql(REFRESH, { input: { refreshToken } });
    const out = data?.refreshSession;
    if (!out?.accessToken) return false;
    this.save(out);
    return true;
  },
};

/** Runs an authenticated query; renews an expired access token once; throws a DashboardError on any error. */
async function authenticated(query, variables) {
  let result = await graphql(query, variables, session.token);
  if (errorCode(result.errors) === 'UNAUTHENTICATED' && (await session.refresh())) result = await graphql(query, variables, session.token);
  if (result.errors.length) throw explain(result.errors);
  return result.data;
}

// --- Formatting ------------------------------------------------------------------------------

const integer = new Intl.NumberFormat('en-US');
const percent = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const moneyFormats = new Map();

/** A Money `{ amount, currency }` as text, e.g. "¥1,234.50". */
function formatMoney(money) {
  const currency = money?.currency ?? 'CNY';
  if (!moneyFormats.has(currency)) moneyFormats.set(currency, new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'narrowSymbol' }));
  return moneyFormats.get(currency).format(Number(money?.amount ?? 0));
}

const amountOf = (money) => Number(money?.amount ?? 0);

/** "YYYY-MM-DD" of today in Asia/Shanghai. */
function todayInShanghai() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

/** A "YYYY-MM-DD" date moved by `days` calendar days. */
function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

function formatDateTime(iso) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

// --- Views -----------------------------------------------------------------------------------

function setState(state) {
  document.body.dataset.state = state;
}

function showError(element, message) {
  element.textContent = message;
  element.hidden = !message;
}

function showSignIn(message = '') {
  $('dashboard-view').hidden = true;
  $('account').hidden = true;
  $('sign-in-view').hidden = false;
  showError($('sign-in-error'), message);
  setState('signed-out');
  $(message && $('email').value ? 'password' : 'email').focus();
}

function showDashboard() {
  $('sign-in-view').hidden = true;
  $('dashboard-view').hidden = false;
  $('account').hidden = false;
  $('account-name').textContent = session.name;
}

// --- Charts ----------------------------------------------------------------------------------

const COLOURS = { gmv: '#f08c00', orders: '#1c7ed6', paid: '#2f9e44', refunds: '#c92a2a', funnel: ['#4dabf7', '#339af0', '#228be6', '#1971c2'], bars: '#f76707' };
const charts = {};

if (Chart) {
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  // People who ask for less motion (and the browser test, which emulates it) get the charts drawn at once.
  if (window.matchMedia('(prefers-reduced-motion: reduce)').matches) Chart.defaults.animation = false;
}

/** Draws a chart, or replaces the data of the one already on that canvas. */
function draw(id, config) {
  const existing = charts[id];
  if (existing && existing.config.type === config.type) {
    existing.data = config.data;
    existing.options = config.options;
    existing.update();
    return;
  }
  existing?.destroy();
  charts[id] = new Chart($(id), config);
}

const moneyTick = (value) => integer.format(value);
const percentTick = (value) => percent.format(value);

/** An axis label for a point's first day: "2026-11" for months, "11-08" within one year, else the date. */
function periodTick(series) {
  const sameYear = series.from.slice(0, 4) === series.to.slice(0, 4);
  return function tick(value) {
    const date = this.getLabelForValue(value);
    if (series.granularity === 'MONTH') return date.slice(0, 7);
    return sameYear ? date.slice(5) : date;
  };
}

function drawCharts(series, products, shops) {
  const labels = series.points.map((p) => p.date);
  const xAxis = { ticks: { callback: periodTick(series) } };
  draw('chart-gmv', {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { type: 'bar', label: 'GMV', data: series.points.map((p) => amountOf(p.gmv)), backgroundColor: COLOURS.gmv, yAxisID: 'gmv', order: 2 },
        { type: 'line', label: 'Orders placed', data: series.points.map((p) => p.orders), borderColor: COLOURS.orders, backgroundColor: COLOURS.orders, yAxisID: 'orders', cubicInterpolationMode: 'monotone', order: 1 },
        { type: 'line', label: 'Paid orders', data: series.points.map((p) => p.paidOrders), borderColor: COLOURS.paid, backgroundColor: COLOURS.paid, yAxisID: 'orders', cubicInterpolationMode: 'monotone', order: 0 },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: xAxis,
        gmv: { position: 'left', beginAtZero: true, suggestedMax: 1, title: { display: true, text: `GMV (${series.totals.gmv.currency})` }, ticks: { callback: moneyTick } },
        orders: { position: 'right', beginAtZero: true, suggestedMax: 1, title: { display: true, text: 'Orders' }, ticks: { precision: 0 }, grid: { drawOnChartArea: false } },
      },
      plugins: { tooltip: { callbacks: { label: (item) => (item.dataset.yAxisID === 'gmv' ? `GMV: ${formatMoney({ amount: item.raw, currency: series.totals.gmv.currency })}` : `${item.dataset.label}: ${integer.format(item.raw)}`) } } },
    },
  });

  const t = series.totals;
  draw('chart-funnel', {
    type: 'bar',
    data: {
      labels: ['Visitors', 'Product viewers', 'Cart users', 'Buyers'],
      datasets: [{ label: 'People', data: [t.visitors, t.productViewers, t.cartUsers, t.buyers], backgroundColor: COLOURS.funnel, maxBarThickness: 48 }],
    },
    options: {
      indexAxis: 'y',
      scales: { x: { beginAtZero: true, suggestedMax: 1, ticks: { precision: 0, maxRotation: 0 } } },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${integer.format(item.raw)}${t.visitors ? ` (${percent.format(item.raw / t.visitors)} of visitors)` : ''}` } },
      },
    },
  });

  draw('chart-refunds', {
    type: 'line',
    data: {
      labels,
      datasets: [{ label: 'Refund rate (refunds ÷ GMV)', data: series.points.map((p) => p.refundRate), borderColor: COLOURS.refunds, backgroundColor: COLOURS.refunds, cubicInterpolationMode: 'monotone' }],
    },
    options: {
      scales: { x: xAxis, y: { beginAtZero: true, suggestedMax: 0.05, ticks: { callback: percentTick } } },
      plugins: { tooltip: { callbacks: { label: (item) => `Refund rate: ${percent.format(item.raw)}` } } },
    },
  });

  const ranking = (rows, label) => ({
    type: 'bar',
    data: { labels: rows.map(label), datasets: [{ label: 'GMV', data: rows.map((r) => amountOf(r.gmv)), backgroundColor: COLOURS.bars, maxBarThickness: 28 }] },
    options: {
      indexAxis: 'y',
      scales: { x: { beginAtZero: true, suggestedMax: 1, ticks: { callback: moneyTick, maxRotation: 0 } }, y: { ticks: { autoSkip: false, callback(value) { const text = this.getLabelForValue(value); return text.length > 22 ? `${text.slice(0, 21)}…` : text; } } } },
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => `GMV: ${formatMoney(rows[item.dataIndex].gmv)}` } } },
    },
  });
  draw('chart-products', ranking(products, (r) => r.product.title));
  draw('chart-shops', ranking(shops, (r) => r.shop.name));
}

// --- KPI tiles and lists ---------------------------------------------------------------------

/** Tiles: label, value text, change (relative for counts and money, a difference in points for rates). */
function kpiTiles(totals, change) {
  return [
    { key: 'gmv', label: 'GMV', value: formatMoney(totals.gmv), change: change.gmv, kind: 'relative' },
    { key: 'netSales', label: 'Net sales', value: formatMoney(totals.netSales), change: change.netSales, kind: 'relative' },
    { key: 'paidOrders', label: 'Paid orders', value: integer.format(totals.paidOrders), change: change.paidOrders, kind: 'relative' },
    { key: 'orders', label: 'Orders placed', value: integer.format(totals.orders), change: change.orders, kind: 'relative' },
    { key: 'averageOrderValue', label: 'Average order value', value: formatMoney(totals.averageOrderValue), change: change.averageOrderValue, kind: 'relative' },
    { key: 'buyers', label: 'Buyers', value: integer.format(totals.buyers), change: change.buyers, kind: 'relative' },
    { key: 'visitors', label: 'Visitors', value: integer.format(totals.visitors), change: change.visitors, kind: 'relative' },
    { key: 'conversionRate', label: 'Conversion rate', value: percent.format(totals.conversionRate), change: change.conversionRate, kind: 'points' },
    { key: 'cartAbandonmentRate', label: 'Cart abandonment', value: percent.format(totals.cartAbandonmentRate), change: change.cartAbandonmentRate, kind: 'points', lowerIsBetter: true },
    { key: 'refundRate', label: 'Refund rate', value: percent.format(totals.refundRate), change: change.refundRate, kind: 'points', lowerIsBetter: true },
  ];
}

/** The change vs the previous period: "+12.0%" (relative, counts and money), "−0.4 pts" (a difference, rates), none when the previous period had nothing. */
function changeText(tile) {
  if (tile.change === null || tile.change === undefined) return { text: 'nothing in the previous period', trend: '' };
  if (tile.change === 0) return { text: 'no change vs previous period', trend: '' };
  const sign = tile.change > 0 ? '+' : '−';
  const size = Math.abs(tile.change);
  const text = tile.kind === 'points' ? `${sign}${(size * 100).toFixed(1)} pts` : `${sign}${percent.format(size)}`;
  const better = tile.lowerIsBetter ? tile.change < 0 : tile.change > 0;
  return { text: `${text} vs previous period`, trend: better ? 'up' : 'down' };
}

function renderKpis(totals, comparison) {
  const change = comparison.change;
  const versus = `Previous period: ${comparison.from} to ${comparison.to}`;
  const container = $('kpis');
  container.replaceChildren(
    ...kpiTiles(totals, change).map((tile) => {
      const element = document.createElement('div');
      element.className = 'kpi';
      element.dataset.kpi = tile.key;
      const label = document.createElement('div');
      label.className = 'label';
      label.textContent = tile.label;
      const value = document.createElement('div');
      value.className = 'value';
      value.textContent = tile.value;
      value.title = tile.value;
      const { text, trend } = changeText(tile);
      const delta = document.createElement('div');
      delta.className = `change ${trend}`;
      delta.textContent = text;
      delta.title = versus;
      element.append(label, value, delta);
      return element;
    }),
  );
}

function renderRanking(listId, emptyId, rows, name, figure) {
  $(listId).replaceChildren(
    ...rows.map((row) => {
      const item = document.createElement('li');
      const line = document.createElement('div');
      line.className = 'row';
      const title = document.createElement('span');
      title.className = 'name';
      title.textContent = name(row);
      title.title = name(row);
      const detail = document.createElement('span');
      detail.className = 'figure';
      detail.textContent = figure(row);
      line.append(title, detail);
      item.append(line);
      return item;
    }),
  );
  $(emptyId).hidden = rows.length > 0;
}

// --- Loading ---------------------------------------------------------------------------------

let loading = 0;

async function load() {
  const from = $('from').value;
  const to = $('to').value;
  const granularity = $('granularity').value;
  showError($('dashboard-error'), '');
  if (!from || !to) return showError($('dashboard-error'), 'Choose both dates.');
  if (from > to) return showError($('dashboard-error'), 'The start date must not be after the end date.');

  const ticket = ++loading;
  setState('loading');
  $('apply').disabled = true;
  try {
    const data = await authenticated(DASHBOARD, { from, to, granularity });
    if (ticket !== loading) return; // a newer request is on its way
    const series = data.platformMetrics;
    const { totals } = series;
    renderKpis(totals, series.comparison);
    renderRanking('top-products', 'products-empty', data.topProducts, (r) => r.product.title, (r) => `${formatMoney(r.gmv)} · ${integer.format(r.units)} ${r.units === 1 ? 'unit' : 'units'}`);
    renderRanking('top-shops', 'shops-empty', data.topShops, (r) => r.shop.name, (r) => `${formatMoney(r.gmv)} · ${integer.format(r.paidOrders)} paid ${r.paidOrders === 1 ? 'order' : 'orders'}`);
    $('results').hidden = false; // before drawing: Chart.js sizes a canvas from its visible box
    const empty = totals.orders === 0 && totals.paidOrders === 0;
    $('empty-state').hidden = !empty;
    $('empty-state').textContent = totals.visitors > 0 ? 'No orders in this period (visitors only).' : 'No orders in this period.';
    $('snapshot-at').textContent = series.snapshotAt
      ? `${series.from} to ${series.to}, compared with ${series.comparison.from} to ${series.comparison.to}. Figures from the daily snapshot of ${formatDateTime(series.snapshotAt)} (Asia/Shanghai).`
      : 'No snapshot has been taken yet: figures appear after the nightly snapshot-metrics task runs.';
    drawCharts(series, data.topProducts, data.topShops);
    document.body.dataset.empty = String(empty);
    setState('ready');
  } catch (err) {
    if (ticket !== loading) return;
    if (!(err instanceof DashboardError)) throw err;
    if (err.code === 'UNAUTHENTICATED') {
      session.clear();
      return showSignIn(err.message);
    }
    $('results').hidden = true;
    $('empty-state').hidden = true;
    showError($('dashboard-error'), err.message);
    setState('error');
  } finally {
    if (ticket === loading) $('apply').disabled = false;
  }
}

async function signIn(event) {
  event.preventDefault();
  const email = $('email').value.trim();
  const password = $('password').value;
  if (!email || !password) return showError($('sign-in-error'), 'Enter your email and password.');
  const button = $('sign-in-button');
  button.disabled = true;
  showError($('sign-in-error'), '');
  try {
    const { data, errors } = await graphql(LOGIN, { input: { email, password } });
    if (errors.length) throw explain(errors);
    const out = data.login;
    if (!out.accessToken) {
      const failure = out.errors[0];
      throw new DashboardError(failure?.code === 'INVALID_CREDENTIALS' ? 'Wrong email or password.' : (failure?.message ?? 'Sign-in failed.'), failure?.code);
    }
    session.save(out, out.user?.displayName ?? email);
    $('password').value = '';
    showDashboard();
    await load();
  } catch (err) {
    if (!(err instanceof DashboardError)) throw err;
    showError($('sign-in-error'), err.message);
    setState('signed-out');
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  const token = session.token;
  session.clear();
  for (const chart of Object.values(charts)) chart.destroy();
  for (const key of Object.keys(charts)) delete charts[key];
  $('results').hidden = true;
  $('empty-state').hidden = true;
  showSignIn();
  // Ends the session on the server too; the page is signed out whatever the answer.
  if (token) await graphql(LOGOUT, {}, token).catch(() => undefined);
}

function start() {
  if (!Chart) {
    $('sign-in-view').hidden = false;
    showError($('sign-in-error'), 'The chart library did not load; reload the page.');
    setState('error');
    return;
  }
  const to = todayInShanghai();
  $('to').value = to;
  $('from').value = addDays(to, -(DEFAULT_DAYS - 1));
  $('sign-in-form').addEventListener('submit', signIn);
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  $('granularity').addEventListener('change', () => load());
  $('sign-out').addEventListener('click', signOut);
  if (session.token) {
    showDashboard();
    load();
  } else {
    showSignIn();
  }
}

start();
