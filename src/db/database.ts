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

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL under the data directory when it is
 * unset (development and tests). Applies pending migrations when `migrate` is set.
 */
export async function openDatabase(config: Config, logger: Logger, options: { migrate: boolean }): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      database: 'marketplace',
      log: (message) => logger.debug({ component: 'embedded-postgres' }, message.trim()),
    });
    url = embedded.url;
    logger.info({ dataDir: config.dataDir, owned: embedded.owned }, 'using the embedded PostgreSQL');
  }
  try {
    const orm = await initOrm({
      url,
      poolMax: config.databasePoolMax,
      replicaUrls: config.databaseReplicaUrls,
      migrate: options.migrate,
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
