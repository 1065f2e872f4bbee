/**
 * Generates the next migration from the difference between the entities and a scratch database
 * migrated to the latest committed migration: `npm run db:migration:create -- name`.
 * Add the new class to src/migrations/index.ts afterwards.
 */
import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { createOrmConfig } from '../mikro-orm.config';
import { loadConfig } from '../src/config';
import { startEmbeddedPostgres } from '../src/db/embedded';

async function main() {
  const name = process.argv[2];
  const config = loadConfig();
  const server = config.databaseUrl
    ? { url: config.databaseUrl, stop: async () => undefined }
    : await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, database: 'marketplace' });
  const scratch = `migration_scratch_${Date.now()}`;
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`create database ${scratch}`);
  try {
    const url = new URL(server.url);
    url.pathname = `/${scratch}`;
    const orm = await MikroORM.init(createOrmConfig({ url: url.toString() }));
    await orm.getMigrator().up();
    const result = await orm.getMigrator().createMigration('src/migrations', false, false, name);
    console.log(result.fileName ? `created src/migrations/${result.fileName}` : 'no changes: entities match the migrations');
    await orm.close(true);
  } finally {
    await admin.query(`drop database if exists ${scratch}`);
    await admin.end();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
