import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import WebSocket from 'ws';
import { parseGlobalId, toGlobalId } from '../src/schema/shared/globalId';
import { DEMO_PASSWORD } from '../src/seeds/demo';
import { type CheckoutResult, checkoutLoop, type OnPaid, proveStock, stockBefore } from './checkout';
import { gql, gqlOk } from './client';
import { CpuMeter, type CpuUse } from './cpu';
import type { BenchDatabase } from './database';
import { type Fixtures, MERCHANT_EMAIL, MERCHANT_SHOP, mapLimit, prepareShoppers, setAvailable, type Shopper } from './fixtures';
import { sleep } from './lifecycle';
import { LOGIN, NOTIFICATION_ADDED, SHOP_ORDER_EVENTS } from './operations';
import type { BenchOptions } from './options';
import type { ScenarioResult } from './report';
import { childPids, type RunningServer } from './server';
import { type LatencySummary, Latencies } from './stats';

/**
 * The `feed` scenario: `--feed-sockets` GraphQL subscriptions held open over graphql-ws (raw `ws`
 * speaking graphql-transport-ws, one subscription per socket, the token in `connection_init`) on
 * a server of at least two workers (node:cluster spreads the sockets over them; one worker runs the
 * jobs, whose dispatcher fans events out to both through PostgreSQL LISTEN/NOTIFY), while the
 * checkout loop of the `checkout` scenario sells out the same `--stock` units of the merchant's
 * variant. The sockets:
 * - `--feed-selling` on `shopOrderEvents` of the shop the loop buys from, signed in as its members
 *   (the demo merchant, OWNER, and the demo operator, OPERATOR), several sockets each;
 * - `--feed-buyers` on `notificationAdded`, signed in as the loop's shoppers (their ORDER_PAID);
 * - the rest on `shopOrderEvents` of the other demo shops, signed in as their owners: feeds that
 *   stay quiet while the loop runs.
 * Before the measured loop, a probe round (the warm-up: every shopper buys the warm-up variant,
 * one unit each, or for --warmup seconds) must reach every socket: only then is every subscription
 * known to be live. Then the loop, and after it, once the outbox is dispatched, the proof: every
 * order of the selling shop paid in the loop arrived as a PAID event on each of the shop's sockets,
 * and each shopper's socket carried every notification the inbox got. Reported: the delivery
 * latency of those events (receive time, Date.now() on arrival, minus the event's `at`, the
 * order_event time set in the paying transaction before it commits: an upper bound of commit →
 * socket; and minus the moment the payment webhook's HTTP answer came back, after the commit: a
 * lower bound), the server workers' RSS before and after the sockets opened (per 1,000 sockets),
 * and the loop's throughput beside the plain `checkout` scenario's without subscribers (the same
 * run's when it ran on the same server, else a plain loop on this scenario's server first).
 * All sockets are closed at the end (complete, then close 1000), and must close cleanly.
 */

type Role = 'selling' | 'quiet' | 'buyer';

/** What the scenario found, beside the checkout loop's figures. */
export interface FeedDetail {
  workers: number;
  sockets: { total: number; selling: number; quiet: number; buyers: number; sellingShop: string; quietShops: number; members: number };
  /** TCP connections on the server's port each worker holds once the sockets are open (those before subtracted). */
  perWorker: number[];
  /** Opening every socket (connect, connection_init → ack, subscribe), `--feed-sockets` 50 at a time. */
  openSeconds: number;
  /** Probe round: the purchases whose events every socket had to see before measuring, and how long that took. */
  probe: { purchases: number; seconds: number; live: boolean };
  /** Workers' RSS, summed (MB): before the sockets, once open, after the loop, after closing. */
  memory: { beforeMb: number; openMb: number; afterLoopMb: number; afterCloseMb: number; perThousandSocketsMb: number };
  /** Orders of the selling shop paid in the loop, and their PAID events on the shop's sockets. */
  paid: Delivery & { orders: number };
  /** ORDER_PAID notifications in the shoppers' inboxes during the loop, and on their sockets. */
  notifications: Delivery;
  /** Every event the selling shop's sockets received in the loop, by OrderEventType. */
  byType: Record<string, number>;
  /** Events the quiet shops' sockets received meanwhile (no order of theirs was placed). */
  quietEvents: number;
  /** Receive − the event's `at` (set before the commit: an upper bound), PAID on the selling shop's sockets. */
  latencyFromAt: LatencySummary & { samples: number };
  /** Receive − the payment webhook's answer (after the commit: a lower bound; may be negative). */
  latencyFromWebhook: LatencySummary & { samples: number };
  /** The same for the shoppers' notifications: receive − the webhook's answer for the order. */
  notificationLatencyFromWebhook: LatencySummary & { samples: number };
  /** Seconds from the loop's end until every expected event had arrived (or the wait gave up). */
  drainSeconds: number;
  /** The loop without subscribers: the same run's `checkout` scenario, or a plain loop on this server first. */
  baseline: { source: string; checkoutsPerSecond: number; rps: number; p99: number; purchases: number };
  checkoutsPerSecond: number;
  /** checkouts/s with the subscriptions ÷ without. */
  ratio: number | null;
  /** This (bench) process's CPU over the loop, per checkout, ms: the 1,000 clients' cost. */
  clientCpuMsPerCheckout: number;
  /** Close codes the server answered the bench's close with. */
  closed: Record<string, number>;
  /** Error codes of subscriptions the server ended (`error` messages, e.g. SLOW_CONSUMER) and of events with errors, with how many sockets saw each. */
  errorCodes: Record<string, number>;
  /** Whether every expected event arrived before the wait after the loop gave up (no progress for 10 s). */
  drained: boolean;
  problems: string[];
}

