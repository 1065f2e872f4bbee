import 'reflect-metadata';
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { buildApp } from './app';
import { type Config, ConfigError, loadConfig } from './config';
import { openDatabase } from './db/database';
import { DatabaseSetupError } from './db/postgres';
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

/** What the primary sends a worker to stop it: a message, so the worker can tell it from a signal. */
const STOP_MESSAGE = 'marketplace:stop';

/**
 * A signal this soon after the first stop request is the same request delivered twice: a parent
 * that forwards signals (npm, where its shell execs node) passes on the SIGINT/SIGTERM the terminal
 * or systemd already sent to the whole process group.
 */
const SAME_REQUEST_MS = 1000;

/**
 * Calls `stop` once, on the first SIGTERM or SIGINT or, in a cluster worker, on the primary's stop
 * message. Under systemd (KillMode=control-group) or a terminal's Ctrl-C a worker gets both the
 * group's signal and the primary's request: one shutdown. A signal more than SAME_REQUEST_MS after
 * the first is someone insisting: `force`.
 */
function onStopRequest(logger: Logger, stop: (reason: string) => void, force: () => void): void {
  let firstAt: number | undefined;
  const request = (reason: string, fromSignal: boolean) => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      return stop(reason);
    }
    if (fromSignal && Date.now() - firstAt > SAME_REQUEST_MS) {
      logger.warn({ signal: reason }, 'second signal: exiting now');
      return force();
    }
    logger.debug({ reason }, 'already shutting down');
  };
  process.on('SIGTERM', (signal) => request(signal, true));
  process.on('SIGINT', (signal) => request(signal, true));
  if (cluster.isWorker) {
    process.on('message', (message) => {
      if (message === STOP_MESSAGE) request('primary', false);
    });
  }
}

async function serve(config: Config, logger: Logger, options: { migrate: boolean; jobs: boolean }): Promise<void> {
  // Until the server listens, a stop request is only noted: it is honoured once start-up is
  // complete, so nothing is left half-open.
  const state: { requested?: string; stop?: (reason: string) => Promise<void> } = {};
  onStopRequest(
    logger,
    (reason) => {
      if (state.stop) void state.stop(reason);
      else state.requested = reason;
    },
    () => process.exit(130),
  );

  const runtime = await openRuntime(config, logger, options);
  const app = await buildApp({ config, orm: runtime.db.orm, logger, rateLimits: runtime.rateLimits, bus: runtime.bus });
  if (state.requested === undefined) {
    await app.http.listen({ host: config.host, port: config.port });
    logger.info({ port: config.port, env: config.env, jobs: options.jobs }, `marketplace server ready at http://localhost:${config.port}/graphql`);
  }
  state.stop = async (reason) => {
    logger.info({ reason }, 'shutting down: draining in-flight requests');
    try {
      await app.close();
      await runtime.close();
      logger.info('shutdown complete');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  if (state.requested !== undefined) await state.stop(state.requested);
}

async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const log = logger.child({ role: 'primary' });
  const state: { stopping: boolean; stopWorkers?: () => Promise<void> } = { stopping: false };
  const workers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));
  onStopRequest(
    log,
    (reason) => {
      state.stopping = true;
      log.info({ reason }, 'shutting down: draining every worker');
      void state.stopWorkers?.();
    },
    () => {
      for (const w of workers()) w.process.kill('SIGKILL');
      process.exit(130);
    },
  );

  // Migrate once, before any worker serves; keep the embedded PostgreSQL (if any) for the workers.
  const db = await openDatabase(config, log, { migrate: true, createDatabase: true });
  await db.orm.close(true);
  state.stopWorkers = async () => {
    await Promise.all(
      workers().map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const kill = setTimeout(() => w.process.kill('SIGKILL'), 30_000);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (w.isConnected()) w.send(STOP_MESSAGE);
            else w.process.kill('SIGTERM');
          }),
      ),
    );
    await db.embedded?.stop();
    log.info('shutdown complete');
    process.exit(0);
  };
  if (state.stopping) return state.stopWorkers();

  const env = { DATABASE_URL: db.url };
  const fork = (runsJobs: boolean): Worker => {
    const worker = cluster.fork({ ...env, MARKETPLACE_RUN_JOBS: runsJobs ? '1' : '0' });
    worker.on('exit', (code, signal) => {
      if (state.stopping) return;
      log.error({ worker: worker.id, code, signal }, 'worker died; starting another');
      setTimeout(() => {
        if (!state.stopping) fork(runsJobs);
      }, 1000).unref();
    });
    return worker;
  };
  for (let i = 0; i < config.webConcurrency; i++) fork(i === 0);
  log.info({ workers: config.webConcurrency, port: config.port }, 'primary started the workers');
}

main().catch((err) => {
  // A problem the operator must fix is said in one line; anything else keeps its stack.
  if (err instanceof DatabaseSetupError) {
    console.error(err.message);
    process.exit(78);
  }
  console.error('server failed to start:', err);
  process.exit(1);
});
