import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { Failure } from '../../errors';

/**
 * Runs `run`; when a unique index stops a request that raced past a service's own check, the
 * violation becomes the payload failure `failure` returns for it (given the database message,
 * which names the constraint). A violation it returns nothing for propagates unchanged.
 */
export async function guardUnique<T>(run: () => Promise<T>, failure: (message: string) => Failure | undefined): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const mapped = err instanceof UniqueConstraintViolationException ? failure(err.message) : undefined;
    throw mapped ?? err;
  }
}
