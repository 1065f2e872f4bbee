import { Failure, ForbiddenError, UserErrorCode } from '../../errors';

/**
 * A state machine as data: each action names the states it may start from, the state it leads
 * to and the kinds of actor who may take it (`by`; anyone when a table leaves it out because its
 * callers check who acts themselves). One table per aggregate; `transition` is the only way a
 * status changes, and `allowedActions` tells a client what may come next.
 */
export interface TransitionRule<S extends string, K extends string = string> {
  from: readonly S[];
  to: S;
  by?: readonly K[];
}

export type TransitionTable<S extends string, A extends string, K extends string = string> = Record<A, TransitionRule<S, K>>;

export interface TransitionOptions<A extends string, K extends string> {
  /** The kinds the one acting acts as; when omitted, only actions open to anyone (no `by`) are allowed. */
  actors?: readonly K[];
  /** The error for an actor the action's `by` leaves out; FORBIDDEN unless the domain answers otherwise. */
  refuse?: (action: A) => Error;
  /** The action's own conditions (a reason it requires): checked once the actor may act, before the state. */
  guard?: () => void;
}

/** Whether one of `actors` may take `rule`. */
function mayAct<K extends string>(rule: TransitionRule<string, K>, actors: readonly K[]): boolean {
  return rule.by === undefined || rule.by.some((k) => actors.includes(k));
}

/**
 * The state `action` leads to from `current`, taken by someone acting as `options.actors`. A wrong
 * actor is refused first (FORBIDDEN, or `options.refuse`), so a person who may not act learns
 * nothing of the state; then `options.guard` runs; a wrong state is INVALID_TRANSITION.
 */
export function transition<S extends string, A extends string, K extends string>(
  table: TransitionTable<S, A, K>,
  action: A,
  current: S,
  what: string,
  options: TransitionOptions<A, K> = {},
): S {
  const rule = table[action];
  if (!mayAct(rule, options.actors ?? [])) throw options.refuse?.(action) ?? new ForbiddenError();
  options.guard?.();
  if (!rule.from.includes(current)) {
    throw new Failure(UserErrorCode.INVALID_TRANSITION, `Cannot ${action} a ${what} that is ${current}`);
  }
  return rule.to;
}

/** Whether someone acting as `actors` may take `action` from `current` (without actors: whether anyone may). */
export function isAllowed<S extends string, A extends string, K extends string>(table: TransitionTable<S, A, K>, action: A, current: S, actors?: readonly K[]): boolean {
  const rule = table[action];
  return rule.from.includes(current) && (actors === undefined || mayAct(rule, actors));
}

/**
 * Actions allowed from `current`, in table order, for clients that show the next steps: those
 * someone acting as `actors` may take, or every action from `current` when `actors` is omitted.
 */
export function allowedActions<S extends string, A extends string, K extends string>(table: TransitionTable<S, A, K>, current: S, actors?: readonly K[]): A[] {
  return (Object.keys(table) as A[]).filter((a) => isAllowed(table, a, current, actors));
}
