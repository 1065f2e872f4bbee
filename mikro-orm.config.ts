import { type Options, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './src/entities';
import { countQuery } from './src/db/queryCounter';
import { migrationsList } from './src/migrations';

export interface OrmSettings {
  url: string;
  poolMax?: number;
  /** Read replicas: used only where a query asks for the read connection (the public catalog). */
  replicaUrls?: string[];
  debug?: boolean;
  /** Where the ORM's own messages (migrations applied, warnings) go; the server passes pino. */
  log?: (message: string) => void;
}

/**
 * The one MikroORM configuration, shared by the server, the scripts and the tests. Migrations are
 * listed statically so the same config runs from `src` (tests, scripts) and `dist` (production).
 */
export function createOrmConfig(settings: OrmSettings): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl: settings.url,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: settings.poolMax ?? 10, idleTimeoutMillis: 30_000 },
    // Writes and reads that must see them stay on the primary; only queries that ask for the read
    // connection (the shoppers' catalog, which tolerates replication lag) go to a replica.
    preferReadReplicas: false,
    replicas: (settings.replicaUrls ?? []).map((url, i) => ({ name: `replica-${i + 1}`, clientUrl: url })),
    // A request works in its own em.fork(); the global EntityManager is never used directly.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    onQuery: countQuery,
    debug: settings.debug ?? false,
    ...(settings.log ? { logger: settings.log, colors: false } : {}),
    // Tables created by our migrations but not entities: owned by a library (rate-limiter-flexible),
    // or analytics read models read and written in SQL only (services/analytics), among them the
    // day partitions of behaviour_event.
    schemaGenerator: { skipTables: ['rate_limit', /^behaviour_event/, 'metric_daily', 'product_metric_daily'] },
    migrations: {
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
      path: 'src/migrations',
      pathTs: 'src/migrations',
      fileName: (timestamp: string, name?: string) => `Migration${timestamp}${name ? `_${name}` : ''}`,
    },
  };
}

export default createOrmConfig({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