interface Delivery {
  expected: number;
  received: number;
  missing: number;
  duplicates: number;
}

interface SocketSpec {
  role: Role;
  label: string;
  token: string;
  query: string;
  variables: Record<string, unknown>;
  /** The shopper's user key (buyer sockets). */
  userKey?: string;
}

interface OrderArrival {
  eventKey: string;
  type: string;
  orderKey: string;
  at: number;
  recv: number;
}

interface NotificationArrival {
  key: string;
  orderKey: string | null;
  recv: number;
}

const keyOf = (id: unknown): string | null => (typeof id === 'string' ? (parseGlobalId(id)?.key ?? null) : null);

/** One graphql-ws client socket with its one subscription, keeping what arrives. */
class FeedSocket {
  readonly orders: OrderArrival[] = [];
  readonly notifications: NotificationArrival[] = [];
  /** Order keys with a PAID event here, and how many times each came. */
  readonly paid = new Map<string, number>();
  readonly problems: string[] = [];
  /** Error codes of events answered with errors and of subscriptions the server ended (`error`). */
  readonly codes = new Map<string, number>();
  errors = 0;
  closeCode: number | undefined;
  private closing = false;

  constructor(
    readonly spec: SocketSpec,
    private readonly ws: WebSocket,
  ) {}

  problem(message: string): void {
    if (this.problems.length < 3) this.problems.push(`${this.spec.label}: ${message}`);
  }

  private failed(errors: unknown, what: string): void {
    this.errors++;
    for (const e of Array.isArray(errors) ? errors : [errors]) {
      const code = String((e as { extensions?: { code?: unknown } } | null)?.extensions?.code ?? 'no code');
      this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    }
    this.problem(`${what}: ${JSON.stringify(errors).slice(0, 300)}`);
  }

  onNext(payload: { data?: Record<string, Record<string, unknown> | null>; errors?: unknown[] } | undefined, recv: number): void {
    if (payload?.errors?.length || !payload?.data) return this.failed(payload?.errors ?? payload, 'event with errors');
    const order = payload.data.shopOrderEvents;
    if (order) {
      const orderKey = keyOf((order.order as { id?: string } | null)?.id) ?? '';
      const type = String(order.type);
      this.orders.push({ eventKey: keyOf(order.id) ?? '', type, orderKey, at: Date.parse(String(order.at)), recv });
      if (type === 'PAID') this.paid.set(orderKey, (this.paid.get(orderKey) ?? 0) + 1);
      return;
    }
    const note = payload.data.notificationAdded;
    if (note) this.notifications.push({ key: keyOf(note.id) ?? '', orderKey: typeof note.link === 'string' && parseGlobalId(note.link)?.type === 'Order' ? keyOf(note.link) : null, recv });
  }

  onMessage(message: { type?: string; payload?: unknown }, recv: number): void {
    switch (message.type) {
      case 'next':
        return this.onNext(message.payload as Parameters<FeedSocket['onNext']>[0], recv);
      case 'ping':
        return this.ws.send('{"type":"pong"}');
      case 'pong':
        return;
      case 'error':
        return this.failed(message.payload, 'subscription ended by the server');
      case 'complete':
        if (!this.closing) this.problem('the server completed the subscription');
        return;
      default:
        this.problem(`unexpected message ${JSON.stringify(message).slice(0, 200)}`);
    }
  }

