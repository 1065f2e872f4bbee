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
  log?: (message: string) => void;
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
