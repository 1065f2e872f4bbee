import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { armor, createApollo, isConnectionError } from './apollo';
import { CatalogReads } from './catalogReads';
import type { Config } from './config';
import { type AppDeps, type Context, createContext } from './context';
import { runCountingQueries } from './db/queryCounter';
import { createMetrics, type Metrics } from './metrics';
import { type Clock, systemClock } from './services/shared';
import type { RateLimits } from './services/identity';
import { CatalogCache } from './catalogCache';
import { buildSchema } from './schema';
import { createLiveBus, type LiveBus } from './realtime/bus';
import { type LiveServer, startSubscriptions } from './realtime/ws';
import { webhooks } from './webhooks';
import { exportRoutes } from './exports';
import { dashboardRoutes } from './dashboard';
import { riskSignals } from './services/risk/signals';

export interface App {
  http: FastifyInstance;
  apollo: ApolloServer<Context>;
  metrics: Metrics;
  deps: AppDeps;
  /** GraphQL subscriptions over graphql-ws on the same port and path (src/realtime/ws.ts). */
  live: LiveServer;
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
  /** The process's live bus (the runtime's, shared with the job workers); without one the app makes its own and closes it with itself. */
  bus?: LiveBus;
}

/**
 * Deepest nesting of objects and arrays accepted in a request's JSON: far beyond any input type of
 * the schema, and deep enough bodies are refused before anything walks them recursively.
 */
const MAX_JSON_DEPTH = 64;

/**
 * What is wrong with a parsed JSON value, if anything: a string or key containing U+0000 (which
 * PostgreSQL cannot store), or nesting deeper than MAX_JSON_DEPTH. Iterative, so no body can
 * overflow the stack.
 */
