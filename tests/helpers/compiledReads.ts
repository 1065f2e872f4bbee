import { expect } from 'vitest';
import type { TestApp } from './app';

/**
 * Compiled catalog reads (src/catalogReads) against Apollo: the same HTTP request sent to an app
 * with CATALOG_COMPILED on and to one with it off, answers compared byte for byte (after the
 * per-request `requestId`), and which path answered (`x-catalog-path: compiled`).
 */

export interface Answer {
  status: number;
  /** The parsed JSON body, `extensions.requestId` of each error removed. */
  body: any;
  /** The `x-catalog-path` header (undefined when Apollo answered). */
  path: string | undefined;
  contentType: string | undefined;
}

export interface PostOptions {
  token?: string;
  /** A raw Authorization header (wins over `token`). */
  authorization?: string;
  headers?: Record<string, string>;
}

/** Strips what differs per request: each error's `extensions.requestId` (and a bare error's `requestId`), in a batch too. */
export function stripRequestIds(body: any): any {
  if (Array.isArray(body)) return body.map(stripRequestIds);
  if (!body || typeof body !== 'object') return body;
  const { requestId: _requestId, ...rest } = body;
  if (!Array.isArray(rest.errors)) return rest;
  return {
    ...rest,
    errors: rest.errors.map((e: any) => {
      if (!e?.extensions || !('requestId' in e.extensions)) return e;
      const { requestId: _id, ...extensions } = e.extensions;
      return { ...e, extensions };
    }),
  };
}

/** POSTs `payload` (a GraphQL request body, sent as JSON) to /graphql of `app`. */
export async function post(app: TestApp, payload: unknown, opts: PostOptions = {}): Promise<Answer> {
  const authorization = opts.authorization ?? (opts.token ? `Bearer ${opts.token}` : undefined);
  const res = await app.app.http.inject({
    method: 'POST',
    url: '/graphql',
    remoteAddress: '127.0.0.1',
    headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}), ...opts.headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = { unparsable: res.body };
  }
  const path = res.headers['x-catalog-path'];
  return { status: res.statusCode, body: stripRequestIds(body), path: typeof path === 'string' ? path : undefined, contentType: res.headers['content-type'] as string | undefined };
}

/**
 * Sends `payload` to both apps and asserts the same status and the same JSON (values, and keys in
 * the same order), and which path the compiled app took: 'compiled', or 'apollo' (no header).
 * Returns the compiled app's answer.
 */
export async function expectSameAnswer(apps: { on: TestApp; off: TestApp }, payload: unknown, opts: PostOptions, expected: 'compiled' | 'apollo'): Promise<Answer> {
  const [on, off] = await Promise.all([post(apps.on, payload, opts), post(apps.off, payload, opts)]);
  const what = JSON.stringify(payload).slice(0, 300);
  expect(off.path, `off app never compiles: ${what}`).toBeUndefined();
  expect(on.body, `same body: ${what}`).toEqual(off.body);
  // Same keys in the same order (toEqual ignores order).
  expect(JSON.stringify(on.body), `same JSON text: ${what}`).toBe(JSON.stringify(off.body));
  expect(on.status, `same status: ${what}`).toBe(off.status);
  expect(on.path, `path taken: ${what}`).toBe(expected === 'compiled' ? 'compiled' : undefined);
  return on;
}
