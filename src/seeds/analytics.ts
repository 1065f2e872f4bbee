import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { addDays, BehaviourEventType, dayOf, dayStart, ensureEventPartitions, MAX_SNAPSHOT_DAYS, maxDay, minDay, snapshotMetrics } from '../services/analytics';
import type { Clock } from '../services/shared';
import { mulberry32 } from '../services/shared/random';
import { DEMO_MEMBERS } from './membership';
import { DEMO_REVIEWERS } from './reviews';

/** Days of behaviour events the demo gets: the dashboard's default range, today included. */
export const DEMO_EVENT_DAYS = 30;
/** Sessions on an ordinary weekday at the start of the range; more at weekends and as the month goes on. */
const SESSIONS_PER_DAY = 32;
/** Share of sessions signed in as one of the demo shoppers (the rest anonymous). */
const SIGNED_IN_SHARE = 0.4;
/** What the demo shoppers search for: terms the demo catalog answers. */
const SEARCH_TERMS = ['耳機', '藍牙耳機', '降噪耳機', 'anker charger', '充電器', '行動電源', '手機殼', 'wireless', '智能手錶', '機械鍵盤', '運動鞋', 'switch'];
/** A demo session's client id (trackEvents keeps `hashtextextended(id, 0)`): `demo-session-00001`, … */
const sessionId = (n: number) => `demo-session-${String(n).padStart(5, '0')}`;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface DemoEvent {
  at: string;
  session: string;
  user_id: string | null;
  type: BehaviourEventType;
  product_id: string | null;
  query: string | null;
}

/**
 * Behaviour events for the dashboard and the funnel: DEMO_EVENT_DAYS days (Asia/Shanghai, today
 * up to now) of sessions on the demo products on sale — more at weekends and as the month goes on —
 * each a few product views (popular products far more often), often after a search (some leave
 * after the search alone), some
 * add-to-carts (signed-in shoppers far more than anonymous visitors) and a few shares; 40% signed
 * in as the demo shoppers, the rest anonymous. Deterministic (a fixed seed), stored as trackEvents
 * stores them (the product's shop and category path copied, the session id hashed), in the days'
 * partitions, one INSERT. Skipped when the demo sessions already have events.
 */
export async function seedDemoEvents(em: EntityManager, clock: Clock): Promise<number> {
  const [{ seeded }] = await em.execute<{ seeded: boolean }[]>('select exists (select 1 from behaviour_event where session_key = hashtextextended(?, 0)) as seeded', [sessionId(1)]);
  if (seeded) return 0;
  const products = await em.execute<{ id: string }[]>(
    `select p.id from product p join shop s on s.id = p.shop_id where p.visible and p.status = 'ACTIVE' and s.status = 'ACTIVE' order by p.id limit 400`,
  );
  if (products.length === 0) return 0;
  const shoppers = await em.execute<{ id: string }[]>('select id from users where email = any(?::text[]) order by id', [
    `{${['alice@demo.test', 'bob@demo.test', ...DEMO_REVIEWERS, ...DEMO_MEMBERS.map((m) => m.email)].join(',')}}`,
  ]);

  const rng = mulberry32(20261207);
  // Popularity: the products in a shuffled order, picked with a strong skew towards the first.
  const ranked = products.map((p) => String(p.id));
  for (let i = ranked.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rng() * (i + 1));
    [ranked[i], ranked[j]] = [ranked[j], ranked[i]];
  }
  const pick = <T>(list: T[], skew: number) => list[Math.min(list.length - 1, Math.floor(list.length * rng() ** skew))];

  const now = clock.now();
  const today = dayOf(now);
  const first = addDays(today, -(DEMO_EVENT_DAYS - 1));
  const events: DemoEvent[] = [];
  let sessions = 0;
  for (let d = 0; d < DEMO_EVENT_DAYS; d += 1) {
    const day = addDays(first, d);
    const start = dayStart(day).getTime();
    // Sessions start from 08:00 to 23:30 (Asia/Shanghai); today only those ending before now.
    const latest = Math.min(start + 23.5 * HOUR, now.getTime() - 30 * MINUTE);
    const earliest = start + 8 * HOUR;
    if (latest <= earliest) continue;
    const weekday = new Date(start + 8 * HOUR).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const share = (latest - earliest) / (15.5 * HOUR);
    const count = Math.round(SESSIONS_PER_DAY * (0.75 + (0.5 * d) / DEMO_EVENT_DAYS) * (weekend ? 1.35 : 1) * (0.85 + 0.3 * rng()) * share);
    for (let s = 0; s < count; s += 1) {
      sessions += 1;
      const session = sessionId(sessions);
      const user = shoppers.length && rng() < SIGNED_IN_SHARE ? String(pick(shoppers, 1.3).id) : null;
      let at = earliest + Math.floor(rng() * (latest - earliest));
      const add = (type: BehaviourEventType, productId: string | null, query: string | null = null) => {
        events.push({ at: new Date(at).toISOString(), session, user_id: user, type, product_id: productId, query });
        at += 15_000 + Math.floor(rng() * 3 * MINUTE);
      };
      const searched = rng() < 0.35;
      if (searched) add(BehaviourEventType.SEARCH, null, pick(SEARCH_TERMS, 1.5));
      // A quarter of those who search leave without opening a product.
      const views = searched && rng() < 0.25 ? 0 : 1 + Math.floor(rng() * 5);
      for (let v = 0; v < views; v += 1) {
        const product = pick(ranked, 2.2);
        add(BehaviourEventType.PRODUCT_VIEW, product);
        if (rng() < (user ? 0.22 : 0.06)) add(BehaviourEventType.ADD_TO_CART, product);
        if (rng() < 0.04) add(BehaviourEventType.SHARE, product);
      }
    }
  }
  if (events.length === 0) return 0;
  await ensureEventPartitions(em, first, today);
  const [{ n }] = await em.execute<{ n: number }[]>(
    `with added as (
       insert into behaviour_event (at, session_key, user_id, type, product_id, shop_id, category_path, query)
       select e.at, hashtextextended(e.session, 0), e.user_id, e.type, e.product_id, p.shop_id, p.category_path, e.query
       from jsonb_to_recordset(?::jsonb) as e(at timestamptz, session text, user_id bigint, type text, product_id bigint, query text)
       left join product p on p.id = e.product_id
       order by e.at
       returning 1)
     select count(*)::int as n from added`,
    [JSON.stringify(events)],
  );
  return n;
}

/**
 * The analytics snapshot of the seeded range: from the first demo order's day (or the events'
 * first day, whichever is earlier; at most MAX_SNAPSHOT_DAYS back) to today, so the dashboard,
 * platformMetrics and the top lists have figures right after seeding. Run on every seed:demo (it
 * is idempotent: the same sources give the same rows).
 */
export async function snapshotDemoMetrics(em: EntityManager, config: Config, clock: Clock): Promise<{ from: string; to: string; days: number; rows: number }> {
  const today = dayOf(clock.now());
  const [{ first }] = await em.execute<{ first: Date | null }[]>('select min(placed_at) as first from orders');
  const from = maxDay(addDays(today, -(MAX_SNAPSHOT_DAYS - 1)), minDay(first ? dayOf(new Date(first)) : today, addDays(today, -(DEMO_EVENT_DAYS - 1))));
  const { days, rows } = await snapshotMetrics({ config, clock }, em, { from, to: today });
  return { from, to: today, days, rows };
}
