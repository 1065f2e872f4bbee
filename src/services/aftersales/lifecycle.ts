import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { type AfterSaleCase, AfterSaleEvent, AfterSaleEventType as E, AfterSaleOutcome, AfterSaleParty, AfterSaleStatus as S, AfterSaleType as T, type ShopMemberRole, User } from '../../entities';
import { NotFoundError, ForbiddenError, Failure, UserErrorCode } from '../../errors';
import { AfterSaleAction } from '../../schema/aftersales/actions';
import type { Viewer } from '../../viewer';
import { AFTER_SALE_ROLES, AFTER_SALE_STAFF, allowedActions, transition, type TransitionRule } from '../shared';

/**
 * The after-sale case life cycle, one table: who may take each step from which states, the
 * timeline event it appends, the API action that takes it, the case types it applies to, and how a
 * closing step ends the case. Nothing else changes a case's status.
 */

/** Who acts on a case: its buyer, its shop (a member in AFTER_SALE_ROLES), staff CUSTOMER_SERVICE, or the platform's timers. */
export type CaseActor = 'buyer' | 'merchant' | 'staff' | 'system';

export type CaseStep =
  | 'approveRefund'
  | 'approveReturn'
  | 'autoApproveRefund'
  | 'autoApproveReturn'
  | 'reject'
  | 'submitReturn'
  | 'receive'
  | 'autoReceive'
  | 'refund'
  | 'resend'
  | 'confirmResent'
  | 'autoConfirmResent'
  | 'escalateRejected'
  | 'escalateStuck'
  | 'ruleForBuyer'
  | 'ruleForMerchant'
  | 'withdraw'
  | 'closeUnshipped'
  | 'closeRejected'
  | 'refunded';

interface CaseRule extends TransitionRule<S, CaseActor> {
  by: readonly CaseActor[];
  event: E;
  action?: AfterSaleAction;
  /** The case types the step applies to (all when omitted). */
  types?: readonly T[];
  /** How the case ends, for steps that close it. */
  outcome?: (type: T) => AfterSaleOutcome;
  /** A person may take it only before the case's deadline (after it, the platform's timer acts instead). */
  beforeDeadline?: boolean;
}

const RETURNS: readonly T[] = [T.RETURN_AND_REFUND, T.EXCHANGE, T.REPAIR];
const RESENDS: readonly T[] = [T.EXCHANGE, T.REPAIR];
/** States a party may escalate from when the other party has stopped moving the case on. */
const STUCK: readonly S[] = [S.AWAITING_RETURN, S.RETURN_SHIPPED, S.RECEIVED, S.RESENT];
const { REFUNDED, REJECTED, WITHDRAWN } = AfterSaleOutcome;

