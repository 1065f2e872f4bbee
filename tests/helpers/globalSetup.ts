import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { initOrm } from '../../src/db/orm';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
    runId: string;
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * One PostgreSQL for the whole run — the embedded one in a temporary directory, or the server at
 * TEST_DATABASE_URL / DATABASE_URL — and one migrated template database. Each test file clones
 * the template (tests/helpers/setup.ts), so files run in parallel in isolation.
 */
export default async function setup(project: TestProject) {
  const runId = randomBytes(4).toString('hex');
  const external = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  let stopEmbedded = async () => undefined as void;
  let adminUrl: string;
  if (external) {
    adminUrl = external;
  } else {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'marketplace-test-'));
    // PostgreSQL runs as the postgres OS user when the tests run as root: it must reach the directory.
    chmodSync(dataDir, 0o755);
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const pg = await startEmbeddedPostgres({ dataDir, port, database: 'postgres' });
    adminUrl = pg.url;
    stopEmbedded = async () => {
      await pg.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }

  const templateDb = `mp_tmpl_${runId}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${templateDb}`);
  const orm = await initOrm({ url: withDatabase(adminUrl, templateDb), migrate: true });
  await orm.close(true);

  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', templateDb);
  project.provide('runId', runId);

  return async () => {
    const { rows } = await admin.query<{ datname: string }>('select datname from pg_database where datname like $1', [`mp_%${runId}%`]);
    for (const { datname } of rows) await admin.query(`drop database if exists ${datname} with (force)`);
    await admin.end();
    await stopEmbedded();
  };
}
