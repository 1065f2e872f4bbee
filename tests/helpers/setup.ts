import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

/** This test file's own database, cloned from the migrated template before the file's own hooks run. */
const database = `mp_t_${inject('runId')}_${randomBytes(4).toString('hex')}`;
const adminUrl = inject('adminUrl');

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin(`create database ${database} template ${inject('templateDb')}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  process.env.TEST_DB_URL = url.toString();
});

afterAll(() => admin(`drop database if exists ${database} with (force)`));