function jsonProblem(value: unknown): 'nul' | 'too-deep' | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.value === 'string') {
      if (next.value.includes('\u0000')) return 'nul';
    } else if (next.value !== null && typeof next.value === 'object') {
      if (next.depth >= MAX_JSON_DEPTH) return 'too-deep';
      for (const [key, item] of Object.entries(next.value)) {
        if (key.includes('\u0000')) return 'nul';
        pending.push({ value: item, depth: next.depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * Deepest nesting of braces, parentheses and brackets accepted in a GraphQL document's text:
 * beyond any query the depth limit (MAX_QUERY_DEPTH ≤ 100) and the JSON depth allow, and shallow
 * enough that graphql-js's recursive parser cannot overflow the stack before the limits run.
 */
const MAX_DOCUMENT_NESTING = 256;

/** Whether a document's text nests deeper than MAX_DOCUMENT_NESTING, strings and comments aside. One pass. */
function documentTooDeep(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (c === '"') {
      if (text.startsWith('"""', i)) {
        const end = text.indexOf('"""', i + 3);
        i = end < 0 ? text.length : end + 2;
      } else {
        for (i++; i < text.length && text[i] !== '"' && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
      }
    } else if (c === '{' || c === '(' || c === '[') {
      if (++depth > MAX_DOCUMENT_NESTING) return true;
    } else if (c === '}' || c === ')' || c === ']') {
      depth--;
    }
  }
  return false;
}

/** The `query` texts of a request: one, or one per operation of a batch. */
function documentsOf(params: unknown): string[] {
  const list = Array.isArray(params) ? params : [params];
  return list.map((p) => (p as { query?: unknown } | null)?.query).filter((q): q is string => typeof q === 'string');
}

/** A GET request's parameters, with `variables` and `extensions` parsed as Apollo will parse them. */
function getParameters(query: unknown): unknown[] {
  const values: unknown[] = [query];
  for (const name of ['variables', 'extensions']) {
    const raw = (query as Record<string, unknown> | undefined)?.[name];
    if (typeof raw !== 'string') continue;
    try {
      values.push(JSON.parse(raw));
    } catch {
      // Apollo answers malformed JSON itself.
    }
  }
  return values;
}

/**
 * Whether a GraphQL response (one result or a batch) failed entirely for want of the database: no
 * data anywhere and only SERVICE_UNAVAILABLE errors. Then the whole request may be retried as is.
 */
function whollyUnavailable(payload: string): boolean {
  if (!payload.includes('"SERVICE_UNAVAILABLE"')) return false;
  try {
    const body = JSON.parse(payload) as unknown;
    const results = (Array.isArray(body) ? body : [body]) as { data?: unknown; errors?: { extensions?: { code?: unknown } }[] }[];
    return results.every((r) => r.data == null && !!r.errors?.length && r.errors.every((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE'));
  } catch {
    return false;
  }
}

/** Seconds a client is asked to wait before retrying a request that found the database unavailable. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

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
export async function buildApp({ config, orm, logger, rateLimits, clock = systemClock, bus: sharedBus }: AppOptions): Promise<App> {
  const metrics = createMetrics();
  const bus = sharedBus ?? createLiveBus(config, String(orm.config.get('clientUrl')), logger);
  const deps: AppDeps = { config, rateLimits, clock, bus };

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
  // A GraphQL request that failed only because the database was lost is 503 with Retry-After, so
  // clients and proxies retry it; a partial answer stays 200 with per-field errors.
  http.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.url === '/graphql' && typeof payload === 'string' && reply.statusCode !== 503 && whollyUnavailable(payload)) {
      reply.code(503).header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    }
    return payload;
  });
  http.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000);
    if (request.sqlQueries) metrics.sqlQueries.observe(request.sqlQueries.count);
    request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request completed');
  });

  const cache = new CatalogCache(config.catalogCacheEntries, String(orm.config.get('clientUrl')), logger, config.catalog.countTtlSeconds > 0 ? config.catalog.countTtlSeconds * 1000 : undefined);
  await cache.start();
  // Store cacheable answers on their way out: only complete, error-free ones.
  http.addHook('onSend', async (request, reply, payload) => {
    const slot = request.catalogCacheKey;
    if (slot && reply.statusCode === 200 && typeof payload === 'string' && !payload.includes('"errors"')) cache.set(slot.key, slot.version, payload);
    return payload;
  });

  const schema = buildSchema();
  const apollo = createApollo(config, schema, metrics, [fastifyApolloDrainPlugin(http)]);
  await apollo.start();
  const live = startSubscriptions({ server: http.server, schema, config, deps, orm, logger, metrics, bus });
  await bus.ready();

  // The shoppers' catalog queries, answered by one SQL statement that builds their JSON (src/catalogReads).
  const reads = config.catalog.compiled ? new CatalogReads(schema, armor(config).validationRules, deps, orm, metrics, cache) : undefined;

  const graphqlHandler = fastifyApolloHandler(apollo, {
    context: async (request) =>
      createContext(deps, orm.em.fork(), {
        id: request.id,
        log: request.log,
        ip: request.ip,
        authorization: request.headers.authorization,
        userAgent: request.headers['user-agent'],
        signals: riskSignals(request.headers, config),
      }),
  });

  http.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/graphql',
    preValidation: async (request, reply) => {
      const refuse = (code: string, message: string) => reply.code(400).send({ errors: [{ message, extensions: { code, requestId: request.id } }] });
      const problems = [request.body, ...(request.method === 'GET' ? getParameters(request.query) : [request.query])].map(jsonProblem);
      if (problems.includes('too-deep')) return refuse('BAD_REQUEST', `JSON may not be nested more than ${MAX_JSON_DEPTH} levels deep`);
      if (documentsOf(request.method === 'GET' ? request.query : request.body).some(documentTooDeep)) {
        return refuse('QUERY_TOO_COMPLEX', `A query may not nest braces, parentheses or brackets more than ${MAX_DOCUMENT_NESTING} levels deep`);
      }
      // PostgreSQL cannot store NUL characters: refuse them up front rather than fail mid-request.
      if (problems.includes('nul')) return refuse('BAD_USER_INPUT', 'Strings may not contain NUL characters');
      if (Array.isArray(request.body) && request.body.length > config.limits.maxBatchOperations) {
        return refuse('BAD_REQUEST', `At most ${config.limits.maxBatchOperations} operations per batch`);
      }
    },
    preHandler: async (request, reply) => {
      if (request.method !== 'POST') return;
      if (!request.headers.authorization) {
        const slot = cache.keyFor(request.body);
        if (slot) {
          const hit = cache.get(slot.key);
          if (hit !== undefined) return reply.header('content-type', 'application/json; charset=utf-8').header('x-catalog-cache', 'hit').send(hit);
          request.catalogCacheKey = slot;
        }
      }
      if (reads && (await reads.serve(request, reply))) return reply;
    },
    handler(request, reply) {
      return runCountingQueries((scope) => {
        request.sqlQueries = scope;
        return graphqlHandler.call(this, request as Parameters<typeof graphqlHandler>[0], reply as Parameters<typeof graphqlHandler>[1]);
      });
    },
  });

  // Masked errors outside GraphQL too: no stack or SQL in any response. A lost database is 503.
  http.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (isConnectionError(error)) {
      request.log.warn({ err: error }, 'database connection failed while handling a request');
      return reply.code(503).header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS)).send({ error: 'Service unavailable', requestId: request.id });
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'unhandled error');
    reply.code(status).send({ error: status >= 500 ? 'Internal server error' : error.message, requestId: request.id });
  });

  // After the error handler, so the webhook scope inherits it.
  await http.register(webhooks, { orm, deps });
  await http.register(exportRoutes, { orm, deps });
  await http.register(dashboardRoutes);

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
    live,
    close: async () => {
      closing = true;
      // First: the HTTP server's close waits for every connection, upgraded WebSockets included.
      await live.close();
      await apollo.stop();
      await cache.close();
      if (!sharedBus) await bus.close();
    },
  };
}
