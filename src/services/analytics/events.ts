import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { rowShape, selectRows } from '../../db/rows';
import { Problems, UserErrorCode } from '../../errors';
import { consumeOrThrow } from '../identity/rateLimits';
import { checkText } from '../shared/validation';
import { ANALYTICS_TIME_ZONE, addDays, dayOf, dayStart, isDay, daysInRange } from './days';

/**
 * Behaviour events (trackEvents): what shoppers' clients report of browsing — product views,
 * searches, add-to-carts and shares — kept raw for EVENT_RETENTION_DAYS in `behaviour_event`, a
 * table partitioned by Asia/Shanghai day (`behaviour_event_YYYYMMDD`), and rolled up daily by
 * `snapshot-metrics` (snapshot.ts).
 *
 * A batch is one INSERT … SELECT over arrays (whatever its size), joined to `product` for the
 * product's shop and category path at the time of the event, and all or nothing: one bad event
 * (or one unknown product) and nothing is stored. Sessions are stored as a 64-bit hash of the
 * client's session id (`hashtextextended(session_id, 0)`, computed in SQL): they are only counted.
 * The user is the signed-in viewer, if any. Times come from the business clock.
 */

/** What a client may report. */
export enum BehaviourEventType {
  PRODUCT_VIEW = 'PRODUCT_VIEW',
  SEARCH = 'SEARCH',
  ADD_TO_CART = 'ADD_TO_CART',
  SHARE = 'SHARE',
}

const EVENT_TYPES = new Set<string>(Object.values(BehaviourEventType));

/** Events one `trackEvents` call carries at most. */
export const MAX_EVENTS_PER_BATCH = 50;
/** How far back an event's `at` may be: a client may send a batch it kept offline up to a day. */
export const EVENT_MAX_AGE_MS = 24 * 3_600_000;
/** How far ahead of the clock an event's `at` may be (client clock skew); later than now is stored as now. */
export const EVENT_MAX_SKEW_MS = 5 * 60_000;
/** A client's session id: 8 to 128 letters, digits and `_ . : -`. */
export const SESSION_ID = /^[A-Za-z0-9_.:-]{8,128}$/;
/** A search query: 1 to 200 characters once trimmed. */
export const MAX_QUERY_LENGTH = 200;

export interface BehaviourEventInput {
  type: BehaviourEventType | `${BehaviourEventType}`;
  /** Database key of the product (every type but SEARCH); null for SEARCH. */
  productId?: string | null;
  /** The search text (SEARCH only). */
  query?: string | null;
  /** When it happened on the client; now when omitted. */
  at?: Date | null;
}

export interface TrackEventsInput {
  sessionId: string;
  events: BehaviourEventInput[];
}

const KEY = /^[1-9]\d{0,18}$/;

interface CheckedEvent {
  type: string;
  productId: string | null;
  query: string | null;
  at: Date;
}

/** Checks a batch; every problem is reported with its field path (`['input', 'events', i, …]`). */
function checkBatch(input: TrackEventsInput, now: Date): CheckedEvent[] {
  const problems = new Problems();
  if (typeof input.sessionId !== 'string' || !SESSION_ID.test(input.sessionId)) {
    problems.add(UserErrorCode.INVALID_INPUT, 'The session id must be 8 to 128 letters, digits and _ . : -', ['input', 'sessionId']);
  }
  const events = input.events ?? [];
  if (events.length > MAX_EVENTS_PER_BATCH) {
    problems.add(UserErrorCode.INVALID_INPUT, `At most ${MAX_EVENTS_PER_BATCH} events per call (got ${events.length})`, ['input', 'events']);
    problems.throwIfAny();
  }
  const earliest = now.getTime() - EVENT_MAX_AGE_MS;
  const latest = now.getTime() + EVENT_MAX_SKEW_MS;
  const checked = events.map((event, i): CheckedEvent => {
    const path = (field: string) => ['input', 'events', String(i), field];
    const productId = event.productId ?? null;
    let query: string | null = null;
    if (!EVENT_TYPES.has(event.type)) problems.add(UserErrorCode.INVALID_INPUT, `Unknown event type ${JSON.stringify(event.type)}`, path('type'));
    if (event.type === BehaviourEventType.SEARCH) {
      if (productId !== null) problems.add(UserErrorCode.INVALID_INPUT, 'A SEARCH event names no product', path('productId'));
      if (event.query == null) problems.add(UserErrorCode.INVALID_INPUT, 'A SEARCH event needs its query', path('query'));
      else query = checkText(problems, event.query, path('query'), 1, MAX_QUERY_LENGTH, 'The query');
    } else {
      if (productId === null) problems.add(UserErrorCode.INVALID_INPUT, `A ${event.type} event needs its productId`, path('productId'));
      else if (!KEY.test(productId)) problems.add(UserErrorCode.INVALID_INPUT, 'No product has this ID', path('productId'));
      if (event.query != null) problems.add(UserErrorCode.INVALID_INPUT, 'Only SEARCH events carry a query', path('query'));
    }
    let at = now;
    if (event.at != null) {
      const t = event.at instanceof Date ? event.at.getTime() : Number.NaN;
      if (!Number.isFinite(t) || t < earliest || t > latest) {
        problems.add(UserErrorCode.INVALID_INPUT, 'An event’s time must be within the last 24 hours and at most 5 minutes ahead of now', path('at'));
      } else if (t < now.getTime()) {
        at = new Date(t);
      }
    }
    return { type: event.type, productId, query, at };
  });
  problems.throwIfAny();
  return checked;
}

