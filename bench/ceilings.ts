import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';
import { BENCH_SMTP_URL } from './server';
import { createContext } from '../src/context';
import { withQueryCount } from '../src/db/queryCounter';
import { createLogger } from '../src/logger';
import { createRateLimits } from '../src/services/identity';
import { CpuMeter, type CpuUse } from './cpu';
import type { BenchDatabase } from './database';
import { type Cleanup, freePort, sleep, startChild } from './lifecycle';
import { drive, type LoadResult } from './load';
import { waitReady } from './server';
import { Latencies } from './stats';

export interface Captured {
  /** Statements as the server sends them to PostgreSQL (MikroORM inlines the parameters). */
  statements: string[];
}

/**
 * The SQL one GraphQL request sends, captured from the server's own code: the app is built in this
 * process on the bench database and each operation runs through Apollo with the ORM's statement
 * recorder on. (Through `inject` the recorder's async context would be lost in body parsing; the
 * HTTP layer sends no SQL of its own for an anonymous read.)
 */
export async function captureStatements(db: BenchDatabase, requests: Record<string, string>): Promise<Record<string, Captured>> {
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    PAYMENT_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
    PAYOUT_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
    SMTP_URL: BENCH_SMTP_URL,
    PUBLIC_URL: 'https://bench.example',
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger(config);
  const app = await buildApp({ config, orm: db.orm, logger, rateLimits: createRateLimits(config, { knex: db.orm.em.getKnex() }) });
  const platform = db.orm.em.getPlatform();
  const out: Record<string, Captured> = {};
  try {
    for (const [name, payload] of Object.entries(requests)) {
      const { query, variables } = JSON.parse(payload) as { query: string; variables: Record<string, unknown> };
      const { result, statements } = await withQueryCount(async () => {
        const contextValue = await createContext(app.deps, db.orm.em.fork(), { id: `bench-capture-${name}`, log: logger as unknown as FastifyBaseLogger, ip: '127.0.0.1' });
        return app.apollo.executeOperation({ query, variables }, { contextValue });
      }, true);
      const body = result.body;
      if (body.kind !== 'single' || body.singleResult.errors?.length) throw new Error(`capturing ${name}: ${JSON.stringify(body.kind === 'single' ? body.singleResult.errors : body.kind)}`);
      out[name] = { statements: statements.map((s) => platform.formatQuery(s.sql, [...s.params])) };
    }
  } finally {
    await app.close();
  }
  return out;
}

/**
 * The database ceiling: `connections` loops on a plain pg Pool (as many connections as the server's
 * workers hold in all), each iteration sending the captured statements as the server does: the
 * page query first, then the rest (count and the DataLoader batches) at once.
 */
export async function pgLoop(
  url: string,
  statements: string[],
  opts: { connections: number; poolMax: number; warmup: number; seconds: number; cpu?: CpuMeter },
): Promise<LoadResult & { cpu?: CpuUse }> {
  const pool = new Pool({ connectionString: url, max: opts.poolMax });
  // An idle client's error (the database going away at the end of a run) must not crash the harness.
  pool.on('error', () => undefined);
  const [first, ...rest] = statements;
  let errors = 0;
  let sample: string | undefined;
  const once = async () => {
    await pool.query(first);
    await Promise.all(rest.map((s) => pool.query(s)));
  };
  const run = async (seconds: number, latencies?: Latencies) => {
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: opts.connections }, async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            await once();
            latencies?.record(performance.now() - t0);
          } catch (err) {
            errors++;
            sample ??= err instanceof Error ? err.message : String(err);
            if (errors > 100) return;
          }
        }
      }),
    );
  };
  try {
    if (opts.warmup > 0) await run(opts.warmup);
    errors = 0;
    const latencies = new Latencies();
    opts.cpu?.begin();
    const started = performance.now();
    await run(opts.seconds, latencies);
    const seconds = (performance.now() - started) / 1000;
    const cpu = opts.cpu?.end(latencies.count);
    return {
      cpu,
      ...latencies.result(seconds),
      errors,
      non2xx: 0,
      gqlErrors: 0,
      sample,
    };
  } finally {
    await pool.end();
  }
}

