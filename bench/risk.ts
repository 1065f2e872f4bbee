import type { BenchDatabase } from './database';

/**
 * The risk rules of the `checkout-risk` scenario: every checkout is scored by the enabled rules in
 * one statement (src/services/risk/scoring.ts). The bench runs every other scenario with every rule
 * disabled — the statement still runs, looking the checkout up on the blacklist — and
 * `checkout-risk` with the rules the database has (the migration's defaults) enabled, so the pair
 * shows what scoring costs the checkout loop.
 */

/** The keys of the rules enabled now (restored when the run ends). */
export async function enabledRiskRules(db: BenchDatabase): Promise<string[]> {
  return (await db.sql<{ id: string }>('select id::text as id from risk_rule where enabled order by id')).map((r) => r.id);
}

/** Enables exactly `keys` (none: every rule disabled); returns how many are enabled. */
export async function setRiskRules(db: BenchDatabase, keys: string[]): Promise<number> {
  await db.sql('update risk_rule set enabled = false where enabled');
  if (keys.length > 0) await db.sql('update risk_rule set enabled = true where id in (?)', [keys]);
  return keys.length;
}

/** Every rule's key: what `checkout-risk` enables (the bench database holds the migration's defaults, and any rule staff added). */
export async function allRiskRules(db: BenchDatabase): Promise<string[]> {
  return (await db.sql<{ id: string }>('select id::text as id from risk_rule order by id')).map((r) => r.id);
}

export interface ScoringProof {
  rules: number;
  orders: number;
  /** Orders with at least one rule hit. */
  scored: number;
  levels: Record<string, number>;
  held: number;
  /** The rules that hit, by name, with the orders each hit. */
  hits: Record<string, number>;
}

/** What the orders placed after `lastOrderId` scored: the proof the rules ran on each checkout. */
export async function proveScoring(db: BenchDatabase, lastOrderId: string, rules: number): Promise<{ proof: ScoringProof; problems: string[]; summary: string }> {
  const [row] = await db.sql<{ orders: number; scored: number; held: number; levels: Record<string, number> | null }>(
    `select count(*)::int as orders, count(*) filter (where risk_score > 0)::int as scored, count(*) filter (where held)::int as held,
       (select jsonb_object_agg(risk_level, n) from (select risk_level, count(*)::int as n from orders where id > ? group by risk_level) l) as levels
     from orders where id > ?`,
    [lastOrderId, lastOrderId],
  );
  const hits = await db.sql<{ name: string; n: number }>(
    `select r->>'name' as name, count(*)::int as n from orders o, jsonb_array_elements(o.risk_reasons) r where o.id > ? group by 1 order by 2 desc, 1`,
    [lastOrderId],
  );
  const proof: ScoringProof = { rules, orders: row.orders, scored: row.scored, levels: row.levels ?? {}, held: row.held, hits: Object.fromEntries(hits.map((h) => [h.name, h.n])) };
  const problems: string[] = [];
  if (rules === 0) problems.push('no risk rule was enabled');
  if (proof.orders > 0 && proof.scored === 0) problems.push(`none of ${proof.orders} orders was scored by the ${rules} rules`);
  const levels = Object.entries(proof.levels).map(([l, n]) => `${n} ${l}`).join(', ');
  const hit = Object.entries(proof.hits).map(([name, n]) => `${name} ${n}`).join('; ');
  return {
    proof,
    problems,
    summary: `${rules} rules enabled; ${proof.scored} of ${proof.orders} orders (warm-up and loop) scored (${levels || 'none'}), ${proof.held} held; hits: ${hit || 'none'}.`,
  };
}

/**
 * The scoring statement's calls and mean execution time since pg_stat_statements was last reset
 * (the scenario's start): what scoring costs the database per checkout. Null without pg_stat_statements.
 */
export async function scoringStatementCost(db: BenchDatabase): Promise<{ calls: number; meanMs: number } | null> {
  if (!db.pgStatStatements) return null;
  const [row] = await db.sql<{ calls: string; mean: number }>(
    `select sum(calls)::bigint as calls, sum(total_exec_time) / nullif(sum(calls), 0) as mean from pg_stat_statements
     where dbid = (select oid from pg_database where datname = current_database()) and query like '%join risk_rule r on r.enabled%'`,
  );
  return row?.calls ? { calls: Number(row.calls), meanMs: Math.round(row.mean * 1000) / 1000 } : null;
}