export const CASE_TRANSITIONS: Record<CaseStep, CaseRule> = {
  approveRefund: { from: [S.REQUESTED], to: S.REFUNDING, by: ['merchant'], event: E.APPROVED, action: AfterSaleAction.RESPOND, types: [T.REFUND_ONLY] },
  approveReturn: { from: [S.REQUESTED], to: S.AWAITING_RETURN, by: ['merchant'], event: E.APPROVED, action: AfterSaleAction.RESPOND, types: RETURNS },
  // The merchant stayed silent for AFTER_SALE_RESPONSE_HOURS.
  autoApproveRefund: { from: [S.REQUESTED], to: S.REFUNDING, by: ['system'], event: E.APPROVED, types: [T.REFUND_ONLY] },
  autoApproveReturn: { from: [S.REQUESTED], to: S.AWAITING_RETURN, by: ['system'], event: E.APPROVED, types: RETURNS },
  // A late approval is what the timer would do; a late rejection is not.
  reject: { from: [S.REQUESTED], to: S.REJECTED, by: ['merchant'], event: E.REJECTED, action: AfterSaleAction.RESPOND, beforeDeadline: true },
  submitReturn: { from: [S.AWAITING_RETURN], to: S.RETURN_SHIPPED, by: ['buyer'], event: E.RETURN_SHIPPED, action: AfterSaleAction.SUBMIT_RETURN, types: RETURNS, beforeDeadline: true },
  receive: { from: [S.RETURN_SHIPPED], to: S.RECEIVED, by: ['merchant'], event: E.RECEIVED, action: AfterSaleAction.CONFIRM_RETURN_RECEIVED, types: RETURNS },
  // The merchant stayed silent for RETURN_RECEIVE_DAYS after the return was shipped.
  autoReceive: { from: [S.RETURN_SHIPPED], to: S.RECEIVED, by: ['system'], event: E.RECEIVED, types: RETURNS },
  // A received RETURN_AND_REFUND is refunded at once.
  refund: { from: [S.RECEIVED], to: S.REFUNDING, by: ['system'], event: E.REFUND_CREATED, types: [T.RETURN_AND_REFUND] },
  resend: { from: [S.RECEIVED], to: S.RESENT, by: ['merchant'], event: E.RESENT, action: AfterSaleAction.RESEND, types: RESENDS },
  confirmResent: { from: [S.RESENT], to: S.CLOSED, by: ['buyer'], event: E.CLOSED, action: AfterSaleAction.CONFIRM_RECEIPT, types: RESENDS, outcome: resentOutcome },
  // AUTO_CONFIRM_DAYS after the resend, like an order's delivery.
  autoConfirmResent: { from: [S.RESENT], to: S.CLOSED, by: ['system'], event: E.CLOSED, types: RESENDS, outcome: resentOutcome },
  // The buyer disputes a rejection (within ESCALATION_DAYS).
  escalateRejected: { from: [S.REJECTED], to: S.ARBITRATION, by: ['buyer'], event: E.ESCALATED, action: AfterSaleAction.ESCALATE, beforeDeadline: true },
  // Either party, when the other has stopped moving the case on.
  escalateStuck: { from: STUCK, to: S.ARBITRATION, by: ['buyer', 'merchant'], event: E.ESCALATED, action: AfterSaleAction.ESCALATE },
  ruleForBuyer: { from: [S.ARBITRATION], to: S.REFUNDING, by: ['staff'], event: E.RULED, action: AfterSaleAction.ARBITRATE },
  ruleForMerchant: { from: [S.ARBITRATION], to: S.CLOSED, by: ['staff'], event: E.RULED, action: AfterSaleAction.ARBITRATE, outcome: () => REJECTED },
  withdraw: { from: [S.REQUESTED, S.REJECTED, S.AWAITING_RETURN, S.RETURN_SHIPPED, S.ARBITRATION], to: S.CLOSED, by: ['buyer'], event: E.WITHDRAWN, action: AfterSaleAction.WITHDRAW, outcome: () => WITHDRAWN },
  // The buyer never shipped the approved return (RETURN_SHIP_DAYS).
  closeUnshipped: { from: [S.AWAITING_RETURN], to: S.CLOSED, by: ['system'], event: E.CLOSED, outcome: () => WITHDRAWN },
  // The buyer did not escalate the rejection in time (ESCALATION_DAYS).
  closeRejected: { from: [S.REJECTED], to: S.CLOSED, by: ['system'], event: E.CLOSED, outcome: () => REJECTED },
  // The provider confirmed the case's refund (or there was nothing left to send).
  refunded: { from: [S.REFUNDING], to: S.CLOSED, by: ['system'], event: E.CLOSED, outcome: () => REFUNDED },
};

function resentOutcome(type: T): AfterSaleOutcome {
  return type === T.EXCHANGE ? AfterSaleOutcome.REPLACED : AfterSaleOutcome.REPAIRED;
}

/** Who takes a step: the kinds they act as, the person (null for the platform), and whether they may see the case at all. */
export interface CaseActorRef {
  kinds: readonly CaseActor[];
  userId: string | null;
  /** The case is visible to them (so a refused step is FORBIDDEN, not NOT_FOUND). */
  sees: boolean;
}

/** The platform's timers. */
export const TIMER: CaseActorRef = { kinds: ['system'], userId: null, sees: true };

/** The kinds `viewer` acts as on `c`, given their role in its shop (undefined: not a member). */
export function caseActorKinds(viewer: Viewer, c: AfterSaleCase, shopRole: ShopMemberRole | undefined): CaseActor[] {
  // Nobody is on two sides of one case: the buyer never answers for the shop (a member buying from
  // their own shop), and staff rule only on cases of other people's orders and other shops.
  if (viewer.userId !== null && c.buyer.id === viewer.userId) return ['buyer'];
  if (shopRole !== undefined) return AFTER_SALE_ROLES.includes(shopRole) ? ['merchant'] : [];
  return viewer.hasStaffRole(...AFTER_SALE_STAFF) ? ['staff'] : [];
}

const PARTY: Record<CaseActor, AfterSaleParty> = { buyer: AfterSaleParty.BUYER, merchant: AfterSaleParty.MERCHANT, staff: AfterSaleParty.PLATFORM, system: AfterSaleParty.PLATFORM };

