import autocannon from 'autocannon';
import { type LatencySummary, Latencies } from './stats';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  latency: LatencySummary;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  /** Responses whose body failed the check: GraphQL `errors`, or not the expected shape. */
  gqlErrors: number;
  /** A failing body or error message, to show when the run fails. */
  sample?: string;
  /** Responses the server answered from a catalog cache (`x-catalog-cache: hit`, or `stale` within CATALOG_STALE_MS of a change). */
  cacheHits?: number;
  /** Responses the server answered by its compiled catalog read path (`x-catalog-path: compiled`). */
  compiled?: number;
  /** Per class of request, when the spec classifies them (the `mixed` scenario). */
  classes?: Record<string, ClassResult>;
}

/** One class of request of a classified load: its answers, latencies, cache hits, compiled answers and failed bodies. */
export interface ClassResult {
  requests: number;
  latency: LatencySummary;
  cacheHits: number;
  compiled: number;
  /** Bodies that failed the check (GraphQL `errors`, or an unexpected shape). */
  gqlErrors: number;
  /** Responses other than 2xx. */
  non2xx: number;
  sample?: string;
}

export interface LoadSpec {
  url: string;
  connections: number;
  seconds: number;
  /** Sent in turn on every connection. */
  requests: autocannon.Request[];
  /** A response body that passes; anything else counts in gqlErrors. */
  verify?: (body: string) => boolean;
  /**
   * The class of the request just answered, read from autocannon's per-connection context (which
   * a request's setupRequest can write): its latencies, cache hits and failures are kept apart.
   */
  classify?: (context: Record<string, unknown>) => string | undefined;
}

/** A GraphQL answer without errors: `{"data": …}` and no `"errors"` key anywhere. */
export const cleanGraphql = (body: string) => body.startsWith('{"data":') && !body.includes('"errors":');

/** A mutation's answer without errors: `{"data": …}`, and every `errors` key an empty payload list. */
export const cleanMutation = (body: string) => body.startsWith('{"data":') && !body.replaceAll('"errors":[]', '').includes('"errors":');

/** Drives `spec` with autocannon; latencies are taken per response, in ms, exact (not bucketed). */
export async function drive(spec: LoadSpec): Promise<LoadResult> {
  const latencies = new Latencies();
  let sample: string | undefined;
  let cacheHits = 0;
  let compiled = 0;
  // The class of the response being handled: set by onResponse, which autocannon calls just before
  // it emits `response` and checks the body, synchronously, for the same answer.
  let current: { latencies: Latencies; result: Omit<ClassResult, 'latency'> } | undefined;
  const classes = new Map<string, { latencies: Latencies; result: Omit<ClassResult, 'latency'> }>();
  const requests: autocannon.Request[] = spec.requests.map((r) => ({
    ...r,
    onResponse: (status, body, context, headers) => {
      const hit = headers?.['x-catalog-cache'] === 'hit' || headers?.['x-catalog-cache'] === 'stale';
      const viaCompiled = headers?.['x-catalog-path'] === 'compiled';
      if (hit) cacheHits++;
      if (viaCompiled) compiled++;
      if (spec.classify) {
        const name = spec.classify(context as Record<string, unknown>) ?? 'other';
        current = classes.get(name);
        if (!current) classes.set(name, (current = { latencies: new Latencies(), result: { requests: 0, cacheHits: 0, compiled: 0, gqlErrors: 0, non2xx: 0 } }));
        if (hit) current.result.cacheHits++;
        if (viaCompiled) current.result.compiled++;
        if (status >= 300) {
          current.result.non2xx++;
          current.result.sample ??= `HTTP ${status}: ${String(body ?? '').slice(0, 300)}`;
        }
      }
      if (typeof r.onResponse === 'function') r.onResponse(status, body, context, headers);
    },
  }));
  let finish: (result: autocannon.Result) => void = () => undefined;
  let fail: (err: unknown) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: spec.url,
      connections: spec.connections,
      duration: spec.seconds,
      requests,
      timeout: 10,
      ...(spec.verify ? { verifyBody: (body: string | Buffer | undefined) => spec.verify!(String(body ?? '')) } : {}),
    },
    (err, result) => (err ? fail(err) : finish(result)),
  );
  instance.on('response', (_client, statusCode, _bytes, ms) => {
    latencies.record(ms);
    current?.latencies.record(ms);
    if (statusCode >= 300 && !sample) sample = `HTTP ${statusCode}`;
  });
  instance.on('reqError', (err: unknown) => {
    sample ??= `request error: ${err instanceof Error ? err.message : String(err)}`;
  });
  (instance as unknown as NodeJS.EventEmitter).on('reqMismatch', (body: string) => {
    sample ??= `unexpected body: ${String(body).slice(0, 400)}`;
    if (current) {
      current.result.gqlErrors++;
      current.result.sample ??= `unexpected body: ${String(body).slice(0, 400)}`;
    }
  });
  const result = await done;
  const seconds = result.duration;
  return {
    ...latencies.result(seconds),
    errors: result.errors,
    non2xx: result.non2xx,
    gqlErrors: result.mismatches,
    sample,
    cacheHits,
    compiled,
    ...(spec.classify
      ? { classes: Object.fromEntries([...classes].map(([name, c]) => [name, { ...c.result, requests: c.latencies.count, latency: c.latencies.summary() }])) }
      : {}),
  };
}
