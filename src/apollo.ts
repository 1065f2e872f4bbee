import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type GraphQLFormattedError, type ValidationContext } from 'graphql';
import type { Config } from './config';
import type { Context } from './context';
import { PUBLIC_ERROR_CODES, QueryTooComplexError } from './errors';
import { type Metrics, operationLabel } from './metrics';
import { passwordChangeRefusal } from './permissions/passwordChange';

/** The public code of an error, looking through wrappers (resolver paths, validation) to the cause. */
export function publicCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as GraphQLError).extensions?.code;
    if (typeof code === 'string' && PUBLIC_ERROR_CODES.has(code)) {
      // Apollo relabels every validation error; a limit rejection keeps its own code underneath.
      const inner = (current as GraphQLError).originalError as GraphQLError | undefined;
      const innerCode = inner?.extensions?.code;
      return typeof innerCode === 'string' && PUBLIC_ERROR_CODES.has(innerCode) ? innerCode : code;
    }
    current = (current as GraphQLError).originalError;
  }
  return undefined;
}

/**
 * SQLSTATEs and socket errors meaning the database connection, not the statement, failed; and the
 * two rollbacks PostgreSQL asks clients to retry (the whole transaction was undone, nothing applied).
 */
const CONNECTION_ERROR_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown: the backend was terminated (pg_terminate_backend, a restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** Messages of the driver (pg) and the pool (knex, through MikroORM) that carry no code. */
// "Transaction query already complete": knex's answer to the next query of a transaction whose
// connection died before it began (it swallows the first error). Our transactions are scoped by
// em.transactional and never used after commit, so here it means a lost connection (the fault
// suite terminating backends mid-storm sees it).
const CONNECTION_ERROR_MESSAGES = /Connection terminated|is not queryable|Timeout acquiring a connection|Transaction query already complete/i;

/**
 * Whether an error, or anything it wraps, is a lost or refused database connection (SQLSTATE class
 * 08 and the codes above), a pool that could not hand out a connection in time, or a transaction
 * PostgreSQL rolled back as a deadlock victim or a serialization failure. Such failures are
 * transient: the same request succeeds once the database is back or the conflict has passed.
 */
export function isConnectionError(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.size < 10) {
    const current = pending.pop();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const { code, message, originalError, cause, errors } = current as { code?: unknown; message?: unknown; originalError?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (typeof message === 'string' && CONNECTION_ERROR_MESSAGES.test(message)) return true;
    pending.push(originalError, cause);
    // Node reports a refused connection to every address of a host as one AggregateError.
    if (Array.isArray(errors)) pending.push(...errors.slice(0, 3));
  }
  return false;
}

/** The code a client sees for an error: its public code, SERVICE_UNAVAILABLE for a lost database, else INTERNAL_SERVER_ERROR. */
export function errorCode(error: unknown): string {
  return publicCode(error) ?? clientRefusal(error) ?? variableErrorLimit(error) ?? (isConnectionError(error) ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR');
}

/**
 * graphql-js stops coercing variables after 50 invalid values and appends one bare error saying
 * so, with no code or location for Apollo to recognise: the client's mistake, like the 50 before it.
 */
function variableErrorLimit(error: unknown): 'BAD_USER_INPUT' | undefined {
  if (!(error instanceof GraphQLError) || error.originalError || error.path) return undefined;
  return error.message.startsWith('Too many errors processing variables') ? 'BAD_USER_INPUT' : undefined;
}

/**
 * Apollo refuses some malformed requests with a bare GraphQLError carrying only an HTTP 4xx status
 * (a persisted-query hash that does not match the query, an unknown persisted-query version):
 * those are the client's mistake, so BAD_REQUEST rather than a masked internal error. Errors from
 * resolvers have a path and never qualify.
 */
function clientRefusal(error: unknown): 'BAD_REQUEST' | undefined {
  if (!(error instanceof GraphQLError) || error.originalError || error.path) return undefined;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? 'BAD_REQUEST' : undefined;
}

const SAFE_EXTENSIONS = ['field', 'retryAfterSeconds'] as const;

/**
 * Errors with a public code keep their message and safe extensions; a lost database connection is
 * SERVICE_UNAVAILABLE with `retryable: true`; anything else is masked: a generic message with
 * INTERNAL_SERVER_ERROR. No stack traces or SQL ever reach a client.
 * (The request id is added later, in `willSendResponse`, where the context is known.)
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = errorCode(error);
  if (code === 'INTERNAL_SERVER_ERROR') {
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code } };
  }
  if (code === 'SERVICE_UNAVAILABLE') {
    return {
      message: 'The service is briefly unavailable; retry the request',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code, retryable: true },
    };
  }
  const extensions: Record<string, unknown> = { code };
  const source = formatted.extensions ?? {};
  for (const key of SAFE_EXTENSIONS) if (key in source) extensions[key] = source[key];
  return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
}

/** Depth, cost and alias limits, checked before execution; a rejection is QUERY_TOO_COMPLEX. Subscriptions (src/realtime/ws.ts) validate with the same. */
export function armor(config: Config) {
  const reject = [
    (ctx: ValidationContext | null, error: GraphQLError) =>
      ctx?.reportError(new QueryTooComplexError(error.message.replace(/^Syntax Error: /, ''))),
  ];
  const limit = { onReject: reject, propagateOnRejection: false };
  return new ApolloArmor({
    maxDepth: { n: config.limits.maxQueryDepth, ...limit },
    costLimit: { maxCost: config.limits.maxQueryCost, ...limit },
    // Every alias counts: the default allow-list lets `a1: __typename … a1000: __typename` through.
    maxAliases: { n: config.limits.maxQueryAliases, allowList: [], ...limit },
    maxDirectives: { n: 50, ...limit },
    // Token counting re-parses in a plugin that relabels syntax errors; BODY_LIMIT_BYTES bounds size instead.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: config.isProduction },
  }).protect();
}

/**
 * Subscriptions have no transport here: over HTTP, graphql-js would fail them with an internal
 * error. Refused as the client's mistake instead, before anything runs.
 */
function noSubscriptionsOverHttp(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError('Subscriptions are not supported over HTTP', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
          }
        },
      };
    },
  };
}

