import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { columnsOf } from '../../db/rows';
import { type Address, BlacklistKind, Order, RiskEventKind } from '../../entities';
import { Failure, UserErrorCode } from '../../errors';
import { currencyDigits } from '../shared';
import { recordRiskEvents, type RiskEventInput } from './events';
import { addressKey, phoneKey } from './normalise';
import { clientAddress, regionOf } from './signals';

/**
 * Checkout scoring (風險評分): every checkout's orders are scored by all enabled risk rules in one
 * SQL statement, inside the checkout's transaction, right after its orders are written. The same
 * statement looks the checkout's signals up on the blacklist: a BLOCK entry refuses the checkout
 * (BLACKLISTED, the transaction rolls back) and REVIEW entries feed the WATCHLISTED rule.
 */

/** What a checkout stores about where it came from: the columns velocity rules and blacklists match on. */
export interface CheckoutSignals {
  ip: string | null;
  deviceId: string | null;
  phoneKey: string | null;
  addressKey: string | null;
}

/** The request's IP (when it is one) and device id, and the delivery address's phone and address keys. */
export function checkoutSignals(ctx: Context, address: Pick<Address, 'phone' | 'province' | 'city' | 'district' | 'line1'>): CheckoutSignals {
  const phone = phoneKey(address.phone);
  return {
    ip: clientAddress(ctx.ip),
    deviceId: ctx.signals.deviceId ?? null,
    phoneKey: phone || null,
    addressKey: addressKey(address) || null,
  };
}

/** A checkout refused by a BLOCK blacklist entry; carries the risk event to record once its transaction has rolled back. */
export class BlacklistedFailure extends Failure {
  constructor(
    readonly event: RiskEventInput,
    kinds: BlacklistKind[],
  ) {
    const delivery = kinds.some((k) => k === BlacklistKind.PHONE || k === BlacklistKind.ADDRESS);
    super(
      UserErrorCode.BLACKLISTED,
      delivery ? 'Risk control does not accept orders to this delivery address or phone' : 'Risk control does not accept orders from this account, device or network',
      delivery ? ['input', 'addressId'] : ['input'],
    );
  }
}

/**
 * Runs `run` (a transaction that places orders); when a blacklist refused it, records the
 * BLACKLIST_HIT risk event on the request's own EntityManager, after the rollback, so the refusal
 * leaves its trace while nothing else of the attempt remains. The failure is rethrown.
 */
export async function withBlacklistEvents<T>(ctx: Context, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof BlacklistedFailure) await recordRiskEvents(ctx.em, [err.event]);
    throw err;
  }
}

interface ScoreRow {
  blocked: { id: string; kind: BlacklistKind }[];
  [column: string]: unknown;
}

/**
 * One statement: the checkout's signals (k), the blacklist entries they match (listed), each
 * enabled rule's measure (rules: a velocity count capped at the rule's count, read from the
 * checkout_*_idx indexes, or a history count from the buyer's; only the kinds enabled are
 * measured, the CASE evaluating one branch per rule), the hits per order (per-order
 * kinds on the order's total), the sum per order, and the update of the orders that scored. When a
 * BLOCK entry matched, no rule is measured and nothing is updated.
 */
