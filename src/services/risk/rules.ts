import type { Context } from '../../context';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { entityWhere, lockById } from '../../db/rows';
import { RiskRule, RiskRuleKind as K, StaffRole } from '../../entities';
import { Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { recordAudit } from '../platform';
import { checkText, guardUnique, toMinor } from '../shared';

/**
 * Risk rules as data (風控規則): staff RISK list, add, tune and disable them; every checkout is
 * scored by the enabled ones (scoring.ts). A kind takes exactly the parameters it reads.
 */

/** Staff RISK (ADMIN passes), checked again here behind the shield. */
export function requireRiskStaff(ctx: Context): void {
  if (!ctx.viewer.hasStaffRole(StaffRole.RISK)) throw new ForbiddenError();
}

type Parameter = 'amount' | 'count' | 'windowHours' | 'accountAgeHours';

/** The parameters each kind reads; every other parameter must be left out. */
export const RULE_PARAMETERS: Record<K, readonly Parameter[]> = {
  [K.ORDER_AMOUNT]: ['amount'],
  [K.NEW_ACCOUNT_AMOUNT]: ['amount', 'accountAgeHours'],
  [K.ADDRESS_VELOCITY]: ['count', 'windowHours'],
  [K.PHONE_VELOCITY]: ['count', 'windowHours'],
  [K.DEVICE_VELOCITY]: ['count', 'windowHours'],
  [K.IP_VELOCITY]: ['count', 'windowHours'],
  [K.DEVICE_SHARED]: ['count', 'windowHours'],
  [K.REFUND_HISTORY]: ['count', 'windowHours'],
  [K.FAILED_PAYMENTS]: ['count', 'windowHours'],
  [K.NEW_SHIPPING_REGION]: [],
  [K.WATCHLISTED]: [],
};

/** The ranges of the table's check (risk_rule_values_check). */
const RANGES: Record<Exclude<Parameter, 'amount'>, [number, number, string]> = {
  count: [1, 10_000, 'A count'],
  windowHours: [1, 8760, 'A window (hours, at most a year)'],
  accountAgeHours: [1, 87_600, 'An account age (hours, at most ten years)'],
};

export interface RiskRuleInput {
  /** Database key of the rule to change; absent: a new rule. */
  id?: string | null;
  name: string;
  kind: K;
  weight: number;
  enabled: boolean;
  /** Decimal amount ("2000.00"). */
  amount?: string | null;
  count?: number | null;
  windowHours?: number | null;
  accountAgeHours?: number | null;
  description?: string | null;
}

const FIELDS = ['name', 'kind', 'weight', 'enabled', 'amount', 'count', 'windowHours', 'accountAgeHours', 'description'] as const;

function snapshot(rule: RiskRule): Record<string, unknown> {
  return Object.fromEntries(FIELDS.map((f) => [f, rule[f] ?? null]));
}

/** The rule's values as stored, or INVALID_INPUT at `input.<field>` for every problem at once. */
function parseRule(ctx: Context, input: RiskRuleInput) {
  const problems = new Problems();
  const at = (field: string) => ['input', field];
  const name = checkText(problems, input.name, at('name'), 1, 100, 'A rule’s name');
  const description = input.description == null ? null : checkText(problems, input.description, at('description'), 0, 500, 'A description') || null;
  if (!Number.isInteger(input.weight) || input.weight < 1 || input.weight > 1000) problems.add(UserErrorCode.INVALID_INPUT, 'A weight is a whole number from 1 to 1000', at('weight'));
  const wanted = new Set<Parameter>(RULE_PARAMETERS[input.kind] ?? []);
  const values: Record<Parameter, number | null> = { amount: null, count: null, windowHours: null, accountAgeHours: null };
  for (const param of ['amount', 'count', 'windowHours', 'accountAgeHours'] as const) {
    const raw = input[param];
    if (!wanted.has(param)) {
      if (raw != null) problems.add(UserErrorCode.INVALID_INPUT, `${input.kind} takes no \`${param}\``, at(param));
      continue;
    }
    if (raw == null) {
      problems.add(UserErrorCode.INVALID_INPUT, `${input.kind} needs \`${param}\``, at(param));
    } else if (param === 'amount') {
      const minor = toMinor(String(raw), ctx.deps.config.currency, problems, at(param));
      if (minor === 0) problems.add(UserErrorCode.INVALID_INPUT, 'The amount must be more than zero', at(param));
      values.amount = minor;
    } else {
      const [min, max, label] = RANGES[param];
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) problems.add(UserErrorCode.INVALID_INPUT, `${label} is a whole number from ${min} to ${max}`, at(param));
      else values[param] = raw;
    }
  }
  problems.throwIfAny();
  return { name, kind: input.kind, weight: input.weight, enabled: input.enabled, description, ...values };
}

const nameTaken = (message: string) => (message.includes('risk_rule_name_unique') ? new Failure(UserErrorCode.INVALID_INPUT, 'Another rule has this name', ['input', 'name']) : undefined);

/**
 * Adds a rule, or replaces every value of rule `input.id` (NOT_FOUND when there is none): staff
 * RISK. The kind's parameters must all be given and in range, and no other (INVALID_INPUT); the
 * name is unique. Audited with the values before and after.
 */
export async function upsertRiskRule(ctx: Context, input: RiskRuleInput): Promise<RiskRule> {
  requireRiskStaff(ctx);
  const values = parseRule(ctx, input);
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        const existing = input.id ? await lockById(em, RiskRule, input.id) : null;
        if (input.id && !existing) throw new NotFoundError('No such risk rule');
        const clash = await entityWhere(em, RiskRule, 'e.name = ? and e.id <> ?', [values.name, existing?.id ?? '0']);
        if (clash) throw nameTaken('risk_rule_name_unique')!;
        const now = ctx.now();
        const before = existing ? snapshot(existing) : undefined;
        const rule = existing ?? em.create(RiskRule, { ...values, createdAt: now, updatedAt: now });
        if (existing) Object.assign(existing, values, { updatedAt: now });
        await em.flush();
        recordAudit(ctx, em, { action: existing ? 'riskRule.update' : 'riskRule.create', targetType: 'RiskRule', targetId: rule.id, before, after: snapshot(rule) });
        await em.flush();
        return rule;
      }),
    nameTaken,
  );
}

/** Every rule, enabled or not, oldest first (staff RISK). */
export async function listRiskRules(ctx: Context, args: PageArgs): Promise<Page<RiskRule>> {
  requireRiskStaff(ctx);
  const window = pageWindow(args, ['id']);
  const rows = await applyKeyset(ctx.em.createQueryBuilder(RiskRule, 'r').select('*'), [{ column: 'r.id', direction: 'asc' }], window).getResultList();
  return page(rows, window, (r) => [r.id], () => ctx.em.count(RiskRule, {}));
}

/** One rule (`node(id)`): staff RISK alone. */
export async function visibleRiskRule(ctx: Context, key: string): Promise<RiskRule | null> {
  return ctx.viewer.hasStaffRole(StaffRole.RISK) ? entityWhere(ctx.em, RiskRule, 'e.id = ?', [key]) : null;
}
