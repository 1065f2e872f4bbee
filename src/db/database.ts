import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './embedded';
import { initOrm } from './orm';

export interface Database {
  orm: MikroORM;
  /** Connection URL (DATABASE_URL or the embedded server's). */
  url: string;
  embedded?: EmbeddedDatabase;
  /** Closes the pool, then stops the embedded PostgreSQL if this process started it. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Apply pending migrations (one process at a time: the others wait for it). */
  migrate: boolean;
  /**
   * Create a database that does not exist (with the embedded PostgreSQL, also the cluster). When
   * false, a missing database is a DatabaseMissingError, so a mistyped DATABASE_URL or DATA_DIR is
   * not silently a new, empty database.
   */
  createDatabase: boolean;
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL under the data directory when it is
 * unset (development and tests). Refuses a database that is not UTF-8 with a DatabaseSetupError.
 */
export async function openDatabase(config: Config, logger: Logger, options: OpenDatabaseOptions): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  let encodingHint: string | undefined;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      database: 'marketplace',
      createDatabase: options.createDatabase,
      log: (message) => logger.debug({ component: 'embedded-postgres' }, message.trim()),
    });
    url = embedded.url;
    // Clusters made by earlier versions took the environment's locale, which without LANG is SQL_ASCII.
    encodingHint = `The embedded PostgreSQL under ${path.join(config.dataDir, 'pg')} was created without UTF-8: stop every process using it, move that directory away (its data goes with it) and start again, or set DATA_DIR to a new directory.`;
    logger.info({ dataDir: config.dataDir, owned: embedded.owned }, 'using the embedded PostgreSQL');
  }
  try {
    const orm = await initOrm({
      url,
      poolMax: config.databasePoolMax,
      replicaUrls: config.databaseReplicaUrls,
      migrate: options.migrate,
      createDatabase: options.createDatabase,
      encodingHint,
      log: (message) => logger.info({ component: 'orm' }, message),
    });
    return {
      orm,
      url,
      embedded,
      async close() {
        await orm.close(true);
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}
