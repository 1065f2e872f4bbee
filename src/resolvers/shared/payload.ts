import { Failure } from '../../errors';
import type { UserError } from '../../schema/shared/common';

/**
 * Runs a service call for a mutation and shapes its payload: the result on success, or the
 * service's expected failures as `errors` (the service threw, so nothing was changed). Anything
 * else — permission errors, bugs — propagates as a thrown GraphQL error.
 */
export async function payload<R, P extends object>(
  run: () => Promise<R>,
  onSuccess: (result: R) => P,
): Promise<P & { errors: UserError[] }> {
  try {
    const result = await run();
    return { ...onSuccess(result), errors: [] };
  } catch (err) {
    if (err instanceof Failure) return { errors: err.errors } as P & { errors: UserError[] };
    throw err;
  }
}
