import { isBigintKey } from '../../db/keyset';
import { NotFoundError } from '../../errors';

/**
 * Opaque global IDs: base64url of `Type:key`. Clients must treat them as opaque; the server uses
 * the type to route `node(id)` and to refuse an ID of the wrong type with NOT_FOUND.
 */
export function toGlobalId(type: string, key: string | number): string {
  return Buffer.from(`${type}:${key}`, 'utf8').toString('base64url');
}

export function parseGlobalId(id: string): { type: string; key: string } | null {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200 || !/^[A-Za-z0-9_-]+$/.test(id)) return null;
  const decoded = Buffer.from(id, 'base64url').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep <= 0 || sep === decoded.length - 1) return null;
  const type = decoded.slice(0, sep);
  const key = decoded.slice(sep + 1);
  if (!/^[A-Za-z]+$/.test(type) || !/^[A-Za-z0-9-]+$/.test(key)) return null;
  return { type, key };
}


/** The database key of `id` when it is a well-formed ID of `type`; anything else is NOT_FOUND. */
export function decodeId(type: string, id: string): string {
  const parsed = parseGlobalId(id);
  if (!parsed || parsed.type !== type || !isBigintKey(parsed.key)) throw new NotFoundError(`No ${type} with this ID`);
  return parsed.key;
}

/** Like decodeId, for lists: every ID must be of `type`. */
export function decodeIds(type: string, ids: readonly string[]): string[] {
  return ids.map((id) => decodeId(type, id));
}

/**
 * Where an input object carries global IDs: each field names the type of its ID (`'Shop'`), the
 * type of every ID of its list (`['Category']`), or, for a nested input object or a list of them,
 * that object's own spec.
 */
export type IdFields<T> = { [K in keyof T]?: IdFieldSpec<NonNullable<T[K]>> };
type IdFieldSpec<V> = V extends string ? string : V extends readonly string[] ? readonly [string] : V extends readonly (infer E)[] ? IdFields<E> : V extends object ? IdFields<V> : never;

/**
 * A copy of a mutation's input with the ID fields `fields` names decoded into database keys, for a
 * service (services speak keys). Absent and null fields stay as they are; a malformed ID, or one of
 * another type, is NOT_FOUND like an unknown one.
 */
export function decodeInput<T extends object>(input: T, fields: IdFields<T>): T {
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const [name, spec] of Object.entries(fields) as [string, unknown][]) {
    const value = out[name];
    if (value != null) out[name] = decodeField(value, spec);
  }
  return out as T;
}

function decodeField(value: unknown, spec: unknown): unknown {
  if (typeof spec === 'string') return decodeId(spec, value as string);
  if (Array.isArray(spec)) return decodeIds(spec[0] as string, value as string[]);
  const nested = spec as IdFields<object>;
  return Array.isArray(value) ? value.map((item: object) => decodeInput(item, nested)) : decodeInput(value as object, nested);
}

/** The type and database key of a well-formed global ID (what `node(id:)` routes by), else null. */
export function parseNodeId(id: string): { type: string; key: string } | null {
  const parsed = parseGlobalId(id);
  return parsed && isBigintKey(parsed.key) ? parsed : null;
}
