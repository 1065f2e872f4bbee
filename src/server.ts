import 'reflect-metadata';
import { buildApp } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { openRuntime } from './runtime';

/**
 * Starts the server: config, database (migrated), HTTP. On SIGTERM/SIGINT it stops accepting,
 * finishes in-flight requests, closes the ORM and then the embedded database; a second signal
 * exits at once.
 */
async function main(): Promise<void> {
  let config;
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
  const runtime = await openRuntime(config, logger);
  const app = await buildApp({ config, orm: runtime.db.orm, logger, rateLimits: runtime.rateLimits });

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
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
  process.on('SIGTERM', (s) => void shutdown(s));
  process.on('SIGINT', (s) => void shutdown(s));

  await app.http.listen({ host: config.host, port: config.port });
  logger.info({ port: config.port, env: config.env }, `marketplace server ready at http://localhost:${config.port}/graphql`);
}

main().catch((err) => {
  console.error('server failed to start:', err);
  process.exit(1);
});
