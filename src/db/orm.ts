import { inspect } from 'node:util';
import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { createOrmConfig } from '../../mikro-orm.config';
import { checkDatabase } from './postgres';

export interface OrmOptions {
  url: string;
  poolMax?: number;
  replicaUrls?: string[];
  /** Apply pending migrations before returning. */
  migrate?: boolean;
  /** Create the database when it does not exist (default); when false that is a DatabaseMissingError. */
  createDatabase?: boolean;
  /** What to do about a database that is not UTF-8 (the default names `createdb --encoding=UTF8`). */
  encodingHint?: string;
  /** Where the ORM's and the query builder's messages go (the server passes pino); `level` is absent for the ORM's own. */
  log?: (message: string, level?: OrmLogLevel) => void;
}

export type OrmLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The query builder's (knex's) own messages, such as "Connection Error: …" for a pooled connection
 * the database dropped, at their level. Without this knex prints them with console.log, as plain
 * text in the middle of the JSON log.
 */
function queryBuilderLog(log: (message: string, level?: OrmLogLevel) => void) {
  const at = (level: OrmLogLevel) => (message: unknown) => log(typeof message === 'string' ? message : inspect(message, { depth: 5 }), level);
  return { debug: at('debug'), warn: at('warn'), error: at('error'), deprecate: at('warn') };
}

/**
 * Runs `fn` holding a session-level advisory lock of the database, so processes that migrate at
 * once (two scripts, several servers starting together) apply each migration once: the others
 * wait, then find nothing pending. Advisory locks are per database, so test databases on one
 * server do not wait for each other.
 */
async function withMigrationLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('marketplace:migrations'))");
    return await fn();
  } finally {
    // Ending the session releases the lock, also when fn failed.
    await client.end();
  }
}

export async function initOrm(options: OrmOptions): Promise<MikroORM> {
  await checkDatabase(options.url, { create: options.createDatabase ?? true, encodingHint: options.encodingHint });
  const orm = await MikroORM.init({
    ...createOrmConfig({ url: options.url, poolMax: options.poolMax, replicaUrls: options.replicaUrls, log: options.log }),
    // checkDatabase decided about a missing database; MikroORM would create it without asking.
    ensureDatabase: false,
    ...(options.log ? { driverOptions: { log: queryBuilderLog(options.log) } } : {}),
  });
  if (options.migrate) {
    try {
      await withMigrationLock(options.url, () => orm.getMigrator().up());
    } catch (err) {
      await orm.close(true);
      throw err;
    }
  }
  return orm;
}
