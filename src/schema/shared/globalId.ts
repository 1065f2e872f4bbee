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
