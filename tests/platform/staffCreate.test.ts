import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { spawnServer, tempDir } from './serverProcess';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const runId = inject('runId');
/** Named like the run's other databases, so the global teardown drops any this file leaves. */
const newDatabase = () => `mp_staff_${runId}_${randomBytes(4).toString('hex')}`;
const created: string[] = [];

function urlOf(database: string): string {
  const url = new URL(inject('adminUrl'));
  url.pathname = `/${database}`;
  return url.toString();
}

async function sql<T>(url: string, query: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(query, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** `npm run staff:create -- …` against `database`; resolves with its exit code and output. */
async function staffCreate(database: string, email: string, extra: string[] = []): Promise<{ code: number | null; output: string }> {
  const data = tempDir('marketplace-staff');
  cleanups.push(data.remove);
  const script = spawnServer(
    {
      PATH: process.env.PATH!,
      HOME: process.env.HOME!,
      DATABASE_URL: urlOf(database),
      DATA_DIR: data.path,
      JWT_SECRET: 'a-test-secret-that-is-at-least-32-bytes',
    },
    { args: ['scripts/staff-create.ts', '--email', email, '--password', 'a staff password 2026', '--roles', 'ADMIN', ...extra] },
  );
  cleanups.push(() => script.kill());
  const { code } = await script.exit;
  return { code, output: script.output() };
}

afterAll(async () => {
  for (const database of created) await sql(inject('adminUrl'), `drop database if exists ${database} with (force)`);
});

describe('npm run staff:create', () => {
  it('says the database does not exist, and creates nothing, without --create-database', async () => {
    const database = newDatabase();
    created.push(database);
    const { code, output } = await staffCreate(database, 'admin@example.com');
    expect(code).not.toBe(0);
    expect(output.trim()).toBe(
      `database "${database}" does not exist on ${new URL(inject('adminUrl')).hostname}:${new URL(inject('adminUrl')).port || '5432'}. Check DATABASE_URL (or DATA_DIR), or pass --create-database to create it and apply the migrations.`,
    );
    expect(await sql(inject('adminUrl'), 'select 1 from pg_database where datname = $1', [database])).toHaveLength(0);
  }, 60_000);

  it('creates and migrates the database once when two runs with --create-database race, and both succeed', async () => {
    const database = newDatabase();
    created.push(database);
    const [a, b] = await Promise.all([
      staffCreate(database, 'first@example.com', ['--create-database']),
      staffCreate(database, 'second@example.com', ['--create-database']),
    ]);
    expect(a).toMatchObject({ code: 0, output: expect.stringContaining('created first@example.com with roles ADMIN') });
    expect(b).toMatchObject({ code: 0, output: expect.stringContaining('created second@example.com with roles ADMIN') });

    const url = urlOf(database);
    const [{ encoding }] = await sql<{ encoding: string }>(url, "select current_setting('server_encoding') as encoding");
    expect(encoding).toBe('UTF8');
    const applied = await sql<{ name: string }>(url, 'select name from mikro_orm_migrations order by name');
    const template = await sql<{ name: string }>(urlOf(inject('templateDb')), 'select name from mikro_orm_migrations order by name');
    expect(applied.map((m) => m.name)).toEqual(template.map((m) => m.name));
    const users = await sql<{ email: string }>(url, 'select email from users order by email');
    expect(users.map((u) => u.email)).toEqual(['first@example.com', 'second@example.com']);
  }, 90_000);
});
