import 'reflect-metadata';
import type { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/database';
import { createLogger } from '../src/logger';

/**
 * Runs a script against the configured database — DATABASE_URL, or the embedded one under .data/
 * (joined if the server is already running on it) — migrated to the latest version. With
 * `createDatabase` a missing database (or embedded cluster) is created first; without it, it is a
 * DatabaseMissingError.
 */
export async function withDatabase(options: { createDatabase: boolean }, fn: (orm: MikroORM) => Promise<void>): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  const db = await openDatabase(config, createLogger(config), { migrate: true, createDatabase: options.createDatabase });
  try {
    await fn(db.orm);
  } finally {
    await db.close();
  }
}

export function run(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
