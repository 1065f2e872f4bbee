/** `npm run db:migrate`: applies pending migrations to DATABASE_URL or the embedded database. */
import { run, withDatabase } from './cli';

run(() =>
  withDatabase({ createDatabase: true }, async (orm) => {
    const executed = await orm.getMigrator().getExecutedMigrations();
    console.log(`database is at ${executed.at(-1)?.name ?? 'no migration'} (${executed.length} applied)`);
  }),
);
