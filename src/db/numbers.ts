import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Human-readable numbers: an optional prefix, the date `at` in China time and the next values of a
 * cluster-wide sequence, at least 6 digits, e.g. 20261123000042 (orders), AS20261123000007 (after-sale
 * cases) or T20261123000003 (tickets).
 */
export async function dailyNumbers(em: EntityManager, sequence: 'order_number_seq' | 'after_sale_number_seq' | 'ticket_number_seq', count: number, at: Date, prefix = ''): Promise<string[]> {
  const rows = await em.execute<{ number: string }[]>(
    `select ?::text || to_char(?::timestamptz at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(s, greatest(6, length(s)), '0') as number
     from (select nextval('${sequence}')::text as s from generate_series(1, ?)) q`,
    [prefix, at.toISOString(), count],
  );
  return rows.map((r) => r.number);
}
