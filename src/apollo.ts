import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { type GraphQLError, type GraphQLFormattedError, type ValidationContext } from 'graphql';
import type { Config } from './config';
import type { Context } from './context';
import { PUBLIC_ERROR_CODES, QueryTooComplexError } from './errors';
import { type Metrics, operationLabel } from './metrics';

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

const SAFE_EXTENSIONS = ['field', 'retryAfterSeconds'] as const;

/**
 * Errors with a public code keep their message and safe extensions; anything else is masked:
 * a generic message with INTERNAL_SERVER_ERROR. No stack traces or SQL ever reach a client.
 * (The request id is added later, in `willSendResponse`, where the context is known.)
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = publicCode(error);
  if (!code) {
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  const extensions: Record<string, unknown> = { code };
  const source = formatted.extensions ?? {};
  for (const key of SAFE_EXTENSIONS) if (key in source) extensions[key] = source[key];
  return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
}

/** Depth, cost and alias limits, checked before execution; a rejection is QUERY_TOO_COMPLEX. */
function armor(config: Config) {
  const reject = [
    (ctx: ValidationContext | null, error: GraphQLError) =>
      ctx?.reportError(new QueryTooComplexError(error.message.replace(/^Syntax Error: /, ''))),
  ];
  const limit = { onReject: reject, propagateOnRejection: false };
  return new ApolloArmor({
    maxDepth: { n: config.limits.maxQueryDepth, ...limit },
    costLimit: { maxCost: config.limits.maxQueryCost, ...limit },
    maxAliases: { n: config.limits.maxQueryAliases, ...limit },
    maxDirectives: { n: 50, ...limit },
    // Token counting re-parses in a plugin that relabels syntax errors; BODY_LIMIT_BYTES bounds size instead.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: config.isProduction },
  }).protect();
}

/** Logs unexpected errors with stack and request id; counts operations and errors; tags errors with the request id. */
function observability(metrics: Metrics): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            const code = publicCode(error) ?? 'INTERNAL_SERVER_ERROR';
            metrics.errors.inc({ operation_name: operationLabel(operationName), code });
            if (code === 'INTERNAL_SERVER_ERROR') {
              const cause = error.originalError ?? error;
              contextValue.log?.error({ err: cause, path: error.path, operationName }, 'unexpected error while handling a GraphQL request');
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
