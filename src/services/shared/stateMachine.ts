import { Failure, UserErrorCode } from '../../errors';

/**
 * A state machine as data: each action names the states it may start from and the state it
 * leads to. One table per aggregate; `transition` is the only way a status changes.
 */
export type TransitionTable<S extends string, A extends string> = Record<A, { from: readonly S[]; to: S }>;

export function transition<S extends string, A extends string>(table: TransitionTable<S, A>, action: A, current: S, what: string): S {
  const rule = table[action];
  if (!rule.from.includes(current)) {
    throw new Failure(UserErrorCode.INVALID_TRANSITION, `Cannot ${action} a ${what} that is ${current}`);
  }
  return rule.to;
}

/** Actions allowed from `current`, for clients that show the next steps. */
export function allowedActions<S extends string, A extends string>(table: TransitionTable<S, A>, current: S): A[] {
  return (Object.keys(table) as A[]).filter((a) => table[a].from.includes(current));
}
