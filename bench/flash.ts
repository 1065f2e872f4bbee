import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { toGlobalId } from '../src/schema/shared/globalId';
import { FLASH_BUCKETS } from '../src/services/campaigns/flashStock';
import { type StockBefore, payAndConfirm, payloadOf, type Recorder, STEPS, type Step, stockBefore, proveStock, Unexpected } from './checkout';
import { gql, gqlOk } from './client';
import { CpuMeter, type CpuUse } from './cpu';
import type { BenchDatabase } from './database';
import { type Fixtures, MERCHANT_EMAIL, MERCHANT_SHOP, prepareShoppers, setAvailable, type Shopper } from './fixtures';
import { sleep } from './lifecycle';
import { ADD_TO_CART, CHECKOUT, SUBMIT_STOCKTAKE } from './operations';
import type { BenchOptions } from './options';
import type { ScenarioResult } from './report';
import type { RunningServer } from './server';
import { type LatencySummary, Latencies } from './stats';

/**
 * The `flash` scenario: a burst of buyers on one hot item, first as a flash sale, then as a plain
 * variant, at the same load. `--flash-buyers` shoppers (one connection each) add one unit to their
 * carts, then all check out at the same instant, and each one placed is paid (payCheckout and the
 * signed mock webhook) as soon as it answers.
 *
 * Round 1, the flash-sale item: a live sale inserted straight in the bench database (plain SQL, as
 * staff approval would leave it: the item APPROVED at half the price, `--flash-units` units,
 * per-user limit 1, the units set aside from the variant into FLASH_BUCKETS buckets with a
 * FLASH_SALE_HOLD ledger row, exactly as `holdFlashUnits` does). Exactly the units sell; every other
 * answer is FLASH_SALE_SOLD_OUT or FLASH_SALE_LIMIT_REACHED; the buckets end empty; the variant's
 * stock is not touched by the round and agrees with its ledger.
 * Round 2, the plain hot variant: another variant with `--flash-units` units available, the same
 * buyers (carts emptied): exactly the units sell, every other answer INSUFFICIENT_STOCK, and the
 * checkout proof (`proveStock`) holds.
 * With --flash-floor, round 3 has no hot row: buyer i buys the one unit of variant i mod units,
 * so as many sell and as many are refused, but no more than ⌈buyers ÷ units⌉ buyers share a row.
 * All: the money ledger sums to zero and every paid order's PAYMENT entries carry its total.
 * Before the rounds (unless --warmup 0) every buyer buys one unit of a variant of its own, all at
 * once: connections and pool slots open and the checkout path compiled, without a hot row.
 * Reported: each round's answers and checkout p50/p90/p99/max, the ratio of the p99s, and, to find
 * what the buyers still share, the statements by total time (pg_stat_statements) and what the
 * database sessions were doing (pg_stat_activity sampled every 10 ms) during each round.
 */

const PREFIX = 'bench: ';
const FLASH_CODES = ['FLASH_SALE_SOLD_OUT', 'FLASH_SALE_LIMIT_REACHED'];
const PLAIN_CODES = ['INSUFFICIENT_STOCK'];

export interface FlashRound {
  round: 'flash' | 'plain' | 'floor';
  sku: string;
  buyers: number;
  units: number;
  /** Checkouts placed (and then paid). */
  sold: number;
  /** Every other checkout answer: payload error codes (joined by "+"), or "unexpected: …". */
  answers: Record<string, number>;
  /** The checkout requests, all sent at the same instant. */
  checkout: LatencySummary & { requests: number };
  /** Wall time from the first checkout sent to the last one answered, s. */
  burstSeconds: number;
  steps: Record<Step, LatencySummary & { requests: number }>;
  /** CPU from the first checkout sent to the last payment confirmed, per buyer. */
  cpu: CpuUse;
  /** SQL statements of the round (checkouts, payments, webhooks) per buyer, from pg_stat_statements. */
  statementsPerBuyer?: number;
  /** The round's statements by total execution time (pg_stat_statements, reset at the round's start). */
  top?: { calls: number; totalMs: number; meanMs: number; maxMs: number; query: string }[];
  /** What the bench database's client sessions were doing while the checkouts ran, sampled every 10 ms. */
  waits?: { samples: number; byState: { what: string; share: number }[]; sessions: { what: string; share: number }[] };
  problems: string[];
}

export interface FlashDetail {
  item: { saleId: string; itemId: string; sku: string; price: number; salePrice: number; perUserLimit: number; buckets: number; units: number };
  plainSku: string;
  flash: FlashRound;
  plain: FlashRound;
  /** --flash-floor: the same load with no hot row (each unit a variant of its own). */
  floor?: FlashRound;
  /** flash p99 ÷ plain p99. */
  p99Ratio: number | null;
  /** Σ ledger_entry.amount over the whole ledger, minor units (0 when balanced). */
  ledgerSum: number;
}

