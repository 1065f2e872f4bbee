import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, inject } from 'vitest';

/** This test file's own database, cloned from the migrated template. */
const database = `mp_t_${inject('runId')}_${randomBytes(4).toString('hex')}`;
const adminUrl = inject('adminUrl');

const admin = new Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${database} template ${inject('templateDb')}`);
await admin.end();

const url = new URL(adminUrl);
url.pathname = `/${database}`;
process.env.TEST_DB_URL = url.toString();

afterAll(async () => {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`drop database if exists ${database} with (force)`);
  await client.end();
});
