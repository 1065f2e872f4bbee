import { Client } from 'pg';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { StaffRole } from '../../src/entities';
import { MockPaymentProvider, PAYMENT_REPAIR_GRACE_MS } from '../../src/services/payments';
import { type TestApp, createTestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { DatabaseProxy, databaseOf } from '../helpers/databaseFaults';
import { idOf, keyOf } from '../helpers/kit';
import { LEDGER_INVARIANTS } from '../helpers/ledger';
import { grantCoupon, insertPromotion } from '../helpers/promotions';
import { newShopper, scenario, type Shopper } from '../helpers/scenario';
import { sleep } from '../helpers/wait';
import { type ServerProcess, serverEnv, startServerGroup } from '../platform/serverProcess';

/**
 * The crash-consistency storm: clients buying, paying, redelivering webhooks and cancelling against
 * a real server process while the test kills it or takes its database away; then the invariants
 * of stock and money, checked in SQL in one snapshot, and the retries of every request that got
 * no answer, with the same idempotency key or webhook event id.
 */

/** Worker processes of the server under test: the group kill and the LISTEN count cover more than one. */
export const WORKERS = 2;
const JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!!';
const WEBHOOK_SECRET = 'faults-suite-webhook-secret-0123456789';

/** The server's log lines at level error or above, last `n`: what a failed storm test prints. */
export function serverErrors(server: ServerProcess | undefined, n = 20): string {
  const lines = (server?.output() ?? '').split('\n').filter((line) => /"level":(50|60)/.test(line));
  return lines.slice(-n).map((line) => line.slice(0, 600)).join('\n');
}

/** Whether the process (group leader) has exited. */
export async function hasExited(server: ServerProcess): Promise<boolean> {
  return Promise.race([server.exit.then(() => true), sleep(0).then(() => false)]);
}

// --- A storm test file -----------------------------------------------------------------------------

/**
 * What every storm test file sets up and tears down; `stormSuite()` makes one and registers its
 * hooks. Before the tests: a connection of the file's own to the test database (`admin`, to
 * terminate sessions and check invariants), with `proxy` a DatabaseProxy the servers reach
 * PostgreSQL through, and shops and buyers seeded through an in-process app. When a test fails:
 * the errors each server logged. After the tests: every server it started killed, the storm
 * halted, the proxy down and the connection closed, in that order.
 */
export class StormSuite {
  admin!: Client;
  database!: string;
  seeded!: Seeded;
  private proxied: DatabaseProxy | undefined;
  /** Every server process the test started, whose errors a failure prints. */
  private readonly servers: ServerProcess[] = [];
  private storm: Storm | undefined;

  constructor(private readonly opts: { clients: number; seed: number; proxy?: boolean }) {}

  async setUp(): Promise<void> {
    this.database = databaseOf(process.env.TEST_DB_URL!);
    this.admin = new Client({ connectionString: process.env.TEST_DB_URL });
    await this.admin.connect();
    if (this.opts.proxy) {
      this.proxied = new DatabaseProxy(process.env.TEST_DB_URL!);
      await this.proxied.up();
    }
    const t = await createTestApp();
    try {
      this.seeded = await seed(t, { shops: 3, variants: 2, stock: 150, buyers: this.opts.clients });
    } finally {
      await t.close();
    }
  }

  async tearDown(): Promise<void> {
    for (const server of this.servers) server.kill();
    await this.storm?.halt();
    await this.proxied?.down();
    await this.admin?.end();
  }

  /** The proxy between the servers and PostgreSQL (of a suite made with `proxy`). */
  get proxy(): DatabaseProxy {
    if (!this.proxied) throw new Error('this storm suite was made without a proxy');
    return this.proxied;
  }

  /**
   * The server from source on `port` (reaching PostgreSQL through the proxy, if there is one),
   * leading its own process group (so `kill()` is SIGKILL to all of it), ready in every worker.
   */
  async startServer(port: number): Promise<ServerProcess> {
    const databaseUrl = this.proxied ? this.proxied.url() : process.env.TEST_DB_URL!;
    const server = await startServerGroup(serverEnv(port, { DATABASE_URL: databaseUrl, JWT_SECRET, PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET }), WORKERS);
    this.servers.push(server);
    return server;
  }

  /** A storm of the suite's clients and seed, started against `port`. */
  startStorm(port: number): Storm {
    this.storm = new Storm(this.seeded, this.opts.seed);
    this.storm.start(port, this.opts.clients);
    return this.storm;
  }

  printServerErrors(): void {
    for (const [i, s] of this.servers.entries()) process.stderr.write(`\n[faults] server ${i + 1}, errors logged:\n${serverErrors(s)}\n`);
  }
}

/** A `StormSuite` for this file: `clients` buyers seeded, storms of `seed`; call it at the top level. */
export function stormSuite(opts: { clients: number; seed: number; proxy?: boolean }): StormSuite {
  const suite = new StormSuite(opts);
  beforeAll(() => suite.setUp());
  beforeEach(({ onTestFailed }) => onTestFailed(() => suite.printServerErrors()));
  afterAll(() => suite.tearDown());
  return suite;
}

// --- Seeding ---------------------------------------------------------------------------------------

export interface Seeded {
  /** Global IDs of every variant on sale. */
  variantIds: string[];
  buyers: Shopper[];
  /** Each shop's OWNER token, by the shop's global ID (they answer after-sale cases). */
  owners: Record<string, string>;
  /** Global IDs of each buyer's platform coupons, by the buyer's database key: checkouts use them in turn. */
  coupons: Record<string, string[]>;
}

/** Platform coupons each buyer holds: about one per checkout a client makes in a storm. */
const COUPONS_PER_BUYER = 40;

/**
 * Shops with one product each (`variants` variants of `stock` units) and `buyers` shoppers with an
 * address, made through the API of an in-process app on the same database.
 */
export async function seed(t: TestApp, opts: { shops: number; variants: number; stock: number; buyers: number }): Promise<Seeded> {
  const builder = scenario(t);
  for (let i = 0; i < opts.shops; i++) {
    builder.shop().product({ variants: Array.from({ length: opts.variants }, (_, j) => ({ stock: opts.stock, price: 1000 + 250 * j + 10 * i })) });
  }
  const state = await builder.run();
  const buyers: Shopper[] = [];
  for (let i = 0; i < opts.buyers; i++) buyers.push(await newShopper(t));
  const owners = Object.fromEntries(state.shops.map((shop) => [shop.shopId, shop.owner.token]));
  // Promotions live for the whole storm: each shop's 滿減 and a platform percentage with a budget
  // that runs out mid-storm (checkouts racing for its last part may meet PROMOTION_BUDGET_EXHAUSTED).
  const now = new Date();
  const window = [new Date(now.getTime() - 86_400_000), new Date(now.getTime() + 30 * 86_400_000)];
  for (const shop of state.shops) {
    await insertPromotion(t, { shopKey: keyOf(shop.shopId), kind: 'AMOUNT_OFF_THRESHOLD', tiers: [{ threshold: 1500, amountOff: 150 }], startsAt: window[0], endsAt: window[1] });
  }
  await insertPromotion(t, { shopKey: null, kind: 'PERCENT_OFF', tiers: [{ threshold: 0, percentOffBp: 500 }], budget: 30_000, startsAt: window[0], endsAt: window[1] });
  const coupons: Record<string, string[]> = {};
  for (const buyer of buyers) {
    coupons[buyer.user.id] = [];
    for (let i = 0; i < COUPONS_PER_BUYER; i++) coupons[buyer.user.id].push((await grantCoupon(t, buyer.user.id, { shopKey: null, kind: 'AMOUNT_OFF', amountOff: 100 + i })).id);
  }
  return { variantIds: state.products.flatMap((p) => p.variantIds), buyers, owners, coupons };
}

// --- Requests --------------------------------------------------------------------------------------

const ADD_TO_CART = `mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { lines { id } } errors { code } } }`;
const CLEAR_LINE = `mutation($input: UpdateCartLineInput!) { updateCartLine(input: $input) { cart { id } errors { code } } }`;
const CHECKOUT = `mutation($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) { checkout { id status total { amountMinor } orders { id shop { id } lines { id quantity } } } errors { code } } }`;
const REQUEST_AFTER_SALE = `mutation($input: RequestAfterSaleInput!) { requestAfterSale(input: $input) { afterSaleCase { id status } errors { code } } }`;
const RESPOND_AFTER_SALE = `mutation($input: RespondAfterSaleInput!) { respondAfterSale(input: $input) { afterSaleCase { id status } errors { code } } }`;
const WITHDRAW_AFTER_SALE = `mutation($input: IdInput!) { withdrawAfterSale(input: $input) { afterSaleCase { id status } errors { code } } }`;
const PAY = `mutation($input: PayCheckoutInput!) { payCheckout(input: $input) { payment { id status amount { amountMinor } } errors { code } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status } errors { code } } }`;

/** The requests clients retry with the same key after a crash, and what each carries. */
export interface Requests {
  checkout: { token: string; buyerKey: string; addressId: string; key: string; couponIds: string[] };
  pay: { token: string; checkoutId: string };
  webhook: { eventId: string; type: 'payment.succeeded' | 'payment.failed'; paymentId: string };
  cancel: { token: string; orderId: string };
  /** The buyer asks for the whole of a paid, unshipped order back (REFUND_ONLY of every unit). */
  afterSale: { token: string; orderId: string; lines: { orderLineId: string; quantity: number }[] };
  /** The shop's owner approves the case (the order is cancelled and refunded). */
  approve: { token: string; caseId: string };
  /** The buyer withdraws the case. */
  withdraw: { token: string; caseId: string };
}
export type Kind = keyof Requests;

/** An answer (the mutation's payload, or the webhook's JSON), or why there was none. */
export type Reply = { answered: true; status: number; value: any } | { answered: false; why: string };

async function post(port: number, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: any } | { error: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    try {
      return { status: res.status, json: JSON.parse(text) };
    } catch {
      return { error: `http ${res.status}: not JSON` };
    }
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { error: `network: ${cause?.code ?? cause?.message ?? (err as Error).message}` };
  }
}