/** The party someone acting as `kinds` acts for (one kind at most: see caseActorKinds; the timers are PLATFORM). */
export function partyOf(kinds: readonly CaseActor[]): AfterSaleParty {
  return kinds.length > 0 ? PARTY[kinds[0]] : AfterSaleParty.PLATFORM;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Who must act next in `status`, and by when the platform acts for them (null: nothing happens by itself). */
export function schedule(status: S, at: Date, config: Config): { awaiting: AfterSaleParty | null; deadline: Date | null } {
  const after = (ms: number) => new Date(at.getTime() + ms);
  const { responseHours, escalationDays, returnShipDays, returnReceiveDays } = config.afterSales;
  switch (status) {
    case S.REQUESTED:
      return { awaiting: AfterSaleParty.MERCHANT, deadline: after(responseHours * HOUR) };
    case S.REJECTED:
      return { awaiting: AfterSaleParty.BUYER, deadline: after(escalationDays * DAY) };
    case S.AWAITING_RETURN:
      return { awaiting: AfterSaleParty.BUYER, deadline: after(returnShipDays * DAY) };
    case S.RETURN_SHIPPED:
      return { awaiting: AfterSaleParty.MERCHANT, deadline: after(returnReceiveDays * DAY) };
    case S.RECEIVED:
      return { awaiting: AfterSaleParty.MERCHANT, deadline: null };
    case S.RESENT:
      return { awaiting: AfterSaleParty.BUYER, deadline: after(config.orders.autoConfirmDays * DAY) };
    case S.ARBITRATION:
    case S.REFUNDING:
      return { awaiting: AfterSaleParty.PLATFORM, deadline: null };
    default:
      return { awaiting: null, deadline: null };
  }
}

export function addCaseEvent(em: EntityManager, c: AfterSaleCase, type: E, party: AfterSaleParty, at: Date, note: string | null, actorId: string | null): void {
  em.persist(em.create(AfterSaleEvent, { afterSaleCase: c, type, status: c.status, party, note, at, actor: actorId ? em.getReference(User, actorId) : null }));
}

/**
 * Moves a case one step through the table as `who` at `at`: checks the actor (FORBIDDEN to a party
 * of the case, NOT_FOUND to anyone else), the step's own `guard` (a reason it needs), the case's
 * type, then the state; sets who must act next
 * and by when; on closing, stamps the outcome and frees its order lines for later cases.
 */
export async function stepCase(
  em: EntityManager,
  c: AfterSaleCase,
  action: CaseStep,
  who: CaseActorRef,
  at: Date,
  config: Config,
  note: string | null = null,
  guard?: () => void,
): Promise<void> {
  const rule = CASE_TRANSITIONS[action];
  c.status = transition(CASE_TRANSITIONS, action, c.status, 'case', {
    actors: who.kinds,
    refuse: () => (who.sees ? new ForbiddenError(`You may not ${String(rule.action ?? action).toLowerCase().replace(/_/g, ' ')} this case`) : new NotFoundError('No such after-sale case')),
    guard: () => {
      guard?.();
      if (rule.types && !rule.types.includes(c.type)) throw new Failure(UserErrorCode.INVALID_TRANSITION, `A ${c.type} case cannot ${action}`);
      if (rule.beforeDeadline && rule.from.includes(c.status) && c.deadline && at >= c.deadline) {
        throw new Failure(UserErrorCode.INVALID_TRANSITION, `The deadline for this step passed at ${c.deadline.toISOString()}`);
      }
    },
  });
  Object.assign(c, schedule(c.status, at, config));
  if (rule.outcome) {
    c.outcome = rule.outcome(c.type);
    c.closedAt = at;
    await em.flush();
    // The lines are free for a later case. A withdrawn case gives its units back, and so does a
    // replacement or repair (the buyer holds goods again, which may fail again); a rejection stands,
    // and refunded units are paid back.
    await em.execute('update after_sale_case_line set open = false, counts = ? where case_id = ?', [c.outcome === REFUNDED || c.outcome === REJECTED, c.id]);
  }
  addCaseEvent(em, c, rule.event, partyOf(who.kinds), at, note, who.userId);
}

/** What someone acting as `kinds` may do next with the case at `now`, from the table. */
export function nextCaseActions(c: AfterSaleCase, kinds: readonly CaseActor[], now: Date): AfterSaleAction[] {
  const late = c.deadline != null && now >= c.deadline;
  const steps = allowedActions(CASE_TRANSITIONS, c.status, kinds).filter((s) => {
    const rule = CASE_TRANSITIONS[s];
    return (!rule.types || rule.types.includes(c.type)) && !(late && rule.beforeDeadline);
  });
  const actions = steps.flatMap((s) => CASE_TRANSITIONS[s].action ?? []);
  if (kinds.some((k) => k !== 'system') && c.status !== S.CLOSED) actions.push(AfterSaleAction.ADD_MESSAGE);
  return [...new Set(actions)];
}