  onClose(code: number, reason: string): void {
    this.closeCode = code;
    if (!this.closing) this.problem(`closed by the server: ${code} ${reason}`);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Ends the subscription (`complete`) and closes the socket (1000), cut after `graceMs`. */
  close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const cut = setTimeout(() => this.ws.terminate(), graceMs);
      this.ws.once('close', () => {
        clearTimeout(cut);
        resolve();
      });
      if (this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(JSON.stringify({ id: '1', type: 'complete' }));
        this.ws.close(1000, 'bench done');
      }
    });
  }
}

/** Connects, signs in (`connection_init`), and subscribes once acknowledged; resolves on the ack. */
function openSocket(url: string, spec: SocketSpec, timeoutMs: number): Promise<FeedSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
    const socket = new FeedSocket(spec, ws);
    let acked = false;
    const fail = (message: string) => {
      clearTimeout(timer);
      if (!acked) reject(new Error(`${spec.label}: ${message}`));
    };
    const timer = setTimeout(() => {
      ws.terminate();
      fail(`no connection_ack within ${timeoutMs / 1000} s`);
    }, timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${spec.token}` } })));
    ws.on('message', (data) => {
      const recv = Date.now();
      let message: { type?: string; payload?: unknown };
      try {
        message = JSON.parse(String(data));
      } catch {
        socket.problem('a message that is not JSON');
        return;
      }
      if (message.type !== 'connection_ack') return socket.onMessage(message, recv);
      acked = true;
      clearTimeout(timer);
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: spec.query, variables: spec.variables } }));
      resolve(socket);
    });
    ws.on('close', (code, reason) => {
      socket.onClose(code, reason.toString());
      fail(`closed ${code} ${reason.toString()} before connection_ack`);
    });
    ws.on('error', (err) => {
      socket.problem(`socket error: ${err.message}`);
      fail(err.message);
    });
  });
}

/** The server's worker processes (the process itself with one worker). */
const workerPids = (server: RunningServer): number[] => (server.workers > 1 ? childPids(server.child.pid) : [server.child.pid]);

/** Established TCP connections each worker holds on the server's port, read from /proc. */
function connectionsPerWorker(server: RunningServer): number[] {
  const port = Number(new URL(server.url).port);
  const established = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is [1] (hex ip:port), st [3] (01 = ESTABLISHED), inode [9].
      if (f.length > 9 && f[3] === '01' && parseInt(f[1].split(':')[1], 16) === port) established.add(f[9]);
    }
  }
  return workerPids(server).map((pid) => {
    let n = 0;
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          if (inode && established.has(inode)) n++;
        } catch {
          // Closed meanwhile.
        }
      }
    } catch {
      return NaN;
    }
    return n;
  });
}

const rssSum = (server: RunningServer) => Math.round(server.rss().workersMb.reduce((a, b) => a + b, 0) * 10) / 10;

/**
 * The workers' summed RSS once it has settled: V8 gives memory back some seconds after a busy
 * spell, so a reading taken too soon after the scenario before would make the sockets look free.
 * Readings 1 s apart until the last five are within 0.5% of each other (at most 20 s; --smoke,
 * whose 20 sockets show nothing, takes three readings 300 ms apart).
 */
async function settledRss(server: RunningServer, smoke: boolean): Promise<number> {
  const [interval, window, limit] = smoke ? [300, 3, 1000] : [1000, 5, 20_000];
  const readings: number[] = [];
  const deadline = Date.now() + limit;
  for (;;) {
    await sleep(interval);
    readings.push(rssSum(server));
    const last = readings.slice(-window);
    if ((last.length === window && Math.max(...last) - Math.min(...last) <= Math.max(...last) * 0.005) || Date.now() > deadline) return last[last.length - 1];
  }
}

class GaveUp extends Error {}

async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

interface Member {
  email: string;
  shopKey: string;
  slug: string;
}

/** Members who handle orders of the selling shop, and one owner of each other demo shop (all sign in with the demo password). */
async function shopMembers(db: BenchDatabase): Promise<{ selling: Member[]; quiet: Member[] }> {
  const rows = await db.sql<{ email: string; shop_id: string; slug: string }>(
    `select distinct on (s.id, u.email) u.email, s.id::text as shop_id, s.slug
     from shop s join shop_member m on m.shop_id = s.id join users u on u.id = m.user_id
     where s.status = 'ACTIVE' and u.email like '%@demo.test' and m.role in ('OWNER', 'MANAGER', 'OPERATOR')
       and (s.slug = ? or m.role = 'OWNER')
     order by s.id, u.email`,
    [MERCHANT_SHOP],
  );
  const members = rows.map((r) => ({ email: r.email, shopKey: r.shop_id, slug: r.slug }));
  return { selling: members.filter((m) => m.slug === MERCHANT_SHOP), quiet: members.filter((m) => m.slug !== MERCHANT_SHOP) };
}

/** Access tokens of `emails` on `base`, signing in with the demo password; those that cannot sign in are left out. */
async function signIn(base: string, emails: string[]): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  await mapLimit(emails, 4, async (email) => {
    const res = await gql<{ login: { accessToken: string | null } }>(base, LOGIN, { input: { email, password: DEMO_PASSWORD } });
    const token = res.data?.login.accessToken;
    if (token) tokens.set(email, token);
  });
  return tokens;
}

export interface SqlMeter {
  start(): Promise<void>;
  stop(requests: number, inFlight: number): Promise<{ perRequest: number | null; serverPerRequest?: number | null; top?: { perRequest: number; meanMs: number; query: string }[] }>;
}

export interface FeedContext {
  opts: BenchOptions;
  db: BenchDatabase;
  /** The run's server; used when it has two workers or more. */
  server: RunningServer;
  fx: Fixtures;
  title: string;
  log: (message: string) => void;
  /** The plain `checkout` scenario of this run (on `server`), when it ran. */
  plain?: ScenarioResult;
  /** Starts another server with this many workers on the bench database (its own secrets), and a way to stop it. */
  startServer(workers: number): Promise<{ server: RunningServer; stop(): Promise<void> }>;
  /** SQL statements per request on a server (pg_stat_statements when available). */
  sqlMeter(server: RunningServer): SqlMeter;
}

/** Empties the shoppers' carts and makes the limited variant's available stock exactly --stock. */
async function restock(ctx: FeedContext, server: RunningServer, shoppers: Shopper[], merchantToken: string): Promise<void> {
  await ctx.db.sql('delete from cart_line where user_id in (?)', [shoppers.map((s) => s.userId)]);
  await setAvailable(server.url, ctx.db, merchantToken, ctx.fx.limited.variantKey, ctx.opts.stock);
}

/** The checkout loop until the limited variant sells out, as the `checkout` scenario runs it. */
function sellOut(ctx: FeedContext, server: RunningServer, shoppers: Shopper[], onPaid?: OnPaid): Promise<CheckoutResult> {
  const seconds = Math.max(60, ctx.opts.duration * 8, ctx.opts.stock / 4);
  return checkoutLoop({ base: server.url, secret: server.webhookSecret, shoppers, variantId: ctx.fx.limited.variantId, seconds, stopAtSoldOut: true, onPaid });
}

const perSecond = (r: CheckoutResult) => Math.round((r.purchases / Math.max(r.seconds, 0.001)) * 10) / 10;

export async function runFeed(ctx: FeedContext): Promise<ScenarioResult> {
  const { opts, db, fx, log } = ctx;
  const problems: string[] = [];
  const scenarioStarted = performance.now();

  // A server of two workers at least: the run's, or one started for this scenario.
  let server = ctx.server;
  let stopOwn: (() => Promise<void>) | undefined;
  let shoppers = fx.checkoutShoppers;
  let merchantToken = fx.merchant.token;
  if (server.workers < 2) {
    log('  the run’s server has one worker: starting one with 2 workers for this scenario');
    const own = await ctx.startServer(2);
    server = own.server;
    stopOwn = own.stop;
    // Its own JWT secret: everyone signs in again.
    shoppers = await prepareShoppers(server.url, db, shoppers.map((s) => s.email));
    merchantToken = (await gqlOk<{ login: { accessToken: string } }>(server.url, LOGIN, { input: { email: MERCHANT_EMAIL, password: DEMO_PASSWORD } })).login.accessToken;
  }
  const cpu = new CpuMeter(server.child.pid, db.postmasterPid);
  const sql = ctx.sqlMeter(server);
  const sockets: FeedSocket[] = [];
  try {
    // The loop without subscribers, unless the run's plain checkout scenario ran on this server.
    // (--smoke, whose figures do not count, takes the run's one-worker figure rather than sell out once more.)
    let baseline: FeedDetail['baseline'];
    if (ctx.plain?.checkout && (server === ctx.server || opts.smoke)) {
      const p = ctx.plain;
      const where = server === ctx.server ? `${server.workers} workers` : `${ctx.server.workers} worker, not this scenario’s server`;
      baseline = { source: `the run’s checkout scenario (${where})`, checkoutsPerSecond: Math.round((p.checkout!.purchases / Math.max(p.seconds, 0.001)) * 10) / 10, rps: p.rps, p99: p.latency.p99, purchases: p.checkout!.purchases };
    } else {
      if (opts.warmup > 0) {
        const warm = await checkoutLoop({ base: server.url, secret: server.webhookSecret, shoppers, variantId: fx.warmup.variantId, seconds: opts.warmup, stopAtSoldOut: false });
        if (warm.failures.length) throw new Error(`feed baseline warm-up failed: ${warm.failures[0]}`);
      }
      await restock(ctx, server, shoppers, merchantToken);
      const plain = await sellOut(ctx, server, shoppers);
      if (plain.failures.length || !plain.soldOut) throw new Error(`feed baseline loop failed: ${plain.failures[0] ?? 'did not sell out'}`);
      baseline = { source: `a plain loop on this scenario’s server (${server.workers} workers) before the sockets opened`, checkoutsPerSecond: perSecond(plain), rps: plain.rps, p99: plain.latency.p99, purchases: plain.purchases };
      log(`  baseline without subscribers: ${plain.purchases} checkouts in ${plain.seconds} s (${baseline.checkoutsPerSecond}/s), ${plain.rps} req/s, p99 ${plain.latency.p99} ms`);
    }

    // Who subscribes.
    const quietCount = opts.feedSockets - opts.feedSelling - opts.feedBuyers;
    const members = await shopMembers(db);
    // As many other shops as there are quiet sockets, at most every one.
    const tokens = await signIn(server.url, [...new Set([...members.selling, ...members.quiet.slice(0, quietCount)].map((m) => m.email))]);
    const selling = members.selling.filter((m) => tokens.has(m.email));
    const quiet = members.quiet.filter((m) => tokens.has(m.email));
    if (!selling.length) throw new Error(`feed: no member of ${MERCHANT_SHOP} could sign in`);
    const sellingKey = selling[0].shopKey;
    const quietPool = quiet.length ? quiet : selling;
    if (!quiet.length && quietCount > 0) problems.push('no other demo shop owner could sign in: the quiet sockets watch the selling shop too');
    const shopSpec = (role: Role, m: Member, i: number): SocketSpec => ({
      role,
      label: `${m.email} on ${m.slug} #${i + 1}`,
      token: tokens.get(m.email)!,
      query: SHOP_ORDER_EVENTS,
      variables: { shopId: toGlobalId('Shop', m.shopKey) },
    });
    const groups: SocketSpec[][] = [
      Array.from({ length: opts.feedSelling }, (_, i) => shopSpec('selling', selling[i % selling.length], i)),
      Array.from({ length: opts.feedBuyers }, (_, i): SocketSpec => {
        const s = shoppers[i % shoppers.length];
        return { role: 'buyer', label: `${s.email} notifications #${i + 1}`, token: s.token, query: NOTIFICATION_ADDED, variables: {}, userKey: s.userId };
      }),
      Array.from({ length: quietCount }, (_, i) => shopSpec(quiet.length ? 'quiet' : 'selling', quietPool[i % quietPool.length], i)),
    ];
    // Interleaved, so the workers (node:cluster hands connections out in turn) each get a share of every kind.
    const specs: SocketSpec[] = [];
    for (let i = 0; i < Math.max(...groups.map((g) => g.length)); i++) for (const g of groups) if (i < g.length) specs.push(g[i]);

    const beforeMb = await settledRss(server, opts.smoke);
    const connectionsBefore = connectionsPerWorker(server);
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/graphql`;
    const openStarted = performance.now();
    const opened = await mapLimit(specs, 50, (spec) => openSocket(wsUrl, spec, 20_000).then((s) => s, (err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
    const openSeconds = Math.round((performance.now() - openStarted) / 10) / 100;
    for (const s of opened) if (s instanceof FeedSocket) sockets.push(s);
    const openFailures = opened.filter((s): s is Error => s instanceof Error);
    if (openFailures.length) problems.push(`${openFailures.length} of ${specs.length} sockets did not open (first: ${openFailures[0].message})`);
    const openMb = await settledRss(server, opts.smoke);
    const perWorker = connectionsPerWorker(server).map((n, i) => n - (connectionsBefore[i] ?? 0));
    log(`  ${sockets.length} sockets open in ${openSeconds} s (${opts.feedSelling} on ${MERCHANT_SHOP}'s orders as ${selling.map((m) => m.email).join(', ')}; ${opts.feedBuyers} shoppers' notifications; ${quietCount} on ${quietPool.length} other shops), per worker ${perWorker.join('/')}; workers' RSS ${beforeMb} → ${openMb} MB`);

    // The probe round (and warm-up): every socket must see it before the loop is measured.
    const byRole = (role: Role) => sockets.filter((s) => s.spec.role === role);
    const [probeMark] = await db.sql<{ order_id: string; notification_id: string }>(
      'select (select coalesce(max(id), 0) from orders)::text as order_id, (select coalesce(max(id), 0) from notification)::text as notification_id',
    );
    const probeStarted = performance.now();
    const probe = await checkoutLoop({ base: server.url, secret: server.webhookSecret, shoppers, variantId: fx.warmup.variantId, seconds: opts.warmup > 0 ? opts.warmup : 60, stopAtSoldOut: false, perShopper: opts.warmup > 0 ? undefined : 1 });
    if (probe.failures.length) throw new Error(`feed probe round failed: ${probe.failures[0]}`);
    const probeOrders = await paidOrders(db, sellingKey, probeMark.order_id);
    const live = await waitUntil(async () => {
      if (!byRole('selling').every((s) => probeOrders.every((o) => s.paid.has(o.id)))) return false;
      const due = await notificationsDue(db, shoppers, probeMark.notification_id);
      return byRole('buyer').every((s) => received(s, probeMark.notification_id).size >= (due.get(s.spec.userKey!) ?? 0));
    }, 30_000, 100);
    const probeSeconds = Math.round((performance.now() - probeStarted) / 100) / 10;
    if (!live) problems.push(`the probe round's ${probeOrders.length} paid orders did not reach every socket within 30 s: ${byRole('selling').filter((s) => !probeOrders.every((o) => s.paid.has(o.id))).length} shop sockets short`);
    log(`  probe: ${probe.purchases} purchases in ${probeSeconds} s reached ${live ? 'every' : 'NOT every'} socket`);

    // The measured loop.
    const [mark] = await db.sql<{ order_id: string; notification_id: string; outbox_id: string }>(
      'select (select coalesce(max(id), 0) from orders)::text as order_id, (select coalesce(max(id), 0) from notification)::text as notification_id, (select coalesce(max(id), 0) from outbox_event)::text as outbox_id',
    );
    const quietBefore = byRole('quiet').reduce((n, s) => n + s.orders.length + s.notifications.length, 0);
    await restock(ctx, server, shoppers, merchantToken);
    const before = await stockBefore(db, fx.limited.variantKey);
    const webhookAt = new Map<string, number>();
    await sql.start();
    cpu.begin();
    const self = process.cpuUsage();
    const result = await sellOut(ctx, server, shoppers, (checkoutId, at) => webhookAt.set(keyOf(checkoutId) ?? checkoutId, at));
    const used: CpuUse = cpu.end(result.requests);
    const selfUsed = process.cpuUsage(self);
    const loopEnded = performance.now();
    const count = await sql.stop(result.requests, 0);
    const stock = await proveStock(db, { key: fx.limited.variantKey, sku: fx.limited.sku }, before, result.purchases);

    // Everything dispatched, then everything delivered (or no progress for 10 s).
    const dispatched = await waitUntil(async () => {
      const [{ n }] = await db.sql<{ n: number }>('select count(*)::int as n from outbox_event where id > ? and dispatched_at is null', [mark.outbox_id]);
      return n === 0;
    }, 60_000, 100);
    if (!dispatched) problems.push('the outbox was not dispatched within 60 s of the loop’s end');
    const orders = await paidOrders(db, sellingKey, mark.order_id);
    const due = await notificationsDue(db, shoppers, mark.notification_id);
    const tally = () => tallyDeliveries(sockets, orders, due, mark.notification_id);
    let last = -1;
    let lastChange = Date.now();
    const drained = await waitUntil(() => {
      const t = tally();
      const got = t.paid.received + t.notifications.received;
      if (got !== last) [last, lastChange] = [got, Date.now()];
      if (t.paid.missing === 0 && t.notifications.missing === 0) return true;
      if (Date.now() - lastChange > 10_000) throw new GaveUp();
      return false;
    }, 60_000, 50).catch((err: unknown) => {
      if (err instanceof GaveUp) return false;
      throw err;
    });
    const drainSeconds = Math.round((performance.now() - loopEnded) / 100) / 10;
    const afterLoopMb = rssSum(server);
    const { paid, notifications } = tally();
    if (paid.missing) problems.push(`${paid.missing} of ${paid.expected} PAID events never reached the ${MERCHANT_SHOP} sockets`);
    if (notifications.missing) problems.push(`${notifications.missing} of ${notifications.expected} notifications never reached the shoppers’ sockets`);

    // Latencies and the events' types.
    const checkoutOf = new Map(orders.map((o) => [o.id, o.checkoutId]));
    const window = new Set(orders.map((o) => o.id));
    const fromAt = new Latencies();
    const fromWebhook = new Latencies();
    const noteFromWebhook = new Latencies();
    const byType: Record<string, number> = {};
    for (const s of byRole('selling')) {
      for (const e of s.orders) {
        if (BigInt(e.orderKey || '0') <= BigInt(mark.order_id)) continue;
        byType[e.type] = (byType[e.type] ?? 0) + 1;
        if (e.type !== 'PAID' || !window.has(e.orderKey)) continue;
        fromAt.record(e.recv - e.at);
        const hook = webhookAt.get(checkoutOf.get(e.orderKey) ?? '');
        if (hook !== undefined) fromWebhook.record(e.recv - hook);
      }
    }
    for (const s of byRole('buyer')) {
      for (const n of s.notifications) {
        const hook = n.orderKey && window.has(n.orderKey) ? webhookAt.get(checkoutOf.get(n.orderKey) ?? '') : undefined;
        if (hook !== undefined) noteFromWebhook.record(n.recv - hook);
      }
    }
    const quietEvents = byRole('quiet').reduce((n, s) => n + s.orders.length + s.notifications.length, 0) - quietBefore;
    const errors = sockets.reduce((n, s) => n + s.errors, 0);
    const errorCodes: Record<string, number> = {};
    for (const s of sockets) for (const [code, n] of s.codes) errorCodes[code] = (errorCodes[code] ?? 0) + n;
    if (errors) problems.push(`${errors} events or subscriptions answered errors (${Object.entries(errorCodes).map(([c, n]) => `${n} × ${c}`).join(', ')})`);
    const dropped = sockets.filter((s) => !s.open);
    if (dropped.length) problems.push(`${dropped.length} sockets were closed before the end`);
    problems.push(...sockets.flatMap((s) => s.problems).slice(0, 3));

    // Close every socket cleanly.
    const closeStarted = performance.now();
    await Promise.all(sockets.map((s) => s.close(5000)));
    const closed: Record<string, number> = {};
    for (const s of sockets) closed[String(s.closeCode ?? 'none')] = (closed[String(s.closeCode ?? 'none')] ?? 0) + 1;
    const unclean = sockets.filter((s) => s.closeCode !== 1000).length;
    if (unclean) problems.push(`${unclean} sockets did not close cleanly (${JSON.stringify(closed)})`);
    const afterCloseMb = await settledRss(server, opts.smoke);
    log(`  ${sockets.length} sockets closed in ${((performance.now() - closeStarted) / 1000).toFixed(1)} s (${Object.entries(closed).map(([c, n]) => `${n} × ${c}`).join(', ')})`);

    const sum = (l: Latencies) => ({ ...l.summary(), samples: l.count });
    const checkoutsPerSecond = perSecond(result);
    const feed: FeedDetail = {
      workers: server.workers,
      sockets: { total: sockets.length, selling: byRole('selling').length, quiet: byRole('quiet').length, buyers: byRole('buyer').length, sellingShop: MERCHANT_SHOP, quietShops: new Set(quiet.map((m) => m.shopKey)).size, members: selling.length },
      perWorker,
      openSeconds,
      probe: { purchases: probe.purchases, seconds: probeSeconds, live },
      memory: { beforeMb, openMb, afterLoopMb, afterCloseMb, perThousandSocketsMb: sockets.length ? Math.round(((openMb - beforeMb) / sockets.length) * 1000 * 10) / 10 : NaN },
      paid: { ...paid, orders: orders.length },
      notifications,
      byType,
      quietEvents,
      latencyFromAt: sum(fromAt),
      latencyFromWebhook: sum(fromWebhook),
      notificationLatencyFromWebhook: sum(noteFromWebhook),
      drainSeconds,
      baseline,
      checkoutsPerSecond,
      ratio: baseline.checkoutsPerSecond > 0 ? Math.round((checkoutsPerSecond / baseline.checkoutsPerSecond) * 1000) / 1000 : null,
      clientCpuMsPerCheckout: Math.round(((selfUsed.user + selfUsed.system) / 1000 / Math.max(result.purchases, 1)) * 100) / 100,
      closed,
      errorCodes,
      drained,
      problems,
    };
    log(
      `  loop: ${result.purchases} checkouts in ${result.seconds} s (${checkoutsPerSecond}/s vs ${baseline.checkoutsPerSecond}/s without subscribers); PAID ${paid.received}/${paid.expected} delivered, notifications ${notifications.received}/${notifications.expected}; ` +
        `latency from at p50 ${feed.latencyFromAt.p50} p99 ${feed.latencyFromAt.p99} ms, from the webhook p50 ${feed.latencyFromWebhook.p50} p99 ${feed.latencyFromWebhook.p99} ms; ${feed.memory.perThousandSocketsMb} MB per 1,000 sockets; scenario ${((performance.now() - scenarioStarted) / 1000).toFixed(1)} s`,
    );
    const failures = [...(result.errors ? [`${result.errors} checkout loop errors (first: ${result.sample})`] : []), ...result.failures.slice(0, 3), ...stock.problems, ...problems];
    if (!result.soldOut && !result.failures.length) failures.push(`the stock did not sell out (${result.purchases} of ${stock.stockAtStart} sold): lower --stock`);
    return {
      name: 'feed',
      title: ctx.title,
      ...result,
      sqlPerRequest: count.perRequest,
      sql: count,
      cpu: used,
      rss: server.rss(),
      ratio: {},
      checkout: { purchases: result.purchases, insufficientStock: result.insufficientStock, soldOut: result.soldOut, steps: result.steps, stock },
      feed,
      failures,
    };
  } finally {
    await Promise.all(sockets.map((s) => s.close(2000)));
    if (stopOwn) await stopOwn();
  }
}