/** A GraphQL mutation: answered when the payload came back (with or without `errors` in it). */
async function mutation(port: number, token: string, query: string, variables: Record<string, unknown>): Promise<Reply> {
  const res = await post(port, '/graphql', JSON.stringify({ query, variables }), { authorization: `Bearer ${token}` });
  if ('error' in res) return { answered: false, why: res.error };
  if (res.json.errors) return { answered: false, why: `http ${res.status} ${res.json.errors[0]?.extensions?.code}` };
  return { answered: true, status: res.status, value: Object.values(res.json.data)[0] };
}

const signer = new MockPaymentProvider(WEBHOOK_SECRET);

export const send: { [K in Kind]: (port: number, request: Requests[K]) => Promise<Reply> } = {
  checkout: (port, r) => mutation(port, r.token, CHECKOUT, { input: { addressId: r.addressId, couponIds: r.couponIds }, key: r.key }),
  pay: (port, r) => mutation(port, r.token, PAY, { input: { checkoutId: r.checkoutId, provider: 'MOCK' } }),
  cancel: (port, r) => mutation(port, r.token, CANCEL, { input: { orderId: r.orderId } }),
  afterSale: (port, r) => mutation(port, r.token, REQUEST_AFTER_SALE, { input: { orderId: r.orderId, type: 'REFUND_ONLY', reason: 'Ordered by mistake', lines: r.lines } }),
  approve: (port, r) => mutation(port, r.token, RESPOND_AFTER_SALE, { input: { caseId: r.caseId, decision: 'APPROVE' } }),
  withdraw: (port, r) => mutation(port, r.token, WITHDRAW_AFTER_SALE, { input: { id: r.caseId } }),
  async webhook(port, r) {
    const body = JSON.stringify(r);
    const res = await post(port, '/webhooks/payments/mock', body, { 'x-signature': signer.sign(body) });
    if ('error' in res) return { answered: false, why: res.error };
    if (res.status >= 500) return { answered: false, why: `http ${res.status}` };
    return { answered: true, status: res.status, value: res.json };
  },
};

