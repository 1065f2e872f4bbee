import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../src/db/embedded';
import { initOrm } from '../src/db/orm';
import { seedBulkCatalog } from '../src/seeds/bulkCatalog';
import { seedDemo } from '../src/seeds/demo';
import { postmasterPid } from './cpu';
import type { Cleanup } from './lifecycle';

export const BENCH_DATA_DIR = path.resolve(__dirname, '..', '.bench');

export interface BenchDatabase {
  url: string;
  /** "embedded (.bench/, port N)" or "BENCH_DATABASE_URL". */
  where: string;
  orm: MikroORM;
  /** The embedded PostgreSQL's postmaster, whose CPU time the run measures (undefined with BENCH_DATABASE_URL). */
  postmasterPid?: number;
  /** Whether pg_stat_statements answers, so SQL statements per request can be counted in PostgreSQL. */
  pgStatStatements: boolean;
  postgresVersion: string;
  catalog: { products: number; variants: number; categories: number; shops: number; seeded: 'reused' | 'seeded' | 'topped up'; seedSeconds: number };
  /** A one-off query on the bench database (fixtures, stock checks). */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

function withDb(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * The embedded PostgreSQL under .bench/ (its own port, never the dev server's .data/), with
 * pg_stat_statements preloaded: the first start sets shared_preload_libraries and restarts once.
 */
async function embedded(port: number, database: string, cleanup: Cleanup, log: (m: string) => void): Promise<{ url: string; where: string }> {
  let pg: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir: BENCH_DATA_DIR, port, database });
  // Whichever instance is current when the run ends (a restart below replaces it).
  cleanup.add('embedded PostgreSQL', () => pg.stop());
  const admin = withDb(pg.url, 'postgres');
  const [{ shared_preload_libraries: preload }] = await query<{ shared_preload_libraries: string }>(admin, 'show shared_preload_libraries');
  if (!preload.includes('pg_stat_statements') && pg.owned) {
    log('enabling pg_stat_statements in the bench PostgreSQL (one restart, once)');
    await query(admin, "alter system set shared_preload_libraries = 'pg_stat_statements'");
    await pg.stop();
    pg = await startEmbeddedPostgres({ dataDir: BENCH_DATA_DIR, port, database });
  }
  const livePort = new URL(pg.url).port;
  return { url: pg.url, where: `embedded PostgreSQL under .bench/ (port ${livePort}${pg.owned ? '' : ', joined a running one'})` };
}

async function enablePgStatStatements(url: string): Promise<boolean> {
  try {
    const [{ setting }] = await query<{ setting: string }>(url, "select setting from pg_settings where name = 'shared_preload_libraries'");
    if (!setting.includes('pg_stat_statements')) return false;
    await query(url, 'create extension if not exists pg_stat_statements');
    await query(url, 'select 1 from pg_stat_statements limit 1');
    return true;
  } catch {
    return false;
  }
}

/**
 * A dedicated database, migrated and seeded: the demo data (users, shops, demo catalog) and the
 * bulk catalog. A database that already holds `products` bulk products is reused as it is; one
 * holding fewer gets the rest added.
 */
export async function prepareDatabase(opts: { products: number; pgPort: number; poolMax: number }, cleanup: Cleanup, log: (m: string) => void): Promise<BenchDatabase> {
  const external = process.env.BENCH_DATABASE_URL?.trim();
  const target = external
    ? { url: external, where: 'BENCH_DATABASE_URL' }
    : await embedded(opts.pgPort, `bench_${opts.products}`, cleanup, log);
  const pgStatStatements = await enablePgStatStatements(target.url);
  const orm = await initOrm({ url: target.url, migrate: true, poolMax: opts.poolMax });
  cleanup.add('bench ORM pool', () => orm.close(true));
  const sql = <T>(q: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(q, params as never[]);

  const started = performance.now();
  let seeded: BenchDatabase['catalog']['seeded'] = 'reused';
  const [demo] = await sql<{ n: number }>("select count(*)::int as n from shop s join shop_member m on m.shop_id = s.id join users u on u.id = m.user_id where s.slug = 'blue-sea-digital' and u.email = 'merchant@demo.test'");
  if (demo.n === 0) {
    log('seeding the demo data (users, shops, demo catalog) …');
    await seedDemo(orm.em.fork());
    seeded = 'seeded';
  }
  const bulkCount = async () => (await sql<{ n: number }>("select count(distinct product_id)::int as n from product_variant where sku like 'BULK-%'"))[0].n;
  const have = await bulkCount();
  if (have > opts.products) {
    throw new Error(`the bench database holds ${have} bulk products, more than --products ${opts.products}; use an empty database (BENCH_DATABASE_URL) or the matching --products`);
  }
  if (have < opts.products) {
    log(`seeding ${(opts.products - have).toLocaleString('en')} bulk products${have ? ` (${have.toLocaleString('en')} there already)` : ''} …`);
    const result = await seedBulkCatalog(orm.em.fork(), { products: opts.products - have });
    log(`  ${result.products.toLocaleString('en')} products, ${result.variants.toLocaleString('en')} variants in ${(result.ms / 1000).toFixed(1)} s`);
    seeded = have ? 'topped up' : 'seeded';
  }
  const seedSeconds = (performance.now() - started) / 1000;
  const [counts] = await sql<{ products: number; variants: number; categories: number; shops: number }>(
    `select (select count(*) from product where visible)::int as products, (select count(*) from product_variant v join product p on p.id = v.product_id where p.visible and not v.archived)::int as variants,
       (select count(*) from category)::int as categories, (select count(*) from shop where status = 'ACTIVE')::int as shops`,
  );
  const [{ version }] = await sql<{ version: string }>("select current_setting('server_version') as version");
  log(
    seeded === 'reused'
      ? `reusing the seeded bench database: ${opts.products.toLocaleString('en')} bulk products (${counts.products.toLocaleString('en')} on sale in all)`
      : `seeded in ${seedSeconds.toFixed(1)} s: ${counts.products.toLocaleString('en')} products on sale, ${counts.variants.toLocaleString('en')} variants, ${counts.categories} categories, ${counts.shops} active shops`,
  );
  return { url: target.url, where: target.where, postmasterPid: external ? undefined : postmasterPid(BENCH_DATA_DIR), orm, pgStatStatements, postgresVersion: version, catalog: { ...counts, seeded, seedSeconds: Math.round(seedSeconds * 10) / 10 }, sql };
}
