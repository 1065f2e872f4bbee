import { expect } from 'vitest';
import type { GqlResult } from './app';

/** The database key inside a global ID. */
export const keyOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];

/** `extensions.code` of the first thrown error. */
export const code = (res: GqlResult) => res.errors?.[0]?.extensions?.code;

/** A mutation's payload, asserting nothing was thrown. */
export function payloadOf(res: GqlResult, name: string): any {
  expect(res.errors).toBeUndefined();
  return res.data![name];
}

/** The `object` field of a successful mutation's payload. */
export function okPayload(res: GqlResult, name: string, object: string): any {
  const payload = payloadOf(res, name);
  expect(payload.errors).toEqual([]);
  return payload[object];
}

/** `[code, field path]` of each payload error of a failed mutation (whose `object` field is null). */
export function failuresOf(res: GqlResult, name: string, object: string): string[][] {
  const payload = payloadOf(res, name);
  expect(payload[object]).toBeNull();
  return payload.errors.map((e: { code: string; field: string[] | null }) => [e.code, (e.field ?? []).join('.')]);
}
