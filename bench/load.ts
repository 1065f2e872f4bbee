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
  /** Responses the server answered from its anonymous catalog cache (`x-catalog-cache: hit`). */
  cacheHits?: number;
}

export interface LoadSpec {
  url: string;
  connections: number;
  seconds: number;
  /** Sent in turn on every connection. */
  requests: autocannon.Request[];
  /** A response body that passes; anything else counts in gqlErrors. */
  verify?: (body: string) => boolean;
}

/** A GraphQL answer without errors: `{"data": …}` and no `"errors"` key anywhere. */
export const cleanGraphql = (body: string) => body.startsWith('{"data":') && !body.includes('"errors":');

/** Drives `spec` with autocannon; latencies are taken per response, in ms, exact (not bucketed). */
export async function drive(spec: LoadSpec): Promise<LoadResult> {
  const latencies = new Latencies();
  let sample: string | undefined;
  let cacheHits = 0;
  const requests: autocannon.Request[] = spec.requests.map((r) => ({
    ...r,
    onResponse: (_status, _body, _context, headers) => {
      if (headers?.['x-catalog-cache'] === 'hit') cacheHits++;
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
    if (statusCode >= 300 && !sample) sample = `HTTP ${statusCode}`;
  });
  instance.on('reqError', (err: unknown) => {
    sample ??= `request error: ${err instanceof Error ? err.message : String(err)}`;
  });
  (instance as unknown as NodeJS.EventEmitter).on('reqMismatch', (body: string) => {
    sample ??= `unexpected body: ${String(body).slice(0, 400)}`;
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
  };
}