const SCORE_SQL = (orderColumns: string) => `
with k as (
  select c.id as checkout_id, c.buyer_id, c.ip, c.device_id, c.phone_key, c.address_key,
         u.created_at as buyer_since, lower(regexp_replace(u.email, '^.*@', '')) as email_domain,
         ?::timestamptz as now, ?::text as province, ?::int as digits, ?::int as ttl_minutes
  from checkout c join users u on u.id = c.buyer_id
  where c.id = ?
),
listed as (
  select b.id, b.kind, b.action from k join blacklist_entry b on b.kind = 'PHONE' and b.value = k.phone_key where b.expires_at is null or b.expires_at > k.now
  union all
  select b.id, b.kind, b.action from k join blacklist_entry b on b.kind = 'ADDRESS' and b.value = k.address_key where b.expires_at is null or b.expires_at > k.now
  union all
  select b.id, b.kind, b.action from k join blacklist_entry b on b.kind = 'DEVICE' and b.value = k.device_id where b.expires_at is null or b.expires_at > k.now
  union all
  select b.id, b.kind, b.action from k join blacklist_entry b on b.kind = 'EMAIL_DOMAIN' and b.value = k.email_domain where b.expires_at is null or b.expires_at > k.now
  union all
  -- An IP entry is a network: the checkout's address inside it matches (the cast only on IP rows).
  select b.id, b.kind, b.action from k join blacklist_entry b on b.kind = 'IP'
  where k.ip is not null and (case when b.kind = 'IP' then k.ip::inet <<= b.value::cidr else false end) and (b.expires_at is null or b.expires_at > k.now)
),
-- Materialized: each rule measured once (inlined, the measures would be planned again wherever they are read).
rules as materialized (
  select r.id, r.name, r.kind, r.weight, r.amount, r.count, r.window_hours, r.account_age_hours,
         k.now, k.buyer_since, k.digits, k.province,
         case r.kind
           when 'ADDRESS_VELOCITY' then (select count(*) from (select from checkout c where c.address_key = k.address_key and c.created_at > k.now - make_interval(hours => r.window_hours) limit r.count) x)
           when 'PHONE_VELOCITY' then (select count(*) from (select from checkout c where c.phone_key = k.phone_key and c.created_at > k.now - make_interval(hours => r.window_hours) limit r.count) x)
           when 'DEVICE_VELOCITY' then (select count(*) from (select from checkout c where c.device_id = k.device_id and c.created_at > k.now - make_interval(hours => r.window_hours) limit r.count) x)
           when 'IP_VELOCITY' then (select count(*) from (select from checkout c where c.ip = k.ip and c.created_at > k.now - make_interval(hours => r.window_hours) limit r.count) x)
           -- Distinct buyers among the device's latest 1,000 checkouts of the window: bounded however busy the device.
           when 'DEVICE_SHARED' then (select count(distinct x.buyer_id) from (select c.buyer_id from checkout c where c.device_id = k.device_id
                                        and c.created_at > k.now - make_interval(hours => r.window_hours) order by c.created_at desc limit 1000) x)
           -- The buyer's orders placed within the window or the 90 days before (refunds follow an order
           -- within its after-sales period), from orders_buyer_idx, then their refunds not FAILED.
           when 'REFUND_HISTORY' then (select count(distinct f.order_id) from orders o join refund f on f.order_id = o.id
                                       where o.buyer_id = k.buyer_id and o.placed_at > k.now - make_interval(hours => r.window_hours, days => 90)
                                         and f.status <> 'FAILED' and f.created_at > k.now - make_interval(hours => r.window_hours))
           -- A payment is opened before its checkout expires: one of the window belongs to a checkout of
           -- the window plus the checkout TTL, the buyer's few recent ones (checkout_buyer_created_idx),
           -- whose payments are looked up one checkout at a time (a subquery per row: never a scan of payments).
           when 'FAILED_PAYMENTS' then (select coalesce(sum((select count(*) from payment p where p.checkout_id = c.id and p.status = 'FAILED'
                                                               and p.created_at > k.now - make_interval(hours => r.window_hours))), 0)
                                        from checkout c where c.buyer_id = k.buyer_id and c.created_at > k.now - make_interval(hours => r.window_hours, mins => k.ttl_minutes))
           when 'NEW_SHIPPING_REGION' then (case when exists (select from orders o where o.buyer_id = k.buyer_id and o.paid_at is not null)
                                                  and not exists (select from orders o where o.buyer_id = k.buyer_id and o.paid_at is not null and o.shipping_address->>'province' = k.province)
                                             then 1 else 0 end)
           when 'WATCHLISTED' then (select count(*) from listed l where l.action = 'REVIEW')
         end as n,
         case when r.kind = 'WATCHLISTED' then (select string_agg(distinct lower(l.kind), ', ') from listed l where l.action = 'REVIEW') end as watched
  from k join risk_rule r on r.enabled
  where not exists (select from listed l where l.action = 'BLOCK')
),
hits as (
  select o.id as order_id, r.id as rule_id, r.name, r.kind, r.weight,
         case r.kind
           when 'ORDER_AMOUNT' then format('Order total %s, at least %s', round(o.total / 10.0 ^ r.digits, r.digits), round(r.amount / 10.0 ^ r.digits, r.digits))
           when 'NEW_ACCOUNT_AMOUNT' then format('Account %s h old, order total %s, at least %s', floor(extract(epoch from r.now - r.buyer_since) / 3600), round(o.total / 10.0 ^ r.digits, r.digits), round(r.amount / 10.0 ^ r.digits, r.digits))
           when 'ADDRESS_VELOCITY' then format('%s or more checkouts to this address within %s h', r.count, r.window_hours)
           when 'PHONE_VELOCITY' then format('%s or more checkouts to this phone within %s h', r.count, r.window_hours)
           when 'DEVICE_VELOCITY' then format('%s or more checkouts from this device within %s h', r.count, r.window_hours)
           when 'IP_VELOCITY' then format('%s or more checkouts from this IP address within %s h', r.count, r.window_hours)
           when 'DEVICE_SHARED' then format('%s buyers on this device within %s h', r.n, r.window_hours)
           when 'REFUND_HISTORY' then format('%s refunded orders within %s h', r.n, r.window_hours)
           when 'FAILED_PAYMENTS' then format('%s failed payments within %s h', r.n, r.window_hours)
           when 'NEW_SHIPPING_REGION' then format('First delivery to %s', r.province)
           when 'WATCHLISTED' then format('On a watch list: %s', r.watched)
         end as detail
  from k join orders o on o.checkout_id = k.checkout_id
  join rules r on case r.kind
    when 'ORDER_AMOUNT' then o.total >= r.amount
    when 'NEW_ACCOUNT_AMOUNT' then o.total >= r.amount and r.buyer_since > r.now - make_interval(hours => r.account_age_hours)
    when 'NEW_SHIPPING_REGION' then r.n > 0
    when 'WATCHLISTED' then r.n > 0
    else r.n >= r.count
  end
),
scored as (
  select h.order_id, sum(h.weight)::int as score,
         jsonb_agg(jsonb_build_object('ruleId', h.rule_id::text, 'name', h.name, 'kind', h.kind, 'weight', h.weight, 'detail', h.detail) order by h.weight desc, h.rule_id) as reasons
  from hits h group by h.order_id
),
updated as (
  update orders o
  set risk_score = s.score,
      risk_level = case when s.score >= ? then 'HIGH' when s.score >= ? then 'MEDIUM' else 'LOW' end,
      risk_reasons = s.reasons,
      held = s.score >= ?
  from scored s where o.id = s.order_id
  returning ${orderColumns}
)
select (select coalesce(jsonb_agg(jsonb_build_object('id', l.id::text, 'kind', l.kind) order by l.id), '[]'::jsonb) from listed l where l.action = 'BLOCK') as blocked, u.*
from (select 1) one left join updated u on true`;