interface SqlCounterLike {
  start(): Promise<void>;
  stop(requests: number, inFlight: number): Promise<{ perRequest: number | null } & NonNullable<ScenarioResult['sql']>>;
}

export interface FlashContext {
  opts: BenchOptions;
  db: BenchDatabase;
  server: RunningServer;
  fx: Fixtures;
  sql: SqlCounterLike;
  cpu: CpuMeter;
  title: string;
  log: (m: string) => void;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Ends every bench flash sale still unsettled as `settleFlashSales` settles an ended one: the sales
 * and their buckets locked, the units left in the buckets back to their variants (FLASH_SALE_RETURN,
 * as applyMoves writes it), the buckets emptied, the sale ended now and settled. Returns the units returned.
 */
export async function endBenchFlashSales(db: BenchDatabase): Promise<number> {
  return db.orm.em.fork().transactional(async (em) => {
    const sales = (await em.execute<{ id: string }[]>(`select id::text as id from flash_sale where title like ? and settled_at is null order by id for update`, [`${PREFIX}%`])).map((r) => r.id);
    if (!sales.length) return 0;
    await em.execute('select b.id from flash_sale_bucket b join flash_sale_item i on i.id = b.item_id where i.flash_sale_id in (?) order by b.id for update of b', [sales]);
    const left = await em.execute<{ item_id: string; variant_id: string; n: number }[]>(
      `select i.id::text as item_id, i.variant_id::text as variant_id, coalesce(sum(b.remaining), 0)::int as n
       from flash_sale_item i join flash_sale_bucket b on b.item_id = i.id
       where i.flash_sale_id in (?) group by i.id, i.variant_id having sum(b.remaining) > 0 order by i.id`,
      [sales],
    );
    for (const l of left) {
      await em.execute(
        `with upd as (update product_variant v set on_hand = v.on_hand + ?, updated_at = now() where v.id = ? returning v.id, v.shop_id)
         insert into stock_movement (shop_id, variant_id, delta_on_hand, delta_reserved, reason, note, actor_id, order_id, stocktake_id, created_at)
         select u.shop_id, u.id, ?, 0, 'FLASH_SALE_RETURN', null, null, null, null, now() from upd u`,
        [l.n, l.variant_id, l.n],
      );
      await em.execute('update flash_sale_bucket set remaining = 0 where item_id = ?', [l.item_id]);
    }
    await em.execute(
      `update flash_sale set ends_at = greatest(starts_at + interval '1 millisecond', least(ends_at, now())), settled_at = now(), updated_at = now() where id in (?)`,
      [sales],
    );
    return left.reduce((sum, l) => sum + l.n, 0);
  });
}

/**
 * A live flash sale with one APPROVED item of `units` units of the variant at `salePrice`, per-user
 * limit `perUserLimit`, approved by ops@demo.test and nominated by the merchant, in one transaction.
 * The hold mirrors `holdFlashUnits`: the applyMoves statement with the `available` guard (on_hand
 * down by `units`, one FLASH_SALE_HOLD ledger row noted "Flash-sale item <id>", the low-stock alert
 * if the available units cross the warning line), then min(FLASH_BUCKETS, units) buckets, bucket b
 * holding units / buckets + (b < units % buckets ? 1 : 0).
 */
async function insertFlashSale(db: BenchDatabase, v: { key: string; sku: string }, units: number, salePrice: number, perUserLimit: number): Promise<{ saleId: string; itemId: string; buckets: number }> {
  return db.orm.em.fork().transactional(async (em) => {
    const at = new Date();
    const ops = `coalesce((select id from users where email = 'ops@demo.test'), (select id from users order by id limit 1))`;
    const [sale] = await em.execute<{ id: string }[]>(
      `insert into flash_sale (title, starts_at, ends_at, created_by_id) values (?, ?::timestamptz - interval '1 minute', ?::timestamptz + interval '1 hour', ${ops}) returning id::text as id`,
      [`${PREFIX}秒殺 ${v.sku} × ${units}`, at, at],
    );
    const [item] = await em.execute<{ id: string }[]>(
      `insert into flash_sale_item (flash_sale_id, shop_id, variant_id, sale_price, quantity, per_user_limit, status, nominated_by_id, reviewed_by_id)
       select ?, v.shop_id, v.id, ?, ?, ?, 'APPROVED', coalesce((select id from users where email = ?), ${ops}), ${ops} from product_variant v where v.id = ?
       returning id::text as id`,
      [sale.id, salePrice, units, perUserLimit, MERCHANT_EMAIL, v.key],
    );
    const [held] = await em.execute<{ n: number }[]>(
      `with upd as (
         update product_variant v set on_hand = v.on_hand - ?::int, updated_at = now()
         where v.id = ? and not v.archived and v.on_hand - ?::int - v.reserved >= 0
         returning v.id, v.shop_id, v.on_hand, v.reserved, v.archived, v.low_stock_threshold, v.on_hand + ?::int - v.reserved as available_before
       ), ins as (
         insert into stock_movement (shop_id, variant_id, delta_on_hand, delta_reserved, reason, note, actor_id, order_id, stocktake_id, created_at)
         select u.shop_id, u.id, -?::int, 0, 'FLASH_SALE_HOLD', ?::text, ${ops}, null, null, ?::timestamptz from upd u
       ), alert as (
         insert into stock_alert (shop_id, variant_id, available, threshold, created_at)
         select u.shop_id, u.id, u.on_hand - u.reserved, u.low_stock_threshold, ?::timestamptz from upd u
         where not u.archived and u.available_before > u.low_stock_threshold and u.on_hand - u.reserved <= u.low_stock_threshold
       )
       select count(*)::int as n from upd`,
      [units, v.key, units, units, units, `Flash-sale item ${item.id}`, at, at],
    );
    if (held.n !== 1) throw new Error(`flash: ${v.sku} has fewer than ${units} units available to set aside`);
    const buckets = Math.min(FLASH_BUCKETS, units);
    await em.execute(
      `insert into flash_sale_bucket (item_id, bucket, remaining)
       select ?, b, ?::int / ?::int + case when b < ?::int % ?::int then 1 else 0 end from generate_series(0, ? - 1) b`,
      [item.id, units, buckets, units, buckets, buckets],
    );
    return { saleId: sale.id, itemId: item.id, buckets };
  });
}

/** Samples pg_stat_activity of the bench database every `everyMs` until stopped: what its client sessions were doing. */
class ActivitySampler {
  private counts = new Map<string, number>();
  private states = new Map<string, number>();
  private samples = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  constructor(private readonly client: Client) {}

