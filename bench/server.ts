import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Child, type Cleanup, freePort, sleep, startChild } from './lifecycle';

const ROOT = path.resolve(__dirname, '..');

function newestMtime(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(entry).reduce((max, name) => Math.max(max, newestMtime(path.join(entry, name))), 0);
}

/** `npm run build` when dist/ is missing or older than the sources: the check scripts/start.js makes. */
/**
 * The bench's SMTP server: a port nothing listens on, since production requires SMTP_URL. The
 * emails a run queues (payment receipts, merchants' new-order emails) fail at once and wait for a
 * retry the run never reaches, at no cost to what is measured.
 */
export const BENCH_SMTP_URL = 'smtp://127.0.0.1:9';

export function buildIfStale(log: (m: string) => void): void {
  const stamp = path.join(ROOT, 'dist', '.build-stamp');
  const sources = ['src', 'mikro-orm.config.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) => path.join(ROOT, p));
  const stale = !existsSync(stamp) || sources.some((p) => existsSync(p) && newestMtime(p) > statSync(stamp).mtimeMs);
  if (!stale) {
    log('dist/ is up to date');
    return;
  }
  log('building dist/ (missing or older than src/) …');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
  writeFileSync(stamp, new Date().toISOString());
}

export interface RunningServer {
  child: Child;
  url: string;
  webhookSecret: string;
  workers: number;
  /** Resident set size in MB of every worker process (the process itself with one worker). */
  rss(): { primaryMb: number; workersMb: number[] };
  /** The server's own count of SQL statements per GraphQL request (its /metrics histogram): meaningful with one worker. */
  sqlMetric(): Promise<{ sum: number; count: number }>;
  /** CPU profiles directory when --cpu-prof was given. */
  profileDir?: string;
}

function vmRssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : NaN;
}

/** Direct children of `pid` (cluster workers of a primary). */
export function childPids(pid: number): number[] {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    return tasks.flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    // No /proc/<pid>/task/*/children: scan every process for its parent.
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return Number(readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]) === pid;
        } catch {
          return false;
        }
      })
      .map(Number);
  }
}

export async function waitReady(url: string, child: Child, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  void child.exited.then((how) => (exited = how));
  for (;;) {
    if (exited) throw new Error(`${what} exited (${exited}) before it was ready:\n${child.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs / 1000} s:\n${child.tail()}`);
    await sleep(200);
  }
}

/**
 * Starts the marketplace server as a separate process in production mode, on a free port of
 * 127.0.0.1, and waits until /readyz answers and every worker runs.
 */
export async function startServer(
  opts: { databaseUrl: string; workers: number; poolMax: number; from: 'dist' | 'source'; cpuProf: boolean; nodeFlags: string[]; catalogCache: 'on' | 'off'; catalogCompiled?: 'on' | 'off'; logFile: string; profileDir: string },
  cleanup: Cleanup,
  log: (m: string) => void,
): Promise<RunningServer> {
  const port = await freePort();
  const webhookSecret = randomBytes(32).toString('hex');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG };
  Object.assign(env, {
    NODE_ENV: 'production',
    // Nothing listens there: the emails the run queues fail fast and are retried later, never sent.
    SMTP_URL: BENCH_SMTP_URL,
    PUBLIC_URL: 'https://bench.example',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: opts.databaseUrl,
    DATABASE_POOL_MAX: String(opts.poolMax),
    WEB_CONCURRENCY: String(opts.workers),
    JWT_SECRET: randomBytes(48).toString('base64url'),
    PAYMENT_WEBHOOK_SECRET: webhookSecret,
    PAYOUT_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    // Shoppers sign in many at once from one address; the run outlives the default 15-minute token.
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    LOGIN_FAILURES_PER_ACCOUNT: '1000000',
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    DATA_DIR: path.join(ROOT, '.bench', 'server-data'),
  });
  if (opts.catalogCache === 'off') env.CATALOG_CACHE_ENTRIES = '0';
  // The compiled catalog read path (answers marked `x-catalog-path: compiled`); the server's default when not given.
  if (opts.catalogCompiled) env.CATALOG_COMPILED = opts.catalogCompiled;
  const nodeArgs: string[] = [...opts.nodeFlags];
  if (opts.cpuProf) {
    mkdirSync(opts.profileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`);
  }
  if (opts.from === 'source') nodeArgs.push('-r', '@swc-node/register', path.join(ROOT, 'src', 'server.ts'));
  else nodeArgs.push(path.join(ROOT, 'dist', 'src', 'server.js'));

  const child = startChild('server', process.execPath, nodeArgs, { cwd: ROOT, env, logFile: opts.logFile });
  cleanup.add('marketplace server', () => child.stop());
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/readyz`, child, 120_000, 'the marketplace server');
  if (opts.workers > 1) {
    const deadline = Date.now() + 60_000;
    while (childPids(child.pid).length < opts.workers) {
      if (Date.now() > deadline) throw new Error(`only ${childPids(child.pid).length} of ${opts.workers} workers started:\n${child.tail()}`);
      await sleep(200);
    }
    // Every worker has forked; give the last ones time to listen before load arrives.
    for (let i = 0; i < opts.workers * 4; i++) await waitReady(`${url}/readyz`, child, 30_000, 'the marketplace server');
  }
  log(`server ready at ${url} (${opts.workers} worker${opts.workers > 1 ? 's' : ''}, pool ${opts.poolMax} each, from ${opts.from}, catalog cache ${opts.catalogCache}${opts.catalogCompiled ? `, catalog compiled ${opts.catalogCompiled}` : ''}, pid ${child.pid})`);

  return {
    child,
    url,
    webhookSecret,
    workers: opts.workers,
    profileDir: opts.cpuProf ? opts.profileDir : undefined,
    rss() {
      const workers = opts.workers > 1 ? childPids(child.pid) : [child.pid];
      return { primaryMb: vmRssMb(child.pid), workersMb: workers.map(vmRssMb).filter((n) => !Number.isNaN(n)) };
    },
    async sqlMetric() {
      const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      return { sum: read('graphql_sql_queries_per_request_sum'), count: read('graphql_sql_queries_per_request_count') };
    },
  };
}