let scoreSql: string | undefined;

/**
 * Scores the orders of checkout `checkoutId` (flushed, with its signals) at `now`, in the caller's
 * transaction, in one statement; the orders that scored are refreshed in the identity map. A BLOCK
 * blacklist entry throws BlacklistedFailure (run the transaction in `withBlacklistEvents`).
 */
export async function scoreCheckout(ctx: Context, em: EntityManager, input: { checkoutId: string; buyerId: string; province: string; now: Date }): Promise<Order[]> {
  const { holdScore, reviewScore } = ctx.deps.config.risk;
  scoreSql ??= SCORE_SQL(columnsOf(em, Order, 'o'));
  const params = [input.now, input.province, currencyDigits(ctx.deps.config.currency), ctx.deps.config.orders.checkoutTtlMinutes, input.checkoutId, holdScore, reviewScore, holdScore];
  const rows = await em.execute<ScoreRow[]>(scoreSql, params);
  const blocked = rows[0]?.blocked ?? [];
  if (blocked.length > 0) {
    throw new BlacklistedFailure(
      {
        kind: RiskEventKind.BLACKLIST_HIT,
        userId: input.buyerId,
        ip: ctx.ip,
        deviceId: ctx.signals.deviceId ?? null,
        region: regionOf(ctx.ip, ctx.signals),
        detail: { entryPoint: 'checkout', kinds: [...new Set(blocked.map((b) => b.kind))], entryIds: blocked.map((b) => b.id) },
        at: input.now,
      },
      blocked.map((b) => b.kind),
    );
  }
  return rows.filter((row) => row.id != null).map(({ blocked: _blocked, ...row }) => em.map(Order, row as never));
}