  start(everyMs = 10): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const { rows } = await this.client.query<{ what: string }>(
          `select case when state = 'active' then coalesce(wait_event_type || ':' || wait_event, 'running') else state end
                  || ' | ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as what
           from pg_stat_activity
           where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()
             and state in ('active', 'idle in transaction') and query !~* 'pgboss'`,
        );
        this.samples++;
        for (const r of rows) {
          this.counts.set(r.what, (this.counts.get(r.what) ?? 0) + 1);
          const state = r.what.slice(0, r.what.indexOf(' | '));
          this.states.set(state, (this.states.get(state) ?? 0) + 1);
        }
        await sleep(everyMs);
      }
    })();
  }

  async stop(): Promise<NonNullable<FlashRound['waits']>> {
    this.running = false;
    await this.loop;
    const top = (m: Map<string, number>, n: number) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([what, k]) => ({ what, share: round2(k / Math.max(this.samples, 1)) }));
    return { samples: this.samples, byState: top(this.states, 8), sessions: top(this.counts, 8) };
  }
}

/** Statements the bench database ran since pg_stat_statements was reset (transaction control and pg-boss aside). */
async function statementCount(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `select coalesce(sum(calls), 0)::bigint as n from pg_stat_statements
     where dbid = (select oid from pg_database where datname = current_database())
       and query !~* '^\\s*(begin|commit|rollback|savepoint|release|start transaction)' and query !~* 'pgboss' and query !~* 'pg_stat'`,
  );
  return Number(rows[0].n);
}

async function topStatements(client: Client): Promise<FlashRound['top']> {
  const { rows } = await client.query<{ calls: string; total: number; mean: number; max: number; query: string }>(
    `select calls::bigint as calls, total_exec_time as total, mean_exec_time as mean, max_exec_time as max, query from pg_stat_statements
     where dbid = (select oid from pg_database where datname = current_database())
       and query !~* '^\\s*(begin|commit|rollback|savepoint|release|start transaction)' and query !~* 'pgboss' and query !~* 'pg_stat'
     order by total_exec_time desc limit 8`,
  );
  return rows.map((r) => ({ calls: Number(r.calls), totalMs: Math.round(r.total), meanMs: round2(r.mean), maxMs: round2(r.max), query: r.query.replace(/\s+/g, ' ').slice(0, 160) }));
}

const STALL_MS = 15_000;

