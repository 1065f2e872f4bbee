import { Failure } from '../../errors';
import type { UserError } from '../../schema/shared/common';
import { toGlobalId } from '../../schema/shared/globalId';

/**
 * Runs a service call for a mutation and shapes its payload: the result on success, or the
 * service's expected failures as `errors` (the service threw, so nothing was changed). Anything
 * else — permission errors, bugs — propagates as a thrown GraphQL error.
 */
export async function payload<R, P extends object>(
  run: () => Promise<R>,
  onSuccess: (result: R) => P,
  options: { fieldIds?: Record<string, string> } = {},
): Promise<P & { errors: UserError[] }> {
  try {
    const result = await run();
    return { ...onSuccess(result), errors: [] };
  } catch (err) {
    if (err instanceof Failure) {
      const errors = options.fieldIds ? err.errors.map((e) => ({ ...e, field: e.field && globalIdsIn(e.field, options.fieldIds!) })) : err.errors;
      return { errors } as P & { errors: UserError[] };
    }
    throw err;
  }
}

/**
 * Services speak keys, also in error field paths (`['lines', '42']`); `fieldIds` names the path
 * segments followed by a key (`{ lines: 'CartLine' }`), which the client sees as global IDs.
 */
function globalIdsIn(field: string[], fieldIds: Record<string, string>): string[] {
  return field.map((part, i) => (i > 0 && Object.hasOwn(fieldIds, field[i - 1]) ? toGlobalId(fieldIds[field[i - 1]], part) : part));
}
