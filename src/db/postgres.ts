import { Client } from 'pg';

/**
 * A database problem the operator has to fix: the data directory, the encoding, a missing
 * database. The message says what to do, and start-up prints it alone, without a stack trace.
 */
export class DatabaseSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseSetupError';
  }
}

/** The database named in the URL does not exist, and its creation was not asked for. */
export class DatabaseMissingError extends DatabaseSetupError {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseMissingError';
  }
}

/** `url` pointing at another database of the same server. */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The database name and `host:port` of a URL, for messages (never the password). */
export function describeDatabase(url: string): { name: string; where: string } {
  const u = new URL(url);
  const host = u.hostname || u.searchParams.get('host') || 'localhost';
  return { name: decodeURIComponent(u.pathname.slice(1)) || 'postgres', where: `${host}:${u.port || '5432'}` };
}

const sqlState = (err: unknown) => (err as { code?: string }).code;

/**
 * Creates the database of `url`, as UTF-8 whatever the server's template1 is. Safe when several
 * processes do it at once: a concurrent creation shows up as duplicate_database (42P04), or as a
 * unique violation on pg_database (23505) when both pass the existence check together.
 */
export async function createDatabase(url: string): Promise<void> {
  const { name } = describeDatabase(url);
  const admin = new Client({ connectionString: databaseUrl(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)} ENCODING 'UTF8' TEMPLATE template0`);
  } catch (err) {
    if (sqlState(err) !== '42P04' && sqlState(err) !== '23505') throw err;
  } finally {
    await admin.end();
  }
}

/** The database's encoding, or undefined when it does not exist (invalid_catalog_name, 3D000). */
async function serverEncoding(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    if (sqlState(err) === '3D000') return undefined;
    throw err;
  }
  try {
    const { rows } = await client.query<{ server_encoding: string }>('SHOW server_encoding');
    return rows[0].server_encoding;
  } finally {
    await client.end();
  }
}

export interface CheckDatabaseOptions {
  /** Create the database when it does not exist; otherwise that is a DatabaseMissingError. */
  create: boolean;
  /** What to do about a database that is not UTF-8, in this setting. */
  encodingHint?: string;
}

/**
 * Makes sure the database of `url` exists and stores UTF-8. Names, addresses and products are
 * Chinese text: on SQL_ASCII every query would have to cope with bytes, and on another encoding
 * some text cannot be stored, so any other encoding stops start-up before migrations run.
 */
export async function checkDatabase(url: string, options: CheckDatabaseOptions): Promise<void> {
  const { name, where } = describeDatabase(url);
  let encoding = await serverEncoding(url);
  if (encoding === undefined) {
    if (!options.create) throw new DatabaseMissingError(`database "${name}" does not exist on ${where}`);
    await createDatabase(url);
    encoding = await serverEncoding(url);
  }
  if (encoding !== 'UTF8') {
    const hint =
      options.encodingHint ??
      `Create it as UTF-8 (createdb --encoding=UTF8 --template=template0 ${name}) and point DATABASE_URL at it.`;
    throw new DatabaseSetupError(`database "${name}" on ${where} uses the ${encoding} encoding, and the server needs UTF8. ${hint}`);
  }
}
