import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one server process, served at GET /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by method, route and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    operations: new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations executed, by operation name and type.',
      labelNames: ['operation_name', 'operation_type'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors returned, by operation name and error code.',
      labelNames: ['operation_name', 'code'] as const,
      registers: [registry],
    }),
    sqlQueries: new Histogram({
      name: 'graphql_sql_queries_per_request',
      help: 'SQL statements sent to PostgreSQL per GraphQL HTTP request.',
      buckets: [0, 1, 2, 3, 4, 6, 8, 12, 20, 50],
      registers: [registry],
    }),
    liveSockets: new Gauge({
      name: 'graphql_ws_sockets_open',
      help: 'Open GraphQL subscription WebSockets (graphql-ws on /graphql).',
      registers: [registry],
    }),
    liveSlowConsumers: new Counter({
      name: 'graphql_ws_slow_consumers_total',
      help: 'Subscriptions ended (SLOW_CONSUMER) and sockets closed because the client read too slowly, by what was ended.',
      labelNames: ['ended'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Operation names are client-chosen: keep the label set bounded. */
export function operationLabel(name: string | null | undefined): string {
  return name && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ? name : 'anonymous';
}