/**
 * While risk control requires the signed-in user to change their password, every operation but
 * changePassword, logout, refreshSession and `me` is refused with PASSWORD_CHANGE_REQUIRED (HTTP
 * 403) before anything runs. The flag comes with the viewer's user row (src/context.ts).
 */
function passwordChangeGate(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          const refusal = operation && passwordChangeRefusal(contextValue.viewer?.user, document, operation);
          if (refusal) throw refusal;
        },
      };
    },
  };
}

/** Logs unexpected errors with stack and request id; counts operations and errors; tags errors with the request id. */
function observability(metrics: Metrics): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            const code = errorCode(error);
            metrics.errors.inc({ operation_name: operationLabel(operationName), code });
            const cause = error.originalError ?? error;
            if (code === 'INTERNAL_SERVER_ERROR') {
              contextValue.log?.error({ err: cause, path: error.path, operationName }, 'unexpected error while handling a GraphQL request');
            } else if (code === 'SERVICE_UNAVAILABLE') {
              contextValue.log?.warn({ err: cause, path: error.path, operationName }, 'database connection failed while handling a GraphQL request');
            }
          }
        },
        async willSendResponse({ response, contextValue, operationName, operation }) {
          metrics.operations.inc({ operation_name: operationLabel(operationName), operation_type: operation?.operation ?? 'unknown' });
          if (response.body.kind === 'single' && response.body.singleResult.errors && contextValue.requestId) {
            response.body.singleResult.errors = response.body.singleResult.errors.map((e) => ({
              ...e,
              extensions: { ...e.extensions, requestId: contextValue.requestId },
            }));
          }
        },
      };
    },
  };
}

export function createApollo(config: Config, schema: import('graphql').GraphQLSchema, metrics: Metrics, extraPlugins: ApolloServerPlugin<Context>[] = []) {
  const limits = armor(config);
  return new ApolloServer<Context>({
    schema,
    introspection: !config.isProduction,
    csrfPrevention: true,
    // src/server.ts owns signal handling; Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: true,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.isProduction,
    formatError,
    validationRules: limits.validationRules,
    plugins: [
      ...limits.plugins,
      noSubscriptionsOverHttp(),
      passwordChangeGate(),
      observability(metrics),
      // No @cacheControl hints or HTTP cache headers are used (the catalog cache is our own, with
      // invalidation); Apollo's default plugin would otherwise wrap every field resolver to collect them.
      ApolloServerPluginCacheControlDisabled(),
      // Inline tracing only serves Apollo's hosted studio, which this server never reports to.
      ApolloServerPluginInlineTraceDisabled(),
      ...(config.isProduction ? [ApolloServerPluginLandingPageDisabled()] : []),
      ...extraPlugins,
    ],
  });
}