/** The HTTP ceiling: bare Fastify in its own process(es), `GET /` with a body of the listing's bytes. */
export async function bareFastify(
  body: string,
  opts: { workers: number; connections: number; warmup: number; seconds: number; resultsDir: string; logFile: string },
  cleanup: Cleanup,
): Promise<LoadResult> {
  const bodyFile = path.join(opts.resultsDir, '.bare-fastify-body.json');
  writeFileSync(bodyFile, body);
  const port = await freePort();
  const child = startChild('bare Fastify', process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'bareFastify.ts')], {
    cwd: path.resolve(__dirname, '..'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: String(port), WORKERS: String(opts.workers), BODY_FILE: bodyFile },
    logFile: opts.logFile,
  });
  cleanup.add('bare Fastify', () => child.stop(5000));
  try {
    const url = `http://127.0.0.1:${port}/`;
    await waitReady(url, child, 60_000, 'bare Fastify');
    // Let the remaining workers come up.
    await sleep(opts.workers > 1 ? 1500 : 0);
    const spec = { url, connections: opts.connections, requests: [{ method: 'GET' as const, path: '/' }], verify: (b: string) => b.length === body.length };
    if (opts.warmup > 0) await drive({ ...spec, seconds: opts.warmup });
    return await drive({ ...spec, seconds: opts.seconds });
  } finally {
    await child.stop(5000);
  }
}

/**
 * The HTTP + database ceiling: bare Fastify on `workers` processes, each with a pg Pool of
 * `poolMax` (the server's DATABASE_POOL_MAX), answering `GET /` with the listing page's JSON built
 * by one statement in PostgreSQL (bench/bareFastifyPg.ts). CPU per request is measured like the
 * server's: the ceiling's processes, and PostgreSQL's when it is the embedded one.
 */
export async function bareFastifyPg(
  databaseUrl: string,
  opts: { workers: number; poolMax: number; connections: number; warmup: number; seconds: number; logFile: string; postmasterPid?: number },
  cleanup: Cleanup,
): Promise<LoadResult & { bodyBytes: number; poolMax: number; cpu?: CpuUse }> {
  const port = await freePort();
  const child = startChild('bare Fastify + pg', process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'bareFastifyPg.ts')], {
    cwd: path.resolve(__dirname, '..'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: String(port), WORKERS: String(opts.workers), DATABASE_URL: databaseUrl, POOL_MAX: String(opts.poolMax) },
    logFile: opts.logFile,
  });
  cleanup.add('bare Fastify + pg', () => child.stop(5000));
  try {
    const url = `http://127.0.0.1:${port}/`;
    await waitReady(url, child, 60_000, 'bare Fastify + pg');
    // Let the remaining workers come up.
    await sleep(opts.workers > 1 ? 1500 : 0);
    const sampleBody = await (await fetch(url)).text();
    const page = JSON.parse(sampleBody) as { data?: { products?: { nodes?: unknown[] } } };
    if (!page.data?.products?.nodes?.length) throw new Error(`bare Fastify + pg answered no products: ${sampleBody.slice(0, 300)}`);
    const spec = { url, connections: opts.connections, requests: [{ method: 'GET' as const, path: '/' }], verify: (b: string) => b.startsWith('{"data" : {"products" : {"nodes" : [{') };
    if (opts.warmup > 0) await drive({ ...spec, seconds: opts.warmup });
    const cpu = new CpuMeter(child.pid, opts.postmasterPid);
    cpu.begin();
    const result = await drive({ ...spec, seconds: opts.seconds });
    return { ...result, cpu: cpu.end(result.requests), bodyBytes: Buffer.byteLength(sampleBody), poolMax: opts.poolMax };
  } finally {
    await child.stop(5000);
  }
}

/** EXPLAIN (ANALYZE, BUFFERS) of every captured statement, run twice so the second, warm plan is the one kept. */
export async function explainStatements(db: BenchDatabase, captured: Record<string, Captured>): Promise<{ text: string; summary: { scenario: string; statement: number; ms: number; sql: string }[] }> {
  const parts: string[] = [];
  const summary: { scenario: string; statement: number; ms: number; sql: string }[] = [];
  for (const [name, { statements }] of Object.entries(captured)) {
    for (const [i, sql] of statements.entries()) {
      await db.sql(`explain (analyze) ${sql}`);
      const rows = await db.sql<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${sql}`);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN);
      summary.push({ scenario: name, statement: i + 1, ms, sql: sql.replace(/\s+/g, ' ').slice(0, 160) });
      parts.push(`-- ${name}, statement ${i + 1} of ${statements.length}: ${ms} ms\n${sql}\n\n${plan}\n`);
    }
  }
  return { text: parts.join('\n'), summary };
}
