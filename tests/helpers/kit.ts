import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { parseGlobalId, toGlobalId } from '../../src/schema/shared/globalId';
import type { GqlResult, TestApp } from './app';

/**
 * The test kit: what almost every test file needs to read the API's answers. Global IDs and the
 * database keys inside them, mutation payloads, thrown error codes, and a client over a real socket.
 */

// --- IDs ------------------------------------------------------------------------------------------

/** The database key inside a global ID (throws on anything that is not one). */
export function keyOf(globalId: string): string {
  const parsed = parseGlobalId(globalId);
  if (!parsed) throw new Error(`not a global ID: ${JSON.stringify(globalId)}`);
  return parsed.key;
}

/** The global ID of the `type` row with database key `key`. */
export function idOf(type: string, key: string | number): string {
  return toGlobalId(type, key);
}

// --- Results --------------------------------------------------------------------------------------

type Result = Pick<GqlResult, 'data' | 'errors'>;

/** `extensions.code` of the first thrown error (undefined when nothing was thrown). */
export const code = (res: Result): string | undefined => res.errors?.[0]?.extensions?.code;

/** A mutation's payload (`name`, or the operation's only field), asserting nothing was thrown. */
export function payloadOf(res: Result, name?: string): any {
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return name === undefined ? Object.values(res.data!)[0] : res.data![name];
}

/**
 * A successful mutation's payload, asserting it reported no errors; with `object`, that field of
 * the payload (`okPayload(res, 'createProduct', 'product')`).
 */
export function okPayload(res: Result, name: string, object?: string): any {
  const payload = payloadOf(res, name);
  expect(payload.errors).toEqual([]);
  return object === undefined ? payload : payload[object];
}

/** `[code, field path]` of each payload error of a failed mutation (whose `object` field is null). */
export function failuresOf(res: Result, name: string, object: string): string[][] {
  const payload = payloadOf(res, name);
  expect(payload[object]).toBeNull();
  return payload.errors.map((e: { code: string; field: string[] | null }) => [e.code, (e.field ?? []).join('.')]);
}

/**
 * How a mutation ended, in one word for racing calls: `OK`, the first payload error's code, or
 * `thrown:CODE` when it threw.
 */
export function outcomeOf(res: Result, name: string): string {
  if (res.errors) return `thrown:${code(res)}`;
  return res.data![name].errors[0]?.code ?? 'OK';
}

// --- Over a real socket ---------------------------------------------------------------------------

export interface HttpClient {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Runs an operation and returns its `data`, asserting HTTP 200 and no thrown errors. */
  call(token: string | null, query: string, variables?: Record<string, unknown>): Promise<any>;
  /** Runs a mutation and returns its single payload, asserting it reported no errors. */
  mutate(token: string | null, query: string, variables?: Record<string, unknown>): Promise<any>;
  /** POSTs a raw body to `path` (a webhook, say); returns the status and the parsed JSON answer. */
  post(path: string, body: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
}

/** Starts the test app listening on a free port and returns a client that talks to it with fetch. */
export async function listen(t: TestApp): Promise<HttpClient> {
  await t.app.http.listen({ port: 0, host: '127.0.0.1' });
  const origin = `http://127.0.0.1:${(t.app.http.server.address() as AddressInfo).port}`;

  const post: HttpClient['post'] = async (path, body, headers = {}) => {
    const res = await fetch(origin + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, body: await res.json() };
  };
  const call: HttpClient['call'] = async (token, query, variables = {}) => {
    const res = await post('/graphql', JSON.stringify({ query, variables }), token ? { authorization: `Bearer ${token}` } : {});
    expect(res.status).toBe(200);
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    return res.body.data;
  };
  const mutate: HttpClient['mutate'] = async (token, query, variables = {}) => {
    const payload = Object.values(await call(token, query, variables))[0] as { errors: unknown[] } & Record<string, any>;
    expect(payload.errors).toEqual([]);
    return payload;
  };
  return { origin, call, mutate, post };
}
