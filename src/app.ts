import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { createApollo } from './apollo';
import type { Config } from './config';
import { type AppDeps, type Context, createContext } from './context';
import { runCountingQueries } from './db/queryCounter';
import { createMetrics, type Metrics } from './metrics';
import { type Clock, systemClock } from './services/shared';
import type { RateLimits } from './services/identity';
import { CatalogCache } from './catalogCache';
import { buildSchema } from './schema';
import { paymentWebhooks } from './webhooks';

export interface App {
  http: FastifyInstance;
  apollo: ApolloServer<Context>;
  metrics: Metrics;
  deps: AppDeps;
  /**
   * Stops accepting connections and waits for in-flight requests: Apollo's drain closes Fastify
   * (idle keep-alive sockets are cut after 10 s), then Apollo itself stops.
   */
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  orm: MikroORM;
  logger: Logger;
  rateLimits: RateLimits;
  /** Time source of business rules; tests pass a ManualClock. */
  clock?: Clock;
}

/** Whether any string in a parsed JSON value contains U+0000. */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
  return false;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

declare module 'fastify' {
  interface FastifyRequest {
    sqlQueries?: { count: number };
    catalogCacheKey?: { key: string; version: number };
  }
}

/**
 * Builds the HTTP server: Fastify with Apollo on /graphql, health, readiness and metrics. Used by
 * `src/server.ts` and by the tests, which drive it over real HTTP or `inject`.
 */
export async function buildApp({ config, orm, logger, rateLimits, clock = systemClock }: AppOptions): Promise<App> {
  const metrics = createMetrics();
  const deps: AppDeps = { config, rateLimits, clock };

  const http = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.limits.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // One debug line per request from onResponse below, instead of Fastify's two info lines.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // Honour a well-formed request id from a proxy so logs join up across hops.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });

  let closing = false;
  http.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // While draining, answer and close the connection, so keep-alive clients reconnect elsewhere
  // and shutdown does not wait for idle sockets.
  http.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  http.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000);
    if (request.sqlQueries) metrics.sqlQueries.observe(request.sqlQueries.count);
    request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request completed');
  });

  const cache = new CatalogCache(config.catalogCacheEntries, String(orm.config.get('clientUrl')), logger);
  await cache.start();
  // Store cacheable answers on their way out: only complete, error-free ones.
  http.addHook('onSend', async (request, reply, payload) => {
    const slot = request.catalogCacheKey;
    if (slot && reply.statusCode === 200 && typeof payload === 'string' && !payload.includes('"errors"')) cache.set(slot.key, slot.version, payload);
    return payload;
  });

  const apollo = createApollo(config, buildSchema(), metrics, [fastifyApolloDrainPlugin(http)]);
  await apollo.start();

  const graphqlHandler = fastifyApolloHandler(apollo, {
    context: async (request) =>
      createContext(deps, orm.em.fork(), {
        id: request.id,
        log: request.log,
        ip: request.ip,
        authorization: request.headers.authorization,
        userAgent: request.headers['user-agent'],
      }),
  });

  http.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/graphql',
    preValidation: async (request, reply) => {
      // PostgreSQL cannot store NUL characters: refuse them up front rather than fail mid-request.
      if (hasNul(request.body) || hasNul(request.query)) {
        return reply.code(400).send({ errors: [{ message: 'Strings may not contain NUL characters', extensions: { code: 'BAD_USER_INPUT' } }] });
      }
      if (Array.isArray(request.body) && request.body.length > config.limits.maxBatchOperations) {
        return reply.code(400).send({
          errors: [{ message: `At most ${config.limits.maxBatchOperations} operations per batch`, extensions: { code: 'BAD_REQUEST' } }],
        });
      }
    },
    preHandler: async (request, reply) => {
      if (request.method !== 'POST' || request.headers.authorization) return;
      const slot = cache.keyFor(request.body);
      if (!slot) return;
      const hit = cache.get(slot.key);
      if (hit !== undefined) return reply.header('content-type', 'application/json; charset=utf-8').header('x-catalog-cache', 'hit').send(hit);
      request.catalogCacheKey = slot;
    },
    handler(request, reply) {
      return runCountingQueries((scope) => {
        request.sqlQueries = scope;
        return graphqlHandler.call(this, request as Parameters<typeof graphqlHandler>[0], reply as Parameters<typeof graphqlHandler>[1]);
      });
    },
  });

  // Masked errors outside GraphQL too: no stack or SQL in any response.
  http.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'unhandled error');
    reply.code(status).send({ error: status >= 500 ? 'Internal server error' : error.message, requestId: request.id });
  });

  // After the error handler, so the webhook scope inherits it.
  await http.register(paymentWebhooks, { orm, deps });

  http.get('/healthz', async () => ({ status: 'ok' }));

  http.get('/readyz', async (request, reply) => {
    try {
      await Promise.race([
        orm.em.getConnection().execute('select 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('database check timed out')), 2000).unref()),
      ]);
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable', reason: 'database' });
    }
  });

  http.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return {
    http,
    apollo,
    metrics,
    deps,
    close: async () => {
      closing = true;
      await apollo.stop();
      await cache.close();
    },
  };
}
