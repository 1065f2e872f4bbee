import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import type { Client } from 'pg';
import { LISTENER_NAME } from '../../src/catalogCache';

/**
 * The database going away under a running server: a TCP proxy that cuts its connections and
 * refuses new ones, and the sessions a test counts or terminates from a connection of its own.
 */

/** The name of the database `databaseUrl` points at. */
export const databaseOf = (databaseUrl: string): string => new URL(databaseUrl).pathname.slice(1);

/**
 * A TCP proxy between the server and the PostgreSQL of `databaseUrl`: `down()` cuts every
 * connection and refuses new ones (nothing listens) until `up()`, as a database restart or a
 * network partition does. With `settleMs`, `down()` returns that long after the cut, once the
 * clients had time to notice their connections closed, as they would have a while into an outage.
 */
export class DatabaseProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly target: { host: string; port: number };
  port = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly options: { settleMs?: number } = {},
  ) {
    const direct = new URL(databaseUrl);
    this.target = { host: direct.hostname, port: Number(direct.port || 5432) };
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', close).on('close', close);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (this.options.settleMs) await new Promise((r) => setTimeout(r, this.options.settleMs));
  }

  /** The database URL the proxy was made for, through the proxy. */
  url(): string {
    const url = new URL(this.databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }
}

/** Client sessions of the database `$1` other than the caller's own that match the SQL condition `where`. */
const otherClients = (where: string) => `datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend' and ${where}`;

/** Terminates every client session of `database` but the caller's own (those matching `where`). Returns how many it terminated. */
export async function terminateBackends(admin: Client, database: string, where = 'true'): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(`select count(*) filter (where pg_terminate_backend(pid))::int as n from pg_stat_activity where ${otherClients(where)}`, [database]);
  return rows[0].n;
}

/**
 * Terminates the client sessions of `database` matching `where` (not the caller's) and waits until
 * each of them has exited; sessions opened meanwhile — a LISTEN reconnecting at once — do not count,
 * so the wait never depends on catching a moment with no session at all. Returns their pids.
 */
export async function terminateBackendsAndWait(admin: Client, database: string, where = 'true', timeoutMs = 15_000): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    `with matching as materialized (select pid from pg_stat_activity where ${otherClients(where)}) select pid from matching where pg_terminate_backend(pid)`,
    [database],
  );
  const pids = rows.map((r) => r.pid);
  const end = Date.now() + timeoutMs;
  while (pids.length > 0) {
    const { rows: left } = await admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where pid = any($1::int[])', [pids]);
    if (left[0].n === 0) break;
    if (Date.now() > end) throw new Error(`${left[0].n} terminated sessions of ${database} still there after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids;
}

/** The process IDs of the catalog caches' LISTEN sessions on `database`. */
export async function listenerPids(admin: Client, database: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and application_name = $2', [database, LISTENER_NAME]);
  return rows.map((r) => r.pid);
}

/** How many LISTEN sessions the catalog caches hold on `database`. */
export async function listenSessions(admin: Client, database: string): Promise<number> {
  return (await listenerPids(admin, database)).length;
}
