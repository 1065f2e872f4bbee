import type { MikroORM } from '@mikro-orm/postgresql';
import { Redis } from 'ioredis';
import { type App, buildApp } from '../../src/app';
import { type Config, loadConfig } from '../../src/config';
import { initOrm } from '../../src/db/orm';
import { withQueryCount } from '../../src/db/queryCounter';
import { createLogger } from '../../src/logger';
import type { Clock } from '../../src/services/shared';
import { createRateLimits } from '../../src/services/identity';

export interface GqlResult<T = Record<string, any>> {
  status: number;
  data: T | null | undefined;
  errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
  headers: Record<string, string | string[] | number | undefined>;
}

export interface TestApp {
  app: App;
  orm: MikroORM;
  config: Config;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, opts?: { token?: string; headers?: Record<string, string>; ip?: string }): Promise<GqlResult<T>>;
  /** Runs SQL against this test file's database (for set-up and for checking what changed). */
  sql(query: string, params?: unknown[]): Promise<any[]>;
  /** Runs one operation and counts the SQL statements it sent. */
  countQueries<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, opts?: { token?: string }): Promise<{ result: GqlResult<T>; queries: number }>;
  /** Runs one operation and returns the SQL statements it sent, with their parameters. */
  captureQueries<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, opts?: { token?: string }): Promise<{ result: GqlResult<T>; statements: { sql: string; params: readonly unknown[] }[] }>;
  close(): Promise<void>;
}

/**
 * The real server (Fastify + Apollo + shield + ORM) on this test file's database. Operations go
 * through Fastify's request injection: the full HTTP pipeline without a socket.
 */
export async function createTestApp(env: Record<string, string> = {}, opts: { clock?: Clock } = {}): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: process.env.TEST_DB_URL, JWT_SECRET: 'test-secret-that-is-at-least-32-bytes-long!!', RATE_LIMIT_AUTH_PER_MINUTE: '100000', CATALOG_CACHE_ENTRIES: '0', ...env });
  const orm = await initOrm({ url: config.databaseUrl!, poolMax: 10, replicaUrls: config.databaseReplicaUrls });
  const logger = createLogger(config);
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
  const rateLimits = createRateLimits(config, redis ? { redis } : { knex: orm.em.getKnex() });
  const app = await buildApp({ config, orm, logger, rateLimits, clock: opts.clock });

  const gql: TestApp['gql'] = async (query, variables, opts) => {
    const res = await app.http.inject({
      method: 'POST',
      url: '/graphql',
      remoteAddress: opts?.ip ?? '127.0.0.1',
      headers: {
        'content-type': 'application/json',
        ...(opts?.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...opts?.headers,
      },
      payload: JSON.stringify({ query, variables }),
    });
    const body = res.json();
    return { status: res.statusCode, data: body.data, errors: body.errors, headers: res.headers };
  };

  return {
    app,
    orm,
    config,
    gql,
    sql: (query, params = []) => orm.em.fork().getConnection().execute(query, params as any[]),
    countQueries: (query, variables, opts) => withQueryCount(() => gql(query, variables, opts)),
    captureQueries: (query, variables, opts) => withQueryCount(() => gql(query, variables, opts), true),
    async close() {
      await app.close();
      await orm.close(true);
      await redis?.quit();
    },
  };
}
