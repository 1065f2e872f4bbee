import 'reflect-metadata';
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { buildApp } from './app';
import { type Config, ConfigError, loadConfig } from './config';
import { openDatabase } from './db/database';
import { createLogger } from './logger';
import { openRuntime } from './runtime';

/**
 * Starts the server. With WEB_CONCURRENCY > 1 the primary process migrates the database once,
 * then forks that many workers sharing the port (node:cluster); exactly one worker runs the
 * background jobs. On SIGTERM/SIGINT every process stops accepting, finishes in-flight requests
 * and closes its pool; the primary waits for all workers, then stops the embedded database.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger(config);
  if (cluster.isPrimary && config.webConcurrency > 1) return runPrimary(config, logger);
  const worker = cluster.isWorker;
  return serve(config, worker ? logger.child({ worker: cluster.worker!.id }) : logger, {
    migrate: !worker,
    jobs: config.jobsEnabled && (!worker || process.env.MARKETPLACE_RUN_JOBS === '1'),
  });
}

async function serve(config: Config, logger: Logger, options: { migrate: boolean; jobs: boolean }): Promise<void> {
  const state: { close?: () => Promise<void>; stopping: boolean } = { stopping: false };
  const shutdown = async (signal: NodeJS.Signals) => {
    if (state.stopping && state.close) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    state.stopping = true;
    // A signal during start-up is honoured once the server is up, so nothing is left half-open.
    if (!state.close) return;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    try {
      await state.close();
      logger.info('shutdown complete');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', (s) => void shutdown(s));
  process.on('SIGINT', (s) => void shutdown(s));

  const runtime = await openRuntime(config, logger, options);
  const app = await buildApp({ config, orm: runtime.db.orm, logger, rateLimits: runtime.rateLimits });
  state.close = async () => {
    await app.close();
    await runtime.close();
  };
  if (state.stopping) return shutdown('SIGTERM');

  await app.http.listen({ host: config.host, port: config.port });
  logger.info({ port: config.port, env: config.env, jobs: options.jobs }, `marketplace server ready at http://localhost:${config.port}/graphql`);
}

async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const log = logger.child({ role: 'primary' });
  // Migrate once, before any worker serves; keep the embedded PostgreSQL (if any) for the workers.
  const db = await openDatabase(config, log, { migrate: true });
  await db.orm.close(true);
  const env = { DATABASE_URL: db.url };

  let stopping = false;
  const fork = (runsJobs: boolean): Worker => {
    const worker = cluster.fork({ ...env, MARKETPLACE_RUN_JOBS: runsJobs ? '1' : '0' });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      log.error({ worker: worker.id, code, signal }, 'worker died; starting another');
      setTimeout(() => fork(runsJobs), 1000).unref();
    });
    return worker;
  };
  for (let i = 0; i < config.webConcurrency; i++) fork(i === 0);
  log.info({ workers: config.webConcurrency, port: config.port }, 'primary started the workers');

  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining every worker');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const kill = setTimeout(() => w.process.kill('SIGKILL'), 30_000);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
    await db.embedded?.stop();
    log.info('shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void shutdown(s));
  process.on('SIGINT', (s) => void shutdown(s));
}

main().catch((err) => {
  console.error('server failed to start:', err);
  process.exit(1);
});