/** Logs the bench database's busy client sessions: state, wait, age of the transaction, blockers, statement. */
async function stallReport(ctx: FlashContext): Promise<void> {
  try {
    const started = performance.now();
    const ready = await fetch(`${ctx.server.url}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => `HTTP ${r.status}`,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    ctx.log(`  still running after ${STALL_MS / 1000} s; the server's /readyz: ${ready} in ${Math.round(performance.now() - started)} ms`);
    const rows = await ctx.db.sql<{ pid: number; state: string; wait: string | null; xact_s: number; blockers: number[]; q: string }>(
      `select pid, state, wait_event_type || ':' || wait_event as wait, extract(epoch from now() - xact_start)::int as xact_s, pg_blocking_pids(pid) as blockers,
              left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as q
       from pg_stat_activity where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid() and state <> 'idle'
       order by xact_start nulls last limit 30`,
    );
    ctx.log(`  the database's busy sessions:`);
    for (const r of rows) ctx.log(`    pid ${r.pid} ${r.state}${r.wait ? ` ${r.wait}` : ''}, transaction ${r.xact_s ?? '–'} s${r.blockers?.length ? `, blocked by ${r.blockers.join(', ')}` : ''}: ${r.q}`);
  } catch (err) {
    ctx.log(`  still running after ${STALL_MS / 1000} s (no session snapshot: ${err instanceof Error ? err.message : String(err)})`);
  }
}

interface Burst {
  sold: number;
  answers: Record<string, number>;
  checkout: LatencySummary & { requests: number };
  burstSeconds: number;
  steps: FlashRound['steps'];
  /** Checkout, pay and webhook requests sent in the measured part. */
  requests: number;
  failures: string[];
}

/**
 * Every shopper adds one unit of the variant to the cart (all at once; must succeed), then, once
 * all have, every shopper checks out at the same instant; each placed checkout is paid and
 * confirmed right away. `onCheckoutsSent` runs just before the checkouts go, `onCheckoutsDone`
 * when the last one has answered.
 */
async function burst(
  ctx: FlashContext,
  shoppers: Shopper[],
  variantFor: (i: number) => string,
  hooks: { onCheckoutsSent?: () => Promise<void> | void; onCheckoutsDone?: () => Promise<void> | void } = {},
): Promise<Burst> {
  const { server } = ctx;
  const perStep = Object.fromEntries(STEPS.map((s) => [s, new Latencies()])) as Record<Step, Latencies>;
  const rec: Recorder = { record: (step, ms) => perStep[step].record(ms) };
  const failures: string[] = [];
  // A round takes seconds: one still running after STALL_MS shows what the database sessions are doing.
  const stall = setTimeout(() => void stallReport(ctx), STALL_MS);
  await Promise.all(
    shoppers.map(async (s, i) => {
      try {
        const added = await gql(server.url, ADD_TO_CART, { input: { variantId: variantFor(i), quantity: 1 } }, s.token);
        rec.record('addToCart', added.ms);
        const payload = payloadOf(added, 'addToCart', 'addToCart');
        if (payload.errors?.length) throw new Unexpected(`addToCart: ${payload.errors.map((e) => e.code).join(', ')}`);
      } catch (err) {
        failures.push(`${s.email}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  if (failures.length) clearTimeout(stall);
  if (failures.length) return { sold: 0, answers: {}, checkout: { ...perStep.checkout.summary(), requests: 0 }, burstSeconds: 0, steps: stepsOf(perStep), requests: 0, failures };

  await hooks.onCheckoutsSent?.();
  const answers: Record<string, number> = {};
  let sold = 0;
  let pending = shoppers.length;
  let checkoutsDone: Promise<void> | undefined;
  let lastAnswer = 0;
  const started = performance.now();
  const answered = () => {
    lastAnswer = performance.now();
    if (--pending === 0) checkoutsDone = Promise.resolve(hooks.onCheckoutsDone?.());
  };
  await Promise.all(
    shoppers.map(async (s) => {
      let checkoutId: string | undefined;
      try {
        const placed = await gql(server.url, CHECKOUT, { input: { addressId: s.addressId }, key: randomUUID() }, s.token);
        rec.record('checkout', placed.ms);
        const payload = payloadOf(placed, 'checkout', 'checkout');
        const codes = (payload.errors ?? []).map((e) => e.code);
        if (codes.length) answers[codes.join('+')] = (answers[codes.join('+')] ?? 0) + 1;
        else checkoutId = (payload.checkout as { id: string }).id;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        answers[`unexpected: ${message.slice(0, 80)}`] = (answers[`unexpected: ${message.slice(0, 80)}`] ?? 0) + 1;
        failures.push(`${s.email}: checkout: ${message}`);
      } finally {
        answered();
      }
      if (!checkoutId) return;
      sold++;
      try {
        await payAndConfirm(server.url, server.webhookSecret, s, checkoutId, rec);
      } catch (err) {
        failures.push(`${s.email}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  await checkoutsDone;
  clearTimeout(stall);
  return {
    sold,
    answers,
    checkout: { ...perStep.checkout.summary(), requests: perStep.checkout.count },
    burstSeconds: round2((lastAnswer - started) / 1000),
    steps: stepsOf(perStep),
    requests: perStep.checkout.count + perStep.payCheckout.count + perStep.webhook.count,
    failures,
  };
}

const stepsOf = (perStep: Record<Step, Latencies>) => Object.fromEntries(STEPS.map((s) => [s, { ...perStep[s].summary(), requests: perStep[s].count }])) as FlashRound['steps'];

/** Problems with a round's answers: not exactly `units` sold, or an answer other than `allowed`. */
function answerProblems(b: Burst, units: number, allowed: string[]): string[] {
  const problems: string[] = [];
  if (b.sold !== units) problems.push(`${b.sold} sold, not exactly ${units}`);
  const other = Object.entries(b.answers).filter(([code]) => !code.split('+').every((c) => allowed.includes(c)));
  if (other.length) problems.push(`answers other than ${allowed.join(' or ')}: ${other.map(([c, n]) => `${n} × ${c}`).join(', ')}`);
  problems.push(...b.failures.slice(0, 3));
  return problems;
}

/** The flash round's proof from the database. */
async function proveFlash(db: BenchDatabase, item: { itemId: string; key: string; price: number; salePrice: number }, before: StockBefore, sold: number, units: number): Promise<string[]> {
  const problems: string[] = [];
  const [b] = await db.sql<{ remaining: number; buckets: number }>('select coalesce(sum(remaining), 0)::int as remaining, count(*)::int as buckets from flash_sale_bucket where item_id = ?', [item.itemId]);
  if (b.remaining !== 0) problems.push(`Σ buckets is ${b.remaining} after the round, not 0`);
  const [l] = await db.sql<{ units: number; paid: number; orders: number; wrong_price: number; discounts: number; discount_amount: string }>(
    `select coalesce(sum(l.quantity), 0)::int as units,
            coalesce(sum(l.quantity) filter (where o.status not in ('PENDING_PAYMENT', 'CANCELLED')), 0)::int as paid,
            count(distinct o.id)::int as orders,
            count(*) filter (where l.line_total - l.discount <> ?::bigint * l.quantity)::int as wrong_price,
            (select count(*) from order_discount d where d.order_id in (select order_id from order_line where flash_sale_item_id = ?) and d.source = 'FLASH_SALE' and d.campaign_id = ?)::int as discounts,
            (select coalesce(sum(d.amount), 0) from order_discount d where d.order_id in (select order_id from order_line where flash_sale_item_id = ?) and d.source = 'FLASH_SALE')::text as discount_amount
     from order_line l join orders o on o.id = l.order_id where l.flash_sale_item_id = ?`,
    [item.salePrice, item.itemId, item.itemId, item.itemId, item.itemId],
  );
  if (l.units !== units || l.paid !== units) problems.push(`order lines of the item: ${l.units} units, ${l.paid} paid, not ${units}`);
  if (l.orders !== sold) problems.push(`orders with the item (${l.orders}) ≠ checkouts placed (${sold})`);
  if (l.wrong_price) problems.push(`${l.wrong_price} order lines of the item not at the sale price`);
  if (l.discounts !== l.orders || Number(l.discount_amount) !== (item.price - item.salePrice) * l.units) {
    problems.push(`FLASH_SALE discounts: ${l.discounts} rows, ${l.discount_amount} off; expected ${l.orders} rows, ${(item.price - item.salePrice) * l.units}`);
  }
  // The item's units left the variant at approval: the round moves neither on_hand nor reserved.
  const [v] = await db.sql<{ on_hand: number; reserved: number; moves: number; ledger_on_hand: number; ledger_reserved: number }>(
    `select v.on_hand, v.reserved,
            (select count(*) from stock_movement m where m.variant_id = v.id and m.id > ?)::int as moves,
            (select coalesce(sum(delta_on_hand), 0) from stock_movement m where m.variant_id = v.id)::int as ledger_on_hand,
            (select coalesce(sum(delta_reserved), 0) from stock_movement m where m.variant_id = v.id)::int as ledger_reserved
     from product_variant v where v.id = ?`,
    [before.lastMovementId, item.key],
  );
  if (v.on_hand !== before.onHand || v.reserved !== before.reserved) problems.push(`the variant's stock moved in the round: on_hand ${before.onHand} → ${v.on_hand}, reserved ${before.reserved} → ${v.reserved}`);
  if (v.moves) problems.push(`${v.moves} stock_movement rows of the variant written in the round`);
  if (v.ledger_on_hand !== v.on_hand || v.ledger_reserved !== v.reserved) problems.push(`stock ledger (${v.ledger_on_hand}/${v.ledger_reserved}) ≠ variant (${v.on_hand}/${v.reserved})`);
  return problems;
}

/** The money ledger: Σ of every entry, and the paid orders since `sinceOrderId` whose PAYMENT entries do not carry their total or do not balance. */
async function proveLedger(db: BenchDatabase, sinceOrderId: string): Promise<{ sum: number; problems: string[] }> {
  const [{ sum }] = await db.sql<{ sum: string }>('select coalesce(sum(amount), 0)::text as sum from ledger_entry');
  const [{ wrong, paid }] = await db.sql<{ wrong: number; paid: number }>(
    `select count(*) filter (where x.buyer <> o.total or x.net <> 0)::int as wrong, count(*)::int as paid from orders o
     cross join lateral (select coalesce(sum(e.amount) filter (where e.account = 'BUYER_PAYMENTS'), 0) as buyer, coalesce(sum(e.amount), 0) as net
                         from ledger_entry e where e.order_id = o.id and e.kind = 'PAYMENT') x
     where o.id > ? and o.paid_at is not null`,
    [sinceOrderId],
  );
  const problems: string[] = [];
  if (Number(sum) !== 0) problems.push(`the money ledger does not balance: Σ ledger_entry.amount = ${sum}`);
  if (wrong) problems.push(`${wrong} of ${paid} paid orders' PAYMENT entries do not carry their total or do not balance`);
  return { sum: Number(sum), problems };
}

interface Measured {
  burst: Burst;
  top: FlashRound['top'];
  waits: FlashRound['waits'];
  cpu: CpuUse;
  statements?: number;
  /** The scenario's SQL count (the first round only). */
  count?: Awaited<ReturnType<SqlCounterLike['stop']>>;
}

/**
 * One measured round: pg_stat_statements reset (by the scenario's SQL counter for the first
 * round), CPU and pg_stat_activity sampling from the moment the checkouts go until the last
 * answers (CPU until the last payment is confirmed), then the round's statements by total time.
 */
async function measuredRound(ctx: FlashContext, monitor: Client, shoppers: Shopper[], variantFor: (i: number) => string, first: boolean): Promise<Measured> {
  const { db, server, sql } = ctx;
  const meter = new CpuMeter(server.child.pid, db.postmasterPid);
  const sampler = new ActivitySampler(monitor);
  let waits: FlashRound['waits'];
  const b = await burst(ctx, shoppers, variantFor, {
    onCheckoutsSent: async () => {
      if (first) await sql.start();
      else if (db.pgStatStatements) await db.sql('select pg_stat_statements_reset()');
      meter.begin();
      sampler.start();
    },
    onCheckoutsDone: async () => {
      waits = await sampler.stop();
    },
  });
  if (!b.checkout.requests) throw new Error(`no checkout sent: ${b.failures[0]}`);
  const cpu = meter.end(b.checkout.requests);
  const count = first ? await sql.stop(b.requests, 0) : undefined;
  const top = db.pgStatStatements ? await topStatements(monitor) : undefined;
  const statements = db.pgStatStatements ? await statementCount(monitor) : undefined;
  return { burst: b, top, waits, cpu, count, statements };
}

/** Variants of the merchant's shop on sale that no other scenario buys, the ones with the most units available first. */
async function spareVariants(db: BenchDatabase, fx: Fixtures, n: number, exclude: string[] = [], order = 'v.id'): Promise<{ id: string; sku: string; price: string }[]> {
  return db.sql<{ id: string; sku: string; price: string }>(
    `select v.id::text as id, v.sku, v.price::text as price from product_variant v join product p on p.id = v.product_id join shop s on s.id = p.shop_id
     where s.slug = ? and p.visible and not v.archived and v.id not in (?) and v.price >= 200 order by ${order} limit ?`,
    [MERCHANT_SHOP, [fx.limited.variantKey, fx.warmup.variantKey, ...exclude], n],
  );
}

export async function runFlash(ctx: FlashContext): Promise<ScenarioResult> {
  const { opts, db, server, fx, log } = ctx;
  const buyers = opts.flashBuyers;
  const units = opts.flashUnits;
  const started = performance.now();
  const emails = Array.from({ length: buyers }, (_, i) => `bench-flash-${i + 1}@bench.test`);
  const shoppers = await prepareShoppers(server.url, db, emails, 8);
  log(`  ${buyers} buyers signed in with an address in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Two variants no other scenario buys (the checkout scenarios take the merchant's first two).
  const variants = await spareVariants(db, fx, 2);
  if (variants.length < 2) throw new Error(`flash: ${MERCHANT_SHOP} has fewer than four variants on sale`);
  const [flashRow, plainRow] = variants;
  const flashVariant = { key: flashRow.id, sku: flashRow.sku, id: toGlobalId('ProductVariant', flashRow.id) };
  const plainVariant = { key: plainRow.id, sku: plainRow.sku, id: toGlobalId('ProductVariant', plainRow.id) };
  const price = Number(flashRow.price);
  const salePrice = Math.max(100, Math.floor(price / 200) * 100);
  const ids = shoppers.map((s) => s.userId);
  const emptyCarts = () => db.sql('delete from cart_line where user_id in (?)', [ids]);
  const returned = await endBenchFlashSales(db);
  if (returned) log(`  an earlier run's bench flash sale settled: ${returned} units back to stock`);
  const [{ order_id: sinceOrderId }] = await db.sql<{ order_id: string }>('select coalesce(max(id), 0)::text as order_id from orders');

  if (opts.warmup > 0) {
    // Every connection and pool slot open and the checkout path compiled, without a hot row: one
    // purchase each, all at once, of a variant of its own (the merchant's best-stocked ones).
    const spread = await spareVariants(db, fx, buyers, [flashVariant.key, plainVariant.key], 'v.on_hand - v.reserved desc, v.id');
    const warmStarted = performance.now();
    const warm = await burst(ctx, shoppers, (i) => toGlobalId('ProductVariant', spread[i % spread.length].id));
    await emptyCarts();
    const placed = Object.entries(warm.answers).filter(([c]) => c !== 'INSUFFICIENT_STOCK').reduce((n, [, k]) => n + k, 0);
    if (warm.failures.length || placed) throw new Error(`flash warm-up failed: ${warm.failures[0] ?? JSON.stringify(warm.answers)}`);
    log(`  warm-up: ${warm.sold} purchases of ${spread.length} variants at once in ${((performance.now() - warmStarted) / 1000).toFixed(1)} s, checkout p99 ${warm.checkout.p99} ms`);
    await sleep(300);
  }

  const monitor = new Client({ connectionString: db.url });
  await monitor.connect();
  const failures: string[] = [];
  const round = (name: FlashRound['round'], sku: string, m: Measured, problems: string[]): FlashRound => ({
    round: name,
    sku,
    buyers,
    units,
    sold: m.burst.sold,
    answers: m.burst.answers,
    checkout: m.burst.checkout,
    burstSeconds: m.burst.burstSeconds,
    steps: m.burst.steps,
    cpu: m.cpu,
    statementsPerBuyer: m.statements == null ? undefined : round2(m.statements / buyers),
    top: m.top,
    waits: m.waits,
    problems,
  });
  const line = (name: string, m: Measured, problems: string[]) =>
    log(
      `  ${name} round: ${m.burst.sold} sold, ${describe(m.burst.answers)}; checkout p50 ${m.burst.checkout.p50} p90 ${m.burst.checkout.p90} p99 ${m.burst.checkout.p99} max ${m.burst.checkout.max} ms; ` +
        `CPU per buyer ${m.cpu.serverMsPerRequest} ms server + ${m.cpu.postgresMsPerRequest ?? '–'} ms PG, ${m.statements == null ? '–' : round2(m.statements / buyers)} statements per buyer (others ${Math.round(m.cpu.othersShare * 100)}%)${problems.length ? ` — PROBLEMS: ${problems.join('; ')}` : ''}`,
    );
  try {
    // Round 1: the flash-sale item. The variant keeps `buyers` units of its own beside the item's,
    // so every addToCart passes the cart's availability check.
    await setAvailable(server.url, db, fx.merchant.token, flashVariant.key, buyers + units);
    const sale = await insertFlashSale(db, flashVariant, units, salePrice, 1);
    log(`  live: flash sale ${sale.saleId}, item ${sale.itemId}: ${units} × ${flashVariant.sku} at ${(salePrice / 100).toFixed(2)} (price ${(price / 100).toFixed(2)}), per-user limit 1, ${sale.buckets} buckets`);
    const flashBefore = await stockBefore(db, flashVariant.key);
    const f = await measuredRound(ctx, monitor, shoppers, () => flashVariant.id, true);
    const flashProblems = [...answerProblems(f.burst, units, FLASH_CODES), ...(await proveFlash(db, { itemId: sale.itemId, key: flashVariant.key, price, salePrice }, flashBefore, f.burst.sold, units))];
    line('flash', f, flashProblems);

    // Round 2: the plain hot variant, the same buyers with empty carts.
    await emptyCarts();
    await sleep(300);
    await setAvailable(server.url, db, fx.merchant.token, plainVariant.key, units);
    const plainBefore = await stockBefore(db, plainVariant.key);
    const p = await measuredRound(ctx, monitor, shoppers, () => plainVariant.id, false);
    const stock = await proveStock(db, { key: plainVariant.key, sku: plainVariant.sku }, plainBefore, p.burst.sold);
    const plainProblems = [...answerProblems(p.burst, units, PLAIN_CODES), ...stock.problems];
    if (stock.onHandAfter - stock.reservedAfter !== 0) plainProblems.push(`${stock.onHandAfter - stock.reservedAfter} units of ${plainVariant.sku} left after the round`);
    line('plain', p, plainProblems);
    await emptyCarts();

    // Optional round 3 (--flash-floor): no hot row at all. Buyer i buys the one unit of variant
    // i mod units, so as many sell and as many are refused as in the other rounds, but at most
    // ⌈buyers ÷ units⌉ buyers share a row: the latency this load costs on this machine anyway.
    let floor: FlashRound | undefined;
    if (opts.flashFloor) {
      const spread = await spareVariants(db, fx, units, [flashVariant.key, plainVariant.key]);
      if (spread.length < units) throw new Error(`flash floor: ${MERCHANT_SHOP} has fewer than ${units} spare variants`);
      // One stocktake: each variant's on-hand set to its reserved units and one (a STOCKTAKE movement each).
      const counts = await db.sql<{ id: string; counted: number }>('select id::text as id, reserved + 1 as counted from product_variant where id in (?) order by id', [spread.map((v) => v.id)]);
      const [{ shop_id: shopId }] = await db.sql<{ shop_id: string }>('select shop_id::text as shop_id from product_variant where id = ?', [spread[0].id]);
      await gqlOk(
        server.url,
        SUBMIT_STOCKTAKE,
        { input: { shopId: toGlobalId('Shop', shopId), note: 'benchmark: flash floor round', counts: counts.map((c) => ({ variantId: toGlobalId('ProductVariant', c.id), counted: c.counted })) } },
        fx.merchant.token,
      );
      await sleep(300);
      const m = await measuredRound(ctx, monitor, shoppers, (i) => toGlobalId('ProductVariant', spread[i % units].id), false);
      const problems = answerProblems(m.burst, units, PLAIN_CODES);
      const [ledger] = await db.sql<{ wrong: number; left: number }>(
        `select count(*) filter (where l.on_hand <> v.on_hand or l.reserved <> v.reserved)::int as wrong, coalesce(sum(v.on_hand - v.reserved), 0)::int as left
         from product_variant v cross join lateral (select coalesce(sum(delta_on_hand), 0) as on_hand, coalesce(sum(delta_reserved), 0) as reserved from stock_movement m where m.variant_id = v.id) l
         where v.id in (?)`,
        [spread.map((v) => v.id)],
      );
      if (ledger.wrong) problems.push(`the stock ledger disagrees with ${ledger.wrong} of the ${units} variants`);
      if (ledger.left) problems.push(`${ledger.left} units left after the round`);
      line('floor (no hot row)', m, problems);
      await emptyCarts();
      failures.push(...problems.map((x) => `floor round: ${x}`));
      floor = round('floor', `${units} variants, 1 unit each`, m, problems);
    }

    const ledger = await proveLedger(db, sinceOrderId);
    failures.push(...flashProblems.map((x) => `flash round: ${x}`), ...plainProblems.map((x) => `plain round: ${x}`), ...ledger.problems);
    const flash: FlashDetail = {
      item: { saleId: sale.saleId, itemId: sale.itemId, sku: flashVariant.sku, price, salePrice, perUserLimit: 1, buckets: sale.buckets, units },
      plainSku: plainVariant.sku,
      flash: round('flash', flashVariant.sku, f, flashProblems),
      plain: round('plain', plainVariant.sku, p, plainProblems),
      floor,
      p99Ratio: p.burst.checkout.p99 > 0 ? Math.round((f.burst.checkout.p99 / p.burst.checkout.p99) * 1000) / 1000 : null,
      ledgerSum: ledger.sum,
    };
    const errors = Object.entries(f.burst.answers).filter(([c]) => c.startsWith('unexpected')).reduce((n, [, k]) => n + k, 0);
    const fb = f.burst;
    return {
      name: 'flash',
      title: ctx.title,
      requests: fb.checkout.requests,
      seconds: fb.burstSeconds,
      rps: fb.burstSeconds > 0 ? round2(fb.checkout.requests / fb.burstSeconds) : 0,
      latency: { p50: fb.checkout.p50, p90: fb.checkout.p90, p99: fb.checkout.p99, max: fb.checkout.max, mean: fb.checkout.mean },
      errors,
      non2xx: 0,
      gqlErrors: 0,
      sample: fb.failures[0],
      sqlPerRequest: f.count?.perRequest ?? null,
      sql: f.count,
      cpu: f.cpu,
      rss: server.rss(),
      ratio: {},
      flash,
      failures,
    };
  } finally {
    await monitor.end().catch(() => undefined);
    // The sale ends with the scenario: later checkouts of the variant pay its price again.
    await endBenchFlashSales(db);
  }
}

function describe(answers: Record<string, number>): string {
  const list = Object.entries(answers).map(([code, n]) => `${n} × ${code}`);
  return list.length ? list.join(', ') : 'no other answer';
}