/** The batch's insert: one statement, which stores nothing when a product is unknown and says which. */
const INSERT_SQL = `
with e as (
  select x.n, x.at, x.type, x.product_id, x.query, pr.shop_id, pr.category_path, pr.id as known
  from unnest(?::timestamptz[], ?::text[], ?::bigint[], ?::text[]) with ordinality as x(at, type, product_id, query, n)
  -- Only products shoppers can see: a draft, banned or hidden product is as unknown as an absent one.
  left join product pr on pr.id = x.product_id and pr.visible
),
missing as (
  select coalesce(array_agg(e.n - 1 order by e.n), '{}') as at_index from e where e.product_id is not null and e.known is null
),
saved as (
  insert into behaviour_event (at, session_key, user_id, type, product_id, shop_id, category_path, query)
  select e.at, hashtextextended(?::text, 0), ?::bigint, e.type, e.product_id, e.shop_id, e.category_path, e.query
  from e
  where cardinality((select at_index from missing)) = 0
  order by e.n
  returning 1
)
select (select count(*) from saved)::int as accepted, (select array_to_string(at_index, ',') from missing) as missing`;

const INSERTED = rowShape({ accepted: 'int', missing: 'text' });

/** A PostgreSQL array literal of `values` (null elements as NULL), for one `?::type[]` parameter. */
function pgArray(values: readonly (string | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

/** The PostgreSQL error of a row whose day has no partition yet (check_violation, SQLSTATE 23514). */
function isMissingPartition(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23514' && /no partition of relation "behaviour_event" found for row/.test(e.message ?? '');
}

/**
 * Stores a batch of the viewer's behaviour events (anonymous or signed in), all or nothing.
 * RATE_LIMITED past TRACK_EVENTS_PER_MINUTE calls per client IP per minute (counted before the
 * batch is checked); INVALID_INPUT, with the field's path, for more than MAX_EVENTS_PER_BATCH events,
 * a bad session id, a SEARCH without its query (1–200 characters) or with a product, another
 * type without its product, a query on another type, an `at` older than 24 hours or more than five
 * minutes ahead (one ahead by less is stored as now), and an unknown product (nothing is stored).
 * A day without its partition yet gets it, and the insert is retried once.
 */
export async function trackEvents(ctx: Context, input: TrackEventsInput): Promise<{ accepted: number }> {
  await consumeOrThrow(ctx.deps.rateLimits.trackEvents, ctx.ip);
  const now = ctx.now();
  const events = checkBatch(input, now);
  if (events.length === 0) return { accepted: 0 };
  // Each column one array parameter, however many events.
  const params = [
    pgArray(events.map((e) => e.at.toISOString())),
    pgArray(events.map((e) => e.type)),
    pgArray(events.map((e) => e.productId)),
    pgArray(events.map((e) => e.query)),
    input.sessionId,
    ctx.viewer.userId,
  ];
  const insert = () => selectRows(ctx.em, INSERTED, INSERT_SQL, params);
  let rows;
  try {
    rows = await insert();
  } catch (err) {
    if (!isMissingPartition(err)) throw err;
    const days = events.map((e) => dayOf(e.at)).sort();
    await ensureEventPartitions(ctx.em, days[0], days[days.length - 1], ON_DEMAND_LOCK_TIMEOUT);
    rows = await insert();
  }
  const [{ accepted, missing }] = rows;
  if (missing) {
    const problems = new Problems();
    for (const i of missing.split(',')) problems.add(UserErrorCode.INVALID_INPUT, 'No product has this ID', ['input', 'events', i, 'productId']);
    problems.throwIfAny();
  }
  return { accepted };
}

// --- Partitions ---------------------------------------------------------------------------------

/** The partition of `day` (YYYY-MM-DD): behaviour_event_YYYYMMDD. */
export const partitionName = (day: string): string => `behaviour_event_${day.replaceAll('-', '')}`;

const PARTITION_NAME = /^behaviour_event_(\d{4})(\d{2})(\d{2})$/;

/** Days a call of ensureEventPartitions may create at most (a guard against a wrong range). */
const MAX_PARTITION_DAYS = 1000;

/**
 * One advisory lock serializes the creation and the dropping of partitions across processes.
 * Creating or dropping a partition locks behaviour_event itself, and inserts queue behind a lock
 * that waits: the transaction gives up after `lockTimeout` rather than hold them up behind a long
 * read (a snapshot in progress), and the caller tries again later.
 */
const partitionsLockSql = (lockTimeout: string) =>
  `select set_config('lock_timeout', '${lockTimeout}', true), pg_advisory_xact_lock(hashtext('behaviour_event partitions'))`;
/** How long `trackEvents` waits to create a missing partition (its insert then fails; the client sends the batch again). */
const ON_DEMAND_LOCK_TIMEOUT = '5s';
/** How long the daily task waits (it runs again the next day). */
const TASK_LOCK_TIMEOUT = '30s';

const EXISTING = rowShape({ name: 'text' });

/** The days of the partitions behaviour_event has, sorted. */
async function partitionDays(em: EntityManager): Promise<string[]> {
  const rows = await selectRows(
    em,
    EXISTING,
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'behaviour_event'::regclass`,
  );
  return rows
    .map((r) => PARTITION_NAME.exec(r.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}-${m[2]}-${m[3]}`)
    .sort();
}

/**
 * Creates the partitions of the days `fromDay` to `toDay` (YYYY-MM-DD, both included) that do not
 * exist yet, each `for values from ('D 00:00+08') to ('D+1 00:00+08')`, in a transaction holding
 * the partitions' advisory lock (so two processes never race to create one), waiting at most
 * `lockTimeout` (PostgreSQL's lock_timeout, e.g. '5s') for the locks. Returns how many it created.
 * One statement creates them all, whatever the number of days.
 */
export async function ensureEventPartitions(em: EntityManager, fromDay: string, toDay: string, lockTimeout = TASK_LOCK_TIMEOUT): Promise<number> {
  if (!isDay(fromDay) || !isDay(toDay) || fromDay > toDay) throw new Error(`Bad partition range ${fromDay}..${toDay}`);
  const count = daysInRange(fromDay, toDay);
  if (count > MAX_PARTITION_DAYS) throw new Error(`At most ${MAX_PARTITION_DAYS} partitions at once (asked ${count})`);
  return em.transactional(async (tx) => {
    await tx.execute(partitionsLockSql(lockTimeout));
    const have = new Set(await partitionDays(tx));
    const wanted = Array.from({ length: count }, (_, i) => addDays(fromDay, i)).filter((d) => !have.has(d));
    if (wanted.length === 0) return 0;
    // The days are checked calendar days, so they are safe to write into the statement.
    const creates = wanted.map(
      (d) => `create table if not exists ${partitionName(d)} partition of behaviour_event for values from ('${dayStart(d).toISOString()}') to ('${dayStart(addDays(d, 1)).toISOString()}');`,
    );
    await tx.execute(`do $$ begin ${creates.join(' ')} end $$`);
    return wanted.length;
  });
}

const SNAPSHOTTED = rowShape({ day: 'text' });

/**
 * `maintain-event-partitions` (daily): creates the partitions of yesterday to a week ahead, and
 * drops the partitions of days more than EVENT_RETENTION_DAYS before today — but only those whose
 * day has its PLATFORM row in metric_daily computed once the day was final (from the start of the
 * day after next: events arrive at most 24 hours late): a day not snapshotted since keeps its raw events. Returns the partitions created and dropped, with a note of those kept for want of
 * a snapshot.
 */
export async function maintainEventPartitions(deps: SystemDeps, em: EntityManager): Promise<{ done: number; note?: string }> {
  const today = dayOf(deps.clock.now());
  const created = await ensureEventPartitions(em, addDays(today, -1), addDays(today, 7));
  const cutoff = addDays(today, -deps.config.analytics.eventRetentionDays);
  const { dropped, kept } = await em.transactional(async (tx) => {
    await tx.execute(partitionsLockSql(TASK_LOCK_TIMEOUT));
    const old = (await partitionDays(tx)).filter((d) => d < cutoff);
    if (old.length === 0) return { dropped: [] as string[], kept: [] as string[] };
    const snapshotted = new Set(
      (
        await selectRows(
          tx,
          SNAPSHOTTED,
          // Snapshotted once final: at or after the start of the day after next, when no late event
          // (at most 24 hours back) can reach it any more.
          `select day::text as day from metric_daily
           where scope = 'PLATFORM' and scope_id = 0 and day = any(?::date[]) and computed_at >= ((day + 2)::timestamp at time zone '${ANALYTICS_TIME_ZONE}')`,
          [`{${old.join(',')}}`],
        )
      ).map((r) => r.day),
    );
    const drop = old.filter((d) => snapshotted.has(d));
    if (drop.length > 0) await tx.execute(`drop table if exists ${drop.map(partitionName).join(', ')}`);
    return { dropped: drop, kept: old.filter((d) => !snapshotted.has(d)) };
  });
  const notes = [
    created > 0 ? `${created} created` : '',
    dropped.length > 0 ? `${dropped.length} dropped (${dropped[0]} to ${dropped[dropped.length - 1]})` : '',
    kept.length > 0 ? `${kept.length} past retention kept: not snapshotted since final (${kept[0]} to ${kept[kept.length - 1]})` : '',
  ].filter(Boolean);
  return { done: created + dropped.length, note: notes.length > 0 ? notes.join('; ') : undefined };
}
