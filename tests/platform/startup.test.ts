import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { REGISTER, freePort, gql, registration, spawnServer, tempDir } from './serverProcess';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** PATH and HOME, nothing else: no LANG or LC_*, as under `env -i`, systemd or a bare container. */
const EMPTY_ENV = { PATH: process.env.PATH!, HOME: process.env.HOME! };

/** The one line a refused start printed, checked to be a message rather than a stack trace. */
function oneLine(output: string): string {
  const lines = output.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(output).not.toMatch(/^\s+at /m);
  return lines[0];
}

describe('first start', () => {
  it('creates a UTF-8 embedded PostgreSQL and stores Chinese text when the environment has no locale', async () => {
    const data = tempDir('marketplace-nolocale');
    cleanups.push(data.remove);
    const port = await freePort();
    const server = spawnServer({ ...EMPTY_ENV, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: data.path, EMBEDDED_PG_PORT: String(await freePort()) });
    cleanups.push(() => server.kill());
    await server.waitFor('marketplace server ready', 90_000);

    const res = await gql(port, REGISTER, registration('王小明'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { register: { user: { displayName: '王小明' }, errors: [] } } });

    const password = readFileSync(path.join(data.path, 'pg-password'), 'utf8').trim();
    const pgPort = Number(readFileSync(path.join(data.path, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3]);
    const client = new Client({ host: '127.0.0.1', port: pgPort, user: 'postgres', password, database: 'marketplace' });
    await client.connect();
    try {
      const { rows } = await client.query("select current_setting('server_encoding') as server, current_setting('client_encoding') as client, lower('ÉCOLE 北京') as lowered");
      // Case mapping beyond ASCII: the cluster's locale is Unicode-aware, not bare C.
      expect(rows[0]).toEqual({ server: 'UTF8', client: 'UTF8', lowered: 'école 北京' });
    } finally {
      await client.end();
    }

    server.child.kill('SIGTERM');
    expect(await server.exit).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(data.path, 'pg', 'postmaster.pid'))).toBe(false);
  }, 120_000);

  describe('on a database that is not UTF-8', () => {
    const database = `mp_ascii_${inject('runId')}_${randomBytes(3).toString('hex')}`;
    const admin = () => new Client({ connectionString: inject('adminUrl') });
    beforeAll(async () => {
      const client = admin();
      await client.connect();
      await client.query(`create database ${database} encoding 'SQL_ASCII' template template0 locale_provider libc locale 'C'`);
      await client.end();
    });
    afterAll(async () => {
      const client = admin();
      await client.connect();
      await client.query(`drop database if exists ${database} with (force)`);
      await client.end();
    });

    it('refuses to start, in one line naming the encoding, before migrating anything', async () => {
      const url = new URL(inject('adminUrl'));
      url.pathname = `/${database}`;
      const data = tempDir('marketplace-ascii');
      cleanups.push(data.remove);
      const server = spawnServer({ ...EMPTY_ENV, PORT: String(await freePort()), DATA_DIR: data.path, DATABASE_URL: url.toString(), JWT_SECRET: 'a-test-secret-that-is-at-least-32-bytes' });
      cleanups.push(() => server.kill());
      expect((await server.exit).code).toBe(78);
      const line = oneLine(server.output());
      expect(line).toContain(`database "${database}"`);
      expect(line).toContain('SQL_ASCII');
      expect(line).toContain('--encoding=UTF8');

      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      const { rows } = await client.query("select to_regclass('mikro_orm_migrations') as migrations");
      await client.end();
      expect(rows[0].migrations).toBeNull();
    }, 60_000);
  });

  it.skipIf(process.getuid?.() !== 0)('as root, refuses a DATA_DIR the postgres OS user cannot reach, saying what to do', async () => {
    const home = tempDir('marketplace-private', 0o700);
    cleanups.push(home.remove);
    const dataDir = path.join(home.path, 'clone', '.data');
    const server = spawnServer({ ...EMPTY_ENV, PORT: String(await freePort()), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), JWT_SECRET: 'a-test-secret-that-is-at-least-32-bytes' });
    cleanups.push(() => server.kill());
    expect((await server.exit).code).toBe(78);
    const line = oneLine(server.output());
    expect(line).toContain(`cannot enter ${home.path} (mode 700, owner uid 0)`);
    expect(line).toContain('set DATA_DIR to a directory it can reach');
    expect(line).toContain('DATABASE_URL');
    expect(line).not.toContain('initdb');
    // Nothing was initialised.
    expect(existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))).toBe(false);
  }, 60_000);
});