// --- The storm -------------------------------------------------------------------------------------

export interface Attempt<K extends Kind = Kind> {
  kind: K;
  request: Requests[K];
  reply?: Reply;
  /** Milliseconds since the storm began, when it was sent and when it was answered. */
  sentAt: number;
  doneAt?: number;
}

/** A small deterministic generator per client, so a run's choices can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The payload errors a storm request may meet: stock running out. Anything else is a problem. */
const EXPECTED_CODES: Record<Kind, string[]> = {
  checkout: ['INSUFFICIENT_STOCK', 'PROMOTION_BUDGET_EXHAUSTED'],
  pay: [],
  cancel: [],
  webhook: [],
  // A double click: the second finds the first's case open.
  afterSale: ['CASE_ALREADY_OPEN'],
  // Approval and withdrawal race: the second finds the case moved on.
  approve: ['INVALID_TRANSITION'],
  withdraw: ['INVALID_TRANSITION'],
};

class Halt extends Error {}

/** However a test goes, no client sends after this long (a failed test may never call halt()). */
const STORM_LIMIT_MS = 120_000;

/** Requests sent at once: their answers, once all are in; Halt when one got none. */
async function all<T>(requests: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(requests);
  for (const r of settled) if (r.status === 'rejected' && !(r.reason instanceof Halt)) throw r.reason;
  if (settled.some((r) => r.status === 'rejected')) throw new Halt();
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * `clients` shoppers, each in a loop until `halt()`: add one or two variants to the cart, check out
 * with a recorded key (sometimes twice at once, a double click), then one of the endings below:
 * pay and settle (success events sometimes delivered twice at once or again later), pay and ask
 * for the money back through an after-sale case the shop approves (racing a withdrawal), a failed
 * payment then a second one (sometimes followed by a late success for the first), a cancellation
 * before paying, a cancellation racing the success event, a cancellation after payment, or a
 * checkout or payment left open. A request without an answer ends the client's iteration.
 */
export class Storm {
  readonly attempts: Attempt[] = [];
  /** Answers the storm did not expect: a twin request answered differently, an unknown error code. */
  readonly problems: string[] = [];
  readonly cartCalls = { sent: 0, answered: 0 };
  private readonly iterations = new Map<number, number>();
  private readonly couponsUsed = new Map<string, number>();
  private readonly rngs = new Map<number, () => number>();
  private running = false;
  private loops: Promise<void>[] = [];
  private port = 0;
  readonly startedAt = Date.now();

  constructor(
    private readonly seeded: Seeded,
    readonly seed: number,
  ) {}

  /** Starts the clients against `port` (again after a halt: the keys go on where they were). */
  start(port: number, clients: number): void {
    this.port = port;
    this.running = true;
    this.loops = this.seeded.buyers.slice(0, clients).map((buyer, i) => this.client(i, buyer));
  }

  /** Stops the clients after their current request and waits for them. */
  async halt(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  now(): number {
    return Date.now() - this.startedAt;
  }

  unanswered(): Attempt[] {
    return this.attempts.filter((a) => !a.reply?.answered);
  }

  /** Requests sent `at` ms after the start or later that were answered. */
  answeredAfter(at: number): number {
    return this.attempts.filter((a) => a.sentAt >= at && a.reply?.answered).length;
  }

  summary(): string {
    const kinds = (['checkout', 'pay', 'webhook', 'cancel', 'afterSale', 'approve', 'withdraw'] as const).map((kind) => {
      const of = this.attempts.filter((a) => a.kind === kind);
      return `${kind} ${of.filter((a) => a.reply?.answered).length}/${of.length}`;
    });
    const whys = new Map<string, number>();
    for (const a of this.unanswered()) {
      const why = `${a.kind}: ${a.reply && !a.reply.answered ? a.reply.why : 'no reply'}`;
      whys.set(why, (whys.get(why) ?? 0) + 1);
    }
    return `answered/sent: ${kinds.join(', ')}, cart ${this.cartCalls.answered}/${this.cartCalls.sent}; unanswered: ${JSON.stringify(Object.fromEntries(whys))}`;
  }

  private async client(id: number, buyer: Shopper): Promise<void> {
    if (!this.rngs.has(id)) this.rngs.set(id, mulberry32(this.seed * 1000 + id));
    const rnd = this.rngs.get(id)!;
    while (this.running && this.now() < STORM_LIMIT_MS) {
      const n = this.iterations.get(id) ?? 0;
      this.iterations.set(id, n + 1);
      try {
        await this.iteration(buyer, `storm-${this.seed}-${id}-${n}`, rnd);
      } catch (err) {
        if (!(err instanceof Halt)) throw err;
        // No answer: the server is down or lost its database; back off as Retry-After asks.
        if (this.running) await sleep(250);
      }
    }
  }

  /** Sends a request that may be retried later; throws Halt when it got no answer. */
  private async call<K extends Kind>(kind: K, request: Requests[K]): Promise<any> {
    const attempt: Attempt<K> = { kind, request, sentAt: this.now() };
    this.attempts.push(attempt as unknown as Attempt);
    const reply = await send[kind](this.port, request);
    attempt.reply = reply;
    attempt.doneAt = this.now();
    if (!reply.answered) throw new Halt();
    if (kind === 'webhook') {
      if (reply.status !== 200) this.problems.push(`webhook ${JSON.stringify(request)} answered ${reply.status} ${JSON.stringify(reply.value)}`);
      return reply.value;
    }
    for (const e of reply.value.errors ?? []) {
      if (!EXPECTED_CODES[kind].includes(e.code)) this.problems.push(`${kind} ${JSON.stringify({ ...request, token: undefined })} answered ${e.code}`);
    }
    return reply.value;
  }

  private async iteration(buyer: Shopper, key: string, rnd: () => number): Promise<void> {
    const pick = () => this.seeded.variantIds[Math.floor(rnd() * this.seeded.variantIds.length)];
    const variants = new Set([pick(), ...(rnd() < 0.5 ? [pick()] : [])]);
    let lines: string[] = [];
    for (const variantId of variants) {
      this.cartCalls.sent += 1;
      const reply = await mutation(this.port, buyer.token, ADD_TO_CART, { input: { variantId, quantity: 1 + Math.floor(rnd() * 2) } });
      if (!reply.answered) throw new Halt();
      this.cartCalls.answered += 1;
      if (reply.value.cart) lines = reply.value.cart.lines.map((l: { id: string }) => l.id);
    }

    // A coupon on most checkouts, each one new (a refused checkout leaves its coupon unused; the
    // next one takes the next coupon anyway).
    const wallet = this.seeded.coupons[buyer.user.id] ?? [];
    const used = this.couponsUsed.get(buyer.user.id) ?? 0;
    const couponIds = rnd() < 0.7 && used < wallet.length ? [wallet[used]] : [];
    if (couponIds.length) this.couponsUsed.set(buyer.user.id, used + 1);
    const request = { token: buyer.token, buyerKey: buyer.user.id, addressId: buyer.addressId, key, couponIds };
    const answers = await all((rnd() < 0.15 ? [0, 1] : [0]).map(() => this.call('checkout', request)));
    const ids = new Set(answers.map((a) => a.checkout?.id ?? a.errors[0]?.code));
    if (ids.size > 1) this.problems.push(`checkout twins with key ${key} answered ${[...ids].join(' and ')}`);
    const checkout = answers[0].checkout;
    if (!checkout) {
      // Out of stock: empty the cart so the next iteration starts afresh.
      for (const lineId of lines) await mutation(this.port, buyer.token, CLEAR_LINE, { input: { lineId, quantity: 0 } });
      return;
    }

    const orders: string[] = checkout.orders.map((o: { id: string }) => o.id);
    const pay = async (double = false) => {
      const paid = await all((double ? [0, 1] : [0]).map(() => this.call('pay', { token: buyer.token, checkoutId: checkout.id })));
      const payments = new Set(paid.map((p) => p.payment?.id ?? p.errors[0]?.code));
      if (payments.size > 1) this.problems.push(`payCheckout twins for ${checkout.id} answered ${[...payments].join(' and ')}`);
      return paid[0].payment?.id as string | undefined;
    };
    let events = 0;
    const settle = async (paymentId: string | undefined, type: Requests['webhook']['type'] = 'payment.succeeded') => {
      if (!paymentId) return;
      const event = { eventId: `evt-${key}-${events++}`, type, paymentId };
      const copies = rnd() < 0.25 ? 2 : 1;
      await all(Array.from({ length: copies }, () => this.call('webhook', event)));
      // The provider redelivers now and then, a little later.
      if (rnd() < 0.15) {
        await sleep(5);
        await this.call('webhook', event);
      }
    };
    const cancel = (orderId: string) => this.call('cancel', { token: buyer.token, orderId });

    const ending = rnd();
    if (ending < 0.3) {
      await settle(await pay(rnd() < 0.15));
    } else if (ending < 0.4) {
      // Paid, then the buyer asks for the first order's money back before it ships (sometimes twice
      // at once); its shop approves, sometimes racing the buyer's withdrawal.
      await settle(await pay());
      const order = checkout.orders[0];
      const request = { token: buyer.token, orderId: order.id, lines: order.lines.map((l: { id: string; quantity: number }) => ({ orderLineId: l.id, quantity: l.quantity })) };
      const asked = await all((rnd() < 0.15 ? [0, 1] : [0]).map(() => this.call('afterSale', request)));
      const caseId = asked.find((a) => a.afterSaleCase)?.afterSaleCase.id as string | undefined;
      if (!caseId) return;
      const approve = this.call('approve', { token: this.seeded.owners[order.shop.id], caseId });
      await all(rnd() < 0.3 ? [approve, this.call('withdraw', { token: buyer.token, caseId })] : [approve]);
    } else if (ending < 0.55) {
      const first = await pay();
      await settle(first, 'payment.failed');
      const second = await pay();
      if (first && second === first) this.problems.push(`payCheckout for ${checkout.id} returned the failed payment ${first}`);
      await settle(second);
      // Money for the failed payment arrives after all: it must be refunded, not pay twice.
      if (rnd() < 0.3) await settle(first);
    } else if (ending < 0.7) {
      await cancel(orders[0]);
      if (orders.length > 1) await settle(await pay());
    } else if (ending < 0.8) {
      const payment = await pay();
      await all([settle(payment), cancel(orders[0])]);
    } else if (ending < 0.9) {
      await settle(await pay());
      await cancel(orders[0]);
    } else if (ending < 0.95) {
      await pay();
    }
  }
}

// --- Retries ---------------------------------------------------------------------------------------

/**
 * Sends every request of `attempts` that got no answer again, twice, with the same key or event
 * id, against a server that is up: each must be answered, and settle once — the first retry
 * returns what the lost request did if it took effect (the checkout of that key, the pending
 * payment, `replayed` for a recorded event), and the second retry returns the same as the first.
 */
export async function retryUnanswered(port: number, admin: Client, attempts: Attempt[]): Promise<{ retried: number; tookEffect: number }> {
  let tookEffect = 0;
  const lost = attempts.filter((a) => !a.reply?.answered);
  const first = new Map<Attempt, any>();
  for (const attempt of lost) {
    const before = await effectOf(admin, attempt);
    if (before !== null) tookEffect += 1;
    const reply = await send[attempt.kind](port, attempt.request as never);
    expect(reply, `retry of ${attempt.kind} ${describe(attempt)}`).toMatchObject({ answered: true });
    const value = (reply as { value: any }).value;
    first.set(attempt, value);
    switch (attempt.kind) {
      case 'checkout':
        if (before !== null) expect(value.checkout?.id, describe(attempt)).toBe(idOf('Checkout', before));
        else expect(value.checkout !== null || ['EMPTY_CART', 'INSUFFICIENT_STOCK'].includes(value.errors[0]?.code), `${describe(attempt)}: ${JSON.stringify(value)}`).toBe(true);
        break;
      case 'pay':
        if (before !== null && value.payment) expect(value.payment.id, describe(attempt)).toBe(idOf('Payment', before));
        else if (!value.payment) expect(value.errors.map((e: { code: string }) => e.code), describe(attempt)).toEqual(['INVALID_TRANSITION']);
        break;
      case 'webhook':
        expect((reply as { status: number }).status, describe(attempt)).toBe(200);
        expect(value.outcome, describe(attempt)).toBe(before !== null ? 'replayed' : 'processed');
        break;
      case 'cancel':
        expect(value.order?.status ?? value.errors[0]?.code, describe(attempt)).toBe(before !== null ? 'INVALID_TRANSITION' : 'CANCELLED');
        break;
      case 'afterSale':
        // Taken effect: the case is open, or refunded and the order cancelled; else a new case opens.
        if (before !== null) expect(value.errors[0]?.code, describe(attempt)).toMatch(/^(CASE_ALREADY_OPEN|QUANTITY_EXCEEDED|AFTER_SALES_WINDOW_CLOSED)$/);
        else expect(value.afterSaleCase?.status, `${describe(attempt)}: ${JSON.stringify(value)}`).toBe('REQUESTED');
        break;
      case 'approve':
      case 'withdraw':
        if (before !== null) expect(value.errors.map((e: { code: string }) => e.code), describe(attempt)).toEqual(['INVALID_TRANSITION']);
        else expect(value.afterSaleCase?.status ?? value.errors[0]?.code, describe(attempt)).toMatch(/^(REFUNDING|CLOSED|INVALID_TRANSITION)$/);
        break;
    }
  }
  // Retried once more, every request answers as it did: nothing happens twice.
  for (const attempt of lost) {
    const reply = await send[attempt.kind](port, attempt.request as never);
    expect(reply, `second retry of ${attempt.kind} ${describe(attempt)}`).toMatchObject({ answered: true });
    const value = (reply as { value: any }).value;
    const was = first.get(attempt);
    switch (attempt.kind) {
      case 'checkout':
        // One that failed (out of stock) may succeed now that other retries released stock.
        if (was.checkout) expect(value.checkout?.id, describe(attempt)).toBe(was.checkout.id);
        break;
      case 'pay':
        expect(value.payment?.id ?? value.errors, describe(attempt)).toEqual(was.payment?.id ?? was.errors);
        break;
      case 'webhook':
        expect(value.outcome, describe(attempt)).toBe('replayed');
        break;
      case 'cancel':
      case 'approve':
      case 'withdraw':
        expect(value.errors.map((e: { code: string }) => e.code), describe(attempt)).toEqual(['INVALID_TRANSITION']);
        break;
      case 'afterSale':
        // Refused again, never a second case: one error per line a quantity check refuses.
        expect(value.afterSaleCase, describe(attempt)).toBeNull();
        expect(value.errors.length, describe(attempt)).toBeGreaterThan(0);
        for (const e of value.errors) expect(e.code, describe(attempt)).toMatch(/^(CASE_ALREADY_OPEN|QUANTITY_EXCEEDED|AFTER_SALES_WINDOW_CLOSED)$/);
        break;
    }
  }
  return { retried: lost.length, tookEffect };
}

function describe(attempt: Attempt): string {
  return JSON.stringify({ kind: attempt.kind, ...attempt.request, token: undefined });
}

/**
 * What the lost request left behind, read in SQL before its retry: the checkout of its key, the
 * payment the retry should return, the recorded event, the cancelled order (null: nothing).
 */
async function effectOf(admin: Client, attempt: Attempt): Promise<string | null> {
  const one = async (sql: string, params: unknown[]) => ((await admin.query<{ id: string }>(sql, params)).rows[0]?.id ?? null) as string | null;
  switch (attempt.kind) {
    case 'checkout': {
      const r = attempt.request as Requests['checkout'];
      return one('select id::text from checkout where buyer_id = $1 and idempotency_key = $2', [r.buyerKey, r.key]);
    }
    case 'pay': {
      const r = attempt.request as Requests['pay'];
      return one(
        `select p.id::text from payment p join checkout c on c.id = p.checkout_id where c.id = $1 and p.status = 'PENDING' and p.amount = c.total order by p.id desc limit 1`,
        [keyOf(r.checkoutId)],
      );
    }
    case 'webhook': {
      const r = attempt.request as Requests['webhook'];
      return one(`select id::text from payment_event where provider = 'MOCK' and event_id = $1`, [r.eventId]);
    }
    case 'cancel': {
      const r = attempt.request as Requests['cancel'];
      return one(`select id::text from orders where id = $1 and status = 'CANCELLED'`, [keyOf(r.orderId)]);
    }
    case 'afterSale': {
      const r = attempt.request as Requests['afterSale'];
      return one('select id::text from after_sale_case where order_id = $1 order by id limit 1', [keyOf(r.orderId)]);
    }
    case 'approve':
    case 'withdraw': {
      const r = attempt.request as Requests['approve'];
      return one(`select id::text from after_sale_case where id = $1 and status <> 'REQUESTED'`, [keyOf(r.caseId)]);
    }
  }
}

/**
 * Runs `repair-payments` as ADMIN in an app whose business clock is past the grace period, as the
 * scheduled task would be a few minutes on: payments a crash left unopened are opened or abandoned.
 */
export async function repairPaymentsLater(): Promise<string> {
  const later: TestApp = await createTestApp({}, { clock: { now: () => new Date(Date.now() + PAYMENT_REPAIR_GRACE_MS) } });
  try {
    const { token } = await staff(later, StaffRole.ADMIN);
    const res = await later.gql(`mutation { runScheduledTask(input: { name: "repair-payments" }) { task { lastResult } errors { code } } }`, {}, { token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.runScheduledTask.errors).toEqual([]);
    return res.data!.runScheduledTask.task.lastResult;
  } finally {
    await later.close();
  }
}

// --- Invariants ------------------------------------------------------------------------------------

const PAID_STATUSES = `('PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'COMPLETED')`;

/** Each invariant as the SQL selecting the rows that break it. */
export const INVARIANTS: Record<string, string> = {
  'every order transition committed its outbox event with it': `
    select e.id, e.order_id, e.type from order_event e
    where e.type in ('PLACED', 'PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED')
      and not exists (select 1 from outbox_event x where x.subject_type = 'Order' and x.subject_id = e.order_id and x.data->>'orderEventId' = e.id::text)`,
  'every dispatched payment reached its buyer’s inbox': `
    select x.id, x.user_id from outbox_event x
    where x.type = 'ORDER_PAID' and x.dispatched_at is not null
      and not exists (select 1 from notification n where n.event_id = x.id and n.user_id = x.user_id)`,
  'the stock ledger sums to every variant’s on-hand and reserved units': `
    select v.id, v.on_hand, v.reserved, l.on_hand as ledger_on_hand, l.reserved as ledger_reserved
    from product_variant v
    left join lateral (select coalesce(sum(m.delta_on_hand), 0)::int as on_hand, coalesce(sum(m.delta_reserved), 0)::int as reserved
                       from stock_movement m where m.variant_id = v.id) l on true
    where v.on_hand <> l.on_hand or v.reserved <> l.reserved`,
  'reserved units are the units of unpaid orders': `
    select v.id, v.reserved, coalesce(p.units, 0) as pending_units
    from product_variant v
    left join (select l.variant_id, sum(l.quantity)::int as units from order_line l join orders o on o.id = l.order_id
               where o.status = 'PENDING_PAYMENT' group by l.variant_id) p on p.variant_id = v.id
    where v.reserved <> coalesce(p.units, 0)`,
  'units sold are the units of paid, uncancelled orders': `
    select v.id, i.units - v.on_hand as sold, coalesce(p.units, 0) as paid_units
    from product_variant v
    join (select variant_id, sum(delta_on_hand)::int as units from stock_movement where reason = 'INITIAL' group by variant_id) i on i.variant_id = v.id
    left join (select l.variant_id, sum(l.quantity)::int as units from order_line l join orders o on o.id = l.order_id
               where o.status in ${PAID_STATUSES} group by l.variant_id) p on p.variant_id = v.id
    where i.units - v.on_hand <> coalesce(p.units, 0)`,
  'a payment succeeded if and only if its success event is recorded': `
    select p.id, p.status from payment p
    where (p.status = 'SUCCEEDED') <> exists (select from payment_event e where e.payment_id = p.id and e.type = 'payment.succeeded')`,
  'a paid order has exactly one PAID event, an unpaid one none': `
    select o.id, o.status, o.paid_at, e.n as paid_events
    from orders o, lateral (select count(*)::int as n from order_event e where e.order_id = o.id and e.type = 'PAID') e
    where e.n <> (case when o.paid_at is null then 0 else 1 end) or (o.status in ${PAID_STATUSES} and o.paid_at is null)`,
  'refunds never exceed their payment, and only succeeded payments are refunded': `
    select p.id, p.status, p.amount, sum(r.amount)::bigint as refunded
    from payment p join refund r on r.payment_id = p.id
    group by p.id having sum(r.amount) > p.amount or p.status <> 'SUCCEEDED'`,
  'per checkout, money kept (succeeded payments less refunds) is the total of its paid, uncancelled orders': `
    select c.id, a.paid, b.refunded, k.kept
    from checkout c,
      lateral (select coalesce(sum(amount), 0)::bigint as paid from payment where checkout_id = c.id and status = 'SUCCEEDED') a,
      lateral (select coalesce(sum(r.amount), 0)::bigint as refunded from refund r join payment p on p.id = r.payment_id where p.checkout_id = c.id) b,
      lateral (select coalesce(sum(total), 0)::bigint as kept from orders where checkout_id = c.id and paid_at is not null and status <> 'CANCELLED') k
    where a.paid - b.refunded <> k.kept`,
  'one checkout per buyer and idempotency key': `
    select buyer_id, idempotency_key, count(*)::int as n from checkout group by buyer_id, idempotency_key having count(*) > 1`,
  'a checkout’s status agrees with its orders’, and an open one’s total is its open orders’': `
    select c.id, c.status, c.total, array_agg(o.status order by o.id) as orders
    from checkout c join orders o on o.checkout_id = c.id
    group by c.id
    having (c.status = 'PAID' and bool_or(o.status = 'PENDING_PAYMENT'))
        or (c.status = 'PENDING_PAYMENT' and bool_or(o.status <> 'PENDING_PAYMENT' and o.status <> 'CANCELLED'))
        or (c.status in ('CANCELLED', 'EXPIRED') and bool_or(o.status <> 'CANCELLED'))
        or (c.status = 'PENDING_PAYMENT' and c.total <> coalesce(sum(o.total) filter (where o.status <> 'CANCELLED'), 0))`,
  'at most one pending payment per checkout and amount': `
    select checkout_id, amount, count(*)::int as n from payment where status = 'PENDING' group by checkout_id, amount having count(*) > 1`,
  'an after-sale case’s lines are open while it is, and one open case holds a line at most': `
    select l.id, l.open, c.status from after_sale_case_line l join after_sale_case c on c.id = l.case_id
    where l.open <> (c.status <> 'CLOSED')
       or exists (select 1 from after_sale_case_line o where o.order_line_id = l.order_line_id and o.open and l.open and o.id <> l.id)`,
  'a refunding or refunded case has its refund, of its amount, on its order; an approved pre-shipment case cancelled its order': `
    select c.id, c.status, c.outcome, r.amount, o.status as order_status
    from after_sale_case c join orders o on o.id = c.order_id left join refund r on r.id = c.refund_id
    where (c.status = 'REFUNDING' or c.outcome = 'REFUNDED')
      and (r.id is null or r.order_id <> c.order_id or r.amount <> c.refund_amount or (o.shipped_at is null and o.status <> 'CANCELLED'))`,
  'an order’s discounts add up: its lines’ and shipping’s to its total, its discount rows to it, the platform-funded ones to its platform discount': `
    select o.id, o.discount_total, o.platform_discount, l.lines, x.rows, x.platform
    from orders o,
      lateral (select coalesce(sum(discount), 0)::bigint as lines from order_line where order_id = o.id) l,
      lateral (select coalesce(sum(amount), 0)::bigint as rows, coalesce(sum(amount) filter (where funded_by = 'PLATFORM'), 0)::bigint as platform
               from order_discount where order_id = o.id) x
    where l.lines + o.shipping_discount <> o.discount_total or x.rows <> o.discount_total or x.platform <> o.platform_discount`,
  'a coupon is USED exactly while an order it discounted stands (not cancelled, or shipped)': `
    select uc.id, uc.status from user_coupon uc
    where (uc.status = 'USED') <> exists (select 1 from order_discount d join orders o on o.id = d.order_id
                                          where d.user_coupon_id = uc.id and (o.status <> 'CANCELLED' or o.shipped_at is not null))`,
  'a budget’s spent is what its promotion gave orders that stand, and never more than the budget': `
    select p.id, p.spent, p.budget, g.given
    from promotion p,
      lateral (select coalesce(sum(d.amount), 0)::bigint as given from order_discount d join orders o on o.id = d.order_id
               where d.promotion_id = p.id and (o.status <> 'CANCELLED' or o.shipped_at is not null)) g
    where p.budget is not null and (p.spent <> g.given or p.spent > p.budget)`,
  // The double-entry ledger (tests/helpers/ledger.ts): every posting balanced and the whole at zero,
  // each succeeded payment posted once, no order refunded beyond its total, refunds posted once.
  ...LEDGER_INVARIANTS,
};

/** The rows breaking each invariant, all read in one snapshot (so it may run while the server works). */
export async function violations(admin: Client): Promise<Record<string, unknown[]>> {
  await admin.query('begin isolation level repeatable read read only');
  try {
    const found: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(INVARIANTS)) found[name] = (await admin.query(sql)).rows;
    return found;
  } finally {
    await admin.query('commit');
  }
}

/** Asserts every invariant holds, and that the storm made something of each kind to hold them over. */
export async function expectInvariants(admin: Client, when: string): Promise<void> {
  const found = await violations(admin);
  expect(found, `invariants ${when}`).toEqual(Object.fromEntries(Object.keys(INVARIANTS).map((name) => [name, []])));
}

/** How much the storm left in the database, for the report and to assert it did something. */
export async function tally(admin: Client): Promise<Record<string, number>> {
  const { rows } = await admin.query(`select
    (select count(*) from checkout)::int as checkouts,
    (select count(*) from orders where status in ${PAID_STATUSES})::int as paid_orders,
    (select count(*) from orders where status = 'CANCELLED' and paid_at is not null)::int as cancelled_after_payment,
    (select count(*) from orders where status = 'CANCELLED' and paid_at is null)::int as cancelled_unpaid,
    (select count(*) from orders where status = 'PENDING_PAYMENT')::int as unpaid_orders,
    (select count(*) from payment)::int as payments,
    (select count(*) from payment where refund_required)::int as refund_required,
    (select count(*) from payment_event)::int as events,
    (select count(*) from refund)::int as refunds,
    (select count(*) from payment where status = 'PENDING' and provider_reference is null)::int as unopened_payments,
    (select count(*) from ledger_posting where kind = 'PAYMENT')::int as payment_postings,
    (select count(*) from ledger_posting where kind = 'REFUND')::int as refund_postings,
    (select count(*) from after_sale_case)::int as after_sale_cases,
    (select count(*) from after_sale_case where refund_id is not null)::int as after_sale_refunds,
    (select count(*) from user_coupon where status = 'USED')::int as coupons_used,
    (select count(*) from order_discount where source = 'PROMOTION')::int as promotion_discounts`);
  return rows[0];
}
