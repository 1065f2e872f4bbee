import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload } from '../helpers/kit';
import { scenario } from '../helpers/scenario';

/** Risk rules as data: staff RISK list, add and tune them; each kind's parameters are checked. */

const RULE_FIELDS = 'id name kind weight enabled amount { amount amountMinor } count windowHours accountAgeHours description createdAt';
const RULES = `query($first: Int, $after: String) { riskRules(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${RULE_FIELDS} } } }`;
const UPSERT = `mutation($input: UpsertRiskRuleInput!) { upsertRiskRule(input: $input) { riskRule { ${RULE_FIELDS} } errors { code field message } } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on RiskRule { name } } }`;

let t: TestApp;
let risk: string;

beforeAll(async () => {
  t = await createTestApp();
  risk = (await staff(t, StaffRole.RISK)).token;
});

afterAll(() => t.close());

const upsert = (input: Record<string, unknown>, token = risk) => t.gql(UPSERT, { input }, { token });
const ruleCount = async () => (await t.sql('select count(*)::int as n from risk_rule'))[0].n;
let named = 0;
const fresh = (input: Record<string, unknown>) => ({ name: `Rule ${++named}`, weight: 10, enabled: true, ...input });

describe('riskRules', () => {
  it('lists the default rules oldest first, page by page', async () => {
    const first = (await t.gql(RULES, { first: 6 }, { token: risk })).data!.riskRules;
    expect(first.totalCount).toBe(11);
    expect(first.nodes[0]).toMatchObject({ name: 'New account, large order', kind: 'NEW_ACCOUNT_AMOUNT', weight: 30, enabled: true, amount: { amount: expect.stringMatching(/^\d+\.00$/) }, accountAgeHours: 24, count: null, windowHours: null });
    const rest = (await t.gql(RULES, { first: 6, after: first.pageInfo.endCursor }, { token: risk })).data!.riskRules;
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const kinds = [...first.nodes, ...rest.nodes].map((r: { kind: string }) => r.kind);
    expect(kinds).toEqual(['NEW_ACCOUNT_AMOUNT', 'ORDER_AMOUNT', 'ADDRESS_VELOCITY', 'PHONE_VELOCITY', 'DEVICE_VELOCITY', 'IP_VELOCITY', 'DEVICE_SHARED', 'REFUND_HISTORY', 'FAILED_PAYMENTS', 'NEW_SHIPPING_REGION', 'WATCHLISTED']);
  });

  it('is for staff RISK (ADMIN passes); shoppers, merchants and other staff are refused', async () => {
    const shopper = await userWithToken(t);
    const { shop } = await scenario(t).shop().run();
    const ops = await staff(t, StaffRole.OPERATIONS);
    for (const token of [shopper.token, shop.owner.token, ops.token]) expect(code(await t.gql(RULES, {}, { token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(RULES, {}))).toBe('UNAUTHENTICATED');
    const admin = await staff(t, StaffRole.ADMIN);
    expect((await t.gql(RULES, {}, { token: admin.token })).data!.riskRules.totalCount).toBeGreaterThanOrEqual(11);
  });
});

describe('upsertRiskRule', () => {
  it('adds a rule, audited', async () => {
    const rule = okPayload(await upsert({ name: ' Big spender ', kind: 'ORDER_AMOUNT', weight: 15, amount: '5000', description: 'Orders of ¥5,000 or more' }), 'upsertRiskRule', 'riskRule');
    expect(rule).toMatchObject({ name: 'Big spender', kind: 'ORDER_AMOUNT', weight: 15, enabled: true, amount: { amount: '5000.00', amountMinor: 500_000 }, count: null, description: 'Orders of ¥5,000 or more' });
    const [audit] = await t.sql(`select after from audit_entry where action = 'riskRule.create' and target_id = ?`, [keyOf(rule.id)]);
    expect(audit.after).toMatchObject({ name: 'Big spender', kind: 'ORDER_AMOUNT', weight: 15, amount: 500_000 });
    expect((await t.gql(NODE, { id: rule.id }, { token: risk })).data!.node).toEqual({ id: rule.id, name: 'Big spender' });
    const shopper = await userWithToken(t);
    expect((await t.gql(NODE, { id: rule.id }, { token: shopper.token })).data!.node).toBeNull();
  });

  it('replaces every value of a rule, even its kind, audited with before and after', async () => {
    const rule = okPayload(await upsert(fresh({ kind: 'IP_VELOCITY', count: 5, windowHours: 2 })), 'upsertRiskRule', 'riskRule');
    const changed = okPayload(await upsert({ id: rule.id, name: rule.name, kind: 'NEW_ACCOUNT_AMOUNT', weight: 99, enabled: false, amount: '10.5', accountAgeHours: 72 }), 'upsertRiskRule', 'riskRule');
    expect(changed).toMatchObject({ id: rule.id, kind: 'NEW_ACCOUNT_AMOUNT', weight: 99, enabled: false, amount: { amountMinor: 1050 }, accountAgeHours: 72, count: null, windowHours: null, description: null });
    const [audit] = await t.sql(`select before, after from audit_entry where action = 'riskRule.update' and target_id = ?`, [keyOf(rule.id)]);
    expect(audit.before).toMatchObject({ kind: 'IP_VELOCITY', count: 5, windowHours: 2, enabled: true });
    expect(audit.after).toMatchObject({ kind: 'NEW_ACCOUNT_AMOUNT', count: null, weight: 99, enabled: false });
  });

  it('needs each parameter its kind reads and refuses the others, saving nothing', async () => {
    const before = await ruleCount();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ kind: 'ORDER_AMOUNT' }, ['input.amount']],
      [{ kind: 'ORDER_AMOUNT', amount: '10', count: 3 }, ['input.count']],
      [{ kind: 'NEW_ACCOUNT_AMOUNT', amount: '10' }, ['input.accountAgeHours']],
      [{ kind: 'ADDRESS_VELOCITY', count: 3 }, ['input.windowHours']],
      [{ kind: 'PHONE_VELOCITY', windowHours: 3 }, ['input.count']],
      [{ kind: 'DEVICE_VELOCITY' }, ['input.count', 'input.windowHours']],
      [{ kind: 'IP_VELOCITY', count: 3, windowHours: 1, amount: '1' }, ['input.amount']],
      [{ kind: 'DEVICE_SHARED', count: 3, windowHours: 1, accountAgeHours: 1 }, ['input.accountAgeHours']],
      [{ kind: 'REFUND_HISTORY', windowHours: 1 }, ['input.count']],
      [{ kind: 'FAILED_PAYMENTS', count: 1 }, ['input.windowHours']],
      [{ kind: 'NEW_SHIPPING_REGION', count: 1, windowHours: 1 }, ['input.count', 'input.windowHours']],
      [{ kind: 'WATCHLISTED', amount: '1' }, ['input.amount']],
    ];
    for (const [input, fields] of cases) {
      expect(failuresOf(await upsert(fresh(input)), 'upsertRiskRule', 'riskRule'), JSON.stringify(input)).toEqual(fields.map((f) => ['INVALID_INPUT', f]));
    }
    expect(await ruleCount()).toBe(before);
  });

  it('keeps weights and parameters in range', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'WATCHLISTED', weight: 0 }, 'input.weight'],
      [{ kind: 'WATCHLISTED', weight: 1001 }, 'input.weight'],
      [{ kind: 'ORDER_AMOUNT', amount: '0' }, 'input.amount'],
      [{ kind: 'ORDER_AMOUNT', amount: '-5' }, 'input.amount'],
      [{ kind: 'ORDER_AMOUNT', amount: '1.001' }, 'input.amount'],
      [{ kind: 'ADDRESS_VELOCITY', count: 0, windowHours: 1 }, 'input.count'],
      [{ kind: 'ADDRESS_VELOCITY', count: 10_001, windowHours: 1 }, 'input.count'],
      [{ kind: 'ADDRESS_VELOCITY', count: 2, windowHours: 8761 }, 'input.windowHours'],
      [{ kind: 'NEW_ACCOUNT_AMOUNT', amount: '1', accountAgeHours: 87_601 }, 'input.accountAgeHours'],
      [{ kind: 'WATCHLISTED', name: '   ' }, 'input.name'],
      [{ kind: 'WATCHLISTED', name: 'x'.repeat(101) }, 'input.name'],
    ];
    for (const [input, field] of cases) expect(failuresOf(await upsert(fresh(input)), 'upsertRiskRule', 'riskRule'), JSON.stringify(input)).toEqual([['INVALID_INPUT', field]]);
    // The extremes pass.
    okPayload(await upsert(fresh({ kind: 'ADDRESS_VELOCITY', weight: 1000, count: 10_000, windowHours: 8760 })), 'upsertRiskRule', 'riskRule');
    okPayload(await upsert(fresh({ kind: 'ORDER_AMOUNT', weight: 1, amount: '0.01' })), 'upsertRiskRule', 'riskRule');
  });

  it('refuses a name another rule has, adding or renaming', async () => {
    const a = okPayload(await upsert(fresh({ kind: 'WATCHLISTED' })), 'upsertRiskRule', 'riskRule');
    const b = okPayload(await upsert(fresh({ kind: 'WATCHLISTED' })), 'upsertRiskRule', 'riskRule');
    expect(failuresOf(await upsert({ name: a.name, kind: 'WATCHLISTED', weight: 5 }), 'upsertRiskRule', 'riskRule')).toEqual([['INVALID_INPUT', 'input.name']]);
    expect(failuresOf(await upsert({ id: b.id, name: 'Very large order', kind: 'WATCHLISTED', weight: 5 }), 'upsertRiskRule', 'riskRule')).toEqual([['INVALID_INPUT', 'input.name']]);
    // Its own name is no clash.
    okPayload(await upsert({ id: a.id, name: a.name, kind: 'WATCHLISTED', weight: 6 }), 'upsertRiskRule', 'riskRule');
  });

  it('answers NOT_FOUND for an unknown rule', async () => {
    const res = await upsert({ id: idOf('RiskRule', 999_999), name: 'Ghost', kind: 'WATCHLISTED', weight: 5 });
    expect(code(res)).toBe('NOT_FOUND');
    expect(code(await upsert({ id: 'not-an-id', name: 'Ghost', kind: 'WATCHLISTED', weight: 5 }))).toBe('NOT_FOUND');
  });

  it('is for staff RISK (ADMIN passes)', async () => {
    const shopper = await userWithToken(t);
    const ops = await staff(t, StaffRole.OPERATIONS);
    const before = await ruleCount();
    for (const token of [shopper.token, ops.token]) expect(code(await upsert(fresh({ kind: 'WATCHLISTED' }), token))).toBe('FORBIDDEN');
    expect(code(await t.gql(UPSERT, { input: fresh({ kind: 'WATCHLISTED' }) }))).toBe('UNAUTHENTICATED');
    expect(await ruleCount()).toBe(before);
    const admin = await staff(t, StaffRole.ADMIN);
    okPayload(await upsert(fresh({ kind: 'WATCHLISTED' }), admin.token), 'upsertRiskRule', 'riskRule');
  });
});