/** The selling shop's orders after `sinceOrder` that were paid, with their checkout's key. */
async function paidOrders(db: BenchDatabase, shopKey: string, sinceOrder: string): Promise<{ id: string; checkoutId: string }[]> {
  const rows = await db.sql<{ id: string; checkout_id: string }>(
    'select id::text as id, checkout_id::text as checkout_id from orders where shop_id = ? and id > ? and paid_at is not null order by id',
    [shopKey, sinceOrder],
  );
  return rows.map((r) => ({ id: r.id, checkoutId: r.checkout_id }));
}

/** How many notifications each shopper's inbox got after `sinceNotification`. */
async function notificationsDue(db: BenchDatabase, shoppers: Shopper[], sinceNotification: string): Promise<Map<string, number>> {
  const rows = await db.sql<{ user_id: string; n: number }>('select user_id::text as user_id, count(*)::int as n from notification where user_id in (?) and id > ? group by user_id', [
    shoppers.map((s) => s.userId),
    sinceNotification,
  ]);
  return new Map(rows.map((r) => [r.user_id, r.n]));
}

/** The notification keys after `sinceNotification` a socket received, with how many times each came. */
function received(socket: FeedSocket, sinceNotification: string): Map<string, number> {
  const since = BigInt(sinceNotification);
  const keys = new Map<string, number>();
  for (const n of socket.notifications) if (n.key && BigInt(n.key) > since) keys.set(n.key, (keys.get(n.key) ?? 0) + 1);
  return keys;
}

/** Expected against received: each paid order's PAID on each selling socket, each inbox notification on its shopper's sockets. */
function tallyDeliveries(sockets: FeedSocket[], orders: { id: string }[], due: Map<string, number>, sinceNotification: string): { paid: Delivery; notifications: Delivery } {
  const paid: Delivery = { expected: 0, received: 0, missing: 0, duplicates: 0 };
  const notifications: Delivery = { expected: 0, received: 0, missing: 0, duplicates: 0 };
  for (const s of sockets) {
    if (s.spec.role === 'selling') {
      paid.expected += orders.length;
      for (const o of orders) {
        const n = s.paid.get(o.id) ?? 0;
        if (n > 0) paid.received++;
        paid.duplicates += Math.max(0, n - 1);
      }
    } else if (s.spec.role === 'buyer') {
      const keys = received(s, sinceNotification);
      notifications.expected += due.get(s.spec.userKey!) ?? 0;
      notifications.received += keys.size;
      for (const n of keys.values()) notifications.duplicates += n - 1;
    }
  }
  paid.missing = paid.expected - paid.received;
  notifications.missing = Math.max(0, notifications.expected - notifications.received);
  return { paid, notifications };
}
